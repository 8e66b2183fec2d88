/* The results of a run, and the markdown report made from them. */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "measure.h"
#include "peers.h"

#define MAX_ROUNDS 50

enum metric {
	M_DOWN,	    /* MiB/s */
	M_UP,	    /* MiB/s */
	M_CPU_DOWN, /* helper CPU seconds per GiB, less its start-up CPU */
	M_CPU_UP,
	M_MACHINE_DOWN, /* busy CPU seconds of the whole machine per GiB moved */
	M_MACHINE_UP,
	M_CPU_START,  /* ms, helper CPU of a session that moves no data */
	M_FIRST,      /* ms, exec to first banner byte */
	M_RTT,	      /* ms, two-part request round trip */
	M_USS_DOWN,   /* KiB, after the download */
	M_USS_UP,     /* KiB, after the upload */
	M_DIRTY_DOWN, /* KiB, the Private_Dirty part of M_USS_DOWN */
	M_DIRTY_UP,
	M_USS_IDLE, /* KiB, in a tunnel after IDLE_SETTLE of quiet (first round only) */
	M_COUNT
};

/* One metric of one runner: a value per round, when that round's sample worked. */
struct cell {
	double v[MAX_ROUNDS];
	bool ok[MAX_ROUNDS];
	unsigned tried, failed;
	char why[200]; /* the first failure */
};

struct row {
	const struct runner *r;
	struct cell m[M_COUNT];
	unsigned sha_passed; /* hashed transfers that arrived whole and equal (of 2) */
	char sha_why[200];   /* why one did not, or "" */
	bool corrupt;	     /* some transfer, hashed or timed, delivered wrong bytes */
	char corrupt_why[200];
	unsigned noted; /* sessions whose helper ended oddly (status, signal, killed) */
	char note[200]; /* the first such oddity */
};

struct run_info {
	uint64_t size, sha_size;
	unsigned rounds_planned, rounds_done, spawns, pings;
	char stopped[120]; /* why the run stopped early, or "" */
};

/* Records round's sample of metric m: value when s worked, else why it failed. */
void row_record(struct row *w, enum metric m, unsigned round, const struct sample *s, double value);

/* Notes what s says about the helper's exit and integrity, whatever metric it was for. */
void row_observe(struct row *w, const struct sample *s);

/* Prints the markdown report: the table, the footnotes, egress against its targets and
 * the machine it ran on. rows[0] must be the limit. */
void report_print(FILE *out, struct row *rows, int nrows, const struct run_info *info);

#endif
