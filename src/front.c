/* The -D front: SOCKS4, SOCKS4a, SOCKS5 and HTTP CONNECT requests from a local client.
 *
 * Theory of operation. The caller keeps every byte not yet consumed and hands all of
 * them over on each call, so the parsers keep no partial state: each call reads the
 * request from its first byte again, looks at a field only once all of it is there,
 * and decides only on bytes that later bytes cannot change. Any prefix of a good
 * request is therefore FRONT_MORE, and what follows a request is never touched.
 *   - The first byte picks the protocol (struct front's proto), once.
 *   - SOCKS5 has two messages: the greeting is answered with FRONT_SEND and consumed,
 *     then struct front's greeted says the next bytes are the request.
 *   - HTTP is decided when the header block's empty line has come, except that a
 *     request line that is not HTTP at all, or a block that cannot end within
 *     FRONT_REQUEST_MAX, is refused as soon as that is known. */
#include "front.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* HTTP error bodies are one line of at most this many bytes (and a "\n"). The longest
 * status line and headers take 130 bytes. */
#define BODY_MAX 256
_Static_assert(160 + BODY_MAX + 1 <= FRONT_REPLY_MAX, "FRONT_REPLY_MAX holds an HTTP error");

/* A SOCKS user id or host name: at most 255 bytes and its NUL. */
#define SOCKS_STR_MAX 255

enum {
	SOCKS4_GRANTED = 0x5A,
	SOCKS4_FAILED = 0x5B,
};

enum {
	SOCKS5_SUCCEEDED = 0x00,
	SOCKS5_FAILURE = 0x01,
	SOCKS5_NOT_ALLOWED = 0x02,
	SOCKS5_HOST_UNREACHABLE = 0x04,
	SOCKS5_REFUSED = 0x05,
	SOCKS5_TTL_EXPIRED = 0x06,
	SOCKS5_BAD_COMMAND = 0x07,
	SOCKS5_BAD_ADDRESS = 0x08,
	SOCKS5_NO_METHOD = 0xFF,
};

enum { SOCKS_CONNECT = 1, SOCKS_BIND = 2, SOCKS5_UDP = 3 };
enum { SOCKS5_IPV4 = 1, SOCKS5_DOMAIN = 3, SOCKS5_IPV6 = 4 };

/* One front_parse call: its input, and what it hands back. */
struct call {
	const unsigned char *in;
	size_t len;
	size_t used;
	unsigned char *out;
	size_t outsz;
	size_t outlen;
	struct endpoint *target;
	char *why;
	size_t whysz;
};

/* "METHOD TARGET VERSION", pointing into the input. */
struct request_line {
	const unsigned char *method, *target, *version;
	size_t mlen, tlen, vlen;
};

void front_init(struct front *f)
{
	f->proto = FRONT_UNKNOWN;
	f->greeted = false;
}

const char *front_proto_name(enum front_proto p)
{
	switch (p) {
	case FRONT_SOCKS4:
		return "SOCKS4";
	case FRONT_SOCKS4A:
		return "SOCKS4a";
	case FRONT_SOCKS5:
		return "SOCKS5";
	case FRONT_HTTP:
		return "HTTP";
	case FRONT_UNKNOWN:
		break;
	}
	return "unknown";
}

/* Client bytes as text for why: printable ASCII as it is, anything else (and \ and ",
 * so that the quoting stays unambiguous) as \xNN; at most max bytes of s, then "...".
 * buf holds at least 8 bytes. Returns buf. */
