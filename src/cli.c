/* The command line. One table has a row per option: its names, the kind of value it
 * takes and where in struct egress_config that goes, its help. getopt_long's array,
 * --help and apply_option are all built from it, so that they cannot drift apart,
 * and a config file line can go through apply_option as an argument does. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config_file.h"
#include "credentials.h"
#include "host_pattern.h"
#include "listen_addr.h"
#include "log.h"
#include "proxy_url.h"
#include "secret.h"
#include "values.h"

enum opt_id {
	OPT_PROXY = 256,
	OPT_PAC,
	OPT_NOPROXY,
	OPT_PROXY_HEADER,
	OPT_USER_AGENT,
	OPT_CONNECT_TIMEOUT,
	OPT_IDLE_TIMEOUT,
	OPT_KEEPALIVE,
	OPT_HALF_CLOSE,
	OPT_EOF_TIMEOUT,
	OPT_FDPASS,
	OPT_LISTEN,
	OPT_DYNAMIC,
	OPT_INETD,
	OPT_MAX_CONNS,
	OPT_DRAIN,
	OPT_PROXY_CACERT,
	OPT_PROXY_CAPATH,
	OPT_PROXY_INSECURE,
	OPT_PROXY_PINNEDPUBKEY,
	OPT_PROXY_CERT,
	OPT_PROXY_KEY,
	OPT_PROXY_USER,
	OPT_PROXY_AUTH,
	OPT_PROXY_AUTH_HOSTS,
	OPT_NETRC_FILE,
	OPT_IPV4,
	OPT_IPV6,
	OPT_CONFIG,
	OPT_NO_CONFIG,
	OPT_EXPLAIN,
	OPT_VERBOSE,
	OPT_QUIET,
	OPT_HELP,
	OPT_VERSION,
};

/* What an option's value is, and so what apply_option does with it. */
enum opt_kind {
	KIND_FLAG,   /* no value: the bool at dest becomes true */
	KIND_SECS,   /* seconds, decimals allowed: the long at dest, in milliseconds */
	KIND_PATH,   /* a file read later: refused now by check, by default when it cannot
		      * be read; the const char * at dest */
	KIND_STRING, /* text that check accepts: the const char * at dest */
	KIND_LIST,   /* repeatable text that check accepts: added to the str_list at dest */
	KIND_CUSTOM, /* apply does it all */
	KIND_ACTION, /* --help, --version: done by the command line, no setting */
};

typedef bool check_fn(const char *value, char *err, size_t errsz);
typedef enum egress_err apply_fn(struct egress_config *cfg, const struct cli_option *o, char *value,
				 const struct option_source *src, char *err, size_t errsz);

struct cli_option {
	const char *name;
	char short_name; /* 0: long only */
	enum opt_id id;
	enum opt_kind kind;
	size_t dest;	     /* offset in struct egress_config */
	check_fn *check;     /* KIND_PATH, KIND_STRING, KIND_LIST; NULL: anything */
	apply_fn *apply;     /* KIND_CUSTOM */
	const char *metavar; /* NULL: takes no value */
	/* Its line in --help, which stays one screen: the everyday options have one
	 * (a short option without one shares the line before), the others are only
	 * named there, and egress(1) describes every one. */
	const char *help;
};

static check_fn check_user_agent, check_pinnedpubkey, check_netrc, check_pac, check_patterns;
static apply_fn apply_proxy, apply_keepalive, apply_user, apply_auth, apply_family, apply_listen,
	apply_max_conns;

#define AT(field)     offsetof(struct egress_config, field)
#define KEEPALIVE_MAX 32767

