/* Option table, getopt_long loop and the checks that come after it. The getopt_long
 * array and --help are both built from one table so that they cannot drift apart. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "credentials.h"
#include "log.h"
#include "proxy.h"
#include "proxy_env.h"
#include "secret.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 30000L

enum opt_id {
	OPT_PROXY = 256,
	OPT_NOPROXY,
	OPT_PROXY_HEADER,
	OPT_USER_AGENT,
	OPT_CONNECT_TIMEOUT,
	OPT_IDLE_TIMEOUT,
	OPT_KEEPALIVE,
	OPT_HALF_CLOSE,
	OPT_EOF_TIMEOUT,
	OPT_FDPASS,
	OPT_PROXY_CACERT,
	OPT_PROXY_CAPATH,
	OPT_PROXY_INSECURE,
	OPT_PROXY_PINNEDPUBKEY,
	OPT_PROXY_CERT,
	OPT_PROXY_KEY,
	OPT_PROXY_USER,
	OPT_PROXY_AUTH,
	OPT_NETRC_FILE,
	OPT_IPV4,
	OPT_IPV6,
	OPT_VERBOSE,
	OPT_QUIET,
	OPT_HELP,
	OPT_VERSION,
};

struct option_def {
	const char *name;
	char short_name;   /* 0: long only */
	const char *metavar; /* NULL: takes no argument */
	enum opt_id id;
	const char *help;
};

