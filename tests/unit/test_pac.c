/* Unit tests for the PAC machinery: every helper of pac_js.c against known answers
 * (the clock fixed, names that resolve on every machine), pac_net.c's address
 * functions, pac_eval.c's bounds, and route_from_pac's reading of an answer. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pac_cache.h"
#include "pac_eval.h"
#include "pac_js.h"
#include "pac_net.h"
#include "pac_wpad.h"
#include "route.h"
#include "tap.h"

static char err[1024];

/* The value of the JavaScript expression expr, as a string ("true", "12"...). */
static char *js(const char *expr)
{
	static char *last;
	char script[2048];
	free(last);
	last = NULL;
	tap_fmt(script, sizeof(script),
		"function FindProxyForURL(url, host) { return String(%s); }", expr);
	if (!pac_js_find(script, strlen(script), "test.pac", "https://h.example:22/", "h.example",
			 false, &last, err, sizeof(err)))
		return err;
	return last;
}

#define JS(expr, want) CHECK(!strcmp(js(expr), want))

static void test_string_helpers(void)
{
	JS("isPlainHostName('www')", "true");
	JS("isPlainHostName('www.example.com')", "false");
	JS("dnsDomainIs('www.example.com', '.example.com')", "true");
	JS("dnsDomainIs('WWW.Example.COM', '.example.com')", "true");
	JS("dnsDomainIs('example.com', '.example.com')", "false");
	JS("dnsDomainIs('www.other.com', '.example.com')", "false");
	JS("localHostOrDomainIs('www.example.com', 'www.example.com')", "true");
	JS("localHostOrDomainIs('www', 'www.example.com')", "true");
	JS("localHostOrDomainIs('www.other.com', 'www.example.com')", "false");
	JS("localHostOrDomainIs('home.example.com', 'www.example.com')", "false");
	JS("dnsDomainLevels('www')", "0");
	JS("dnsDomainLevels('www.example.com')", "2");
	JS("shExpMatch('http://home.example.com/people/index.html', '*/people/*')", "true");
	JS("shExpMatch('http://home.example.com/local/index.html', '*/people/*')", "false");
	JS("shExpMatch('db1.lab', 'db?.lab')", "true");
	JS("shExpMatch('db12.lab', 'db?.lab')", "false");
	JS("shExpMatch('a.b.c', '*.*')", "true");
	JS("shExpMatch('abc', 'ABC')", "false");
	JS("shExpMatch('x.y(z)+', 'x.y(z)+')", "true");
	JS("shExpMatch('', '*')", "true");
	JS("convert_addr('104.16.41.2')", "1745889538");
	JS("convert_addr('255.255.255.255')", "4294967295");
	JS("isInNet('198.95.249.79', '198.95.249.79', '255.255.255.255')", "true");
	JS("isInNet('198.95.6.8', '198.95.0.0', '255.255.0.0')", "true");
	JS("isInNet('198.96.6.8', '198.95.0.0', '255.255.0.0')", "false");
	JS("isInNet('10.1.2.3', '10.0.0.0', '255.0.0.0')", "true");
	JS("isInNet('10.1.2.3', '10.0.0.0', 'bad')", "false");
	JS("getClientVersion()", "1.0");
}