static const struct cli_option options[] = {
	{ "proxy", 'x', OPT_PROXY, KIND_CUSTOM, 0, NULL, apply_proxy, "URL[,URL...]",
	  "[SCHEME://][USER[:PASS]@]HOST[:PORT], SCHEME\n"
	  "http, https, socks4(a), socks5(h); \"\": none" },
	{ "pac", 0, OPT_PAC, KIND_STRING, AT(pac), check_pac, NULL, "URL|auto", NULL },
	{ "noproxy", 0, OPT_NOPROXY, KIND_STRING, AT(noproxy), NULL, NULL, "LIST", NULL },
	{ "proxy-header", 'H', OPT_PROXY_HEADER, KIND_LIST, AT(headers), check_header, NULL,
	  "HEADER", "\"Name: value\" for CONNECT (repeatable)" },
	{ "user-agent", 'A', OPT_USER_AGENT, KIND_STRING, AT(user_agent), check_user_agent, NULL,
	  "STRING", "User-Agent of CONNECT" },
	{ "proxy-cacert", 0, OPT_PROXY_CACERT, KIND_PATH, AT(proxy_cacert), NULL, NULL, "FILE",
	  NULL },
	{ "proxy-capath", 0, OPT_PROXY_CAPATH, KIND_PATH, AT(proxy_capath), NULL, NULL, "DIR",
	  NULL },
	{ "proxy-insecure", 0, OPT_PROXY_INSECURE, KIND_FLAG, AT(proxy_insecure), NULL, NULL, NULL,
	  NULL },
	{ "proxy-pinnedpubkey", 0, OPT_PROXY_PINNEDPUBKEY, KIND_STRING, AT(proxy_pinnedpubkey),
	  check_pinnedpubkey, NULL, "sha256//HASH", NULL },
	{ "proxy-cert", 0, OPT_PROXY_CERT, KIND_PATH, AT(proxy_cert), NULL, NULL, "FILE", NULL },
	{ "proxy-key", 0, OPT_PROXY_KEY, KIND_PATH, AT(proxy_key), NULL, NULL, "FILE", NULL },
	{ "proxy-user", 'U', OPT_PROXY_USER, KIND_CUSTOM, 0, NULL, apply_user, "USER[:PASS]",
	  "proxy user; no PASS: netrc, askpass, terminal" },
	{ "proxy-auth", 0, OPT_PROXY_AUTH, KIND_CUSTOM, 0, NULL, apply_auth, "METHOD", NULL },
	{ "proxy-auth-hosts", 0, OPT_PROXY_AUTH_HOSTS, KIND_STRING, AT(proxy_auth_hosts),
	  check_patterns, NULL, "PATTERNS", NULL },
	{ "netrc-file", 0, OPT_NETRC_FILE, KIND_PATH, AT(netrc_file), check_netrc, NULL, "FILE",
	  NULL },
	{ "connect-timeout", 0, OPT_CONNECT_TIMEOUT, KIND_SECS, AT(connect_timeout_ms), NULL, NULL,
	  "SECS", NULL },
	{ "idle-timeout", 0, OPT_IDLE_TIMEOUT, KIND_SECS, AT(idle_timeout_ms), NULL, NULL, "SECS",
	  NULL },
	{ "keepalive", 0, OPT_KEEPALIVE, KIND_CUSTOM, 0, NULL, apply_keepalive, "SECS", NULL },
	{ "half-close", 0, OPT_HALF_CLOSE, KIND_FLAG, AT(half_close), NULL, NULL, NULL, NULL },
	{ "eof-timeout", 0, OPT_EOF_TIMEOUT, KIND_SECS, AT(eof_timeout_ms), NULL, NULL, "SECS",
	  NULL },
	{ "fdpass", 'F', OPT_FDPASS, KIND_FLAG, AT(fdpass), NULL, NULL, NULL,
	  "hand ssh the socket (ProxyUseFdpass) and exit" },
	{ "listen", 'L', OPT_LISTEN, KIND_CUSTOM, 0, NULL, apply_listen, "[BIND:]LPORT",
	  "serve HOST PORT on a local port" },
	{ "dynamic", 'D', OPT_DYNAMIC, KIND_CUSTOM, 0, NULL, apply_listen, "[BIND:]LPORT",
	  "a local SOCKS4/4a/5 and HTTP CONNECT proxy" },
	{ "inetd", 0, OPT_INETD, KIND_CUSTOM, 0, NULL, apply_listen, NULL, NULL },
	{ "max-conns", 0, OPT_MAX_CONNS, KIND_CUSTOM, 0, NULL, apply_max_conns, "N", NULL },
	{ "drain", 0, OPT_DRAIN, KIND_SECS, AT(drain_ms), NULL, NULL, "SECS", NULL },
	{ "ipv4", '4', OPT_IPV4, KIND_CUSTOM, 0, NULL, apply_family, NULL,
	  "IPv4 or IPv6 addresses only" },
	{ "ipv6", '6', OPT_IPV6, KIND_CUSTOM, 0, NULL, apply_family, NULL, NULL },
	{ "config", 0, OPT_CONFIG, KIND_PATH, AT(config_file), NULL, NULL, "FILE", NULL },
	{ "no-config", 0, OPT_NO_CONFIG, KIND_FLAG, AT(no_config), NULL, NULL, NULL, NULL },
	{ "explain", 0, OPT_EXPLAIN, KIND_FLAG, AT(explain), NULL, NULL, NULL, NULL },
	{ "verbose", 'v', OPT_VERBOSE, KIND_FLAG, AT(verbose), NULL, NULL, NULL,
	  "the proxy conversation on stderr; no warnings" },
	{ "quiet", 'q', OPT_QUIET, KIND_FLAG, AT(quiet), NULL, NULL, NULL, NULL },
	{ "help", 'h', OPT_HELP, KIND_ACTION, 0, NULL, NULL, NULL,
	  "this help; the versions of egress and libcurl" },
	{ "version", 'V', OPT_VERSION, KIND_ACTION, 0, NULL, NULL, NULL, NULL },
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))
_Static_assert(OPT_VERSION - OPT_PROXY < 64, "a setting per bit of struct option_marks");

