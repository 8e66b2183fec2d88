/* Reading a config file and cutting it into keyword lines. The values are cut out of
 * the file's own buffer in place (a quoted value only ever shrinks), so a line costs
 * no allocation but its share of one array of pointers. */
#include "conffile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "file_read.h"

enum conffile_status conffile_read(const char *path, struct conffile *f, char *err, size_t errsz)
{
	memset(f, 0, sizeof(*f));
	switch (file_read(path, CONFFILE_MAX, "config file", &f->buf, &f->len, &f->st, err,
			  errsz)) {
	case FILE_READ_OK:
		return CONFFILE_OK;
	case FILE_READ_MISSING:
		return CONFFILE_MISSING;
	case FILE_READ_ERROR:
		break;
	}
	return CONFFILE_ERROR;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Cuts the values of the line at s (NUL-terminated, comment and key removed) into
 * out; returns how many, or -1 with err filled. */
static long cut_values(char *s, char **out, unsigned lineno, char *err, size_t errsz)
{
	long n = 0;
	for (;;) {
		while (is_blank(*s))
			s++;
		if (!*s)
			return n;
		char *w = s, *start = s;
		if (*s == '"') {
			s++;
			while (*s && *s != '"') {
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				*w++ = *s++;
			}
			if (!*s) {
				err_printf(err, errsz, "%u: unbalanced quote", lineno);
				return -1;
			}
			s++; /* the closing quote */
			if (*s && !is_blank(*s)) {
				err_printf(err, errsz, "%u: text right after a closing quote",
					   lineno);
				return -1;
			}
		} else {
			while (*s && !is_blank(*s)) {
				if (*s == '"') {
					err_printf(
						err, errsz,
						"%u: a quote inside a value: quote the whole value",
						lineno);
					return -1;
				}
				*w++ = *s++;
			}
		}
		/* w <= s: the value ends where it is written, before what is still to read. */
		bool more = *s != '\0';
		*w = '\0';
		if (more)
			s++;
		if (out)
			out[n] = start;
		n++;
		if (!more)
			return n;
	}
}

/* The key of the line at *s: up to a blank, "=" or the end, without leading "--";
 * *s is moved past it and an "=" after it. NULL (err filled) when there is none. */
static const char *cut_key(char **s, unsigned lineno, char *err, size_t errsz)
{
	char *k = *s;
	if (k[0] == '-' && k[1] == '-')
		k += 2;
	char *e = k;
	while (*e && !is_blank(*e) && *e != '=' && *e != '"')
		e++;
	if (e == k || *e == '"') {
		err_printf(err, errsz, "%u: expected an option name", lineno);
		return NULL;
	}
	char *p = e;
	while (is_blank(*p))
		p++;
	if (*p == '=')
		p++;
	*e = '\0';
	*s = p;
	return k;
}

/* Appends to a growing array of elements of size sz; false when out of memory. */
static bool grow(void **v, size_t *cap, size_t need, size_t sz)
{
	if (need <= *cap)
		return true;
	size_t c = *cap ? *cap * 2 : 16;
	while (c < need)
		c *= 2;
	void *nv = realloc(*v, c * sz);
	if (!nv)
		return false;
	*v = nv;
	*cap = c;
	return true;
}

bool conffile_parse(struct conffile *f, char *buf, size_t len, char *err, size_t errsz)
{
	size_t line_cap = 0, value_cap = 0, nvalues = 0;
	unsigned lineno = 0;
	const char *nul = memchr(buf, '\0', len);

	f->buf = buf;
	f->len = len;
	f->lines = NULL;
	f->nlines = 0;
	f->values = NULL;
	if (nul) {
		unsigned at = 1;
		for (const char *p = buf; p < nul; p++)
			at += *p == '\n';
		err_printf(err, errsz, "%u: a NUL byte: not a text file", at);
		return false;
	}
	for (char *s = buf, *end = buf + len; s < end;) {
		char *nl = memchr(s, '\n', (size_t)(end - s));
		char *eol = nl ? nl : end;
		char *next = nl ? nl + 1 : end;
		lineno++;
		if (eol > s && eol[-1] == '\r')
			eol--;
		*eol = '\0'; /* over the \n or \r; at end, buf has a spare byte (see below) */
		while (is_blank(*s))
			s++;
		if (!*s || *s == '#') {
			s = next;
			continue;
		}
		const char *key = cut_key(&s, lineno, err, errsz);
		if (!key)
			goto fail;
		/* At most one value per two bytes, and the line's own bytes bound that. */
		size_t most = (size_t)(eol - s) / 2 + 1;
		if (!grow((void **)&f->values, &value_cap, nvalues + most, sizeof(*f->values)) ||
		    !grow((void **)&f->lines, &line_cap, f->nlines + 1, sizeof(*f->lines))) {
			err_printf(err, errsz, "%u: out of memory", lineno);
			goto fail;
		}
		long n = cut_values(s, f->values + nvalues, lineno, err, errsz);
		if (n < 0)
			goto fail;
		/* values is an index until the array stops moving. */
		f->lines[f->nlines++] =
			(struct conf_line){ lineno, key, (char **)(uintptr_t)nvalues, (size_t)n };
		nvalues += (size_t)n;
		s = next;
	}
	for (size_t i = 0; i < f->nlines; i++)
		f->lines[i].values = f->values + (uintptr_t)f->lines[i].values;
	return true;
fail:
	free(f->lines);
	free(f->values);
	f->lines = NULL;
	f->values = NULL;
	f->nlines = 0;
	return false;
}

void conffile_free(struct conffile *f)
{
	if (f->buf)
		explicit_bzero(f->buf, f->len);
	free(f->buf);
	free(f->lines);
	free(f->values);
	memset(f, 0, sizeof(*f));
}