static void test_dns_helpers(void)
{
	/* localhost resolves on every machine, from /etc/hosts; .invalid never does. */
	JS("dnsResolve('127.0.0.1')", "127.0.0.1");
	JS("dnsResolve('localhost')", "127.0.0.1");
	JS("dnsResolve('no-such-host.invalid')", "null");
	JS("isResolvable('localhost')", "true");
	JS("isResolvable('no-such-host.invalid')", "false");
	JS("isInNet('localhost', '127.0.0.0', '255.0.0.0')", "true");
	JS("isInNet('no-such-host.invalid', '0.0.0.0', '0.0.0.0')", "false");
	JS("dnsResolveEx('no-such-host.invalid')", "");
	JS("isResolvableEx('no-such-host.invalid')", "false");
	JS("dnsResolveEx('127.0.0.1')", "127.0.0.1");
	JS("isResolvableEx('localhost')", "true");
	JS("isInNetEx('127.0.0.1', '127.0.0.0/8')", "true");
	JS("isInNetEx('localhost', '127.0.0.0/8')", "true");
	JS("isInNetEx('2001:db8::1', '2001:db8::/32')", "true");
	JS("isInNetEx('2001:db9::1', '2001:db8::/32')", "false");
	JS("isInNetEx('10.1.2.3', '2001:db8::/32')", "false");
	JS("sortIpAddressList('10.2.3.9;2001:db8::1;::1;127.0.0.1;::9')",
	   "::1;::9;2001:db8::1;10.2.3.9;127.0.0.1");
	JS("sortIpAddressList('10.2.3.9;nonsense')", "false");
	/* myIpAddress is some IPv4 address of this machine; the Ex list holds no loopback. */
	char *me = pac_my_ip();
	char want[64];
	tap_fmt(want, sizeof(want), "%s", me);
	JS("myIpAddress()", want);
	CHECK(pac_in_net_ex(me, "0.0.0.0/0"));
	free(me);
	char *all = pac_my_ip_ex();
	CHECK(all && !strstr(all, "127.0.0.1") && strcmp(all, "::1") != 0);
	free(all);
	JS("(alert('to stderr under -v'), 'quiet')", "quiet");
}

static void test_time_helpers(void)
{
	/* Sunday 29 November 2026, 17:30:00 UTC. */
	pac_js_set_clock(1795973400000.0);
	JS("weekdayRange('SUN', 'GMT')", "true");
	JS("weekdayRange('MON', 'FRI', 'GMT')", "false");
	JS("weekdayRange('FRI', 'MON', 'GMT')", "true");
	JS("weekdayRange('SAT', 'GMT')", "false");
	JS("weekdayRange('sun')", "true");
	JS("dateRange(29, 'GMT')", "true");
	JS("dateRange('NOV', 'GMT')", "true");
	JS("dateRange(2026, 'GMT')", "true");
	JS("dateRange(1, 15, 'GMT')", "false");
	JS("dateRange(25, 3, 'GMT')", "true");
	JS("dateRange('OCT', 'JAN', 'GMT')", "true");
	JS("dateRange('JAN', 'OCT', 'GMT')", "false");
	JS("dateRange(1, 'NOV', 2026, 30, 'NOV', 2026, 'GMT')", "true");
	JS("dateRange(1, 'DEC', 2026, 31, 'DEC', 2026, 'GMT')", "false");
	JS("dateRange('NOV', 2026, 'DEC', 2026, 'GMT')", "true");
	JS("dateRange(2025, 2027, 'GMT')", "true");
	JS("dateRange(2027, 2025, 'GMT')", "false");
	JS("timeRange(17, 'GMT')", "true");
	JS("timeRange(9, 17, 'GMT')", "true");
	JS("timeRange(9, 16, 'GMT')", "false");
	JS("timeRange(22, 6, 'GMT')", "false");
	JS("timeRange(17, 0, 17, 30, 'GMT')", "true");
	JS("timeRange(17, 0, 17, 29, 'GMT')", "false");
	JS("timeRange(17, 0, 0, 17, 30, 0, 'GMT')", "true");
	JS("timeRange(17, 31, 18, 0, 'GMT')", "false");
	JS("timeRange(18, 17, 'GMT')", "true");
	/* Local time is the TZ's (the test runs with TZ=UTC). */
	JS("timeRange(17)", "true");
	pac_js_set_clock(0);
}

