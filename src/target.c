/* HOST/PORT, proxy URL, header and duration parsing. Anything accepted here is put on
 * the wire verbatim, so the rules are strict and every refusal names the bad value. */
#include "target.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

static const struct {
	const char *name;
	enum proxy_scheme scheme;
	const char *default_port; /* http: what corporate proxies use; SOCKS: its own */
} schemes[] = {
	{ "http", PROXY_HTTP, "8080" },
	{ "https", PROXY_HTTPS, "443" },
	{ "socks4", PROXY_SOCKS4, "1080" },
	{ "socks4a", PROXY_SOCKS4A, "1080" },
	{ "socks5", PROXY_SOCKS5, "1080" },
	{ "socks5h", PROXY_SOCKS5H, "1080" },
};

const char *proxy_scheme_name(enum proxy_scheme s)
{
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (schemes[i].scheme == s)
			return schemes[i].name;
	return "?";
}

static bool fail(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return false;
}

/* Quoted, escaped copy of untrusted text for an error message. */
static const char *shown(char *buf, size_t bufsz, const char *s, size_t n)
{
	return log_escape(buf, bufsz, s, strnlen(s, n));
}

bool parse_port(const char *s, uint16_t *port, char *err, size_t errsz)
{
	char q[64];
	unsigned long v = 0;
	size_t i;

	for (i = 0; s[i]; i++) {
		if (!isdigit((unsigned char)s[i]) || i >= 5)
			break;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (i == 0 || s[i] || v < 1 || v > 65535)
		return fail(err, errsz, "invalid port \"%s\" (must be 1..65535)",
			    shown(q, sizeof(q), s, 32));
	*port = (uint16_t)v;
	return true;
}

static bool is_host_byte(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_';
}

bool check_host(const char *host, char *err, size_t errsz)
{
	char q[HOST_MAX * 4 + 8];
	size_t len = strlen(host);

	shown(q, sizeof(q), host, 64);
	if (len == 0)
		return fail(err, errsz, "invalid host: empty");
	if (len > HOST_MAX)
		return fail(err, errsz, "invalid host \"%s...\": longer than %d bytes", q, HOST_MAX);
	if (strchr(host, ':')) {
		unsigned char a[16];
		if (inet_pton(AF_INET6, host, a) != 1)
			return fail(err, errsz, "invalid host \"%s\": not an IPv6 address", q);
		return true;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)host[i];
		if (is_host_byte(c))
			continue;
		if (c == ' ')
			return fail(err, errsz, "invalid host \"%s\": space not allowed", q);
		/* libcurl's URL parser refuses raw UTF-8 hosts; the ASCII form always works. */
		if (c >= 0x80)
			return fail(err, errsz, "invalid host \"%s\": not ASCII (write an "
				    "international name in its xn-- form)", q);
		if (c < 0x20 || c == 0x7f)
			return fail(err, errsz, "invalid host \"%s\": control byte 0x%02X not allowed",
				    q, c);
		return fail(err, errsz, "invalid host \"%s\": character '%c' not allowed", q, c);
	}
	return true;
}

/* Fills e from a host of len bytes (brackets already removed) and a port string. */
static bool set_endpoint(struct endpoint *e, const char *host, size_t len, const char *port,
			 char *err, size_t errsz)
{
	char q[64];
	if (len > HOST_MAX)
		return fail(err, errsz, "invalid host \"%s...\": longer than %d bytes",
			    shown(q, sizeof(q), host, 48), HOST_MAX);
	memcpy(e->host, host, len);
	e->host[len] = '\0';
	if (memchr(host, '\0', len))
		return fail(err, errsz, "invalid host: NUL byte not allowed");
	if (!check_host(e->host, err, errsz))
		return false;
	e->ipv6 = strchr(e->host, ':') != NULL;
	return parse_port(port, &e->port, err, errsz);
}

