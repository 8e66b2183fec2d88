/* Order statistics over a handful of samples. */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stddef.h>

struct summary {
	size_t n;
	double median, min, max;
};

/* Sorts v in place and returns its median (the mean of the middle two for even n);
 * n must be at least 1. */
double median(double *v, size_t n);

/* Median, min and max of the n values of v (v is sorted in place); n may be 0. */
struct summary summarize(double *v, size_t n);

#endif