/* Appends item to f's current line, which has col columns, or starts a new line
 * for it if it would pass column 79; returns the new col. */
static size_t print_wrapped(FILE *f, size_t col, const char *item)
{
	if (col > 0 && col + 1 + strlen(item) > 79) {
		fputc('\n', f);
		col = 0;
	}
	return col + (size_t)fprintf(f, "%s%s", col ? " " : "", item);
}

/* The words of text, each through print_wrapped. */
static size_t print_words(FILE *f, size_t col, const char *text)
{
	char word[64];
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, " ");
		err_printf(word, sizeof(word), "%.*s", (int)n, p);
		col = print_wrapped(f, col, word);
		p += n + (p[n] == ' ');
	}
	return col;
}

/* Whether options[i] is printed on the line of the one before it (-6 with -4). */
static bool shares_line(size_t i)
{
	return i > 0 && i < NOPTIONS && options[i].short_name && !options[i].help &&
	       options[i - 1].short_name && options[i - 1].help;
}

/* "  -x, --proxy URL" (and "  -4, --ipv4  -6, --ipv6" for a pair) for options[i];
 * returns the index of the next row. */
static size_t help_left(char *left, size_t size, size_t i)
{
	const struct cli_option *o = &options[i];
	const char *sp = o->metavar ? " " : "", *mv = o->metavar ? o->metavar : "";

	if (o->short_name)
		err_printf(left, size, "  -%c, --%s%s%s", o->short_name, o->name, sp, mv);
	else
		err_printf(left, size, "      --%s%s%s", o->name, sp, mv);
	if (shares_line(i + 1)) {
		size_t len = strlen(left);
		err_printf(left + len, size - len, "%*s-%c, --%s", (int)(len < 16 ? 16 - len : 1),
			   "", options[i + 1].short_name, options[i + 1].name);
		return i + 2;
	}
	return i + 1;
}

void cli_print_help(FILE *f)
{
	char item[96];
	size_t col;

	fputs("Usage: egress [OPTIONS] HOST PORT                  a tunnel on stdin/stdout\n"
	      "       egress [OPTIONS] -L [BIND:]LPORT HOST PORT  one per local client\n"
	      "       egress [OPTIONS] -D [BIND:]LPORT | --inetd   a local SOCKS/HTTP proxy\n"
	      "Through an HTTP(S) or SOCKS proxy: -x, else the config file's, --pac,\n"
	      "EGRESS_PROXY, https_proxy, all_proxy; else direct. HOST:PORT works too.\n",
	      f);
	/* The help text starts in column 32, on a line of its own if the left part is
	 * too long, and its continuation lines are indented to match. */
	for (size_t i = 0; i < NOPTIONS;) {
		if (!options[i].help) {
			i++;
			continue;
		}
		const char *h = options[i].help;
		char left[96];
		i = help_left(left, sizeof(left), i);
		bool own_line = strlen(left) > 30;
		if (own_line)
			fprintf(f, "%s\n", left);
		while (*h) {
			size_t len = strcspn(h, "\n");
			fprintf(f, "%-30s %.*s\n", own_line ? "" : left, (int)len, h);
			own_line = true;
			h += len + (h[len] == '\n');
		}
	}
	col = (size_t)fprintf(f, "More:");
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct cli_option *o = &options[i];
		if (o->help || shares_line(i))
			continue;
		if (o->short_name)
			err_printf(item, sizeof(item), "-%c, --%s", o->short_name, o->name);
		else
			err_printf(item, sizeof(item), "--%s", o->name);
		col = print_wrapped(f, col, item);
	}
	fputc('\n', f);
	/* The exit statuses, each item whole (scripts grep them), then where the rest is. */
	col = (size_t)fprintf(f, "Exit status:");
	for (int e = 0; e < EGRESS_ERR_COUNT; e++) {
		err_printf(item, sizeof(item), "%d %s%s", e, err_words((enum egress_err)e),
			   e + 1 < EGRESS_ERR_COUNT ? "," : ".");
		col = print_wrapped(f, col, item);
	}
	print_words(f, col, "All options, config file, PAC, listen mode: man egress");
	fputc('\n', f);
}

