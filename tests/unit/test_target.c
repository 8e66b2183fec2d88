/* Unit tests for endpoint.c, proxy_url.c and values.c: everything accepted here
 * reaches the wire verbatim. */
#include <string.h>

#include "tap.h"
#include "endpoint.h"
#include "err.h"
#include "proxy_url.h"
#include "values.h"

static char err[ERR_MAX];

/* parse_target takes argv as main() has it: writable strings. */
static char arg0[512], arg1[512];

static int target1(const char *a, struct endpoint *e)
{
	char *argv[] = { arg0 };
	tap_fmt(arg0, sizeof(arg0), "%s", a);
	return parse_target(1, argv, e, err, sizeof(err));
}

static int target2(const char *h, const char *p, struct endpoint *e)
{
	char *argv[] = { arg0, arg1 };
	tap_fmt(arg0, sizeof(arg0), "%s", h);
	tap_fmt(arg1, sizeof(arg1), "%s", p);
	return parse_target(2, argv, e, err, sizeof(err));
}

static void test_ports(void)
{
	uint16_t p = 0;
	CHECK(parse_port("1", &p, err, sizeof(err)) && p == 1);
	CHECK(parse_port("65535", &p, err, sizeof(err)) && p == 65535);
	CHECK(!parse_port("0", &p, err, sizeof(err)));
	CHECK(!parse_port("65536", &p, err, sizeof(err)));
	CHECK(!parse_port("99999999999999999999", &p, err, sizeof(err)));
	CHECK(!parse_port("", &p, err, sizeof(err)));
	CHECK(!parse_port("22x", &p, err, sizeof(err)));
	CHECK(!parse_port("+22", &p, err, sizeof(err)));
	CHECK(!parse_port(" 22", &p, err, sizeof(err)));
	CHECK(!parse_port("-1", &p, err, sizeof(err)));
	CHECK(strstr(err, "invalid port \"-1\"") != NULL);
}

static void test_hosts(void)
{
	char big[300];
	CHECK(check_host("example.com", err, sizeof(err)));
	CHECK(check_host("my_host-1.example", err, sizeof(err)));
	CHECK(!check_host("b\xc3\xbc"
			  "cher.example",
			  err, sizeof(err)) &&
	      strstr(err, "xn--"));
	CHECK(check_host("xn--bcher-kva.example", err, sizeof(err)));
	CHECK(check_host("2001:db8::1", err, sizeof(err)));
	CHECK(!check_host("2001:db8::1::2", err, sizeof(err)));
	CHECK(!check_host("", err, sizeof(err)));
	CHECK(!check_host("a b", err, sizeof(err)) && strstr(err, "space"));
	CHECK(!check_host("a\rb", err, sizeof(err)) && strstr(err, "0x0D"));
	CHECK(!check_host("a\nb", err, sizeof(err)));
	CHECK(!check_host("a\x01", err, sizeof(err)));
	CHECK(!check_host("a\x7f", err, sizeof(err)));
	CHECK(!check_host("a/b", err, sizeof(err)));
	CHECK(!check_host("a@b", err, sizeof(err)));
	memset(big, 'a', 255);
	big[255] = '\0';
	CHECK(check_host(big, err, sizeof(err)));
	big[255] = 'a';
	big[256] = '\0';
	CHECK(!check_host(big, err, sizeof(err)) && strstr(err, "longer than 255"));
}

static void test_targets(void)
{
	struct endpoint e;
	CHECK(target1("example.com:22", &e) && !strcmp(e.host, "example.com") && e.port == 22);
	CHECK(target1("[2001:db8::1]:443", &e) && !strcmp(e.host, "2001:db8::1") && e.ipv6 &&
	      e.port == 443);
	CHECK(target2("::1", "22", &e) && !strcmp(e.host, "::1") && e.ipv6);
	CHECK(target2("[::1]", "22", &e) && !strcmp(e.host, "::1"));
	CHECK(target2("host", "8080", &e) && e.port == 8080 && !e.ipv6);
	CHECK(!target1("example.com", &e) && strstr(err, "missing port"));
	CHECK(!target1("a:1:2", &e) && strstr(err, "brackets"));
	CHECK(!target1("[::1]22", &e));
	CHECK(!target1("[::1", &e));
	CHECK(!target1(":22", &e));
	CHECK(!target2("a b", "22", &e));
	CHECK(!target2("host", "0", &e));

	char buf[HOST_MAX + 9];
	target1("[::1]:22", &e);
	CHECK(!strcmp(endpoint_str(&e, buf, sizeof(buf)), "[::1]:22"));
}

static void test_secs(void)
{
	long ms = 0;
	CHECK(parse_secs("30", &ms, err, sizeof(err)) && ms == 30000);
	CHECK(parse_secs("0.5", &ms, err, sizeof(err)) && ms == 500);
	CHECK(parse_secs("0.0001", &ms, err, sizeof(err)) && ms == 1);
	CHECK(!parse_secs("0", &ms, err, sizeof(err)));
	CHECK(!parse_secs("-1", &ms, err, sizeof(err)));
	CHECK(!parse_secs("nan", &ms, err, sizeof(err)));
	CHECK(!parse_secs("inf", &ms, err, sizeof(err)));
	CHECK(!parse_secs("0x10", &ms, err, sizeof(err)));
	/* strtod's exponent form is a plain decimal number: accepted. */
	CHECK(parse_secs("1e3", &ms, err, sizeof(err)) && ms == 1000000);
	CHECK(!parse_secs("5s", &ms, err, sizeof(err)));
	CHECK(!parse_secs("", &ms, err, sizeof(err)));
}