static void test_scripts(void)
{
	char *r = NULL;
	const char *ex = "function FindProxyForURL(u, h) { return 'DIRECT'; }\n"
			 "function FindProxyForURLEx(u, h) { return 'PROXY [::1]:3128'; }";
	CHECK(pac_js_find(ex, strlen(ex), "ex.pac", "https://h/", "h", false, &r, err,
			  sizeof(err)) &&
	      !strcmp(r, "PROXY [::1]:3128"));
	free(r);
	const char *syntax = "function FindProxyForURL(u, h) {\n  return 'DIRECT'\n  var = 3;\n}";
	CHECK(!pac_js_find(syntax, strlen(syntax), "s.pac", "https://h/", "h", false, &r, err,
			   sizeof(err)) &&
	      !strncmp(err, "s.pac: SyntaxError: ", 20) && strstr(err, "(line 3"));
	const char *none = "var x = 1;";
	CHECK(!pac_js_find(none, strlen(none), "n.pac", "https://h/", "h", false, &r, err,
			   sizeof(err)) &&
	      !strcmp(err, "n.pac: defines no function FindProxyForURL"));
	const char *args = "function FindProxyForURL(u, h) { return u + ' ' + h; }";
	CHECK(pac_js_find(args, strlen(args), "a.pac", "https://db:22/", "db", false, &r, err,
			  sizeof(err)) &&
	      !strcmp(r, "https://db:22/ db"));
	/* cppcheck-suppress doubleFree ; pac_js_find sets r first thing, each time */
	free(r);
}

static void test_evaluate(void)
{
	struct endpoint t = { .host = "db.example", .port = 22 },
			t443 = { .host = "w", .port = 443 };
	struct endpoint t6 = { .host = "::1", .port = 22, .ipv6 = true };
	char url[128], *r = NULL;

	CHECK(pac_url_for(&t, url, sizeof(url)) && !strcmp(url, "https://db.example:22/"));
	CHECK(pac_url_for(&t443, url, sizeof(url)) && !strcmp(url, "https://w/"));
	CHECK(pac_url_for(&t6, url, sizeof(url)) && !strcmp(url, "https://[::1]:22/"));
	CHECK(!pac_url_for(&t, url, strlen("https://db.example:22/")));
	const char *ok = "function FindProxyForURL(u, h) { return 'PROXY p:1; DIRECT'; }";
	CHECK(pac_evaluate(ok, strlen(ok), "ok.pac", &t, 5000, &r, err, sizeof(err)) &&
	      !strcmp(r, "PROXY p:1; DIRECT"));
	free(r);
	const char *loop = "function FindProxyForURL(u, h) { for (;;) {} }";
	CHECK(!pac_evaluate(loop, strlen(loop), "loop.pac", &t, 10000, &r, err, sizeof(err)) &&
	      !strcmp(err, "loop.pac: stopped after 2 s of CPU time (an endless loop?)"));
	/* A wall-clock deadline too, for a script that waits rather than computes. */
	CHECK(!pac_evaluate(loop, strlen(loop), "loop.pac", &t, 300, &r, err, sizeof(err)) &&
	      !strcmp(err, "loop.pac: no answer within 0.3 s"));
	const char *thrown = "function FindProxyForURL(u, h) {\n\n  throw new Error('no');\n}";
	CHECK(!pac_evaluate(thrown, strlen(thrown), "t.pac", &t, 5000, &r, err, sizeof(err)) &&
	      !strcmp(err, "t.pac: Error: no (line 3)"));
}

/* The ways route_from_pac makes of answer: "http://h:p" or "direct", ";"-joined. */
static const char *ways(const char *answer)
{
	static char out[1024];
	struct route r = { 0 };
	struct route_refusal why = { 0 };
	size_t n = 0;

	r.pac = "t.pac";
	out[0] = '\0';
	if (!route_from_pac(&r, strdup(answer), &why)) {
		tap_fmt(out, sizeof(out), "! %s", why.line);
	} else {
		for (size_t i = 0; i < r.n; i++) {
			char ep[ENDPOINT_STR_MAX];
			const struct proxy_spec *p = r.v[i].proxy;
			tap_fmt(out + n, sizeof(out) - n, "%s%s%s%s", i ? ";" : "",
				p ? proxy_scheme_name(p->scheme) : "direct", p ? "://" : "",
				p ? endpoint_str(&p->addr, ep, sizeof(ep)) : "");
			n += strlen(out + n);
		}
	}
	route_free(&r);
	return out;
}

