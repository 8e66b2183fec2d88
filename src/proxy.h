/* The proxy conversation, done by libcurl: reach the proxy (or the target directly),
 * send CONNECT, check the 2xx, and hand back the socket that now carries the tunnel. */
#ifndef EGRESS_PROXY_H
#define EGRESS_PROXY_H

#include <stdbool.h>

#include "cli.h"
#include "err.h"
#include "target.h"

/* An open tunnel. The socket belongs to the libcurl handle, which must stay alive
 * while fd is in use; tunnel_close() releases both. */
struct tunnel {
	int fd;
	void *handle;
	const struct proxy_spec *proxy; /* the proxy that accepted; NULL when direct */
	char proxy_label[HOST_MAX + 9]; /* "host:port" of that proxy, for messages */
	char target_label[HOST_MAX + 9];
};

/* libcurl's version line, with its TLS library, for --version. */
const char *proxy_library_version(void);

/* Tries each configured proxy in order (or connects directly) until one gives a
 * tunnel. On failure the reason has been printed on stderr and t holds nothing. */
enum egress_err tunnel_open(const struct egress_config *cfg, struct tunnel *t);
void tunnel_close(struct tunnel *t);

/* Takes the tunnel's socket out of libcurl's hands: returns a descriptor the caller
 * owns (or -1 with errno) and frees the libcurl handle, whose socket copy it closes.
 * For a plain TCP tunnel only, where libcurl has no part in the bytes any more. */
int tunnel_detach(struct tunnel *t);

#endif
