/* A PAC script run in duktape: the standard helpers, then FindProxyForURLEx (when
 * the script defines it) or FindProxyForURL. No bound of its own: pac_eval.c runs it
 * in a child process under a deadline. */
#ifndef EGRESS_PAC_JS_H
#define EGRESS_PAC_JS_H

#include <stdbool.h>
#include <stddef.h>

/* The answer of the script (len bytes, named name in messages) for url and host, in
 * *result (malloc'd). False with the engine's message, and the script's line where
 * known, in err. With reuse_code, the compiled script is taken from the cache when
 * there and put there when not (pac_cache.h). */
bool pac_js_find(const char *script, size_t len, const char *name, const char *url,
		 const char *host, bool reuse_code, char **result, char *err, size_t errsz);

/* What the date and time helpers take for now, in milliseconds since the epoch; 0 (the
 * default): the clock. For the unit tests. */
void pac_js_set_clock(double ms);

#endif
