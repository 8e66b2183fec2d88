#include "stream.h"

#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "util.h"

static unsigned char table[STREAM_PERIOD];

/* splitmix64: a fast generator with no short cycles; the seed is arbitrary but fixed. */
static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void stream_init(void)
{
	uint64_t s = 0x65677265737321ULL;
	for (size_t i = 0; i < STREAM_PERIOD; i += 8) {
		uint64_t v = splitmix64(&s);
		size_t n = STREAM_PERIOD - i < 8 ? STREAM_PERIOD - i : 8;
		memcpy(table + i, &v, n);
	}
}

const unsigned char *stream_at(uint64_t off, size_t max, size_t *len)
{
	size_t pos = (size_t)(off % STREAM_PERIOD);
	size_t n = STREAM_PERIOD - pos;
	*len = n < max ? n : max;
	return table + pos;
}

void check_init(struct stream_check *c, bool sha256)
{
	c->off = 0;
	c->bad_at = UINT64_MAX;
	c->md = NULL;
	if (sha256) {
		c->md = malloc(sizeof(struct sha256));
		if (!c->md)
			die("out of memory");
		sha256_init(c->md);
	}
}

void check_feed(struct stream_check *c, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	if (c->md)
		sha256_update(c->md, p, len);
	/* memcmp against the table runs at memory speed, so checking every byte of a
	 * timed transfer costs far less than the transfer itself. */
	while (len) {
		size_t n;
		const unsigned char *want = stream_at(c->off, len, &n);
		if (c->bad_at == UINT64_MAX && memcmp(p, want, n) != 0) {
			size_t i = 0;
			while (p[i] == want[i])
				i++;
			c->bad_at = c->off + i;
		}
		p += n;
		len -= n;
		c->off += n;
	}
}

void check_finish(struct stream_check *c, char hex[65])
{
	if (!c->md) {
		strcpy(hex, "-");
		return;
	}
	sha256_hex(c->md, hex);
	free(c->md);
	c->md = NULL;
}

void stream_sha256(uint64_t len, char hex[65])
{
	struct sha256 md;
	sha256_init(&md);
	for (uint64_t off = 0; off < len;) {
		size_t n;
		uint64_t left = len - off;
		const unsigned char *p =
			stream_at(off, left < STREAM_PERIOD ? left : STREAM_PERIOD, &n);
		sha256_update(&md, p, n);
		off += n;
	}
	sha256_hex(&md, hex);
}
