/* What the libFuzzer targets share: the input as a C string, and the property every
 * parser's error must keep: one printable line, whatever the input held. */
#ifndef EGRESS_FUZZ_H
#define EGRESS_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The input as a NUL-terminated copy (a NUL inside ends the string early, as argv
 * and the environment would); free() it. */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* An error for "egress: %s" must not carry a control byte from the input: it would
 * move the terminal's cursor, or forge a second line. */
static inline void fuzz_check_line(const char *err)
{
	for (const char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
}

#endif
