/* Unit tests for route.c: which ways lead to the target and why, from the options and
 * an environment passed in; what an https:// proxy refuses and the CA it is given. */
#include <string.h>

#include "route.h"
#include "tap.h"

static const char *const *fake_env;

static const char *fake_get(const char *name)
{
	for (const char *const *e = fake_env; e && *e; e += 2)
		if (!strcmp(e[0], name))
			return e[1];
	return NULL;
}

#define ENV(...) ((const char *const[]){ __VA_ARGS__, NULL })

static struct egress_config cfg;
static struct route r;
static struct route_refusal why;

/* Chooses the route to host with -x proxy (NULL: not given), --noproxy noproxy and
 * the environment env; route_free is the caller's. */
static bool choose(const char *proxy, const char *noproxy, const char *const *env, const char *host)
{
	static char proxy_copy[256];
	config_init(&cfg);
	tap_fmt(cfg.target.host, sizeof(cfg.target.host), "%s", host);
	cfg.target.port = 22;
	if (proxy) {
		tap_fmt(proxy_copy, sizeof(proxy_copy), "%s", proxy);
		cfg.proxy = proxy_copy;
	}
	cfg.noproxy = noproxy;
	fake_env = env;
	memset(&why, 0, sizeof(why));
	return route_choose(&cfg, &cfg.target, fake_get, &r, &why);
}

static bool direct_because(const char *reason)
{
	return r.n == 1 && r.v[0].proxy == NULL && !strcmp(r.v[0].why, reason);
}

static void test_direct(void)
{
	CHECK(choose(NULL, NULL, NULL, "h") && direct_because("no proxy configured"));
	route_free(&r);
	CHECK(choose("", NULL, ENV("EGRESS_PROXY", "http://e"), "h") && direct_because("-x \"\""));
	route_free(&r);
	CHECK(choose("http://p", ".example.com", NULL, "a.example.com") &&
	      direct_because("--noproxy entry \".example.com\" matches"));
	route_free(&r);
	CHECK(choose(NULL, NULL, ENV("https_proxy", "http://p", "no_proxy", "10.0.0.0/8"),
		     "10.1.2.3") &&
	      direct_because("no_proxy entry \"10.0.0.0/8\" matches"));
	route_free(&r);
	/* A list that does not apply is not parsed, so not refused either. */
	CHECK(choose("bad url", "*", NULL, "h") && direct_because("--noproxy entry \"*\" matches"));
	route_free(&r);
}

static void test_proxies(void)
{
	CHECK(choose("http://a:1,socks5h://b", NULL, ENV("EGRESS_PROXY", "http://e"), "h"));
	REQUIRE(r.n == 2 && r.v[0].proxy && r.v[1].proxy);
	CHECK(r.v[0].proxy->scheme == PROXY_HTTP && !strcmp(r.v[0].proxy->addr.host, "a") &&
	      r.v[0].proxy->addr.port == 1);
	CHECK(r.v[1].proxy->scheme == PROXY_SOCKS5H && r.v[1].proxy->addr.port == 1080);
	CHECK(!strcmp(r.v[0].why, "-x") && !strcmp(r.v[1].why, "-x"));
	CHECK(!route_has_password(&r));
	route_free(&r);
	CHECK(choose(NULL, NULL, ENV("HTTPS_PROXY", "http://u:pw@h2:8", "all_proxy", "x"), "h"));
	CHECK(r.n == 1 && !strcmp(r.v[0].why, "HTTPS_PROXY") && r.v[0].proxy->addr.port == 8);
	CHECK(route_has_password(&r));
	route_free(&r);
	/* --noproxy replaces no_proxy rather than adding to it. */
	CHECK(choose("http://p", "other.example", ENV("no_proxy", "*"), "h") && r.n == 1 &&
	      r.v[0].proxy != NULL);
	route_free(&r);
}

static void test_refusals(void)
{
	CHECK(!choose("http://p/path", NULL, NULL, "h"));
	CHECK(why.usage && strstr(why.line, "a path is not allowed") != NULL);
	route_free(&r);
	CHECK(!choose(NULL, NULL, ENV("all_proxy", "ftp://p"), "h"));
	CHECK(!why.usage && strstr(why.line, "unsupported scheme") != NULL);
	CHECK(strstr(why.line, "(from all_proxy)") != NULL);
	route_free(&r);
}

