/* The proxy conversation, done by libcurl: reach the proxy (or the target directly),
 * send CONNECT, check the 2xx, and hand back the socket that now carries the tunnel. */
#ifndef EGRESS_PROXY_H
#define EGRESS_PROXY_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "endpoint.h"
#include "err.h"
#include "route.h"

/* An open tunnel. The socket belongs to the libcurl handle, which must stay alive
 * while fd is in use; tunnel_close() releases both. */
struct tunnel {
	int fd;
	void *handle;
	const struct proxy_spec *proxy;	    /* the proxy that accepted; NULL when direct */
	bool tls;			    /* the bytes go through libcurl (https:// proxy) */
	char proxy_label[ENDPOINT_STR_MAX]; /* "host:port" of that proxy, for messages */
	char target_label[ENDPOINT_STR_MAX];
};

/* libcurl's version line, with its TLS library, for --version. */
const char *proxy_library_version(void);

/* Tries each way of the route in order until one gives a tunnel to cfg's target.
 * On failure the reason has been printed on stderr and t holds nothing. libcurl's
 * global state must be initialised (curl_global_init, once, in main). */
enum egress_err tunnel_open(const struct egress_config *cfg, const struct route *route,
			    struct tunnel *t);
void tunnel_close(struct tunnel *t);

/* For a TLS tunnel: the tunnel's bytes through libcurl, shaped like recv(2) and
 * send(2) for the relay (ctx is the struct tunnel). */
ssize_t tunnel_recv(void *ctx, void *buf, size_t len);
ssize_t tunnel_send(void *ctx, const void *buf, size_t len);

/* Takes the tunnel's socket out of libcurl's hands: returns a descriptor the caller
 * owns (or -1 with errno) and frees the libcurl handle, whose socket copy it closes.
 * For a plain TCP tunnel only, where libcurl has no part in the bytes any more. */
int tunnel_detach(struct tunnel *t);

#endif
