/* How a tunnel reaches its target: the ordered list of ways to try, each through a
 * proxy or direct, and why each was chosen. Decided from the configuration and an
 * environment passed in (never read here), so that config sections and proxy
 * auto-configuration can plug in, and the unit tests can pass any environment. */
#ifndef EGRESS_ROUTE_H
#define EGRESS_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "endpoint.h"
#include "err.h"
#include "proxy_env.h"
#include "proxy_url.h"

struct route_way {
	const struct proxy_spec *proxy; /* NULL: connect directly */
	/* proxy: where it came from ("-x", "FILE:LINE", "EGRESS_PROXY"...); direct: why
	 * no proxy ("no proxy configured", "no_proxy entry \".corp\" matches"...). Lives
	 * as long as the route and the configuration. */
	const char *why;
	bool from_pac; /* a PAC named the proxy: passwords only per --proxy-auth-hosts */
};

struct route {
	struct route_way *v; /* tried in order until one gives a tunnel */
	size_t n;
	struct proxy_list proxies; /* owned; the ways point into it */
	/* CA certificates for https:// proxies: the options', else the environment's
	 * (CURL_CA_BUNDLE, else SSL_CERT_FILE and SSL_CERT_DIR); NULL: libcurl's. */
	const char *cacert, *capath;
	char direct_why[ERR_MAX]; /* the why of a direct way */
	/* A PAC decides: its URL (or path) and where that came from; the caller fetches
	 * and runs it, then route_from_pac fills the ways. NULL: the ways are known. */
	const char *pac, *pac_origin;
	char *pac_answer;	 /* what the PAC returned, owned; NULL: not run */
	char pac_label[ERR_MAX]; /* "PAC URL", the why of the ways it gave */
	char pac_how[192];	 /* how it was had: read, fetched, cached... */
	char pac_url[320];	 /* the URL "--pac auto" found (WPAD_URL_MAX) */
};

/* Why there is no route: the line for "egress: %s", and whether the command line is
 * at fault (then "Try 'egress --help'." follows). Either way the exit status is 2. */
struct route_refusal {
	char line[ERR_MAX + 64];
	bool usage;
	enum egress_err status; /* EGRESS_EUSAGE, or EGRESS_EUNREACH for a PAC's answer */
};

/* The ways to target: -x, else --pac, else EGRESS_PROXY, EGRESS_PAC, the other proxy
 * variables of env, unless --noproxy (else no_proxy) matches the target or the list
 * is empty, which leaves one direct way. For a PAC, r->pac is set and r->n is 0. False with why filled when the proxy list does not parse. r is freed with
 * route_free either way. */
bool route_choose(const struct egress_config *cfg, const struct endpoint *target, env_get_fn env,
		  struct route *r, struct route_refusal *why);

/* The ways the answer of r's PAC names ("PROXY a:3128; SOCKS5 b:1080; DIRECT"), in
 * order: PROXY and HTTP are http://, HTTPS https://, SOCKS and SOCKS4 socks4://,
 * SOCKS5 socks5h://; an entry egress does not know is skipped with a warning. r takes
 * answer (malloc'd). False (why filled, status EGRESS_EUNREACH) when no way is left. */
bool route_from_pac(struct route *r, char *answer, struct route_refusal *why);

/* What the route's https:// proxies cannot do with cfg's options (--half-close,
 * --fdpass), refused before any traffic, and the CA they are verified with when no
 * option names one. False with why filled. */
bool route_check(const struct egress_config *cfg, env_get_fn env, struct route *r,
		 struct route_refusal *why);

/* Whether the proxy of way may be sent a password: one the user named may, one from a
 * PAC only when a --proxy-auth-hosts pattern matches its host. A spoofed PAC (or
 * WPAD answer) must not harvest passwords. */
bool route_may_send_password(const struct egress_config *cfg, const struct route_way *way);

/* Whether a proxy URL of the route holds a password. */
bool route_has_password(const struct route *r);

void route_free(struct route *r);

#endif