void cli_usage_error(const char *fmt, ...)
{
	char line[ERR_MAX + 64];
	va_list ap;
	va_start(ap, fmt);
	err_vprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	msg_err("%s", line);
	fputs("Try 'egress --help'.\n", stderr);
}

const struct cli_option *cli_find_option(const char *name)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (!strcmp(options[i].name, name))
			return &options[i];
	return NULL;
}

/* The row getopt_long answered with c: a short letter or a long option's id. */
static const struct cli_option *by_getopt_value(int c)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if ((int)options[i].id == c ||
		    (options[i].short_name && options[i].short_name == c))
			return &options[i];
	return NULL;
}

static bool check_user_agent(const char *value, char *err, size_t errsz)
{
	if (strpbrk(value, "\r\n"))
		return err_printf(err, errsz, "invalid user agent: CR/LF not allowed");
	return true;
}

static bool check_pinnedpubkey(const char *value, char *err, size_t errsz)
{
	if (strncmp(value, "sha256//", 8) != 0 || strpbrk(value, "\r\n"))
		return err_printf(err, errsz, "--proxy-pinnedpubkey: expected sha256//BASE64");
	return true;
}

static bool check_patterns(const char *value, char *err, size_t errsz)
{
	char why[ERR_MAX];
	if (!host_pattern_check_string(value, why, sizeof(why)))
		return err_printf(err, errsz, "--proxy-auth-hosts: %s", why);
	return true;
}

/* A PAC is fetched over http(s) or read from a file, which must be readable now. */
static bool check_pac(const char *value, char *err, size_t errsz)
{
	const char *path = value;
	if (!strcasecmp(value, "auto"))
		return true;
	if (!strncasecmp(value, "http://", 7) || !strncasecmp(value, "https://", 8))
		return !strpbrk(value, " \t\r\n") ||
		       err_printf(err, errsz, "--pac: invalid URL \"%s\"", value);
	if (!strncasecmp(value, "file://", 7)) {
		path = value + 7;
		if (!strncasecmp(path, "localhost/", 10))
			path += 9;
		if (path[0] != '/')
			return err_printf(err, errsz,
					  "--pac: a file:// URL needs an absolute path");
	} else if (strstr(value, "://")) {
		return err_printf(err, errsz,
				  "--pac: http://, https://, file:// or a path, not \"%s\"", value);
	}
	if (access(path, R_OK) < 0)
		return err_printf(err, errsz, "--pac: cannot read \"%s\": %s", path,
				  strerror(errno));
	return true;
}

/* Refused before any traffic, not passed over as ~/.netrc would be. */
static bool check_netrc(const char *value, char *err, size_t errsz)
{
	char why[ERR_MAX];
	if (!creds_netrc_safe(value, why, sizeof(why)))
		return err_printf(err, errsz, "--netrc-file: %s", why);
	return true;
}

/* Whether a proxy value says "no proxy": "" or "direct" (what a PAC script says). */
static bool proxy_is_direct(const char *value)
{
	return !*value || !strcasecmp(value, "direct");
}

/* -x: copied, because the copy is what route.c parses once the target is known and
 * the argument is where a password is hidden from ps now. A config file's list is
 * parsed now, so that a bad one is found at its line even where it does not apply. */
static enum egress_err apply_proxy(struct egress_config *cfg, const struct cli_option *o,
				   char *value, const struct option_source *src, char *err,
				   size_t errsz)
{
	struct proxy_list l;

	(void)o;
	if (!src->argv && !proxy_is_direct(value)) {
		if (!parse_proxy_list(value, &l, err, errsz))
			return EGRESS_EUSAGE;
		proxy_list_free(&l);
	}
	secret_free(cfg->proxy);
	cfg->proxy = strdup(proxy_is_direct(value) ? "" : value);
	if (!cfg->proxy) {
		err_printf(err, errsz, "out of memory");
		return EGRESS_EIO;
	}
	if (src->argv && secret_hide_in_proxy_list(value))
		cfg->pass_in_argv = true;
	return EGRESS_OK;
}

static enum egress_err apply_keepalive(struct egress_config *cfg, const struct cli_option *o,
				       char *value, const struct option_source *src, char *err,
				       size_t errsz)
{
	long ms;
	(void)o;
	(void)src;
	/* Linux takes TCP_KEEPIDLE up to MAX_TCP_KEEPIDLE (32767) and refuses more;
	 * libcurl only logs that, so the option would silently do nothing. */
	if (!parse_secs(value, &ms, err, errsz) || ms % 1000 || ms / 1000 > KEEPALIVE_MAX) {
		err_printf(err, errsz, "--keepalive: invalid \"%s\" (whole seconds, 1 to %d)",
			   value, KEEPALIVE_MAX);
		return EGRESS_EUSAGE;
	}
	cfg->keepalive_secs = ms / 1000;
	return EGRESS_OK;
}

