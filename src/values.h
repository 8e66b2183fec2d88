/* Option values that end up on the wire or in a timer: durations and header lines.
 * Pure functions; each reports a failure as a sentence in err. */
#ifndef EGRESS_VALUES_H
#define EGRESS_VALUES_H

#include <stdbool.h>
#include <stddef.h>

/* Seconds, decimals allowed, > 0 and at most ~24 days; result in milliseconds. */
bool parse_secs(const char *s, long *ms, char *err, size_t errsz);

/* "Name: value" with a token name and no CR/LF; "Name:" alone (send no such header) too. */
bool check_header(const char *h, char *err, size_t errsz);

/* Whether s holds a control character (below 0x20, or 0x7f): what a user name or a
 * password may not, from any source, as it would go into a header line. */
bool has_control(const char *s);

#endif