static void test_answers(void)
{
	CHECK(!strcmp(ways("DIRECT"), "direct"));
	CHECK(!strcmp(ways("PROXY a:3128; DIRECT"), "http://a:3128;direct"));
	CHECK(!strcmp(
		ways("proxy a:3128;socks b:1;SOCKS5 c:2; HTTPS d:3 ;HTTP e:4; SOCKS4 f:5"),
		"http://a:3128;socks4://b:1;socks5h://c:2;https://d:3;http://e:4;socks4://f:5"));
	CHECK(!strcmp(ways("PROXY a; HTTPS b; SOCKS c"),
		      "http://a:80;https://b:443;socks4://c:1080"));
	CHECK(!strcmp(ways("PROXY [::1]:3128; PROXY [fd00::2]"),
		      "http://[::1]:3128;http://[fd00::2]:80"));
	CHECK(!strcmp(ways("  PROXY   a:1  ;;; DIRECT ;"), "http://a:1;direct"));
	CHECK(!strcmp(ways("QUIC q:1; PROXY a:1"), "http://a:1"));
	CHECK(!strcmp(ways("PROXY a b; PROXY c:1"), "http://c:1"));
	CHECK(!strcmp(ways("PROXY user@a:1; PROXY a:99999; DIRECT"), "direct"));
	CHECK(!strcmp(ways("garbage"),
		      "! PAC t.pac gave no way egress knows for this target: \"garbage\""));
	CHECK(!strcmp(ways(""), "! PAC t.pac gave no way egress knows for this target: \"\""));
	/* A first word with no blank before the ";" (and none after it): the entry's host
	 * was looked for past the end of the answer (found by fuzzing). */
	CHECK(!strcmp(ways("HTTP;DIRECT"), "direct"));
	CHECK(!strcmp(ways("PROXYa:1;PROXY b:2"), "http://b:2"));
}

/* The WPAD candidates of fqdn and resolv, ";"-joined, as host names. */
static const char *candidates(const char *fqdn, const char *resolv)
{
	static char out[2048];
	char urls[WPAD_MAX_CANDIDATES][WPAD_URL_MAX];
	size_t n = wpad_candidates(fqdn, resolv, urls, WPAD_MAX_CANDIDATES), used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *h = urls[i] + strlen("http://");
		tap_fmt(out + used, sizeof(out) - used, "%s%.*s", i ? ";" : "",
			(int)strcspn(h, "/"), h);
		used += strlen(out + used);
	}
	return out;
}

static void test_wpad(void)
{
	char url[WPAD_URL_MAX * 2];
	CHECK(!strcmp(candidates("box.branch.corp.example.com", NULL),
		      "wpad.branch.corp.example.com;wpad.corp.example.com;wpad.example.com"));
	/* Never wpad.com: a parent needs two labels. */
	CHECK(!strcmp(candidates("box.example.com", NULL), "wpad.example.com"));
	CHECK(!strcmp(candidates("box.com", NULL), ""));
	CHECK(!strcmp(candidates("box", NULL), ""));
	CHECK(!strcmp(candidates(NULL, NULL), ""));
	CHECK(!strcmp(candidates("Box.Corp.Test.", NULL), "wpad.corp.test"));
	/* The search domains after, without repeats; "domain" too; comments ignored. */
	CHECK(!strcmp(candidates("box.a.corp.test",
				 "# search x.y\nnameserver 10.0.0.1\n"
				 "search lab.corp.test a.corp.test\tother.example\n"
				 "domain dom.test\n"),
		      "wpad.a.corp.test;wpad.corp.test;wpad.lab.corp.test;wpad.other.example;"
		      "wpad.dom.test"));
	CHECK(!strcmp(candidates(NULL, "search single\n"), ""));
	/* A search line of any length is read whole: cut at 1 KiB, its last domain
	 * became "corp.e", and wpad.corp.e was asked for the proxy. */
	char longline[1100];
	tap_fmt(longline, sizeof(longline), "search %01016d corp.example.com\n", 0);
	CHECK(!strcmp(candidates(NULL, longline), "wpad.corp.example.com;wpad.example.com"));
	char urls[2][WPAD_URL_MAX];
	CHECK(wpad_candidates("h.a.b.c.d", NULL, urls, 2) == 2);
	tap_fmt(url, sizeof(url), "%s", urls[0]);
	CHECK(!strcmp(url, "http://wpad.a.b.c.d/wpad.dat"));
}

