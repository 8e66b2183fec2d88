/* The configuration: everything the user asked for, written by the command line
 * (cli.c) and the config files (config_file.c), read-only for everyone else. Only what
 * was asked: which proxy a target goes through is route.c's answer, not a setting. */
#ifndef EGRESS_CONFIG_H
#define EGRESS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "endpoint.h"

#define CONFIG_CONNECT_TIMEOUT_MS 30000L

/* --proxy-auth: which schemes egress may answer an HTTP proxy's 407 with. */
enum proxy_auth { AUTH_ANY, AUTH_ANYSAFE, AUTH_BASIC, AUTH_DIGEST, AUTH_NTLM, AUTH_NEGOTIATE };

/* Strings given one by one (-H); the strings are the caller's, the array the list's. */
struct str_list {
	const char **v;
	size_t n;
};

struct config_files;
struct listen_base;

struct egress_config {
	struct endpoint target;
	/* -x as given, an owned copy (it may hold passwords); NULL: not given, so the
	 * environment decides; "": no proxy. Parsed by route.c. */
	char *proxy;
	const char *pac;	 /* --pac: a PAC's URL or path, or "auto"; NULL: not given */
	const char *noproxy;	 /* --noproxy; NULL: not given */
	struct str_list headers; /* -H lines, validated */
	const char *user_agent;
	long connect_timeout_ms;
	long idle_timeout_ms; /* 0: none */
	long eof_timeout_ms;  /* 0: none */
	long keepalive_secs;  /* 0: off */
	bool half_close;
	bool fdpass; /* hand the socket to ssh instead of relaying */
	/* TLS to an https:// proxy; NULL: libcurl's defaults (or the environment's, see
	 * route.h). */
	const char *proxy_cacert, *proxy_capath, *proxy_pinnedpubkey;
	const char *proxy_cert, *proxy_key;
	bool proxy_insecure;
	/* Proxy authentication (credentials.c): -U's user and password and a copy of
	 * EGRESS_PROXY_PASSWORD, owned, passwords wiped by config_free; --netrc-file. */
	char *proxy_user, *proxy_pass, *env_pass;
	const char *netrc_file;
	/* --proxy-auth-hosts: host patterns of the proxies from a PAC that may be sent a
	 * password; NULL: none may. Proxies the user named always may. */
	const char *proxy_auth_hosts;
	enum proxy_auth proxy_auth;
	bool pass_in_argv; /* a password was on the command line (hidden there now) */
	int family;	   /* 0, 4 or 6 */
	bool verbose, quiet;
	/* Where the settings that choose a way and a user came from, for -v and --explain:
	 * "-x", "--noproxy", "-U", or a config file's "FILE:LINE"; NULL: not set. */
	const char *proxy_origin, *pac_origin, *noproxy_origin, *user_origin;
	/* The config files: --config's, else the default ones; none with --no-config. What
	 * was read stays in files (owned), as the file's values are kept by pointer. */
	const char *config_file;
	bool no_config;
	struct config_files *files;
	bool explain; /* print the ways to the target instead of opening a tunnel */
	/* Listen mode (server.h): -L serves target on a local port, -D is a SOCKS and
	 * HTTP CONNECT front whose clients name the target. */
	enum listen_mode { LISTEN_NONE, LISTEN_FORWARD, LISTEN_DYNAMIC } listen;
	const char *listen_at; /* "[BIND:]LPORT" as given */
	bool inetd;	       /* -D's one client is stdin */
	long max_conns;
	long drain_ms;
	struct listen_base *listen_base; /* owned; cli.h */
};

#define CONFIG_MAX_CONNS 1024L
#define CONFIG_DRAIN_MS	 5000L

/* Sets every field to its default. */
void config_init(struct egress_config *cfg);

/* A deep copy of src into dst, without src's config files (dst->files is NULL): what
 * listen mode starts each tunnel's configuration from. False when out of memory. */
bool config_copy(struct egress_config *dst, const struct egress_config *src);

/* Frees what cfg owns, wiping passwords; cfg may then be initialised again. */
void config_free(struct egress_config *cfg);

#endif
