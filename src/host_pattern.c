/* Host patterns: the ssh_config rules, on the target's host as the user named it. */
#include "host_pattern.h"

#include <ctype.h>
#include <string.h>

#include "err.h"
#include "log.h"

/* Longer is no host name (255) nor a pattern for one. */
#define HOST_PATTERN_MAX 300

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

bool glob_match(const char *p, const char *s, bool fold_case)
{
	/* Only the last "*" is ever resumed: linear in practice, quadratic at worst. */
	const char *star = NULL, *resume = NULL;
	while (*s) {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p == '?' || (*p && (fold_case ? tolower((unsigned char)*p) ==
								    tolower((unsigned char)*s)
							  : *p == *s))) {
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
			if (glob_match(p + 1, host, true))
				return false;
		} else if (glob_match(p, host, true)) {
			hit = true;
		}
	}
	return hit;
}

/* Calls each(pattern, ctx) for the patterns of list, each copied NUL-terminated;
 * stops when it returns false, and returns that. A pattern too long to be one stops
 * it too, with *too_long pointing to it: cut short it would be another pattern
 * ("****...*.corp" would become "*"). */
static bool each_pattern(const char *list, bool (*each)(const char *, void *), void *ctx,
			 const char **too_long)
{
	char pat[HOST_PATTERN_MAX + 1];
	*too_long = NULL;
	for (const char *p = list;;) {
		p += strspn(p, ", \t");
		size_t n = strcspn(p, ", \t");
		if (!n)
			return true;
		if (n > HOST_PATTERN_MAX) {
			*too_long = p;
			return false;
		}
		memcpy(pat, p, n);
		pat[n] = '\0';
		if (!each(pat, ctx))
			return false;
		p += n;
	}
}

struct match_ctx {
	const char *host;
	bool hit, excluded;
};

static bool match_one(const char *pat, void *ctx)
{
	struct match_ctx *m = ctx;
	const char *const one[] = { pat };
	if (pat[0] == '!' && glob_match(pat + 1, m->host, true))
		m->excluded = true;
	else if (pat[0] != '!' && host_pattern_match_list(one, 1, m->host))
		m->hit = true;
	return true;
}

bool host_pattern_match_string(const char *list, const char *host)
{
	struct match_ctx m = { host, false, false };
	const char *too_long;
	/* The check refused a list with a pattern too long; should one come here, the
	 * list matches nothing. */
	return each_pattern(list, match_one, &m, &too_long) && m.hit && !m.excluded;
}

struct check_ctx {
	char *err;
	size_t errsz;
};

static bool check_one(const char *pat, void *ctx)
{
	struct check_ctx *c = ctx;
	return host_pattern_check(pat, c->err, c->errsz);
}

bool host_pattern_check_string(const char *list, char *err, size_t errsz)
{
	struct check_ctx c = { err, errsz };
	const char *too_long;
	if (!list[strspn(list, ", \t")])
		return err_printf(err, errsz, "no host pattern in \"%s\"", list);
	if (each_pattern(list, check_one, &c, &too_long))
		return true;
	if (too_long) {
		char q[64];
		return err_printf(err, errsz, "host pattern \"%s...\" is longer than %d bytes",
				  log_escape(q, sizeof(q), too_long, 32), HOST_PATTERN_MAX);
	}
	return false;
}
