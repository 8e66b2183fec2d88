/* A minimal TAP producer for the unit tests: meson counts each "ok" line. */
#ifndef EGRESS_TAP_H
#define EGRESS_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_count, tap_failed;

/* One "ok" or "not ok" line for ok; returns ok. */
static inline bool tap_check(bool ok, const char *what, const char *file, int line)
{
	tap_count++;
	if (ok) {
		printf("ok %d - %s\n", tap_count, what);
	} else {
		tap_failed++;
		printf("not ok %d - %s (%s:%d)\n", tap_count, what, file, line);
	}
	return ok;
}

#define CHECK(cond) ((void)tap_check((cond), #cond, __FILE__, __LINE__))

/* CHECK, and the test function returns when cond is false: what follows depends on it
 * (a descriptor it opened, a pointer it checked), and would only crash or mislead. */
#define REQUIRE(cond)                                                                              \
	do {                                                                                       \
		if (!tap_check((cond), #cond, __FILE__, __LINE__))                                 \
			return;                                                                    \
	} while (0)

/* Ends the run: the tests cannot go on (TAP's "Bail out!"). */
static inline _Noreturn void tap_bail(const char *why)
{
	printf("Bail out! %s\n", why);
	exit(1);
}

/* snprintf for a test's own strings: one that does not fit ends the run, since a test
 * of a string cut short tests something else. */
static inline void tap_fmt(char *buf, size_t bufsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline void tap_fmt(char *buf, size_t bufsz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, bufsz, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= bufsz)
		tap_bail("a test's string does not fit its buffer");
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed != 0;
}

#endif
