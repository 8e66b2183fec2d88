/* Durations and header lines. A header is put on the wire verbatim, so the rules are
 * strict and every refusal names the bad value. */
#include "values.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"

bool parse_secs(const char *s, long *ms, char *err, size_t errsz)
{
	char q[64];
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	/* strtod also takes hex, inf and nan: not durations. Decimal exponents are, as
	 * curl's tool takes them ("1e3" is 1000 s). */
	if (!*s || *end || errno || !isdigit((unsigned char)s[0]) || strpbrk(s, "xXnN") ||
	    !(v > 0) || v > 2000000.0)
		return err_printf(err, errsz,
				  "invalid duration \"%s\" (seconds, > 0, e.g. 30 or 0.5)",
				  log_escape_str(q, sizeof(q), s, 32));
	*ms = (long)(v * 1000.0 + 0.5);
	if (*ms < 1)
		*ms = 1;
	return true;
}

static bool is_tchar(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool check_header(const char *h, char *err, size_t errsz)
{
	char q[128];
	size_t i;

	log_escape_str(q, sizeof(q), h, 64);
	if (strpbrk(h, "\r\n"))
		return err_printf(err, errsz, "invalid header \"%s\": CR/LF not allowed", q);
	for (i = 0; is_tchar((unsigned char)h[i]); i++)
		;
	if (i == 0 || h[i] != ':')
		return err_printf(err, errsz, "invalid header \"%s\": expected \"Name: value\"", q);
	for (const char *p = h + i; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return err_printf(err, errsz,
					  "invalid header \"%s\": control byte not allowed", q);
	return true;
}

bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}
