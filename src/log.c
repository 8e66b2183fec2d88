/* Diagnostics on stderr. The verbosity level is the one mutable global in egress. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static enum log_level level = LOG_NORMAL;

void log_set_level(enum log_level l)
{
	level = l;
}

bool log_verbose_enabled(void)
{
	return level >= LOG_VERBOSE;
}

/* Builds the whole line first and writes it with one call, so that lines from
 * concurrent writers to the same stderr do not interleave mid-line. */
static void emit(const char *fmt, va_list ap, int errnum)
{
	char line[1024];
	size_t n = (size_t)snprintf(line, sizeof(line), "egress: ");
	int r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
	if (errnum && n < sizeof(line) - 1) {
		r = snprintf(line + n, sizeof(line) - n, ": %s", strerror(errnum));
		if (r > 0)
			n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
	}
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* A diagnostic that cannot be written has nowhere else to be told. */
	(void)fwrite(line, 1, n, stderr);
}

void msg_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(fmt, ap, 0);
	va_end(ap);
}

void msg_err_errno(int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(fmt, ap, errnum);
	va_end(ap);
}

void msg_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(fmt, ap, 0);
	va_end(ap);
}

void msg_warn(const char *fmt, ...)
{
	if (level < LOG_NORMAL)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(fmt, ap, 0);
	va_end(ap);
}

void msg_verbose(const char *fmt, ...)
{
	if (level < LOG_VERBOSE)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(fmt, ap, 0);
	va_end(ap);
}

char *log_escape(char *out, size_t outsz, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (size_t i = 0; i < n && o + 5 < outsz; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f) {
			out[o++] = '<';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
			out[o++] = '>';
		} else {
			out[o++] = (char)c;
		}
	}
	if (outsz)
		out[o < outsz ? o : outsz - 1] = '\0';
	return out;
}

char *log_escape_str(char *out, size_t outsz, const char *s, size_t max)
{
	return log_escape(out, outsz, s, strnlen(s, max));
}