/* -U USER[:PASS]: copies both, then hides the password in the argument. "USER:" is an
 * empty password, as in curl. */
static enum egress_err apply_user(struct egress_config *cfg, const struct cli_option *o,
				  char *value, const struct option_source *src, char *err,
				  size_t errsz)
{
	const char *colon = strchr(value, ':');
	size_t ul = colon ? (size_t)(colon - value) : strlen(value);

	(void)o;
	if (ul == 0 || has_control(value)) {
		err_printf(err, errsz, "--proxy-user: %s",
			   ul == 0 ? "empty user name"
				   : "control characters (CR/LF...) not allowed");
		return EGRESS_EUSAGE;
	}
	free(cfg->proxy_user);
	secret_free(cfg->proxy_pass);
	cfg->proxy_user = strndup(value, ul);
	cfg->proxy_pass = colon ? strdup(colon + 1) : NULL;
	if (!cfg->proxy_user || (colon && !cfg->proxy_pass)) {
		err_printf(err, errsz, "out of memory");
		return EGRESS_EIO;
	}
	if (src->argv && secret_hide_in_userpass(value))
		cfg->pass_in_argv = true;
	return EGRESS_OK;
}

static enum egress_err apply_auth(struct egress_config *cfg, const struct cli_option *o,
				  char *value, const struct option_source *src, char *err,
				  size_t errsz)
{
	static const char *const names[] = { "any",    "anysafe", "basic",
					     "digest", "ntlm",	  "negotiate" };
	(void)o;
	(void)src;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(value, names[i])) {
			cfg->proxy_auth = (enum proxy_auth)i;
			return EGRESS_OK;
		}
	err_printf(err, errsz,
		   "--proxy-auth: unknown method \"%s\" (any, anysafe, basic, "
		   "digest, ntlm, negotiate)",
		   value);
	return EGRESS_EUSAGE;
}

/* -L, -D, --inetd: the mode, and where to listen, checked now. */
static enum egress_err apply_listen(struct egress_config *cfg, const struct cli_option *o,
				    char *value, const struct option_source *src, char *err,
				    size_t errsz)
{
	enum listen_mode want = o->id == OPT_LISTEN ? LISTEN_FORWARD : LISTEN_DYNAMIC;
	struct listen_addr a;
	char why[ERR_MAX];

	(void)src;
	if (cfg->listen != LISTEN_NONE) {
		err_printf(err, errsz, "-L, -D and --inetd: one at a time");
		return EGRESS_EUSAGE;
	}
	if (value && !listen_addr_parse(value, &a, why, sizeof(why))) {
		err_printf(err, errsz, "--%s: %s", o->name, why);
		return EGRESS_EUSAGE;
	}
	cfg->listen = want;
	cfg->listen_at = value;
	cfg->inetd = o->id == OPT_INETD;
	return EGRESS_OK;
}

static enum egress_err apply_max_conns(struct egress_config *cfg, const struct cli_option *o,
				       char *value, const struct option_source *src, char *err,
				       size_t errsz)
{
	char *end;
	(void)o;
	(void)src;
	errno = 0;
	long n = strtol(value, &end, 10);
	if (errno || end == value || *end || n < 1 || n > 1000000) {
		err_printf(err, errsz, "--max-conns: invalid \"%s\" (1 to 1000000)", value);
		return EGRESS_EUSAGE;
	}
	cfg->max_conns = n;
	return EGRESS_OK;
}

static enum egress_err apply_family(struct egress_config *cfg, const struct cli_option *o,
				    char *value, const struct option_source *src, char *err,
				    size_t errsz)
{
	(void)value;
	(void)src;
	(void)err;
	(void)errsz;
	cfg->family = o->id == OPT_IPV4 ? 4 : 6;
	return EGRESS_OK;
}

/* Appends value to the list at l; false when out of memory. */
static bool list_add(struct str_list *l, const char *value)
{
	const char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return false;
	v[l->n++] = value;
	l->v = v;
	return true;
}