/* Splits "[v6]:port" or "host:port" in place semantics, without modifying s. */
static bool split_host_port(const char *s, const char **host, size_t *hostlen,
			    const char **port, char *err, size_t errsz)
{
	char q[64];
	const char *colon;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close)
			return fail(err, errsz, "invalid address \"%s\": missing ']'",
				    shown(q, sizeof(q), s, 48));
		*host = s + 1;
		*hostlen = (size_t)(close - s - 1);
		if (close[1] == '\0') {
			*port = NULL;
			return true;
		}
		if (close[1] != ':')
			return fail(err, errsz, "invalid address \"%s\": expected ':' after ']'",
				    shown(q, sizeof(q), s, 48));
		*port = close + 2;
		return true;
	}
	colon = strchr(s, ':');
	if (colon && strchr(colon + 1, ':'))
		return fail(err, errsz,
			    "invalid address \"%s\": an IPv6 address needs brackets, [ADDR]:PORT",
			    shown(q, sizeof(q), s, 48));
	*host = s;
	*hostlen = colon ? (size_t)(colon - s) : strlen(s);
	*port = colon ? colon + 1 : NULL;
	return true;
}

bool parse_target(int argc, char *const *argv, struct endpoint *out, char *err, size_t errsz)
{
	const char *host, *port;
	size_t hostlen;

	if (argc == 2) {
		host = argv[0];
		hostlen = strlen(host);
		if (hostlen >= 2 && host[0] == '[' && host[hostlen - 1] == ']') {
			host++;
			hostlen -= 2;
		}
		return set_endpoint(out, host, hostlen, argv[1], err, errsz);
	}
	if (!split_host_port(argv[0], &host, &hostlen, &port, err, errsz))
		return false;
	if (!port) {
		char q[64];
		return fail(err, errsz, "missing port in \"%s\" (use HOST PORT or HOST:PORT)",
			    shown(q, sizeof(q), argv[0], 48));
	}
	return set_endpoint(out, host, hostlen, port, err, errsz);
}

