/* Host patterns of a config file's "host" lines, with ssh_config's rules: "*" and "?"
 * wildcards, case-insensitive; "!PATTERN" excludes. */
#ifndef EGRESS_HOST_PATTERN_H
#define EGRESS_HOST_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

/* Whether pattern is one: not empty, not "!" alone, of the characters of host names
 * and IP addresses and the wildcards. False with the reason in err. */
bool host_pattern_check(const char *pattern, char *err, size_t errsz);

/* Whether host matches the list: one of its patterns matches and none of its "!"
 * patterns does (so a list of "!" patterns alone matches nothing). */
bool host_pattern_match_list(const char *const *patterns, size_t n, const char *host);

#endif