static const struct option_def options[] = {
	{ "proxy", 'x', "URL[,URL...]", OPT_PROXY,
	  "[SCHEME://][USER[:PASS]@]HOST[:PORT]; SCHEME is\n"
	  "http (port 8080), https (TLS to the proxy; port\n"
	  "443), socks4, socks4a, socks5 or socks5h (port\n"
	  "1080); a list is tried in order; \"\" means no\n"
	  "proxy, whatever the environment says" },
	{ "noproxy", 0, "LIST", OPT_NOPROXY,
	  "hosts reached directly: names, domains, IPs,\n"
	  "CIDR blocks, or * (the rules of no_proxy)" },
	{ "proxy-header", 'H', "\"NAME: VALUE\"", OPT_PROXY_HEADER,
	  "add a header to the CONNECT request (repeatable)" },
	{ "user-agent", 'A', "STRING", OPT_USER_AGENT, "User-Agent of the CONNECT request" },
	{ "proxy-cacert", 0, "FILE", OPT_PROXY_CACERT,
	  "CA certificates to verify an https:// proxy with" },
	{ "proxy-capath", 0, "DIR", OPT_PROXY_CAPATH,
	  "directory of CA certificates (c_rehash form)" },
	{ "proxy-insecure", 0, NULL, OPT_PROXY_INSECURE,
	  "do not verify the https:// proxy's certificate" },
	{ "proxy-pinnedpubkey", 0, "sha256//HASH", OPT_PROXY_PINNEDPUBKEY,
	  "accept only this public key from the proxy" },
	{ "proxy-cert", 0, "FILE", OPT_PROXY_CERT,
	  "client certificate for the https:// proxy (PEM)" },
	{ "proxy-key", 0, "FILE", OPT_PROXY_KEY, "its private key (PEM)" },
	{ "proxy-user", 'U', "USER[:PASS]", OPT_PROXY_USER,
	  "proxy user; without PASS the password comes\n"
	  "from EGRESS_PROXY_PASSWORD, netrc, askpass or\n"
	  "the terminal" },
	{ "proxy-auth", 0, "METHOD", OPT_PROXY_AUTH,
	  "any (default), anysafe, basic, digest, ntlm or\n"
	  "negotiate (Kerberos; no user: the ticket cache)" },
	{ "netrc-file", 0, "FILE", OPT_NETRC_FILE,
	  "read proxy credentials from FILE, not ~/.netrc" },
	{ "connect-timeout", 0, "SECS", OPT_CONNECT_TIMEOUT,
	  "bound on reaching the proxy and its CONNECT\n"
	  "reply (default 30)" },
	{ "idle-timeout", 0, "SECS", OPT_IDLE_TIMEOUT,
	  "close the tunnel after SECS without a byte\n"
	  "either way (exit 6)" },
	{ "keepalive", 0, "SECS", OPT_KEEPALIVE, "send TCP keepalive probes after SECS idle" },
	{ "half-close", 0, NULL, OPT_HALF_CLOSE,
	  "forward stdin EOF through the proxy too (squid\n"
	  "and tinyproxy then drop the whole tunnel); not\n"
	  "with https://" },
	{ "eof-timeout", 0, "SECS", OPT_EOF_TIMEOUT,
	  "exit SECS after stdin EOF if the far side has\n"
	  "not closed by then" },
	{ "fdpass", 'F', NULL, OPT_FDPASS,
	  "pass the connected socket to ssh over stdout\n"
	  "and exit (ssh's ProxyUseFdpass yes): no relay\n"
	  "process remains; not with https://" },
	{ "ipv4", '4', NULL, OPT_IPV4, "resolve names to IPv4 addresses only" },
	{ "ipv6", '6', NULL, OPT_IPV6, "resolve names to IPv6 addresses only" },
	{ "verbose", 'v', NULL, OPT_VERBOSE, "show the proxy conversation on stderr" },
	{ "quiet", 'q', NULL, OPT_QUIET, "no warnings (errors are still shown)" },
	{ "help", 'h', NULL, OPT_HELP, "show this help and exit" },
	{ "version", 'V', NULL, OPT_VERSION, "show the versions of egress and libcurl, exit" },
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static void print_help(FILE *f)
{
	fputs("Usage: egress [OPTIONS] HOST PORT\n"
	      "       egress [OPTIONS] HOST:PORT       ([IPV6]:PORT)\n"
	      "Open a TCP tunnel to HOST:PORT through an HTTP(S) (CONNECT) or SOCKS proxy\n"
	      "and relay it on stdin and stdout, e.g.\n"
	      "  ssh -o ProxyCommand='egress -x proxy:3128 %h %p' host\n"
	      "\nOptions:\n", f);
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct option_def *o = &options[i];
		char left[64];
		int n = o->short_name
			? snprintf(left, sizeof(left), "  -%c, --%s", o->short_name, o->name)
			: snprintf(left, sizeof(left), "      --%s", o->name);
		if (o->metavar)
			snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->metavar);
		/* The help text starts in column 31, on a line of its own if the left part is
		 * too long, and its continuation lines are indented to match. */
		bool own_line = strlen(left) > 29;
		if (own_line)
			fprintf(f, "%s\n", left);
		for (const char *h = o->help; *h;) {
			size_t len = strcspn(h, "\n");
			fprintf(f, "%-30s %.*s\n", own_line ? "" : left, (int)len, h);
			own_line = true;
			h += len + (h[len] == '\n');
		}
	}
	fputs("\nWithout -x: EGRESS_PROXY, https_proxy, HTTPS_PROXY, all_proxy, ALL_PROXY;\n"
	      "no_proxy or NO_PROXY; no proxy at all: a direct connection.\n"
	      "stdin EOF is not forwarded through a proxy unless --half-close is given.\n"
	      "\nExit status: 0 closed normally, 1 I/O error, 2 usage, 3 proxy unreachable,\n"
	      "4 proxy authentication, 5 CONNECT refused or malformed reply, 6 timeout,\n"
	      "7 TLS with the proxy. See egress(1).\n", f);
}

static void print_version(void)
{
	printf("egress %s\n%s\n", EGRESS_VERSION, proxy_library_version());
}

static bool usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static bool usage_error(const char *fmt, ...)
{
	char line[ERR_MAX + 64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	msg_err("%s", line);
	fputs("Try 'egress --help'.\n", stderr);
	return false;
}

static const struct option_def *find_short(int c)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (options[i].short_name == c)
			return &options[i];
	return NULL;
}

static const char *opt_name(int id)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if ((int)options[i].id == id)
			return options[i].name;
	return "?";
}

static const char *env_get(const char *name)
{
	return getenv(name);
}

