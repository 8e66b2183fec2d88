/* Unit tests for netrc.c (lookup) and secret.c (hiding passwords in arguments). */
#include <stdlib.h>
#include <string.h>

#include "netrc.h"
#include "secret.h"
#include "tap.h"

/* Whether text gives host (and login) the expected login and password. */
static int gives(const char *text, const char *host, const char *login, const char *want_login,
		 const char *want_pass)
{
	char *l, *p;
	if (!netrc_lookup(text, host, login, &l, &p))
		return 0;
	int ok = (want_login ? l && !strcmp(l, want_login) : !l) &&
		 (want_pass ? p && !strcmp(p, want_pass) : !p);
	free(l);
	secret_free(p);
	return ok;
}

static int misses(const char *text, const char *host, const char *login)
{
	char *l, *p;
	return !netrc_lookup(text, host, login, &l, &p) && !l && !p;
}

static void test_lookup(void)
{
	const char *two = "machine a.example login u1 password p1\n"
			  "machine proxy.corp login alice password s3cret\n"
			  "machine proxy.corp login bob password b0b\n";
	CHECK(gives(two, "proxy.corp", NULL, "alice", "s3cret"));
	CHECK(gives(two, "PROXY.corp", "bob", "bob", "b0b"));
	CHECK(gives(two, "proxy.corp", "alice", "alice", "s3cret"));
	CHECK(misses(two, "proxy.corp", "carol"));
	CHECK(misses(two, "other", NULL));
	CHECK(misses(two, "proxy", NULL));
	/* One line or many, any order of the keywords, tabs. */
	CHECK(gives("machine h\n\tpassword pw\n\tlogin u\n", "h", NULL, "u", "pw"));
	CHECK(gives("machine h login u", "h", "u", "u", NULL));
	/* default is never used for a proxy. */
	CHECK(misses("default login any password all", "h", NULL));
	CHECK(gives("default login d password dp machine h login u password p", "h", NULL, "u",
		    "p"));
	/* Quoted tokens, with escapes and spaces. */
	CHECK(gives("machine h login \"a b\" password \"p \\\"q\\\" \\\\ r\"", "h", NULL, "a b",
		    "p \"q\" \\ r"));
	/* A macro body holds no entries; it ends at an empty line. */
	CHECK(misses("macdef init\nmachine h login u password p\n", "h", NULL));
	CHECK(gives("macdef init\ncd /\nmachine x\n\nmachine h login u password p\n", "h", NULL,
		    "u", "p"));
	CHECK(gives("macdef init\r\ncd /\r\n\r\nmachine h login u password p\r\n", "h", NULL, "u",
		    "p"));
	/* account is known and skipped with its value; unknown words are skipped. */
	CHECK(gives("machine h account acc login u frobnicate password p", "h", NULL, "u", "p"));
	/* A value that looks like a keyword is a value. */
	CHECK(gives("machine h login machine password default", "h", NULL, "machine", "default"));
	/* Truncated files. */
	CHECK(misses("machine", "h", NULL));
	CHECK(gives("machine h login", "h", NULL, NULL, NULL));
	CHECK(misses("", "h", NULL));
	/* An overlong token is cut, not overrun. */
	char *big = malloc(5000);
	memcpy(big, "machine h password ", 19);
	memset(big + 19, 'x', 4000);
	big[4019] = '\0';
	char *l, *p;
	CHECK(netrc_lookup(big, "h", NULL, &l, &p) && p && strlen(p) == 1023);
	free(l);
	secret_free(p);
	free(big);
}

/* hide(f, arg): arg after f hid the password in a copy of it. */
static int hidden(bool (*f)(char *), const char *arg, const char *want, bool want_hid)
{
	char buf[256];
	size_t n = strlen(arg) + 1;
	memcpy(buf, arg, n);
	bool hid = f(buf);
	if (strlen(buf) + 1 != n)
		return 0;
	return hid == want_hid && !strcmp(buf, want);
}

static void test_hide(void)
{
	CHECK(hidden(secret_hide_in_userpass, "alice:s3cret", "alice:******", true));
	CHECK(hidden(secret_hide_in_userpass, "alice:pw", "alice:**", true));
	CHECK(hidden(secret_hide_in_userpass, "alice:a:b", "alice:***", true));
	CHECK(hidden(secret_hide_in_userpass, "alice", "alice", false));
	CHECK(hidden(secret_hide_in_userpass, "alice:", "alice:", false));
	CHECK(hidden(secret_hide_in_proxy_list, "http://u:secret@h:1", "http://u:******@h:1",
		     true));
	CHECK(hidden(secret_hide_in_proxy_list, "u:p@w@h", "u:***@h", true));
	CHECK(hidden(secret_hide_in_proxy_list, "http://h:3128", "http://h:3128", false));
	CHECK(hidden(secret_hide_in_proxy_list, "http://u@h", "http://u@h", false));
	CHECK(hidden(secret_hide_in_proxy_list, "socks5h://a:longpassword@h,b:pw@k:2,c",
		     "socks5h://a:************@h,b:**@k:2,c", true));
	CHECK(hidden(secret_hide_in_proxy_list, "h/,u:pass@k/", "h/,u:****@k/", true));
	CHECK(hidden(secret_hide_in_proxy_list, "", "", false));
}

int main(void)
{
	test_lookup();
	test_hide();
	return tap_done();
}
