/* Proxy URLs as -x and the proxy variables give them: [SCHEME://][USER[:PASS]@]HOST[:PORT],
 * one or a comma list. Pure functions; a failure is a sentence in err that never
 * shows a password. */
#ifndef EGRESS_PROXY_URL_H
#define EGRESS_PROXY_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "endpoint.h"

/* socks4 and socks5 resolve the target here; socks4a and socks5h let the proxy. */
enum proxy_scheme {
	PROXY_HTTP,
	PROXY_HTTPS,
	PROXY_SOCKS4,
	PROXY_SOCKS4A,
	PROXY_SOCKS5,
	PROXY_SOCKS5H,
};

/* The scheme's name as in a URL ("socks5h"). */
const char *proxy_scheme_name(enum proxy_scheme s);

/* Whether the scheme speaks HTTP CONNECT (http and https), as opposed to SOCKS. */
bool proxy_scheme_is_http(enum proxy_scheme s);

/* One proxy of a list. user/pass are percent-decoded copies owned by the spec. */
struct proxy_spec {
	enum proxy_scheme scheme;
	struct endpoint addr;
	char *user;
	char *pass;
};

struct proxy_list {
	struct proxy_spec *v;
	size_t n;
};

/* A comma-separated list of [scheme://][user[:pass]@]host[:port][/]. On success the
 * caller owns out and frees it with proxy_list_free(). */
bool parse_proxy_list(const char *s, struct proxy_list *out, char *err, size_t errsz);
void proxy_list_free(struct proxy_list *l);

#endif
