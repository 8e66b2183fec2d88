/* Parsing and validation of everything the user names on the command line that ends up
 * on the wire: target host and port, proxy URLs, header lines, durations. Pure functions:
 * no I/O, no libcurl; each reports a failure as a sentence in err (for "egress: %s"). */
#ifndef EGRESS_TARGET_H
#define EGRESS_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOST_MAX 255
#define ERR_MAX 512

/* A host and port as they go into a CONNECT line; an IPv6 literal without brackets. */
struct endpoint {
	char host[HOST_MAX + 1];
	uint16_t port;
	bool ipv6;
};

/* socks4 and socks5 resolve the target here; socks4a and socks5h let the proxy. */
enum proxy_scheme {
	PROXY_HTTP, PROXY_HTTPS, PROXY_SOCKS4, PROXY_SOCKS4A, PROXY_SOCKS5, PROXY_SOCKS5H,
};

/* The scheme's name as in a URL ("socks5h"). */
const char *proxy_scheme_name(enum proxy_scheme s);

/* One proxy of a -x list. user/pass are percent-decoded copies owned by the spec. */
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

bool parse_port(const char *s, uint16_t *port, char *err, size_t errsz);
bool check_host(const char *host, char *err, size_t errsz);

/* argc is 1 (HOST:PORT, [V6]:PORT) or 2 (HOST PORT, where HOST may be a bare IPv6). */
bool parse_target(int argc, char *const *argv, struct endpoint *out, char *err, size_t errsz);

/* Seconds, decimals allowed, > 0 and at most ~24 days; result in milliseconds. */
bool parse_secs(const char *s, long *ms, char *err, size_t errsz);

/* "Name: value" with a token name and no CR/LF; "Name:" alone (send no such header) too. */
bool check_header(const char *h, char *err, size_t errsz);

/* A comma-separated list of [scheme://][user[:pass]@]host[:port][/]. On success the
 * caller owns out and frees it with proxy_list_free(). */
bool parse_proxy_list(const char *s, struct proxy_list *out, char *err, size_t errsz);
void proxy_list_free(struct proxy_list *l);

/* "host:port", with brackets around an IPv6 literal; buf must hold HOST_MAX + 9. */
const char *endpoint_str(const struct endpoint *e, char *buf, size_t bufsz);

#endif