bool parse_secs(const char *s, long *ms, char *err, size_t errsz)
{
	char q[64];
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	/* strtod also takes hex, inf and nan: only plain decimals are durations here. */
	if (!*s || *end || errno || !isdigit((unsigned char)s[0]) || strpbrk(s, "xXnN") ||
	    !(v > 0) || v > 2000000.0)
		return fail(err, errsz, "invalid duration \"%s\" (seconds, > 0, e.g. 30 or 0.5)",
			    shown(q, sizeof(q), s, 32));
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

	shown(q, sizeof(q), h, 64);
	if (strpbrk(h, "\r\n"))
		return fail(err, errsz, "invalid header \"%s\": CR/LF not allowed", q);
	for (i = 0; is_tchar((unsigned char)h[i]); i++)
		;
	if (i == 0 || h[i] != ':')
		return fail(err, errsz, "invalid header \"%s\": expected \"Name: value\"", q);
	for (const char *p = h + i; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return fail(err, errsz, "invalid header \"%s\": control byte not allowed", q);
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes n bytes of s into a new string; NULL if malformed or it holds NUL. */
static char *pct_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t o = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
		int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			explicit_bzero(out, n + 1);
			free(out);
			return NULL;
		}
		out[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	out[o] = '\0';
	return out;
}

static void spec_clear(struct proxy_spec *p)
{
	if (p->pass) {
		explicit_bzero(p->pass, strlen(p->pass));
		free(p->pass);
	}
	free(p->user);
	p->user = p->pass = NULL;
}

/* Parses one proxy URL held in buf, which it may modify. */
static bool parse_proxy_buf(char *buf, struct proxy_spec *p, char *err, size_t errsz)
{
	char q[128];
	const char *sep, *auth, *at, *host, *port;
	size_t hostlen, k = 0; /* k: index in schemes[], http when none is given */

	memset(p, 0, sizeof(*p));
	/* Never echo credentials back: the userinfo is shown as "***". */
	at = strrchr(buf, '@');
	if (at) {
		char rest[96];
		sep = strstr(buf, "://");
		size_t pre = sep && sep < at ? (size_t)(sep + 3 - buf) : 0;
		shown(rest, sizeof(rest), at + 1, 64);
		snprintf(q, sizeof(q), "%.*s***@%s", (int)(pre < 16 ? pre : 16), buf, rest);
	} else {
		shown(q, sizeof(q), buf, 64);
	}

	sep = strstr(buf, "://");
	if (sep) {
		char scheme[16];
		size_t sl = (size_t)(sep - buf);
		if (sl == 0 || sl >= sizeof(scheme))
			return fail(err, errsz, "invalid proxy URL \"%s\": bad scheme", q);
		memcpy(scheme, buf, sl);
		scheme[sl] = '\0';
		for (k = 0; k < sizeof(schemes) / sizeof(schemes[0]); k++)
			if (strcasecmp(scheme, schemes[k].name) == 0)
				break;
		if (k == sizeof(schemes) / sizeof(schemes[0])) {
			char qs[64];
			return fail(err, errsz, "invalid proxy URL \"%s\": unsupported scheme \"%s\"",
				    q, shown(qs, sizeof(qs), scheme, sl));
		}
		auth = sep + 3;
	} else {
		auth = buf;
	}
	p->scheme = schemes[k].scheme;

	/* Only an empty path ("/") may follow the authority. */
	size_t alen = strcspn(auth, "/?#");
	if (auth[alen] && strcmp(auth + alen, "/") != 0)
		return fail(err, errsz, "invalid proxy URL \"%s\": a path is not allowed", q);
	buf[auth - buf + alen] = '\0';

	at = strrchr(auth, '@');
	if (at) {
		const char *colon = memchr(auth, ':', (size_t)(at - auth));
		size_t ul = colon ? (size_t)(colon - auth) : (size_t)(at - auth);
		p->user = pct_decode(auth, ul);
		if (colon)
			p->pass = pct_decode(colon + 1, (size_t)(at - colon - 1));
		if (!p->user || (colon && !p->pass) || !*p->user) {
			spec_clear(p);
			return fail(err, errsz, "invalid proxy URL \"%s\": bad user name or password "
				    "(use %%XX for special characters)", q);
		}
		host = at + 1;
	} else {
		host = auth;
	}
	if (!split_host_port(host, &host, &hostlen, &port, err, errsz)) {
		spec_clear(p);
		return false;
	}
	if (hostlen == 0) {
		spec_clear(p);
		return fail(err, errsz, "invalid proxy URL \"%s\": no host", q);
	}
	if (!set_endpoint(&p->addr, host, hostlen, port ? port : schemes[k].default_port, err, errsz)) {
		char inner[ERR_MAX];
		snprintf(inner, sizeof(inner), "%s", err);
		spec_clear(p);
		return fail(err, errsz, "invalid proxy URL \"%s\": %s", q, inner);
	}
	return true;
}

/* Parses one proxy URL of len bytes; the scratch copy may hold a password: wipe it. */
static bool parse_proxy(const char *s, size_t len, struct proxy_spec *p, char *err,
			size_t errsz)
{
	char buf[1024];
	bool ok;

	if (len >= sizeof(buf))
		return fail(err, errsz, "invalid proxy URL: longer than %zu bytes", sizeof(buf) - 1);
	memcpy(buf, s, len);
	buf[len] = '\0';
	ok = parse_proxy_buf(buf, p, err, errsz);
	explicit_bzero(buf, sizeof(buf));
	return ok;
}

bool parse_proxy_list(const char *s, struct proxy_list *out, char *err, size_t errsz)
{
	size_t n = 1;
	for (const char *c = s; *c; c++)
		n += *c == ',';
	out->v = calloc(n, sizeof(*out->v));
	out->n = 0;
	if (!out->v)
		return fail(err, errsz, "out of memory");

	for (const char *c = s;;) {
		size_t len = strcspn(c, ",");
		const char *b = c, *e = c + len;
		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		if (b == e) {
			proxy_list_free(out);
			return fail(err, errsz, "invalid proxy list: empty entry");
		}
		if (!parse_proxy(b, (size_t)(e - b), &out->v[out->n], err, errsz)) {
			proxy_list_free(out);
			return false;
		}
		out->n++;
		if (!c[len])
			break;
		c += len + 1;
	}
	return true;
}

void proxy_list_free(struct proxy_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		spec_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const char *endpoint_str(const struct endpoint *e, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, e->ipv6 ? "[%s]:%u" : "%s:%u", e->host, (unsigned)e->port);
	return buf;
}
