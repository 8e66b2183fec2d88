/* Where listen mode listens: "[BIND:]LPORT" as ssh's -L and -D take it, and the
 * listening sockets made from it or inherited from systemd. */
#ifndef EGRESS_LISTEN_ADDR_H
#define EGRESS_LISTEN_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"

struct listen_addr {
	char host[HOST_MAX + 1]; /* an address or a name; "" with any */
	uint16_t port;		 /* 0: the system picks one */
	bool any;		 /* "*:LPORT" or ":LPORT": every address */
};

/* "LPORT" (127.0.0.1), "BIND:LPORT", "[V6]:LPORT", "*:LPORT". */
bool listen_addr_parse(const char *s, struct listen_addr *a, char *err, size_t errsz);

/* Most listening sockets one address can give (a name with several addresses). */
#define LISTEN_FDS_MAX 8

/* Binds and listens on every address a names: non-blocking, close-on-exec. Returns
 * how many (>= 1), or 0 with the reason in err. */
size_t listen_addr_open(const struct listen_addr *a, int fds[LISTEN_FDS_MAX], char *err,
			size_t errsz);

/* systemd socket activation: the listening sockets passed in LISTEN_FDS when
 * LISTEN_PID is this process (then both variables are removed, as sd_listen_fds
 * does). Returns how many, 0 when none were passed, -1 with err when what was
 * passed cannot be used. */
int listen_inherited(int fds[LISTEN_FDS_MAX], char *err, size_t errsz);

/* fd's own address (peer false) or its peer's as text: "ADDR:PORT", "[V6]:PORT", or
 * "a local socket" for a Unix one; false when it has none. *loopback says whether it
 * is a loopback address (a Unix socket counts as one). */
bool socket_address(int fd, bool peer, char *text, size_t textsz, bool *loopback);

/* Whether fd's bound address is a loopback one; *text gets "ADDR:PORT". */
bool listen_is_loopback(int fd, char *text, size_t textsz);

#endif
