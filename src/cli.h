/* The command line: option table, --help/--version, and validation of everything into
 * one struct egress_config, which the rest of egress reads and never writes. */
#ifndef EGRESS_CLI_H
#define EGRESS_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "target.h"

/* --proxy-auth: which schemes egress may answer an HTTP proxy's 407 with. */
enum proxy_auth { AUTH_ANY, AUTH_ANYSAFE, AUTH_BASIC, AUTH_DIGEST, AUTH_NTLM, AUTH_NEGOTIATE };

struct egress_config {
	struct endpoint target;
	struct proxy_list proxies;  /* tried in order; empty: connect directly */
	const char *proxy_source;   /* "-x" or the variable the proxies came from */
	const char *direct_reason;  /* why there is no proxy, for -v */
	const char **headers;       /* -H lines, validated */
	size_t nheaders;
	const char *user_agent;
	long connect_timeout_ms;
	long idle_timeout_ms;       /* 0: none */
	long eof_timeout_ms;        /* 0: none */
	long keepalive_secs;        /* 0: off */
	bool half_close;
	bool fdpass;                /* hand the socket to ssh instead of relaying */
	/* TLS to an https:// proxy; NULL: libcurl's defaults. */
	const char *proxy_cacert, *proxy_capath, *proxy_pinnedpubkey;
	const char *proxy_cert, *proxy_key;
	bool proxy_insecure;
	/* Proxy authentication (credentials.c): -U's user and password and a copy of
	 * EGRESS_PROXY_PASSWORD, owned, passwords wiped by cli_free; --netrc-file. */
	char *proxy_user, *proxy_pass, *env_pass;
	const char *netrc_file;
	enum proxy_auth proxy_auth;
	int family;                 /* 0, 4 or 6 */
};

enum cli_result { CLI_RUN, CLI_DONE, CLI_USAGE };

/* Parses argv into cfg. CLI_DONE: --help or --version was printed, exit 0.
 * CLI_USAGE: the error was printed, exit 2. cfg is freed with cli_free either way.
 * Passwords in argv are overwritten in place once copied (ps shows "***"). */
enum cli_result cli_parse(int argc, char **argv, struct egress_config *cfg);
void cli_free(struct egress_config *cfg);

#endif