/* Where the settings that choose a way and a user came from, for -v and --explain. */
static void note_origin(struct egress_config *cfg, const struct cli_option *o,
			const struct option_source *src)
{
	switch (o->id) {
	case OPT_PROXY:
		cfg->proxy_origin = src->where ? src->where : "-x";
		break;
	case OPT_PAC:
		cfg->pac_origin = src->where ? src->where : "--pac";
		break;
	case OPT_NOPROXY:
		cfg->noproxy_origin = src->where ? src->where : "--noproxy";
		break;
	case OPT_PROXY_USER:
		cfg->user_origin = src->where ? src->where : "-U";
		break;
	default:
		break;
	}
}

static enum egress_err apply_value(struct egress_config *cfg, const struct cli_option *o,
				   char *value, const struct option_source *src, char *err,
				   size_t errsz);

enum egress_err apply_option(struct egress_config *cfg, const struct cli_option *o, char *value,
			     const struct option_source *src, char *err, size_t errsz)
{
	enum egress_err e = apply_value(cfg, o, value, src, err, errsz);
	if (e == EGRESS_OK)
		note_origin(cfg, o, src);
	return e;
}

static enum egress_err apply_value(struct egress_config *cfg, const struct cli_option *o,
				   char *value, const struct option_source *src, char *err,
				   size_t errsz)
{
	char *dest = (char *)cfg + o->dest;
	char why[ERR_MAX];
	long ms;

	switch (o->kind) {
	case KIND_FLAG:
		*(bool *)(void *)dest = true;
		return EGRESS_OK;
	case KIND_SECS:
		if (!parse_secs(value, &ms, why, sizeof(why))) {
			err_printf(err, errsz, "--%s: %s", o->name, why);
			return EGRESS_EUSAGE;
		}
		*(long *)(void *)dest = ms;
		return EGRESS_OK;
	case KIND_PATH:
		/* A path that cannot be read is a usage error, found before traffic. */
		if (!o->check && access(value, R_OK) < 0) {
			err_printf(err, errsz, "--%s: cannot read \"%s\": %s", o->name, value,
				   strerror(errno));
			return EGRESS_EUSAGE;
		}
		/* fall through */
	case KIND_STRING:
		if (o->check && !o->check(value, err, errsz))
			return EGRESS_EUSAGE;
		*(const char **)(void *)dest = value;
		return EGRESS_OK;
	case KIND_LIST:
		if (o->check && !o->check(value, err, errsz))
			return EGRESS_EUSAGE;
		if (!list_add((struct str_list *)(void *)dest, value)) {
			err_printf(err, errsz, "out of memory");
			return EGRESS_EIO;
		}
		return EGRESS_OK;
	case KIND_CUSTOM:
		return o->apply(cfg, o, value, src, err, errsz);
	case KIND_ACTION:
		break;
	}
	err_printf(err, errsz, "--%s is not a setting", o->name);
	return EGRESS_EUSAGE;
}

/* The message for what getopt_long refused (c is '?' or ':'), printed. */
static enum cli_result getopt_error(int c, char *const *argv)
{
	const char *what = argv[optind - 1];
	/* optopt is the short letter, or a long option's id, or 0 for an unknown one. */
	const struct cli_option *known = optopt ? by_getopt_value(optopt) : NULL;
	bool is_long = known && (int)known->id == optopt;
	char q[64];

	if (optopt && !is_long)
		err_printf(q, sizeof(q), "-%c", optopt);
	else
		log_escape_str(q, sizeof(q), what, 48);
	if (c == ':')
		cli_usage_error("option \"%s\" needs a value", q);
	else if (is_long)
		cli_usage_error("option \"%s\" takes no value", q);
	else
		cli_usage_error("unknown option \"%s\"", q);
	return CLI_USAGE;
}

/* getopt_long's option array and short option string, from the table. */
static void getopt_tables(struct option longopts[NOPTIONS + 1], char shortopts[2 * NOPTIONS + 2])
{
	size_t s = 0;
	shortopts[s++] = ':';
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct cli_option *o = &options[i];
		longopts[i] =
			(struct option){ o->name, o->metavar ? required_argument : no_argument,
					 NULL, (int)o->id };
		if (o->short_name) {
			shortopts[s++] = o->short_name;
			if (o->metavar)
				shortopts[s++] = ':';
		}
	}
	shortopts[s] = '\0';
	longopts[NOPTIONS] = (struct option){ 0 };
}

const char *cli_option_name(const struct cli_option *o)
{
	return o->name;
}

bool cli_option_takes_value(const struct cli_option *o)
{
	return o->metavar != NULL;
}

bool cli_option_repeatable(const struct cli_option *o)
{
	return o->kind == KIND_LIST;
}

bool cli_option_takes_patterns(const struct cli_option *o)
{
	return o->id == OPT_PROXY_AUTH_HOSTS;
}