static const char *escape(char *buf, size_t bufsz, const void *s, size_t n, size_t max)
{
	const unsigned char *p = s;
	size_t o = 0, i;

	/* Room for one escape, then "..." and the NUL, before each byte. */
	for (i = 0; i < n && i < max && o + 8 <= bufsz; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' && p[i] != '"')
			buf[o++] = (char)p[i];
		else
			o += (size_t)snprintf(buf + o, bufsz - o, "\\x%02X", p[i]);
	}
	if (i < n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static void say(struct call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Says in why what was wrong. */
static void say(struct call *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vprintf(c->why, c->whysz, fmt, ap);
	va_end(ap);
}

/* Ends the talk with outlen bytes of reply already in out (maybe none); why is said. */
static enum front_step refuse(struct call *c, size_t outlen)
{
	c->outlen = outlen;
	return FRONT_REFUSE;
}

/* Copies the n bytes of b to out; returns n, or 0 (nothing written) if they do not fit. */
static size_t put(unsigned char *out, size_t outsz, const void *b, size_t n)
{
	if (n > outsz)
		return 0;
	memcpy(out, b, n);
	return n;
}

/* 00 CD and six zero bytes: a SOCKS4 server need not say which address it bound. */
static size_t socks4_reply(unsigned char *out, size_t outsz, unsigned char code)
{
	const unsigned char r[8] = { 0x00, code };
	return put(out, outsz, r, sizeof(r));
}

/* 05 REP 00, then the bound address as IPv4 0.0.0.0:0: clients have no use for it. */
static size_t socks5_reply(unsigned char *out, size_t outsz, unsigned char code)
{
	const unsigned char r[10] = { 0x05, code, 0x00, SOCKS5_IPV4 };
	return put(out, outsz, r, sizeof(r));
}

static unsigned char socks5_code(enum egress_err e)
{
	switch (e) {
	case EGRESS_OK:
		return SOCKS5_SUCCEEDED;
	case EGRESS_EAUTH:
		return SOCKS5_NOT_ALLOWED;
	case EGRESS_EREFUSED:
		return SOCKS5_REFUSED;
	case EGRESS_EUNREACH:
		return SOCKS5_HOST_UNREACHABLE;
	case EGRESS_ETIMEOUT:
		return SOCKS5_TTL_EXPIRED;
	default:
		return SOCKS5_FAILURE;
	}
}

/* The words for a command code a client may try instead of CONNECT. */
static const char *socks_cmd_name(unsigned cmd, bool socks5)
{
	if (cmd == SOCKS_BIND)
		return " (BIND)";
	if (cmd == SOCKS5_UDP && socks5)
		return " (UDP ASSOCIATE)";
	return "";
}

/* body as one line into buf (size BODY_MAX + 2): control bytes become spaces and bytes
 * past ASCII '?', so nothing can end the line or the header block early. Returns the
 * length with its "\n". */
static size_t body_line(char *buf, const char *body)
{
	size_t n, len = strnlen(body, BODY_MAX);

	for (n = 0; n < len; n++) {
		unsigned char ch = (unsigned char)body[n];
		buf[n] = (char)(ch < 0x20 || ch == 0x7f ? ' ' : ch >= 0x80 ? '?' : ch);
	}
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}

/* An HTTP error: status ("400 Bad Request"), extra header lines (each with its CRLF)
 * and body as a one-line text/plain body. Returns its length, 0 if it does not fit. */
static size_t http_error(unsigned char *out, size_t outsz, const char *status, const char *extra,
			 const char *body)
{
	char line[BODY_MAX + 2];
	size_t n = body_line(line, body);
	int r = snprintf((char *)out, outsz,
			 "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%s"
			 "Connection: close\r\n\r\n%s",
			 status, n, extra, line);

	return r > 0 && (size_t)r < outsz ? (size_t)r : 0;
}

static size_t http_reply(enum egress_err e, const char *reason, unsigned char *out, size_t outsz)
{
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";

	if (e == EGRESS_OK)
		return put(out, outsz, ok, sizeof(ok) - 1);
	if (!reason || !*reason)
		reason = err_words(e);
	return http_error(out, outsz,
			  e == EGRESS_ETIMEOUT ? "504 Gateway Timeout" : "502 Bad Gateway", "",
			  reason);
}

size_t front_reply(const struct front *f, enum egress_err e, const char *reason, unsigned char *out,
		   size_t outsz)
{
	switch (f->proto) {
	case FRONT_SOCKS4:
	case FRONT_SOCKS4A:
		return socks4_reply(out, outsz, e == EGRESS_OK ? SOCKS4_GRANTED : SOCKS4_FAILED);
	case FRONT_SOCKS5:
		return socks5_reply(out, outsz, socks5_code(e));
	case FRONT_HTTP:
		return http_reply(e, reason, out, outsz);
	case FRONT_UNKNOWN:
		break;
	}
	return 0;
}

/* Hands host (len bytes, not NUL-terminated, maybe holding NULs) and port to the caller
 * if endpoint_set takes them; else why says "<proto>: <what is wrong>". */
static bool set_target(struct call *c, const char *proto, const char *host, size_t len,
		       const char *port)
{
	struct endpoint e;
	char err[ERR_MAX];

	if (!endpoint_set(&e, host, len, port, err, sizeof(err))) {
		say(c, "%s: %s", proto, err);
		return false;
	}
	*c->target = e;
	return true;
}

/* The 16-bit port at in as the text endpoint_set takes. */
static const char *port_text(char buf[8], const unsigned char *in)
{
	(void)snprintf(buf, 8, "%u", (unsigned)in[0] << 8 | in[1]); /* 5 digits at most */
	return buf;
}

enum field { FIELD_MORE, FIELD_OK, FIELD_LONG };

/* A SOCKS string from offset from (<= c->len) to its NUL, at most SOCKS_STR_MAX bytes;
 * on FIELD_OK *end is the offset just past the NUL. */
static enum field nul_field(const struct call *c, size_t from, size_t *end)
{
	size_t avail = c->len - from;
	const unsigned char *z =
		memchr(c->in + from, 0, avail < SOCKS_STR_MAX + 1 ? avail : SOCKS_STR_MAX + 1);

	if (z) {
		*end = (size_t)(z - c->in) + 1;
		return FIELD_OK;
	}
	return avail > SOCKS_STR_MAX ? FIELD_LONG : FIELD_MORE;
}

/* SOCKS4's target once the user id ends at from: DSTIP, or SOCKS4a's host name. */
static enum front_step socks4_target(struct front *f, struct call *c, size_t from)
{
	const unsigned char *in = c->in;
	const char *name = front_proto_name(f->proto);
	char port[8], addr[INET_ADDRSTRLEN];
	size_t end = from;
	bool ok;

	if (f->proto == FRONT_SOCKS4A) {
		switch (nul_field(c, from, &end)) {
		case FIELD_MORE:
			return FRONT_MORE;
		case FIELD_LONG:
			say(c, "SOCKS4a: host name longer than %d bytes", SOCKS_STR_MAX);
			return refuse(c, socks4_reply(c->out, c->outsz, SOCKS4_FAILED));
		case FIELD_OK:
			break;
		}
		ok = set_target(c, name, (const char *)in + from, end - from - 1,
				port_text(port, in + 2));
	} else {
		inet_ntop(AF_INET, in + 4, addr, sizeof(addr));
		ok = set_target(c, name, addr, strlen(addr), port_text(port, in + 2));
	}
	if (!ok)
		return refuse(c, socks4_reply(c->out, c->outsz, SOCKS4_FAILED));
	c->used = end;
	return FRONT_TARGET;
}

/* VN=4 CD DSTPORT(2) DSTIP(4) USERID NUL [HOST NUL when DSTIP is 0.0.0.x, x != 0]. */
static enum front_step socks4(struct front *f, struct call *c)
{
	const unsigned char *in = c->in;
	size_t user_end = 0;

	if (c->len < 2)
		return FRONT_MORE;
	if (in[1] != SOCKS_CONNECT) {
		say(c, "SOCKS4: command %u%s not supported", in[1], socks_cmd_name(in[1], false));
		return refuse(c, socks4_reply(c->out, c->outsz, SOCKS4_FAILED));
	}
	if (c->len < 8)
		return FRONT_MORE;
	if (in[4] == 0 && in[5] == 0 && in[6] == 0 && in[7] != 0)
		f->proto = FRONT_SOCKS4A;
	switch (nul_field(c, 8, &user_end)) {
	case FIELD_MORE:
		return FRONT_MORE;
	case FIELD_LONG:
		say(c, "%s: user id longer than %d bytes", front_proto_name(f->proto),
		    SOCKS_STR_MAX);
		return refuse(c, socks4_reply(c->out, c->outsz, SOCKS4_FAILED));
	case FIELD_OK:
		break;
	}
	return socks4_target(f, c, user_end);
}

/* 05 NMETHODS METHODS: egress offers only 00, no authentication. */
static enum front_step socks5_greeting(struct front *f, struct call *c)
{
	static const unsigned char choice[2] = { 0x05, 0x00 };
	static const unsigned char none[2] = { 0x05, SOCKS5_NO_METHOD };
	size_t n;

	if (c->len < 2)
		return FRONT_MORE;
	n = c->in[1];
	if (c->len < 2 + n)
		return FRONT_MORE;
	if (!memchr(c->in + 2, 0x00, n)) {
		say(c, "SOCKS5: the client does not offer method 00 (no authentication)");
		return refuse(c, put(c->out, c->outsz, none, sizeof(none)));
	}
	f->greeted = true;
	c->used = 2 + n;
	c->outlen = put(c->out, c->outsz, choice, sizeof(choice));
	return FRONT_SEND;
}

/* The address of a whole request of len bytes (ATYP at 3, the port in its last two). */
static enum front_step socks5_target(struct call *c, size_t len)
{
	const unsigned char *in = c->in;
	char port[8], addr[INET6_ADDRSTRLEN];
	const char *host = addr;
	size_t hostlen;

	if (in[3] == SOCKS5_DOMAIN) {
		host = (const char *)in + 5;
		hostlen = in[4];
	} else {
		inet_ntop(in[3] == SOCKS5_IPV6 ? AF_INET6 : AF_INET, in + 4, addr, sizeof(addr));
		hostlen = strlen(addr);
	}
	if (!set_target(c, "SOCKS5", host, hostlen, port_text(port, in + len - 2)))
		return refuse(c, socks5_reply(c->out, c->outsz, SOCKS5_FAILURE));
	c->used = len;
	return FRONT_TARGET;
}

/* 05 CMD 00 ATYP ADDR PORT(2). */
static enum front_step socks5_request(struct call *c)
{
	const unsigned char *in = c->in;
	size_t len;

	if (in[0] != 0x05) {
		/* Not SOCKS5 any more: a reply in SOCKS5's words would not be understood. */
		say(c, "SOCKS5: request version %u, not 5", in[0]);
		return refuse(c, 0);
	}
	if (c->len < 2)
		return FRONT_MORE;
	if (in[1] != SOCKS_CONNECT) {
		say(c, "SOCKS5: command %u%s not supported", in[1], socks_cmd_name(in[1], true));
		return refuse(c, socks5_reply(c->out, c->outsz, SOCKS5_BAD_COMMAND));
	}
	if (c->len < 4)
		return FRONT_MORE;
	switch (in[3]) {
	case SOCKS5_IPV4:
		len = 4 + 4 + 2;
		break;
	case SOCKS5_IPV6:
		len = 4 + 16 + 2;
		break;
	case SOCKS5_DOMAIN:
		if (c->len < 5)
			return FRONT_MORE;
		len = 5 + (size_t)in[4] + 2;
		break;
	default:
		say(c, "SOCKS5: address type %u not supported", in[3]);
		return refuse(c, socks5_reply(c->out, c->outsz, SOCKS5_BAD_ADDRESS));
	}
	if (c->len < len)
		return FRONT_MORE;
	return socks5_target(c, len);
}

/* Offset just past the LF of the line that starts at from, looking at the first lim
 * bytes only; 0 while it has not come. */
static size_t line_end(const unsigned char *in, size_t lim, size_t from)
{
	const unsigned char *lf = memchr(in + from, '\n', lim - from);
	return lf ? (size_t)(lf - in) + 1 : 0;
}

/* Offset just past the empty line (LF or CR LF) that ends the header block, looking at
 * the first lim bytes only; 0 while it has not come. */
static size_t header_end(const unsigned char *in, size_t lim)
{
	size_t at = line_end(in, lim, 0), next;

	while (at && (next = line_end(in, lim, at))) {
		if (next - at == 1 || (next - at == 2 && in[at] == '\r'))
			return next;
		at = next;
	}
	return 0;
}

/* Splits s (n bytes, without its line end) into "METHOD SP TARGET SP VERSION", each part
 * non-empty and printable ASCII; false if the line is not that shape. */
static bool split_request_line(const unsigned char *s, size_t n, struct request_line *r)
{
	const unsigned char *sp1, *sp2;

	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] >= 0x7f)
			return false;
	sp1 = memchr(s, ' ', n);
	if (!sp1)
		return false;
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - s));
	if (!sp2 || memchr(sp2 + 1, ' ', n - (size_t)(sp2 + 1 - s)))
		return false;
	r->method = s;
	r->mlen = (size_t)(sp1 - s);
	r->target = sp1 + 1;
	r->tlen = (size_t)(sp2 - r->target);
	r->version = sp2 + 1;
	r->vlen = n - (size_t)(r->version - s);
	return r->mlen && r->tlen && r->vlen;
}

