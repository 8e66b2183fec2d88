/* Host patterns of a config file's "host" lines, with ssh_config's rules: "*" and "?"
 * wildcards, case-insensitive; "!PATTERN" excludes. */
#ifndef EGRESS_HOST_PATTERN_H
#define EGRESS_HOST_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

/* Whether s matches the glob p: "*" any run, "?" one character; letters of either
 * case when fold_case (host patterns), exactly otherwise (PAC's shExpMatch). */
bool glob_match(const char *p, const char *s, bool fold_case);

/* Whether pattern is one: not empty, not "!" alone, of the characters of host names
 * and IP addresses and the wildcards. False with the reason in err. */
bool host_pattern_check(const char *pattern, char *err, size_t errsz);

/* Whether host matches the list: one of its patterns matches and none of its "!"
 * patterns does (so a list of "!" patterns alone matches nothing). */
bool host_pattern_match_list(const char *const *patterns, size_t n, const char *host);

/* The same for patterns in one string, separated by commas or blanks; and the check
 * of each of them (false with the first bad one's reason in err). */
bool host_pattern_match_string(const char *list, const char *host);
bool host_pattern_check_string(const char *list, char *err, size_t errsz);

#endif
