/* A host and port as the user names them and as they go on the wire: the target of
 * the tunnel, or a proxy's address. Pure functions: no I/O, no libcurl; each reports
 * a failure as a sentence in err (for "egress: %s"). */
#ifndef EGRESS_ENDPOINT_H
#define EGRESS_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOST_MAX 255
/* "[host]:port" and its NUL, for endpoint_str. */
#define ENDPOINT_STR_MAX (HOST_MAX + 9)

/* A host and port as they go into a CONNECT line; an IPv6 literal without brackets. */
struct endpoint {
	char host[HOST_MAX + 1];
	uint16_t port;
	bool ipv6;
};

bool parse_port(const char *s, uint16_t *port, char *err, size_t errsz);
bool check_host(const char *host, char *err, size_t errsz);

/* argc is 1 (HOST:PORT, [V6]:PORT) or 2 (HOST PORT, where HOST may be a bare IPv6). */
bool parse_target(int argc, char *const *argv, struct endpoint *out, char *err, size_t errsz);

/* Fills e from a host of len bytes (brackets already removed) and a port string. */
bool endpoint_set(struct endpoint *e, const char *host, size_t len, const char *port, char *err,
		  size_t errsz);

/* Splits "[v6]:port" or "host:port" without modifying s: *host and *hostlen the host
 * (brackets removed), *port after the colon or NULL when there is none. */
bool endpoint_split(const char *s, const char **host, size_t *hostlen, const char **port, char *err,
		    size_t errsz);

/* "host:port", with brackets around an IPv6 literal; buf holds ENDPOINT_STR_MAX. */
const char *endpoint_str(const struct endpoint *e, char *buf, size_t bufsz);

#endif