static bool is_text(const unsigned char *s, size_t n, const char *text)
{
	return n == strlen(text) && !memcmp(s, text, n);
}

/* Reads the request line that ends at end (offset past its LF); false with why said if
 * it is not a CONNECT-able HTTP/1.x request line. */
static bool http_request_line(struct call *c, size_t end, struct request_line *r)
{
	char q[80];
	size_t n = end - 1;

	if (n && c->in[n - 1] == '\r')
		n--;
	if (!split_request_line(c->in, n, r)) {
		say(c, "HTTP: malformed request line \"%s\"", escape(q, sizeof(q), c->in, n, 48));
		return false;
	}
	if (!is_text(r->version, r->vlen, "HTTP/1.1") &&
	    !is_text(r->version, r->vlen, "HTTP/1.0")) {
		say(c, "HTTP: version \"%s\" not supported (HTTP/1.0 or HTTP/1.1)",
		    escape(q, sizeof(q), r->version, r->vlen, 16));
		return false;
	}
	return true;
}

/* CONNECT's authority, host:port or [v6]:port, to the caller's target; false with why
 * said if it is not one. */
static bool http_target(struct call *c, const struct request_line *r)
{
	char s[HOST_MAX + 16], q[80], err[ERR_MAX];
	const char *host, *port;
	size_t hostlen;

	if (r->tlen >= sizeof(s)) {
		say(c, "HTTP: target \"%s\" longer than %zu bytes",
		    escape(q, sizeof(q), r->target, r->tlen, 48), sizeof(s) - 1);
		return false;
	}
	memcpy(s, r->target, r->tlen);
	s[r->tlen] = '\0';
	if (!endpoint_split(s, &host, &hostlen, &port, err, sizeof(err))) {
		say(c, "HTTP: %s", err);
		return false;
	}
	if (!port) {
		say(c, "HTTP: missing port in \"%s\" (CONNECT host:port)",
		    escape(q, sizeof(q), s, r->tlen, 48));
		return false;
	}
	return set_target(c, "HTTP", host, hostlen, port);
}

