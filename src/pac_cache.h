/* Fetched PAC files kept in the user's cache ($XDG_CACHE_HOME/egress/, else
 * ~/.cache/egress/), one file a URL, 0600 in a 0700 directory, so that an ssh
 * session does not pay for a fetch each time and a PAC server that is down does not
 * stop anyone. A copy is fresh for what the server said (Cache-Control max-age, else
 * Expires), an hour when it said nothing. */
#ifndef EGRESS_PAC_CACHE_H
#define EGRESS_PAC_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define PAC_CACHE_DEFAULT_SECS 3600

enum pac_cache_state { PAC_CACHE_NONE, PAC_CACHE_FRESH, PAC_CACHE_STALE };

struct pac_cached {
	char *text; /* malloc'd */
	size_t len;
	time_t fetched, expires;
};

/* The copy of url, if there is one that egress wrote (ours, 0600, for this very
 * URL); fresh or stale as of now. */
enum pac_cache_state pac_cache_load(const char *url, time_t now, struct pac_cached *c);

/* Keeps text as url's copy until expires; false (err filled) when it cannot. */
bool pac_cache_store(const char *url, const char *text, size_t len, time_t fetched, time_t expires,
		     char *err, size_t errsz);

/* The compiled form of a script, kept next to the PAC copies: compiling a large PAC
 * is most of what running it costs. A copy is "egress-pac-code 1 KEY LEN\n", the
 * script itself (compared whole, not trusted by a hash) and the code; key names the
 * engine and egress versions that wrote it. pac_code_load gives the code (malloc'd)
 * only for this very script and key, from a file that is ours and private: loaded
 * bytecode is trusted by the engine. */
bool pac_code_load(const char *key, const char *script, size_t len, char **code, size_t *codelen);
void pac_code_store(const char *key, const char *script, size_t len, const void *code,
		    size_t codelen);

/* Until when a PAC fetched at now may be used, from its Cache-Control header (NULL:
 * none) and its Expires and Date headers as times (-1: none or unreadable). *store is
 * false for no-store. */
time_t pac_cache_expiry(const char *cache_control, time_t expires, time_t date, time_t now,
			bool *store);

#endif