static void test_cache_expiry(void)
{
	bool store;
	time_t now = 1000000;
	CHECK(pac_cache_expiry(NULL, -1, -1, now, &store) == now + 3600 && store);
	CHECK(pac_cache_expiry("max-age=120", -1, -1, now, &store) == now + 120 && store);
	CHECK(pac_cache_expiry("public, Max-Age=60, must-revalidate", -1, -1, now, &store) ==
	      now + 60);
	CHECK(pac_cache_expiry("no-store", -1, -1, now, &store) == now && !store);
	CHECK(pac_cache_expiry("no-cache", now + 500, -1, now, &store) == now && store);
	CHECK(pac_cache_expiry("private", now + 500, -1, now, &store) == now + 500);
	/* Expires counts from the server's Date, not from our clock. */
	CHECK(pac_cache_expiry(NULL, 5000, 4000, now, &store) == now + 1000);
	CHECK(pac_cache_expiry(NULL, 0, -1, now, &store) < now);
	CHECK(pac_cache_expiry("s-maxage=9", -1, -1, now, &store) == now + 3600);
}

static char cache_dir[] = "/tmp/egress-test-pac-XXXXXX";

/* The compiled-code cache: only this very script, key and a private file of ours. */
static void test_code_cache(void)
{
	char path[512], *code = NULL;
	size_t n = 0;
	const char *script = "function FindProxyForURL(u, h) { return 'DIRECT'; }";

	pac_code_store("k1", script, strlen(script), "CODE", 4);
	CHECK(pac_code_load("k1", script, strlen(script), &code, &n) && n == 4 &&
	      !memcmp(code, "CODE", 4));
	free(code);
	CHECK(!pac_code_load("k2", script, strlen(script), &code, &n) && !code);
	CHECK(!pac_code_load("k1", script, strlen(script) - 1, &code, &n));
	/* The same length and hash bucket are not enough: the script is compared whole. */
	tap_fmt(path, sizeof(path), "%s/egress", cache_dir);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL)
		if (!strncmp(e->d_name, "code-", 5))
			tap_fmt(path, sizeof(path), "%s/egress/%s", cache_dir, e->d_name);
	if (d)
		closedir(d);
	FILE *f = fopen(path, "r+");
	CHECK(f != NULL);
	if (f) {
		bool changed =
			fseek(f, (long)strlen("egress-pac-code 1 k1 52\n") + 10, SEEK_SET) == 0 &&
			fputc('X', f) == 'X';
		CHECK(fclose(f) == 0 && changed);
	}
	CHECK(!pac_code_load("k1", script, strlen(script), &code, &n));
	pac_code_store("k1", script, strlen(script), "CODE", 4);
	chmod(path, 0644);
	CHECK(!pac_code_load("k1", script, strlen(script), &code, &n));
	chmod(path, 0600);
	CHECK(pac_code_load("k1", script, strlen(script), &code, &n));
	free(code);
	/* Through the engine: the second run loads what the first compiled. */
	char *r = NULL;
	const char *pac = "function FindProxyForURL(u, h) {\n return 'PROXY c:1';\n}";
	CHECK(pac_js_find(pac, strlen(pac), "c.pac", "https://h/", "h", true, &r, err,
			  sizeof(err)) &&
	      !strcmp(r, "PROXY c:1"));
	free(r);
	CHECK(pac_js_find(pac, strlen(pac), "c.pac", "https://h/", "h", true, &r, err,
			  sizeof(err)) &&
	      !strcmp(r, "PROXY c:1"));
	free(r);
	const char *throws = "function FindProxyForURL(u, h) {\n\n throw new Error('x');\n}";
	for (int i = 0; i < 2; i++)
		CHECK(!pac_js_find(throws, strlen(throws), "t.pac", "https://h/", "h", true, &r,
				   err, sizeof(err)) &&
		      !strcmp(err, "t.pac: Error: x (line 3)"));
}