/* A 400 or 431 whose body is why: the client's user sees what was wrong. */
static enum front_step http_refuse(struct call *c, const char *status)
{
	return refuse(c, http_error(c->out, c->outsz, status, "", c->why));
}

static enum front_step http_too_large(struct call *c)
{
	say(c, "HTTP: request header block longer than %d bytes", FRONT_REQUEST_MAX);
	return http_refuse(c, "431 Request Header Fields Too Large");
}

/* "CONNECT host:port HTTP/1.x", header lines, an empty line; LF or CR LF. */
static enum front_step http(struct call *c)
{
	size_t lim = c->len < FRONT_REQUEST_MAX ? c->len : FRONT_REQUEST_MAX;
	size_t first = line_end(c->in, lim, 0), end;
	struct request_line r;
	char q[80];

	if (!first)
		return c->len >= FRONT_REQUEST_MAX ? http_too_large(c) : FRONT_MORE;
	/* Refused at once: whoever sent a line like this is not sending headers next. */
	if (!http_request_line(c, first, &r))
		return http_refuse(c, "400 Bad Request");
	end = header_end(c->in, lim);
	if (!end)
		return c->len >= FRONT_REQUEST_MAX ? http_too_large(c) : FRONT_MORE;
	if (!is_text(r.method, r.mlen, "CONNECT")) {
		say(c, "HTTP: method %s, not CONNECT", escape(q, sizeof(q), r.method, r.mlen, 32));
		return refuse(c, http_error(c->out, c->outsz, "405 Method Not Allowed",
					    "Allow: CONNECT\r\n",
					    "This port only tunnels (CONNECT host:port); it does "
					    "not fetch pages."));
	}
	if (!http_target(c, &r))
		return http_refuse(c, "400 Bad Request");
	c->used = end;
	return FRONT_TARGET;
}

