/* A minimal TAP producer for the unit tests: meson counts each "ok" line. */
#ifndef EGRESS_TAP_H
#define EGRESS_TAP_H

#include <stdio.h>

static int tap_count, tap_failed;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		tap_count++;                                                                       \
		if (cond) {                                                                        \
			printf("ok %d - %s\n", tap_count, #cond);                                  \
		} else {                                                                           \
			tap_failed++;                                                              \
			printf("not ok %d - %s (%s:%d)\n", tap_count, #cond, __FILE__, __LINE__);  \
		}                                                                                  \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed != 0;
}

#endif