/* Rewrites the times line of url's cached copy (the only "pac-" file in the test's
 * cache) to times. */
static bool set_cached_times(const char *url, const char *times)
{
	char path[512] = "", *text = NULL;
	size_t len = 0;
	DIR *d;
	struct dirent *e;

	tap_fmt(path, sizeof(path), "%s/egress", cache_dir);
	if (!(d = opendir(path)))
		return false;
	while ((e = readdir(d)) != NULL)
		if (!strncmp(e->d_name, "pac-", 4))
			tap_fmt(path, sizeof(path), "%s/egress/%s", cache_dir, e->d_name);
	closedir(d);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char line[256];
	FILE *out = open_memstream(&text, &len);
	for (int i = 1; out && fgets(line, sizeof(line), f); i++)
		fputs(i == 3 ? times : line, out);
	bool ok = out && fclose(out) == 0 && fclose(f) == 0 && strstr(text, url);
	if (ok && (f = fopen(path, "w")) != NULL)
		ok = fwrite(text, 1, len, f) == len && fclose(f) == 0;
	free(text);
	return ok;
}

/* What pac_cache_load says of url at now, its copy freed. */
static enum pac_cache_state cache_state(const char *url, time_t now)
{
	struct pac_cached c;
	enum pac_cache_state s = pac_cache_load(url, now, &c);
	free(c.text);
	return s;
}

/* The PAC cache's copies: fresh, stale, and a times line that is not two times. */
static void test_cache_copies(void)
{
	const char *url = "http://pac.test/p.pac";
	struct pac_cached c;

	CHECK(pac_cache_store(url, "PAC", 3, 1000, 5000, err, sizeof(err)));
	CHECK(pac_cache_load(url, 2000, &c) == PAC_CACHE_FRESH && c.len == 3 &&
	      !memcmp(c.text, "PAC", 3) && c.fetched == 1000 && c.expires == 5000);
	free(c.text);
	CHECK(cache_state(url, 6000) == PAC_CACHE_STALE);
	CHECK(set_cached_times(url, "1000 0\n") && cache_state(url, 2000) == PAC_CACHE_STALE);
	/* A year no clock shows: localtime() fails on it, and egress crashed saying when a
	 * stale copy was cached. sscanf's %lld took it, and anything past LLONG_MAX. */
	CHECK(set_cached_times(url, "99999999999999999 0\n") &&
	      cache_state(url, 2000) == PAC_CACHE_NONE);
	CHECK(set_cached_times(url, "99999999999999999999999 0\n") &&
	      cache_state(url, 2000) == PAC_CACHE_NONE);
	CHECK(set_cached_times(url, "-5 0\n") && cache_state(url, 2000) == PAC_CACHE_NONE);
	CHECK(set_cached_times(url, "1000 5000 junk\n") &&
	      cache_state(url, 2000) == PAC_CACHE_NONE);
	CHECK(set_cached_times(url, "1000 5000\n") && cache_state(url, 2000) == PAC_CACHE_FRESH);
}

int main(void)
{
	/* Nothing of these tests goes into the user's own cache. */
	if (!mkdtemp(cache_dir))
		return 1;
	setenv("XDG_CACHE_HOME", cache_dir, 1);
	test_code_cache();
	test_wpad();
	test_cache_expiry();
	test_cache_copies();
	setenv("TZ", "UTC", 1);
	test_string_helpers();
	test_dns_helpers();
	test_time_helpers();
	test_scripts();
	test_evaluate();
	test_answers();
	char cmd[128];
	tap_fmt(cmd, sizeof(cmd), "rm -rf '%s'", cache_dir);
	/* NOLINTNEXTLINE(cert-env33-c): a fixed command on the directory mkdtemp made */
	if (system(cmd) != 0)
		CHECK(!"removing the test's cache");
	return tap_done();
}
