/* Unit tests for proxy_env.c: environment precedence and no_proxy matching. */
#include <string.h>

#include "proxy_env.h"
#include "tap.h"

static const char *const *fake_env;

static const char *fake_get(const char *name)
{
	for (const char *const *e = fake_env; *e; e += 2)
		if (!strcmp(e[0], name))
			return e[1];
	return NULL;
}

static const char *pick(const char *const *env, const char **name)
{
	fake_env = env;
	return proxy_from_env(fake_get, name);
}

static void test_env_order(void)
{
	const char *name = NULL, *v;
	const char *const all[] = { "ALL_PROXY",   "A", "all_proxy",	"a", "HTTPS_PROXY", "H",
				    "https_proxy", "h", "EGRESS_PROXY", "e", NULL };
	v = pick(all, &name);
	CHECK(v && !strcmp(v, "e") && !strcmp(name, "EGRESS_PROXY"));
	const char *const alls[] = { "ALL_PROXY", "A", "all_proxy", "a", NULL };
	v = pick(alls, &name);
	CHECK(v && !strcmp(v, "a") && !strcmp(name, "all_proxy"));
	const char *const https[] = { "HTTPS_PROXY", "H", "https_proxy", "h", NULL };
	v = pick(https, &name);
	CHECK(v && !strcmp(v, "h"));
	const char *const empty[] = { "EGRESS_PROXY", "", "HTTPS_PROXY", "H", NULL };
	v = pick(empty, &name);
	CHECK(v && !strcmp(v, "H") && !strcmp(name, "HTTPS_PROXY"));
	const char *const http_only[] = { "http_proxy", "x", "HTTP_PROXY", "y", NULL };
	CHECK(pick(http_only, &name) == NULL);
	const char *const np[] = { "NO_PROXY", "B", "no_proxy", "b", NULL };
	fake_env = np;
	CHECK(!strcmp(noproxy_from_env(fake_get, &name), "b") && !strcmp(name, "no_proxy"));
}

/* Whether list matches host by the entry want. */
static bool matched_by(const char *list, const char *host, const char *want)
{
	const char *e = NULL;
	size_t n = 0;
	return noproxy_match_entry(list, host, &e, &n) && n == strlen(want) && !strncmp(e, want, n);
}

static void test_noproxy_entry(void)
{
	CHECK(matched_by("a.com, .corp ,10.0.0.0/8", "db.corp", ".corp"));
	CHECK(matched_by("a.com .corp\t10.0.0.0/8", "10.2.3.4", "10.0.0.0/8"));
	CHECK(matched_by("x,*", "h", "*"));
	CHECK(matched_by("corp,db.corp", "db.corp", "corp")); /* the first that matches */
	CHECK(!matched_by("a.com", "b.com", ""));
}

static void test_noproxy(void)
{
	CHECK(noproxy_match("*", "anything.example"));
	CHECK(noproxy_match("example.com", "example.com"));
	CHECK(noproxy_match("example.com", "a.b.example.com"));
	CHECK(noproxy_match(".example.com", "a.example.com"));
	CHECK(noproxy_match(".example.com", "example.com"));
	CHECK(noproxy_match("EXAMPLE.com", "Example.COM."));
	CHECK(!noproxy_match("example.com", "badexample.com"));
	CHECK(!noproxy_match("example.com", "example.com.evil"));
	CHECK(noproxy_match("foo, bar ,example.com", "x.example.com"));
	CHECK(noproxy_match("foo bar", "bar"));
	CHECK(!noproxy_match("", "x"));
	/* As in curl, "*" is a wildcard only alone: "*.example.com" is a name no host has. */
	CHECK(!noproxy_match("*.example.com", "a.example.com"));
	CHECK(!noproxy_match("*.example.com", "example.com"));
	CHECK(noproxy_match("127.0.0.1", "127.0.0.1"));
	CHECK(!noproxy_match("127.0.0.1", "127.0.0.2"));
	CHECK(noproxy_match("127.0.0.0/8", "127.9.8.7"));
	CHECK(!noproxy_match("10.0.0.0/8", "11.0.0.1"));
	CHECK(noproxy_match("192.168.1.0/23", "192.168.0.200"));
	CHECK(!noproxy_match("192.168.1.0/24", "192.168.0.200"));
	CHECK(noproxy_match("::1", "::1"));
	CHECK(noproxy_match("[::1]", "::1"));
	CHECK(noproxy_match("0:0::1", "::1"));
	CHECK(noproxy_match("fd00::/8", "fdab::1"));
	CHECK(!noproxy_match("fd00::/8", "fe80::1"));
	CHECK(!noproxy_match("127.0.0.0/33", "127.0.0.1"));
	CHECK(!noproxy_match("127.0.0.1", "localhost"));
	CHECK(!noproxy_match("localhost", "127.0.0.1"));
	CHECK(noproxy_match("0.0.0.0/0", "8.8.8.8"));
}

int main(void)
{
	test_env_order();
	test_noproxy();
	test_noproxy_entry();
	return tap_done();
}