bool cli_option_in_file(const struct cli_option *o)
{
	return o->kind != KIND_ACTION && o->id != OPT_CONFIG && o->id != OPT_NO_CONFIG &&
	       o->id != OPT_EXPLAIN && o->id != OPT_LISTEN && o->id != OPT_DYNAMIC &&
	       o->id != OPT_INETD;
}

bool cli_value_has_password(const struct cli_option *o, const char *value)
{
	struct proxy_list l;
	bool pass = false;

	if (o->id == OPT_PROXY_USER)
		return strchr(value, ':') != NULL;
	if (o->id != OPT_PROXY || !parse_proxy_list(value, &l, NULL, 0))
		return false;
	for (size_t i = 0; i < l.n; i++)
		pass = pass || l.v[i].pass;
	proxy_list_free(&l);
	return pass;
}

/* The setting an option writes: -4 and -6 write one, and so do -v and -q, and -x and
 * --pac (the proxies come from one or the other). */
static unsigned option_slot(const struct cli_option *o)
{
	enum opt_id id = o->id == OPT_IPV6			      ? OPT_IPV4
			 : o->id == OPT_QUIET			      ? OPT_VERBOSE
			 : o->id == OPT_PAC			      ? OPT_PROXY
			 : o->id == OPT_DYNAMIC || o->id == OPT_INETD ? OPT_LISTEN
								      : o->id;
	return (unsigned)(id - OPT_PROXY);
}

bool option_marked(const struct option_marks *m, const struct cli_option *o, const char **by)
{
	*by = m->by[option_slot(o)];
	return m->bits >> option_slot(o) & 1;
}

void option_mark(struct option_marks *m, const struct cli_option *o, const char *by)
{
	m->bits |= 1ULL << option_slot(o);
	m->by[option_slot(o)] = by;
}

/* The checks across options, once every option is in cfg. */
static enum cli_result check_options(const struct egress_config *cfg)
{
	if (cfg->verbose && cfg->quiet) {
		cli_usage_error("-v and -q contradict each other");
		return CLI_USAGE;
	}
	if (cfg->fdpass && (cfg->half_close || cfg->idle_timeout_ms || cfg->eof_timeout_ms)) {
		cli_usage_error("--fdpass leaves no relay behind: it cannot take "
				"--half-close, --idle-timeout or --eof-timeout");
		return CLI_USAGE;
	}
	if (cfg->listen != LISTEN_NONE && (cfg->fdpass || cfg->explain)) {
		cli_usage_error("%s: listen mode", cfg->fdpass ? "--fdpass has no socket to pass in"
							       : "--explain names one target, not");
		return CLI_USAGE;
	}
	if (cfg->config_file && cfg->no_config) {
		cli_usage_error("--config and --no-config contradict each other");
		return CLI_USAGE;
	}
	return CLI_RUN;
}

/* The config files that apply to the target, under what the command line set: its
 * settings win, but repeatable ones add up with the file's first. */
static enum cli_result read_config_files(struct egress_config *cfg, struct option_marks *marks,
					 struct config_files *loaded)
{
	char err[ERR_MAX + 2 * PATH_MAX];
	struct str_list argv_headers = cfg->headers;
	bool ok;

	cfg->headers = (struct str_list){ 0 };
	ok = loaded ? config_files_apply(cfg, loaded, marks, err, sizeof(err))
		    : config_files_read(cfg, marks, err, sizeof(err));
	for (size_t i = 0; ok && i < argv_headers.n; i++)
		ok = list_add(&cfg->headers, argv_headers.v[i]) ||
		     !err_printf(err, sizeof(err), "out of memory");
	free(argv_headers.v);
	if (!ok) {
		msg_err("%s", err);
		return CLI_USAGE;
	}
	return CLI_RUN;
}

static bool save_listen_base(struct egress_config *cfg, const struct option_marks *marks);

