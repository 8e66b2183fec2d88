/* SHA-256 (FIPS 180-4), written out here rather than linked from libcrypto: a bench
 * program that maps libcrypto would share its pages with every helper that maps it
 * too, and so change the private memory (USS) measured for those helpers. */
#ifndef BENCH_SHA256_H
#define BENCH_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;	       /* bytes hashed so far */
	unsigned char buf[64]; /* a partial block */
	size_t fill;
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
/* Finishes the hash and writes it as 64 lowercase hex digits and a NUL. */
void sha256_hex(struct sha256 *c, char hex[65]);

#endif
