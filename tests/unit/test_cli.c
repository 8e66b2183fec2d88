/* Unit tests for cli.c: the option table through getopt_long and apply_option, the
 * checks across options, and what happens to passwords given on the command line. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tap.h"

/* argv as main() has it: writable strings, here kept until the next parse. */
static char store[40][256];
static char *argv_[41];
static bool version_asked;

static const char *fake_version(void)
{
	version_asked = true;
	return "libfake/1.0";
}

/* Parses "egress" and args (NULL-terminated) into cfg, with stdout on /dev/null so
 * that --help and --version do not mix with the TAP lines. */
static enum cli_result parse(struct egress_config *cfg, const char *const *args)
{
	int argc = 0, saved, nul;
	enum cli_result r;

	tap_fmt(store[0], sizeof(store[0]), "egress");
	argv_[argc++] = store[0];
	for (; *args && argc < 40; args++, argc++) {
		tap_fmt(store[argc], sizeof(store[argc]), "%s", *args);
		argv_[argc] = store[argc];
	}
	argv_[argc] = NULL;
	if (fflush(stdout) != 0 || (saved = dup(STDOUT_FILENO)) < 0 ||
	    (nul = open("/dev/null", O_WRONLY)) < 0 || dup2(nul, STDOUT_FILENO) < 0)
		tap_bail("cannot put /dev/null on stdout");
	close(nul);
	r = cli_parse(argc, argv_, fake_version, cfg);
	/* What --help printed goes to /dev/null, whatever became of it there. */
	(void)fflush(stdout);
	if (dup2(saved, STDOUT_FILENO) < 0)
		tap_bail("cannot give stdout back");
	close(saved);
	return r;
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_defaults(void)
{
	struct egress_config cfg;
	CHECK(parse(&cfg, ARGS("example.com", "22")) == CLI_RUN);
	CHECK(!strcmp(cfg.target.host, "example.com") && cfg.target.port == 22);
	CHECK(cfg.connect_timeout_ms == CONFIG_CONNECT_TIMEOUT_MS);
	CHECK(cfg.proxy == NULL && cfg.noproxy == NULL && cfg.headers.n == 0);
	CHECK(cfg.idle_timeout_ms == 0 && cfg.eof_timeout_ms == 0 && cfg.keepalive_secs == 0);
	CHECK(cfg.family == 0 && cfg.proxy_auth == AUTH_ANY && !cfg.fdpass && !cfg.half_close);
	config_free(&cfg);
	CHECK(parse(&cfg, ARGS("[::1]:443")) == CLI_RUN);
	CHECK(!strcmp(cfg.target.host, "::1") && cfg.target.port == 443 && cfg.target.ipv6);
	config_free(&cfg);
}

static void test_kinds(void)
{
	struct egress_config cfg;
	CHECK(parse(&cfg, ARGS("-H", "X-A: 1", "--proxy-header", "X-B: 2", "--connect-timeout",
			       "0.5", "--idle-timeout", "3", "--keepalive", "7", "-4", "-6",
			       "--proxy-auth", "DIGEST", "-A", "agent/1", "--noproxy", ".local",
			       "--proxy-insecure", "h", "1")) == CLI_RUN);
	CHECK(cfg.headers.n == 2 && !strcmp(cfg.headers.v[0], "X-A: 1") &&
	      !strcmp(cfg.headers.v[1], "X-B: 2"));
	CHECK(cfg.connect_timeout_ms == 500);
	CHECK(cfg.idle_timeout_ms == 3000);
	CHECK(cfg.keepalive_secs == 7);
	CHECK(cfg.family == 6); /* the last of -4 and -6 */
	CHECK(cfg.proxy_auth == AUTH_DIGEST);
	CHECK(!strcmp(cfg.user_agent, "agent/1"));
	CHECK(!strcmp(cfg.noproxy, ".local"));
	CHECK(cfg.proxy_insecure);
	config_free(&cfg);
	CHECK(parse(&cfg, ARGS("--proxy-cacert", "/dev/null", "h", "1")) == CLI_RUN);
	CHECK(cfg.proxy_cacert && !strcmp(cfg.proxy_cacert, "/dev/null"));
	config_free(&cfg);
}

static void test_refusals(void)
{
	struct egress_config cfg;
	const char *const *bad[] = {
		ARGS("--keepalive", "1.5", "h", "1"),
		ARGS("--connect-timeout", "0", "h", "1"),
		ARGS("--proxy-auth", "kerberos", "h", "1"),
		ARGS("-H", "no colon", "h", "1"),
		ARGS("-A", "a\r\nb", "h", "1"),
		ARGS("--proxy-pinnedpubkey", "md5//x", "h", "1"),
		ARGS("--proxy-cacert", "/nonexistent/ca.pem", "h", "1"),
		ARGS("--netrc-file", "/nonexistent/netrc", "h", "1"),
		ARGS("-U", ":pass", "h", "1"),
		ARGS("-v", "-q", "h", "1"),
		ARGS("--fdpass", "--half-close", "h", "1"),
		ARGS("--nope", "h", "1"),
		ARGS("--help=x", "h", "1"),
		ARGS("h", "1", "-x"),
		ARGS("h"),
		ARGS("h", "1", "2"),
		ARGS("h", "0"),
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(parse(&cfg, bad[i]) == CLI_USAGE);
		config_free(&cfg);
	}
}

static void test_actions(void)
{
	struct egress_config cfg;
	version_asked = false;
	CHECK(parse(&cfg, ARGS("--help")) == CLI_DONE);
	CHECK(!version_asked);
	config_free(&cfg);
	CHECK(parse(&cfg, ARGS("-V")) == CLI_DONE);
	CHECK(version_asked);
	config_free(&cfg);
	/* Checks that need the operands do not run: there are none. */
	CHECK(parse(&cfg, ARGS("-v", "-q", "--help")) == CLI_DONE);
	config_free(&cfg);
}

static void test_passwords(void)
{
	struct egress_config cfg;
	CHECK(parse(&cfg, ARGS("-x", "http://u:secret@p:3128", "-U", "bob:pw", "h", "1")) ==
	      CLI_RUN);
	/* Copied for later, hidden where ps reads it. */
	CHECK(!strcmp(cfg.proxy, "http://u:secret@p:3128"));
	CHECK(strstr(argv_[2], "secret") == NULL && strstr(argv_[2], "@p:3128") != NULL);
	CHECK(!strcmp(cfg.proxy_user, "bob") && !strcmp(cfg.proxy_pass, "pw"));
	CHECK(!strcmp(argv_[4], "bob:**"));
	CHECK(cfg.pass_in_argv);
	config_free(&cfg);
	CHECK(parse(&cfg, ARGS("-x", "http://p:3128", "-U", "bob", "h", "1")) == CLI_RUN);
	CHECK(!cfg.pass_in_argv && cfg.proxy_pass == NULL);
	config_free(&cfg);
	setenv("EGRESS_PROXY_PASSWORD", "envpw", 1);
	CHECK(parse(&cfg, ARGS("h", "1")) == CLI_RUN);
	CHECK(cfg.env_pass && !strcmp(cfg.env_pass, "envpw"));
	CHECK(getenv("EGRESS_PROXY_PASSWORD") == NULL);
	config_free(&cfg);
}

static void test_apply_option(void)
{
	static const struct option_source argv_src = { true, NULL };
	struct egress_config cfg;
	char err[ERR_MAX], v[32];
	const struct cli_option *idle = cli_find_option("idle-timeout");

	config_init(&cfg);
	CHECK(idle != NULL);
	CHECK(cli_find_option("no-such-option") == NULL);
	tap_fmt(v, sizeof(v), "2.5");
	CHECK(apply_option(&cfg, idle, v, &argv_src, err, sizeof(err)) == EGRESS_OK);
	CHECK(cfg.idle_timeout_ms == 2500);
	tap_fmt(v, sizeof(v), "soon");
	CHECK(apply_option(&cfg, idle, v, &argv_src, err, sizeof(err)) == EGRESS_EUSAGE);
	CHECK(!strncmp(err, "--idle-timeout: invalid duration \"soon\"", 39));
	CHECK(cfg.idle_timeout_ms == 2500);
	CHECK(apply_option(&cfg, cli_find_option("half-close"), NULL, &argv_src, err,
			   sizeof(err)) == EGRESS_OK);
	CHECK(cfg.half_close);
	CHECK(apply_option(&cfg, cli_find_option("help"), NULL, &argv_src, err, sizeof(err)) ==
	      EGRESS_EUSAGE);
	tap_fmt(v, sizeof(v), "socks5h://q");
	CHECK(apply_option(&cfg, cli_find_option("proxy"), v, &argv_src, err, sizeof(err)) ==
	      EGRESS_OK);
	CHECK(!strcmp(cfg.proxy, "socks5h://q"));
	config_free(&cfg);
}

/* What a config file may hold, and the settings a value is marked under. */
static void test_file_options(void)
{
	const struct cli_option *proxy = cli_find_option("proxy"),
				*user = cli_find_option("proxy-user");
	const struct cli_option *v4 = cli_find_option("ipv4"), *v6 = cli_find_option("ipv6");
	struct option_marks m = { 0 };
	const char *by = "unset";

	CHECK(cli_option_in_file(proxy) && cli_option_in_file(cli_find_option("half-close")));
	CHECK(!cli_option_in_file(cli_find_option("help")) &&
	      !cli_option_in_file(cli_find_option("version")) &&
	      !cli_option_in_file(cli_find_option("config")) &&
	      !cli_option_in_file(cli_find_option("no-config")) &&
	      !cli_option_in_file(cli_find_option("explain")));
	CHECK(cli_option_takes_value(proxy) && !cli_option_takes_value(v4));
	CHECK(cli_option_repeatable(cli_find_option("proxy-header")) &&
	      !cli_option_repeatable(proxy));
	CHECK(cli_value_has_password(user, "alice:pw") && cli_value_has_password(user, "alice:") &&
	      !cli_value_has_password(user, "alice"));
	CHECK(cli_value_has_password(proxy, "http://a@p,socks5://b:pw@q") &&
	      !cli_value_has_password(proxy, "http://a@p,socks5://q") &&
	      !cli_value_has_password(proxy, "not a url:pw@"));
	/* -4 and -6 are one setting, -v and -q another. */
	CHECK(!option_marked(&m, v6, &by) && by == NULL);
	option_mark(&m, v4, "f:3");
	CHECK(option_marked(&m, v6, &by) && !strcmp(by, "f:3"));
	option_mark(&m, cli_find_option("verbose"), NULL);
	CHECK(option_marked(&m, cli_find_option("quiet"), &by) && by == NULL);
	CHECK(!option_marked(&m, proxy, &by));
}

/* A config file's value: no password hidden (there is no argv to hide it from), a
 * proxy list checked at once, "direct" for no proxy, the origin noted. */
static void test_file_values(void)
{
	static const struct option_source file = { false, "f:7" };
	struct egress_config cfg;
	char err[ERR_MAX], v[64];

	config_init(&cfg);
	tap_fmt(v, sizeof(v), "http://u:secret@p:3128");
	CHECK(apply_option(&cfg, cli_find_option("proxy"), v, &file, err, sizeof(err)) ==
	      EGRESS_OK);
	CHECK(!strcmp(v, "http://u:secret@p:3128") && !cfg.pass_in_argv);
	CHECK(!strcmp(cfg.proxy_origin, "f:7"));
	tap_fmt(v, sizeof(v), "DIRECT");
	CHECK(apply_option(&cfg, cli_find_option("proxy"), v, &file, err, sizeof(err)) ==
		      EGRESS_OK &&
	      !strcmp(cfg.proxy, ""));
	tap_fmt(v, sizeof(v), "gopher://p");
	CHECK(apply_option(&cfg, cli_find_option("proxy"), v, &file, err, sizeof(err)) ==
		      EGRESS_EUSAGE &&
	      strstr(err, "unsupported scheme \"gopher\""));
	tap_fmt(v, sizeof(v), "alice:pw");
	CHECK(apply_option(&cfg, cli_find_option("proxy-user"), v, &file, err, sizeof(err)) ==
		      EGRESS_OK &&
	      !strcmp(v, "alice:pw") && !strcmp(cfg.user_origin, "f:7"));
	config_free(&cfg);
}

/* --help's long options are all in the table; tests/docs.bats holds it to the man page. */
static void test_help_matches_table(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	bool all_known = true;

	cli_print_help(f);
	CHECK(fclose(f) == 0); /* which also puts the text in text */
	CHECK(!strncmp(text, "Usage: egress ", 14));
	for (const char *p = text; (p = strstr(p, "--")) != NULL;) {
		char name[64];
		size_t n = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
		tap_fmt(name, sizeof(name), "%.*s", (int)n, p + 2);
		if (n && !cli_find_option(name))
			all_known = false;
		p += 2 + n;
	}
	CHECK(all_known);
	/* The everyday options with their values, pairs on one line, the rest named. */
	CHECK(strstr(text, "\n  -x, --proxy URL[,URL...] ") != NULL);
	CHECK(strstr(text, "\n  -4, --ipv4    -6, --ipv6 ") != NULL);
	CHECK(strstr(text, "--proxy-pinnedpubkey") != NULL);
	free(text);
}

int main(void)
{
	test_defaults();
	test_kinds();
	test_refusals();
	test_actions();
	test_passwords();
	test_apply_option();
	test_file_options();
	test_file_values();
	test_help_matches_table();
	return tap_done();
}