/* The operands, the config files, the checks across options. */
static enum cli_result finish(struct egress_config *cfg, struct option_marks *marks, int argc,
			      char *const *argv)
{
	char err[ERR_MAX];
	enum cli_result r = check_options(cfg);

	if (r != CLI_RUN)
		return r;
	if (cfg->listen == LISTEN_DYNAMIC) {
		if (argc > 0) {
			cli_usage_error("%s takes no HOST PORT: each client names its target",
					cfg->inetd ? "--inetd" : "-D");
			return CLI_USAGE;
		}
	} else if (argc < 1 || argc > 2) {
		cli_usage_error(argc < 1 ? "missing HOST PORT" : "too many arguments");
		return CLI_USAGE;
	} else if (!parse_target(argc, argv, &cfg->target, err, sizeof(err))) {
		cli_usage_error("%s", err);
		return CLI_USAGE;
	}
	if (cfg->listen != LISTEN_NONE && !save_listen_base(cfg, marks))
		return CLI_USAGE;
	if ((r = read_config_files(
		     cfg, marks, cfg->listen_base ? cfg->listen_base->loaded : NULL)) != CLI_RUN ||
	    (r = check_options(cfg)) != CLI_RUN)
		return r;
	log_set_level(cfg->verbose ? LOG_VERBOSE : cfg->quiet ? LOG_QUIET : LOG_NORMAL);
	config_files_log(cfg->files);
	if (!secret_take_env("EGRESS_PROXY_PASSWORD", &cfg->env_pass)) {
		msg_err("out of memory");
		return CLI_USAGE;
	}
	if (cfg->env_pass && has_control(cfg->env_pass)) {
		cli_usage_error("EGRESS_PROXY_PASSWORD: control characters (CR/LF...) not allowed");
		return CLI_USAGE;
	}
	if (cfg->listen_base && cfg->env_pass &&
	    !(cfg->listen_base->cfg.env_pass = strdup(cfg->env_pass))) {
		msg_err("out of memory");
		return CLI_USAGE;
	}
	return CLI_RUN;
}

/* Listen mode keeps the command line's settings alone: each tunnel's target gets the
 * config files' sections for it on top of them (cli_config_for_target). */
static bool save_listen_base(struct egress_config *cfg, const struct option_marks *marks)
{
	char err[ERR_MAX + 2 * PATH_MAX];
	struct listen_base *b = calloc(1, sizeof(*b));

	if (!b || !config_copy(&b->cfg, cfg)) {
		free(b);
		msg_err("out of memory");
		return false;
	}
	b->marks = *marks;
	cfg->listen_base = b;
	if (!config_files_load(cfg, &b->loaded, err, sizeof(err))) {
		msg_err("%s", err);
		return false;
	}
	return true;
}

bool cli_reload_config(const struct egress_config *cfg, const struct endpoint *probe)
{
	struct listen_base *b = cfg->listen_base;
	struct config_files *old = b->loaded, *fresh;
	struct egress_config check;
	char err[ERR_MAX + 2 * PATH_MAX];

	if (!config_files_load(&b->cfg, &fresh, err, sizeof(err))) {
		msg_err("%s; the config files read before stay in use", err);
		return false;
	}
	/* Every line is checked when the files are applied, whichever target. */
	b->loaded = fresh;
	if (!cli_config_for_target(cfg, probe, &check)) {
		msg_err("the config files read before stay in use");
		b->loaded = old;
		config_files_free(fresh);
		config_free(&check);
		return false;
	}
	config_free(&check);
	config_files_free(old);
	return true;
}

bool cli_config_for_target(const struct egress_config *cfg, const struct endpoint *target,
			   struct egress_config *out)
{
	const struct listen_base *b = cfg->listen_base;
	struct option_marks marks = b->marks;

	if (!config_copy(out, &b->cfg)) {
		msg_err("out of memory");
		return false;
	}
	out->target = *target;
	out->listen_base = NULL;
	return read_config_files(out, &marks, b->loaded) == CLI_RUN &&
	       check_options(out) == CLI_RUN;
}

enum cli_result cli_parse(int argc, char **argv, const char *(*library_version)(void),
			  struct egress_config *cfg)
{
	static const struct option_source from_argv = { true, NULL };
	struct option longopts[NOPTIONS + 1];
	struct option_marks marks = { 0 };
	char shortopts[2 * NOPTIONS + 2], err[ERR_MAX + 64];
	int c;

	config_init(cfg);
	getopt_tables(longopts, shortopts);
	opterr = 0;
	optind = 0; /* a fresh scan, also for a second call */
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct cli_option *o = c == '?' || c == ':' ? NULL : by_getopt_value(c);
		if (!o)
			return getopt_error(c, argv);
		if (o->id == OPT_HELP || o->id == OPT_VERSION) {
			if (o->id == OPT_HELP)
				cli_print_help(stdout);
			else
				printf("egress %s\n%s\n", EGRESS_VERSION, library_version());
			return CLI_DONE;
		}
		switch (apply_option(cfg, o, optarg, &from_argv, err, sizeof(err))) {
		case EGRESS_OK:
			option_mark(&marks, o, NULL);
			break;
		case EGRESS_EUSAGE:
			cli_usage_error("%s", err);
			return CLI_USAGE;
		default:
			msg_err("%s", err);
			return CLI_USAGE;
		}
	}
	return finish(cfg, &marks, argc - optind, argv + optind);
}