/* Chooses the proxies (or none) once every option is known. */
static bool choose_route(struct egress_config *cfg, const char *proxy_arg,
			 const char *noproxy_arg)
{
	char err[ERR_MAX];
	const char *list = proxy_arg, *noproxy;

	if (list) {
		cfg->proxy_source = "-x";
	} else {
		list = proxy_from_env(env_get, &cfg->proxy_source);
		if (!list) {
			cfg->direct_reason = "no proxy configured";
			return true;
		}
	}
	if (!*list) {
		cfg->direct_reason = "-x \"\"";
		return true;
	}
	noproxy = noproxy_arg ? noproxy_arg : noproxy_from_env(env_get);
	if (noproxy && noproxy_match(noproxy, cfg->target.host)) {
		cfg->direct_reason = noproxy_arg ? "--noproxy matches" : "no_proxy matches";
		return true;
	}
	if (!parse_proxy_list(list, &cfg->proxies, err, sizeof(err))) {
		if (proxy_arg)
			return usage_error("%s", err);
		msg_err("%s (from %s)", err, cfg->proxy_source);
		return false;
	}
	return true;
}

/* env NAME as a path for TLS, or NULL; one that cannot be read is a usage error
 * (*bad set), as it is on the command line. */
static const char *env_path(const char *name, bool *bad)
{
	const char *v = env_get(name);
	if (!v || !*v)
		return NULL;
	/* OpenSSL takes a list of directories in SSL_CERT_DIR; each is its business. */
	if (!strchr(v, ':') && access(v, R_OK) < 0) {
		usage_error("%s: cannot read \"%s\": %s", name, v, strerror(errno));
		*bad = true;
	}
	return v;
}

/* With no CA named, the variables curl's own tool reads name one for an https://
 * proxy too: CURL_CA_BUNDLE, else SSL_CERT_FILE and SSL_CERT_DIR. Users behind an
 * intercepting proxy set them once for every TLS client. */
static bool ca_from_env(struct egress_config *cfg)
{
	bool bad = false;
	if (cfg->proxy_cacert || cfg->proxy_capath || cfg->proxy_insecure)
		return true;
	cfg->proxy_cacert = env_path("CURL_CA_BUNDLE", &bad);
	if (!cfg->proxy_cacert && !bad) {
		cfg->proxy_cacert = env_path("SSL_CERT_FILE", &bad);
		if (!bad)
			cfg->proxy_capath = env_path("SSL_CERT_DIR", &bad);
	}
	return !bad;
}

/* -U USER[:PASS]: copies both, then hides the password in argv. "USER:" is an
 * empty password, as in curl. Sets *on_cmdline when there was one to hide. */
static bool take_user(struct egress_config *cfg, char *arg, bool *on_cmdline)
{
	const char *colon = strchr(arg, ':');
	size_t ul = colon ? (size_t)(colon - arg) : strlen(arg);

	if (ul == 0)
		return usage_error("--proxy-user: empty user name");
	if (strpbrk(arg, "\r\n"))
		return usage_error("--proxy-user: CR/LF not allowed");
	free(cfg->proxy_user);
	secret_free(cfg->proxy_pass);
	cfg->proxy_user = strndup(arg, ul);
	cfg->proxy_pass = colon ? strdup(colon + 1) : NULL;
	if (!cfg->proxy_user || (colon && !cfg->proxy_pass)) {
		msg_err("out of memory");
		return false;
	}
	*on_cmdline = secret_hide_in_userpass(arg) || *on_cmdline;
	return true;
}

static bool parse_auth(const char *arg, enum proxy_auth *out)
{
	static const char *const names[] = { "any", "anysafe", "basic", "digest", "ntlm",
					     "negotiate" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(arg, names[i])) {
			*out = (enum proxy_auth)i;
			return true;
		}
	return usage_error("--proxy-auth: unknown method \"%s\" (any, anysafe, basic, "
			   "digest, ntlm, negotiate)", arg);
}

/* EGRESS_PROXY_PASSWORD, copied, then wiped where it stood and removed, so that
 * neither /proc/PID/environ nor an askpass program sees it. */
static bool take_env_password(struct egress_config *cfg)
{
	char *v = getenv("EGRESS_PROXY_PASSWORD");
	if (v && *v) {
		cfg->env_pass = strdup(v);
		explicit_bzero(v, strlen(v));
		if (!cfg->env_pass) {
			msg_err("out of memory");
			return false;
		}
	}
	unsetenv("EGRESS_PROXY_PASSWORD");
	return true;
}

