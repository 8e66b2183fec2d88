/* The one table of what each exit status means. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *words;   /* --help */
	const char *meaning; /* the man page's EXIT STATUS, without its markup */
} table[EGRESS_ERR_COUNT] = {
	[EGRESS_OK] = { "closed normally",
			"The tunnel ran and closed normally (also when --eof-timeout expired)." },
	[EGRESS_EIO] = { "I/O error", "I/O error on an established tunnel, a local failure (out of "
				      "file descriptors), or internal error." },
	[EGRESS_EUSAGE] = { "usage", "Usage: bad option, bad HOST or PORT, bad proxy URL, "
				     "header injection attempt." },
	[EGRESS_EUNREACH] = { "proxy unreachable",
			      "Proxy (or, without a proxy, the target) unreachable: DNS failure, "
			      "connection refused, network unreachable." },
	[EGRESS_EAUTH] = { "proxy authentication",
			   "Proxy authentication required or failed (407, or SOCKS5 credentials "
			   "rejected), or the askpass program or the prompt gave no password." },
	[EGRESS_EREFUSED] = { "CONNECT refused or malformed reply",
			      "Proxy refused the CONNECT: any other non-2xx status, or a malformed "
			      "or empty reply." },
	[EGRESS_ETIMEOUT] = { "timeout", "Timed out: connecting, waiting for the CONNECT reply, "
					 "or idle (--idle-timeout)." },
	[EGRESS_ETLS] = { "TLS with the proxy",
			  "TLS with an https:// proxy failed: certificate not trusted or for "
			  "another "
			  "name, pinned key mismatch, client certificate missing or refused, "
			  "handshake failure." },
};

const char *err_words(enum egress_err e)
{
	return (unsigned)e < EGRESS_ERR_COUNT ? table[e].words : "unknown error";
}

const char *err_meaning(enum egress_err e)
{
	return (unsigned)e < EGRESS_ERR_COUNT ? table[e].meaning : "unknown error";
}

bool err_vprintf(char *err, size_t errsz, const char *fmt, va_list ap)
{
	static const char cut[] = "...";
	int n = vsnprintf(err, errsz, fmt, ap);

	/* n < 0 is a conversion error: what was written, if anything, is not the sentence. */
	if ((n < 0 || (size_t)n >= errsz) && errsz >= sizeof(cut))
		memcpy(n < 0 ? err : err + errsz - sizeof(cut), cut, sizeof(cut));
	else if (n < 0 && errsz)
		err[0] = '\0';
	return false;
}

bool err_printf(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vprintf(err, errsz, fmt, ap);
	va_end(ap);
	return false;
}
