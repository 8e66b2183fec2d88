/* Host patterns: the ssh_config rules, on the target's host as the user named it. */
#include "host_pattern.h"

#include <ctype.h>
#include <string.h>

#include "err.h"

bool host_pattern_check(const char *pattern, char *err, size_t errsz)
{
	const char *p = pattern[0] == '!' ? pattern + 1 : pattern;
	if (!*p)
		return err_printf(err, errsz, "empty host pattern \"%s\"", pattern);
	for (; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".-_:%*?", *p))
			return err_printf(
				err, errsz,
				"bad host pattern \"%s\": a pattern holds letters, digits, "
				". - _ : %% and the wildcards * ?",
				pattern);
	return true;
}

/* Whether s matches the glob p ("*" any run, "?" one character), ignoring case. The
 * backtracking is bounded: only the last "*" is ever resumed, so it is linear in
 * practice and quadratic at worst, on strings of at most a host name's length. */
static bool glob_match(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;
	while (*s) {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p == '?' ||
			   (*p && tolower((unsigned char)*p) == tolower((unsigned char)*s))) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return !*p;
}

bool host_pattern_match_list(const char *const *patterns, size_t n, const char *host)
{
	bool hit = false;
	for (size_t i = 0; i < n; i++) {
		const char *p = patterns[i];
		if (p[0] == '!') {
			if (glob_match(p + 1, host))
				return false;
		} else if (glob_match(p, host)) {
			hit = true;
		}
	}
	return hit;
}