static bool any_password(const struct egress_config *cfg)
{
	for (size_t i = 0; i < cfg->proxies.n; i++)
		if (cfg->proxies.v[i].pass)
			return true;
	return cfg->proxy_pass || cfg->env_pass;
}

static bool parse_args(int argc, char **argv, struct egress_config *cfg, bool *done)
{
	struct option longopts[NOPTIONS + 1];
	char shortopts[2 * NOPTIONS + 2], err[ERR_MAX];
	const char *noproxy_arg = NULL;
	char *proxy_arg = NULL, why[ERR_MAX];
	size_t s = 0;
	bool verbose = false, quiet = false, pass_on_cmdline = false;
	int c;

	shortopts[s++] = ':';
	for (size_t i = 0; i < NOPTIONS; i++) {
		longopts[i] = (struct option){ options[i].name,
					       options[i].metavar ? required_argument : no_argument,
					       NULL, (int)options[i].id };
		if (options[i].short_name) {
			shortopts[s++] = options[i].short_name;
			if (options[i].metavar)
				shortopts[s++] = ':';
		}
	}
	shortopts[s] = '\0';
	longopts[NOPTIONS] = (struct option){ 0 };

	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			const char *what = argv[optind - 1];
			char q[64];
			if (optopt && !(optopt >= OPT_PROXY && optopt <= OPT_VERSION))
				snprintf(q, sizeof(q), "-%c", optopt);
			else
				log_escape(q, sizeof(q), what, strnlen(what, 48));
			if (c == ':')
				return usage_error("option \"%s\" needs a value", q);
			if (optopt >= OPT_PROXY && optopt <= OPT_VERSION)
				return usage_error("option \"%s\" takes no value", q);
			return usage_error("unknown option \"%s\"", q);
		}
		if (c < OPT_PROXY) {
			const struct option_def *o = find_short(c);
			c = (int)o->id;
		}
		switch ((enum opt_id)c) {
		case OPT_PROXY:
			proxy_arg = optarg;
			break;
		case OPT_NOPROXY:
			noproxy_arg = optarg;
			break;
		case OPT_PROXY_HEADER:
			if (!check_header(optarg, err, sizeof(err)))
				return usage_error("%s", err);
			cfg->headers = realloc(cfg->headers, (cfg->nheaders + 1) * sizeof(char *));
			if (!cfg->headers) {
				msg_err("out of memory");
				return false;
			}
			cfg->headers[cfg->nheaders++] = optarg;
			break;
		case OPT_USER_AGENT:
			if (strpbrk(optarg, "\r\n"))
				return usage_error("invalid user agent: CR/LF not allowed");
			cfg->user_agent = optarg;
			break;
		case OPT_CONNECT_TIMEOUT:
			if (!parse_secs(optarg, &cfg->connect_timeout_ms, err, sizeof(err)))
				return usage_error("--connect-timeout: %s", err);
			break;
		case OPT_IDLE_TIMEOUT:
			if (!parse_secs(optarg, &cfg->idle_timeout_ms, err, sizeof(err)))
				return usage_error("--idle-timeout: %s", err);
			break;
		case OPT_EOF_TIMEOUT:
			if (!parse_secs(optarg, &cfg->eof_timeout_ms, err, sizeof(err)))
				return usage_error("--eof-timeout: %s", err);
			break;
		case OPT_KEEPALIVE: {
			long ms;
			if (!parse_secs(optarg, &ms, err, sizeof(err)) || ms % 1000)
				return usage_error("--keepalive: invalid \"%s\" (whole seconds, > 0)",
						   optarg);
			cfg->keepalive_secs = ms / 1000;
			break;
		}
		case OPT_HALF_CLOSE:
			cfg->half_close = true;
			break;
		case OPT_FDPASS:
			cfg->fdpass = true;
			break;
		case OPT_PROXY_CACERT:
		case OPT_PROXY_CAPATH:
		case OPT_PROXY_CERT:
		case OPT_PROXY_KEY:
			/* A path that cannot be read is a usage error, found before traffic. */
			if (access(optarg, R_OK) < 0)
				return usage_error("--%s: cannot read \"%s\": %s",
						   opt_name(c), optarg, strerror(errno));
			*(c == OPT_PROXY_CACERT	  ? &cfg->proxy_cacert
			  : c == OPT_PROXY_CAPATH ? &cfg->proxy_capath
			  : c == OPT_PROXY_CERT	  ? &cfg->proxy_cert
						  : &cfg->proxy_key) = optarg;
			break;
		case OPT_PROXY_INSECURE:
			cfg->proxy_insecure = true;
			break;
		case OPT_PROXY_PINNEDPUBKEY:
			if (strncmp(optarg, "sha256//", 8) != 0 || strpbrk(optarg, "\r\n"))
				return usage_error("--proxy-pinnedpubkey: expected sha256//BASE64");
			cfg->proxy_pinnedpubkey = optarg;
			break;
		case OPT_PROXY_USER:
			if (!take_user(cfg, optarg, &pass_on_cmdline))
				return false;
			break;
		case OPT_PROXY_AUTH:
			if (!parse_auth(optarg, &cfg->proxy_auth))
				return false;
			break;
		case OPT_NETRC_FILE:
			/* Refused before any traffic, not passed over as ~/.netrc would be. */
			if (!creds_netrc_safe(optarg, why, sizeof(why)))
				return usage_error("--netrc-file: %s", why);
			cfg->netrc_file = optarg;
			break;
		case OPT_IPV4:
			cfg->family = 4;
			break;
		case OPT_IPV6:
			cfg->family = 6;
			break;
		case OPT_VERBOSE:
			verbose = true;
			break;
		case OPT_QUIET:
			quiet = true;
			break;
		case OPT_HELP:
			print_help(stdout);
			*done = true;
			return true;
		case OPT_VERSION:
			print_version();
			*done = true;
			return true;
		}
	}

	if (verbose && quiet)
		return usage_error("-v and -q contradict each other");
	if (cfg->fdpass && (cfg->half_close || cfg->idle_timeout_ms || cfg->eof_timeout_ms))
		return usage_error("--fdpass leaves no relay behind: it cannot take "
				   "--half-close, --idle-timeout or --eof-timeout");
	log_set_level(verbose ? LOG_VERBOSE : quiet ? LOG_QUIET : LOG_NORMAL);

	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2)
		return usage_error(argc < 1 ? "missing HOST PORT" : "too many arguments");
	if (!parse_target(argc, argv, &cfg->target, err, sizeof(err)))
		return usage_error("%s", err);
	if (!choose_route(cfg, proxy_arg, noproxy_arg))
		return false;
	if (proxy_arg && secret_hide_in_proxy_list(proxy_arg))
		pass_on_cmdline = true;
	if (pass_on_cmdline)
		msg_warn("a password on the command line can be seen by other users (ps); "
			 "EGRESS_PROXY_PASSWORD, ~/.netrc or the prompt keep it off");
	if (!take_env_password(cfg))
		return false;
	/* From here a password may be in memory: no core file may hold it. */
	if (any_password(cfg))
		secret_protect_process();
	/* What TLS to the proxy cannot do, refused before any traffic. */
	for (size_t i = 0; i < cfg->proxies.n; i++) {
		if (cfg->proxies.v[i].scheme != PROXY_HTTPS)
			continue;
		if (!ca_from_env(cfg))
			return false;
		if (cfg->half_close)
			return usage_error("--half-close cannot go through an https:// proxy: "
					   "libcurl cannot close only the sending half of TLS");
		if (cfg->fdpass)
			return usage_error("--fdpass cannot hand over an https:// proxy's tunnel: "
					   "its bytes are inside TLS that egress holds");
	}
	return true;
}

enum cli_result cli_parse(int argc, char **argv, struct egress_config *cfg)
{
	bool done = false;

	memset(cfg, 0, sizeof(*cfg));
	cfg->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	if (!parse_args(argc, argv, cfg, &done))
		return CLI_USAGE;
	return done ? CLI_DONE : CLI_RUN;
}

void cli_free(struct egress_config *cfg)
{
	proxy_list_free(&cfg->proxies);
	free(cfg->proxy_user);
	secret_free(cfg->proxy_pass);
	secret_free(cfg->env_pass);
	cfg->proxy_user = cfg->proxy_pass = cfg->env_pass = NULL;
	free(cfg->headers);
	cfg->headers = NULL;
}
