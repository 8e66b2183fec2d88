/* Proxy URL parsing. The userinfo is percent-decoded into owned copies, and every
 * scratch copy that may hold a password is wiped. */
#include "proxy_url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "log.h"
#include "values.h"

static const struct {
	const char *name;
	enum proxy_scheme scheme;
	const char *default_port; /* http: what corporate proxies use; SOCKS: its own */
} schemes[] = {
	{ "http", PROXY_HTTP, "8080" },	    { "https", PROXY_HTTPS, "443" },
	{ "socks4", PROXY_SOCKS4, "1080" }, { "socks4a", PROXY_SOCKS4A, "1080" },
	{ "socks5", PROXY_SOCKS5, "1080" }, { "socks5h", PROXY_SOCKS5H, "1080" },
};

#define NSCHEMES (sizeof(schemes) / sizeof(schemes[0]))

const char *proxy_scheme_name(enum proxy_scheme s)
{
	for (size_t i = 0; i < NSCHEMES; i++)
		if (schemes[i].scheme == s)
			return schemes[i].name;
	return "?";
}

bool proxy_scheme_is_http(enum proxy_scheme s)
{
	return s == PROXY_HTTP || s == PROXY_HTTPS;
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

/* Whether the len bytes at s have a scheme's shape (RFC 3986: a letter, then letters,
 * digits, "+", "-", "."; short). Text of any other shape before "://" may be anything
 * the user typed there, a password included ("alice:S3cr3t://..."): never shown. */
static bool scheme_shaped(const char *s, size_t len)
{
	if (len == 0 || len > 15 || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("+-.", s[i]))
			return false;
	return true;
}

/* The URL as an error message may show it: the userinfo as "***", and a scheme that
 * is not shaped like one as "***" too. */
static void url_shown(const char *buf, char *q, size_t qsz)
{
	const char *at = strrchr(buf, '@'), *sep = strstr(buf, "://");
	bool hide_scheme = sep && !scheme_shaped(buf, (size_t)(sep - buf));
	char rest[96];

	if (at && (!sep || sep < at || hide_scheme)) {
		size_t pre = sep && sep < at && !hide_scheme ? (size_t)(sep + 3 - buf) : 0;
		log_escape_str(rest, sizeof(rest), at + 1, 64);
		err_printf(q, qsz, "%.*s***@%s", (int)pre, buf, rest);
	} else if (hide_scheme) {
		log_escape_str(rest, sizeof(rest), sep + 3, 64);
		err_printf(q, qsz, "***://%s", rest);
	} else {
		log_escape_str(q, qsz, buf, 64);
	}
}

/* The scheme before "://" in buf as an index in schemes[] (http when there is none);
 * *auth is set to what follows it. NSCHEMES with err set when it is not one. */
static size_t scheme_of(const char *buf, const char **auth, const char *q, char *err, size_t errsz)
{
	const char *sep = strstr(buf, "://");
	char scheme[16], qs[64];
	size_t sl, k;

	*auth = buf;
	if (!sep)
		return 0;
	sl = (size_t)(sep - buf);
	if (!scheme_shaped(buf, sl)) {
		err_printf(err, errsz,
			   "invalid proxy URL \"%s\": what comes before \"://\" is not a scheme",
			   q);
		return NSCHEMES;
	}
	memcpy(scheme, buf, sl);
	scheme[sl] = '\0';
	for (k = 0; k < NSCHEMES; k++)
		if (strcasecmp(scheme, schemes[k].name) == 0)
			break;
	if (k == NSCHEMES)
		err_printf(err, errsz, "invalid proxy URL \"%s\": unsupported scheme \"%s\"", q,
			   log_escape(qs, sizeof(qs), scheme, sl));
	*auth = sep + 3;
	return k;
}

/* The USER[:PASS]@ of auth (up to at) into p, percent-decoded; false for a control
 * character in either (%0D%0A would write a header line of its own). */
static bool take_userinfo(const char *auth, const char *at, struct proxy_spec *p)
{
	const char *colon = memchr(auth, ':', (size_t)(at - auth));
	size_t ul = colon ? (size_t)(colon - auth) : (size_t)(at - auth);
	p->user = pct_decode(auth, ul);
	if (colon)
		p->pass = pct_decode(colon + 1, (size_t)(at - colon - 1));
	if (!p->user || (colon && !p->pass) || !*p->user || has_control(p->user) ||
	    (p->pass && has_control(p->pass))) {
		spec_clear(p);
		return false;
	}
	return true;
}

/* Parses one proxy URL held in buf, which it may modify. */
static bool parse_proxy_buf(char *buf, struct proxy_spec *p, char *err, size_t errsz)
{
	char q[128];
	const char *auth, *at, *host, *port;
	size_t hostlen, k;

	memset(p, 0, sizeof(*p));
	/* Never echo credentials back. */
	url_shown(buf, q, sizeof(q));
	k = scheme_of(buf, &auth, q, err, errsz);
	if (k == NSCHEMES)
		return false;
	p->scheme = schemes[k].scheme;

	/* Only an empty path ("/") may follow the authority. */
	size_t alen = strcspn(auth, "/?#");
	if (auth[alen] && strcmp(auth + alen, "/") != 0)
		return err_printf(err, errsz, "invalid proxy URL \"%s\": a path is not allowed", q);
	buf[auth - buf + alen] = '\0';

	at = strrchr(auth, '@');
	if (at && !take_userinfo(auth, at, p))
		return err_printf(err, errsz,
				  "invalid proxy URL \"%s\": bad user name or password "
				  "(%%XX for special characters; no control characters)",
				  q);
	host = at ? at + 1 : auth;
	if (!endpoint_split(host, &host, &hostlen, &port, err, errsz)) {
		spec_clear(p);
		return false;
	}
	if (hostlen == 0) {
		spec_clear(p);
		return err_printf(err, errsz, "invalid proxy URL \"%s\": no host", q);
	}
	if (!endpoint_set(&p->addr, host, hostlen, port ? port : schemes[k].default_port, err,
			  errsz)) {
		char inner[ERR_MAX];
		err_printf(inner, sizeof(inner), "%s", err);
		spec_clear(p);
		return err_printf(err, errsz, "invalid proxy URL \"%s\": %s", q, inner);
	}
	return true;
}

/* Parses one proxy URL of len bytes; the scratch copy may hold a password: wipe it. */
static bool parse_proxy(const char *s, size_t len, struct proxy_spec *p, char *err, size_t errsz)
{
	char buf[1024];
	bool ok;

	if (len >= sizeof(buf))
		return err_printf(err, errsz, "invalid proxy URL: longer than %zu bytes",
				  sizeof(buf) - 1);
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
		return err_printf(err, errsz, "out of memory");

	for (const char *c = s;;) {
		size_t len = strcspn(c, ",");
		const char *b = c, *e = c + len;
		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		if (b == e) {
			proxy_list_free(out);
			return err_printf(err, errsz, "invalid proxy list: empty entry");
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
