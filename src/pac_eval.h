/* Running a PAC script under bounds: in a child process, so that a script that loops
 * forever, eats memory or crashes the engine costs a message, not egress. */
#ifndef EGRESS_PAC_EVAL_H
#define EGRESS_PAC_EVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "endpoint.h"

/* CPU seconds a script may use. Real PAC files answer in milliseconds. */
#define PAC_CPU_SECS 2

/* The script's answer for target (the URL "https://HOST:PORT/", "https://HOST/" for
 * 443), in *result (malloc'd), within deadline_ms of wall time (name resolution
 * included). False with the reason, naming the script, in err. */
bool pac_evaluate(const char *script, size_t len, const char *name, const struct endpoint *target,
		  long deadline_ms, char **result, char *err, size_t errsz);

/* The URL a PAC script is asked about for target; false when buf (of HOST_MAX + 32
 * bytes, enough for any) is too small for it. */
bool pac_url_for(const struct endpoint *target, char *buf, size_t bufsz);

#endif
