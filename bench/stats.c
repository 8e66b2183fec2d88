#include "stats.h"

#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct summary summarize(double *v, size_t n)
{
	struct summary s = { .n = n };
	if (n) {
		s.median = median(v, n);
		s.min = v[0];
		s.max = v[n - 1];
	}
	return s;
}