static void test_headers(void)
{
	CHECK(check_header("X-Trace: 1", err, sizeof(err)));
	CHECK(check_header("Proxy-Connection:", err, sizeof(err)));
	CHECK(!check_header("X: a\r\nInjected: 1", err, sizeof(err)) && strstr(err, "CR/LF"));
	CHECK(!check_header("X: a\nb", err, sizeof(err)));
	CHECK(!check_header("NoColon", err, sizeof(err)));
	CHECK(!check_header(": value", err, sizeof(err)));
	CHECK(!check_header("Bad Name: v", err, sizeof(err)));
	CHECK(!check_header("X: \x01", err, sizeof(err)));
}

static void test_proxies(void)
{
	struct proxy_list l;
	CHECK(parse_proxy_list("proxy.corp", &l, err, sizeof(err)) && l.n == 1 &&
	      !strcmp(l.v[0].addr.host, "proxy.corp") && l.v[0].addr.port == 8080 && !l.v[0].user);
	proxy_list_free(&l);
	CHECK(parse_proxy_list("http://u%40x:p%3Aw@[::1]:3128/", &l, err, sizeof(err)) &&
	      l.n == 1 && !strcmp(l.v[0].user, "u@x") && !strcmp(l.v[0].pass, "p:w") &&
	      l.v[0].addr.ipv6 && l.v[0].addr.port == 3128);
	proxy_list_free(&l);
	CHECK(parse_proxy_list("HTTP://a:1, b:2 ,c", &l, err, sizeof(err)) && l.n == 3 &&
	      l.v[1].addr.port == 2 && !strcmp(l.v[2].addr.host, "c"));
	proxy_list_free(&l);
	CHECK(parse_proxy_list("user@h:1", &l, err, sizeof(err)) && !strcmp(l.v[0].user, "user") &&
	      !l.v[0].pass);
	proxy_list_free(&l);
	CHECK(parse_proxy_list("socks5h://u:p@h, SOCKS4://h:9, socks4a://h, socks5://h", &l, err,
			       sizeof(err)) &&
	      l.n == 4 && l.v[0].scheme == PROXY_SOCKS5H && l.v[0].addr.port == 1080 &&
	      !strcmp(l.v[0].pass, "p") && l.v[1].scheme == PROXY_SOCKS4 && l.v[1].addr.port == 9 &&
	      l.v[2].scheme == PROXY_SOCKS4A && l.v[3].scheme == PROXY_SOCKS5);
	proxy_list_free(&l);
	CHECK(!strcmp(proxy_scheme_name(PROXY_SOCKS5H), "socks5h"));
	CHECK(parse_proxy_list("https://p.corp, HTTPS://u:p@[::1]:8443", &l, err, sizeof(err)) &&
	      l.n == 2 && l.v[0].scheme == PROXY_HTTPS && l.v[0].addr.port == 443 &&
	      l.v[1].scheme == PROXY_HTTPS && l.v[1].addr.port == 8443 && l.v[1].addr.ipv6);
	proxy_list_free(&l);
	CHECK(!strcmp(proxy_scheme_name(PROXY_HTTPS), "https"));
	CHECK(!parse_proxy_list("socks6://h:1", &l, err, sizeof(err)) &&
	      strstr(err, "unsupported"));
	CHECK(!parse_proxy_list("ftp://h:1", &l, err, sizeof(err)) && strstr(err, "unsupported"));
	CHECK(!parse_proxy_list("h:0", &l, err, sizeof(err)));
	CHECK(!parse_proxy_list("h:", &l, err, sizeof(err)));
	CHECK(!parse_proxy_list("http://", &l, err, sizeof(err)));
	CHECK(!parse_proxy_list("h:1/path", &l, err, sizeof(err)));
	CHECK(!parse_proxy_list("a:1,,b:2", &l, err, sizeof(err)));
	CHECK(!parse_proxy_list("u:p%zz@h:1", &l, err, sizeof(err)));
	CHECK(!parse_proxy_list("u:p%00@h:1", &l, err, sizeof(err)));
	CHECK(!parse_proxy_list("h\r\n:1", &l, err, sizeof(err)));
	/* A refused URL never echoes its password. */
	CHECK(!parse_proxy_list("http://u:s3cret@h:0", &l, err, sizeof(err)) &&
	      !strstr(err, "s3cret"));
	CHECK(!parse_proxy_list("u:s3cret@", &l, err, sizeof(err)) && !strstr(err, "s3cret"));
}

int main(void)
{
	test_ports();
	test_hosts();
	test_targets();
	test_secs();
	test_headers();
	test_proxies();
	return tap_done();
}