static enum front_proto classify(unsigned char first)
{
	if (first == 0x04)
		return FRONT_SOCKS4;
	if (first == 0x05)
		return FRONT_SOCKS5;
	if ((first >= 'A' && first <= 'Z') || (first >= 'a' && first <= 'z'))
		return FRONT_HTTP;
	return FRONT_UNKNOWN;
}

static enum front_step dispatch(struct front *f, struct call *c)
{
	/* No protocol decides anything on no bytes. */
	if (c->len == 0)
		return FRONT_MORE;
	if (f->proto == FRONT_UNKNOWN)
		f->proto = classify(c->in[0]);
	switch (f->proto) {
	case FRONT_SOCKS4:
	case FRONT_SOCKS4A:
		return socks4(f, c);
	case FRONT_SOCKS5:
		return f->greeted ? socks5_request(c) : socks5_greeting(f, c);
	case FRONT_HTTP:
		return http(c);
	case FRONT_UNKNOWN:
		break;
	}
	/* No reply: there is no telling what the client would understand. */
	say(c, "first byte 0x%02X is not SOCKS4 (0x04), SOCKS5 (0x05) or HTTP", c->in[0]);
	return refuse(c, 0);
}

enum front_step front_parse(struct front *f, const unsigned char *in, size_t len, size_t *used,
			    unsigned char *out, size_t outsz, size_t *outlen,
			    struct endpoint *target, char *why, size_t whysz)
{
	struct call c = {
		.in = in,
		.len = len,
		.out = out,
		.outsz = outsz,
		.target = target,
		.why = why,
		.whysz = whysz,
	};
	enum front_step step;

	if (whysz)
		why[0] = '\0';
	step = dispatch(f, &c);
	*used = c.used;
	*outlen = c.outlen;
	return step;
}
