/* The test stream: a deterministic byte sequence every bench program can regenerate,
 * so a receiver checks each byte it gets without the sender telling it anything.
 *
 * Byte i of the stream is table[i % STREAM_PERIOD], where table is filled from a fixed
 * seed. The period is odd and not near a power of two, so no read or write size lines
 * up with it, and a dropped or repeated chunk shows up as a mismatch.
 */
#ifndef BENCH_STREAM_H
#define BENCH_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sha256;

#define STREAM_PERIOD ((size_t)4 * 1024 * 1024 + 27)

/* Fills the table; call once before anything else here. */
void stream_init(void);

/* Points at the stream bytes from offset off on; *len gets how many are contiguous
 * there, at most max. */
const unsigned char *stream_at(uint64_t off, size_t max, size_t *len);

/* Checks received bytes against the stream, and optionally hashes them (SHA-256). */
struct stream_check {
	uint64_t off;	   /* bytes seen so far */
	uint64_t bad_at;   /* stream offset of the first wrong byte, or UINT64_MAX */
	struct sha256 *md; /* the running hash, or NULL when not hashing */
};

void check_init(struct stream_check *c, bool sha256);
void check_feed(struct stream_check *c, const void *buf, size_t len);
/* Frees the hash state and writes its hex digest (64 chars + NUL) to hex, or "-" when
 * not hashing. */
void check_finish(struct stream_check *c, char hex[65]);

/* The hex SHA-256 of the first len stream bytes: what a faithful transfer hashes to. */
void stream_sha256(uint64_t len, char hex[65]);

#endif