static void test_check(void)
{
	/* route_check reads the environment too: it must outlive each choose(). */
	static const char *const bundle[] = { "CURL_CA_BUNDLE", "/dev/null", NULL };
	static const char *const file_dir[] = { "SSL_CERT_FILE", "/dev/null", "SSL_CERT_DIR",
						"/a:/b", NULL };
	static const char *const missing[] = { "CURL_CA_BUNDLE", "/nonexistent/ca.pem", NULL };

	CHECK(choose("https://p", NULL, bundle, "h"));
	CHECK(route_check(&cfg, fake_get, &r, &why));
	CHECK(r.cacert && !strcmp(r.cacert, "/dev/null") && r.capath == NULL);
	route_free(&r);
	CHECK(choose("https://p", NULL, file_dir, "h"));
	CHECK(route_check(&cfg, fake_get, &r, &why));
	CHECK(!strcmp(r.cacert, "/dev/null") && !strcmp(r.capath, "/a:/b"));
	route_free(&r);
	CHECK(choose("https://p", NULL, missing, "h"));
	CHECK(!route_check(&cfg, fake_get, &r, &why) && why.usage);
	CHECK(strstr(why.line, "CURL_CA_BUNDLE: cannot read") != NULL);
	route_free(&r);
	/* A CA named by an option wins over the environment's. */
	choose("https://p", NULL, missing, "h");
	route_free(&r);
	cfg.proxy_cacert = "/etc/hostname";
	CHECK(route_choose(&cfg, &cfg.target, fake_get, &r, &why));
	CHECK(route_check(&cfg, fake_get, &r, &why) && !strcmp(r.cacert, "/etc/hostname"));
	route_free(&r);
	/* http, then https later in the list: still refused. */
	choose("http://a,https://b", NULL, NULL, "h");
	cfg.half_close = true;
	CHECK(!route_check(&cfg, fake_get, &r, &why) && strstr(why.line, "--half-close") != NULL);
	route_free(&r);
	choose("https://b", NULL, NULL, "h");
	cfg.fdpass = true;
	CHECK(!route_check(&cfg, fake_get, &r, &why) && strstr(why.line, "--fdpass") != NULL);
	route_free(&r);
	choose("http://a", NULL, NULL, "h");
	cfg.half_close = cfg.fdpass = true;
	CHECK(route_check(&cfg, fake_get, &r, &why));
	route_free(&r);
}

/* Where a PAC comes in: after -x, before the proxy variables but EGRESS_PROXY. */
static void test_pac_source(void)
{
	CHECK(choose(NULL, NULL, ENV("EGRESS_PAC", "/p.pac", "https_proxy", "http://h"), "t") &&
	      r.n == 0 && !strcmp(r.pac, "/p.pac") && !strcmp(r.pac_origin, "EGRESS_PAC"));
	route_free(&r);
	CHECK(choose(NULL, NULL, ENV("EGRESS_PAC", "/p.pac", "EGRESS_PROXY", "http://e"), "t") &&
	      !r.pac && r.n == 1 && !strcmp(r.v[0].why, "EGRESS_PROXY"));
	route_free(&r);
	CHECK(choose("http://x", NULL, ENV("EGRESS_PAC", "/p.pac"), "t") && !r.pac && r.n == 1);
	route_free(&r);
	config_init(&cfg);
	cfg.pac = "http://pac/p.pac";
	tap_fmt(cfg.target.host, sizeof(cfg.target.host), "t");
	fake_env = ENV("EGRESS_PROXY", "http://e");
	CHECK(route_choose(&cfg, &cfg.target, fake_get, &r, &why) && r.n == 0 &&
	      !strcmp(r.pac, "http://pac/p.pac") && !strcmp(r.pac_origin, "--pac"));
	route_free(&r);
	/* A target on the no-proxy list never runs the PAC. */
	fake_env = ENV("no_proxy", "t");
	CHECK(route_choose(&cfg, &cfg.target, fake_get, &r, &why) && !r.pac && r.n == 1 &&
	      r.v[0].proxy == NULL);
	route_free(&r);
}

int main(void)
{
	test_pac_source();
	test_direct();
	test_proxies();
	test_refusals();
	test_check();
	return tap_done();
}
