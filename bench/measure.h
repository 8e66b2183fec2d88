/* One measurement of one runner: each function opens a tunnel (a helper process, or
 * for the limit the driver's own CONNECT), measures, and closes it again. */
#ifndef BENCH_MEASURE_H
#define BENCH_MEASURE_H

#include <stdbool.h>
#include <stdint.h>

#include "peers.h"

struct bench_env {
	uint16_t proxy, source, sink, banner, pingpong; /* ports on 127.0.0.1 */
	const char *errdir; /* where helpers' stderr goes, one file per runner */
	int64_t timeout_ns; /* bound on one transfer */
};

struct sample {
	bool ok;	  /* value is a real measurement */
	bool corrupt;	  /* the bytes that arrived were not the bytes sent */
	double value;	  /* MiB/s for transfers, milliseconds for latencies */
	double cpu_s;	  /* the helper's user + system CPU seconds; -1 for the limit */
	double machine_s; /* a transfer's busy CPU seconds of the whole machine, or -1 */
	long uss_kib;	  /* the helper's private memory after its transfer, or -1 */
	long dirty_kib;	  /* the part of it that is Private_Dirty, or -1 */
	char why[200];	  /* when !ok: what went wrong */
	char note[200];	  /* how the helper ended, if oddly (status, signal, killed) */
};

/* size bytes of the test stream from the source to the driver; with sha256 the
 * received bytes are also hashed and the hash compared with the stream's. */
void measure_down(const struct runner *r, const struct bench_env *e, uint64_t size, bool sha256,
		  struct sample *s);

/* size bytes from the driver to the sink, which checks them and reports the rate. */
void measure_up(const struct runner *r, const struct bench_env *e, uint64_t size, bool sha256,
		struct sample *s);

/* Milliseconds from just before posix_spawn (for the limit, before connect) to the first
 * byte of the banner server's greeting. */
void measure_first_byte(const struct runner *r, const struct bench_env *e, struct sample *s);

/* Median milliseconds of pings round trips through the ping-pong server, each 64-byte
 * request written as 1 byte, then 63 bytes 200 us later (what Nagle's algorithm
 * holds back when a helper leaves TCP_NODELAY off). */
/* With idle_mem, also reads the helper's memory after IDLE_SETTLE_MS of quiet in the
 * tunnel, into s->uss_kib and s->dirty_kib: what a long, mostly idle session holds. */
#define IDLE_SETTLE_MS 1500
void measure_rtt(const struct runner *r, const struct bench_env *e, unsigned pings, bool idle_mem,
		 struct sample *s);

#endif
