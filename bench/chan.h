/* A channel: the two fds through which the driver talks to a target through the
 * proxy. For a helper they are its stdin and stdout pipes; for the limit, both are
 * the tunnel socket itself after the driver's own CONNECT. The measurements run the
 * same code over either, so the only difference a ratio sees is the helper. */
#ifndef BENCH_CHAN_H
#define BENCH_CHAN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "measure.h"
#include "peers.h"
#include "proc.h"

struct chan {
	const struct runner *r;
	struct proc p; /* the helper; unused for the limit */
	int wfd, rfd;  /* non-blocking */
	char errfile[PATH_MAX + 64];
};

/* How a session ended, as far as the helper is concerned. */
struct chan_end {
	double cpu_s;	/* the helper's user + system time; -1 for the limit */
	char note[200]; /* an odd exit (status, signal, had to be killed), or "" */
	char said[120]; /* the first line the helper wrote to stderr, or "" */
};

/* Opens a tunnel to 127.0.0.1:target through the bench proxy: starts the helper, or
 * for the limit connects and completes the CONNECT, all before deadline. Returns 0,
 * or -1 with the reason in why. */
int chan_open(struct chan *c, const struct runner *r, const struct bench_env *e, uint16_t target,
	      int64_t deadline, char *why, size_t why_size);

/* The helper's private memory right now (see proc_private_kib); -1s for the limit. */
void chan_memory(const struct chan *c, long *uss_kib, long *dirty_kib);

/* Ends the session: writes bye (the target's cue to hang up; may be NULL), closes the
 * driver's side, drains what is left, and for a helper waits for it to exit (killing
 * it after a grace period, short when the session already failed). */
void chan_close(struct chan *c, const void *bye, size_t bye_len, bool failed, struct chan_end *end);

#endif
