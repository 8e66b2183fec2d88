/* The -D front: what a local client asks for, in SOCKS4, SOCKS4a, SOCKS5 (no
 * authentication, CONNECT only) or HTTP CONNECT, and the reply it gets once the tunnel
 * is open or has failed. Pure code: no I/O, no allocation, no globals; the caller
 * reads and writes the socket and keeps the unconsumed bytes. */
#ifndef EGRESS_FRONT_H
#define EGRESS_FRONT_H

#include <stdbool.h>
#include <stddef.h>

#include "endpoint.h"
#include "err.h"

/* The most bytes a request may take: HTTP's header block must end within them. A
 * SOCKS request is far shorter by its own limits (255-byte user id and host name). */
#define FRONT_REQUEST_MAX 16384
/* Room for any reply, an HTTP error with its one-line body included. */
#define FRONT_REPLY_MAX 512

/* Told apart by the client's first byte; SOCKS4a once the address says 0.0.0.x. */
enum front_proto { FRONT_UNKNOWN, FRONT_SOCKS4, FRONT_SOCKS4A, FRONT_SOCKS5, FRONT_HTTP };

/* One client's progress: which protocol, and for SOCKS5 whether the method choice
 * has been sent (what follows is then the request). */
struct front {
	enum front_proto proto;
	bool greeted;
};

enum front_step {
	FRONT_MORE,   /* nothing decided: read more, call again with ALL unconsumed bytes */
	FRONT_SEND,   /* send out[0..*outlen), drop *used input bytes, call again */
	FRONT_TARGET, /* *target is the request, *used bytes long; later bytes are tunnel data */
	FRONT_REFUSE, /* send out[0..*outlen) (maybe nothing) and close; why says why */
};

void front_init(struct front *f);

/* Looks at the len unconsumed bytes in. *used is 0 except after FRONT_SEND and
 * FRONT_TARGET; *outlen is 0 except after FRONT_SEND and FRONT_REFUSE; *target is
 * written only on FRONT_TARGET; why (whysz >= 1, ERR_MAX is plenty) is one printable
 * line on FRONT_REFUSE and "" otherwise. out should hold FRONT_REPLY_MAX bytes: a
 * reply that does not fit is not written. */
enum front_step front_parse(struct front *f, const unsigned char *in, size_t len, size_t *used,
			    unsigned char *out, size_t outsz, size_t *outlen,
			    struct endpoint *target, char *why, size_t whysz);

/* The reply once the tunnel is open (e is EGRESS_OK) or has failed (e its class);
 * reason is the one-line body of an HTTP error (control bytes become spaces; NULL
 * or "" says err_words(e)). Returns the length written to out, 0 if it does not fit
 * in outsz or no protocol was recognised. */
size_t front_reply(const struct front *f, enum egress_err e, const char *reason, unsigned char *out,
		   size_t outsz);

/* "SOCKS4", "SOCKS4a", "SOCKS5", "HTTP", or "unknown". */
const char *front_proto_name(enum front_proto p);

#endif
