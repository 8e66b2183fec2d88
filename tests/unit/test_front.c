/* Unit tests for front.c: the -D front's SOCKS4, SOCKS4a, SOCKS5 and HTTP CONNECT
 * requests, fed whole, byte by byte and with tunnel bytes after them, every refusal
 * with its reply bytes, and the replies once the tunnel is open or has failed. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "endpoint.h"
#include "err.h"
#include "front.h"

static struct front f;
static unsigned char out[FRONT_REPLY_MAX];
static size_t used, outlen;
static struct endpoint tgt;
static char why[ERR_MAX];

/* One front_parse call on a front as the previous calls left it. */
static enum front_step feed(const void *in, size_t len)
{
	return front_parse(&f, in, len, &used, out, sizeof(out), &outlen, &tgt, why, sizeof(why));
}

/* A fresh front, then feed. */
static enum front_step first(const void *in, size_t len)
{
	front_init(&f);
	return feed(in, len);
}

static bool out_is(const void *bytes, size_t n)
{
	return outlen == n && !memcmp(out, bytes, n);
}

static bool out_ends(const char *s)
{
	size_t n = strlen(s);
	return outlen >= n && !memcmp(out + outlen - n, s, n);
}

static bool target_is(const char *host, unsigned port, bool ipv6)
{
	return !strcmp(tgt.host, host) && tgt.port == port && tgt.ipv6 == ipv6;
}

static bool why_printable(void)
{
	for (const char *p = why; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	return why[0] != '\0';
}

/* A client whose bytes arrive one at a time, fed to a fresh front as a caller would:
 * all unconsumed bytes each time, dropping what FRONT_SEND used and calling again.
 * True if every call says FRONT_MORE except a FRONT_SEND on byte send_at (1-based,
 * 0 for none) and FRONT_TARGET on the last byte, which uses all that is left. */
static bool trickle(const unsigned char *msg, size_t len, size_t send_at)
{
	size_t start = 0;

	front_init(&f);
	for (size_t n = 1; n <= len; n++) {
		enum front_step s = feed(msg + start, n - start);
		if (n == send_at) {
			if (s != FRONT_SEND || used != n - start)
				return false;
			start = n;
			s = feed(msg + start, 0);
		}
		if (n == len)
			return s == FRONT_TARGET && used == len - start && outlen == 0;
		if (s != FRONT_MORE || used != 0 || outlen != 0)
			return false;
	}
	return false;
}

static const unsigned char s4_fail[8] = { 0x00, 0x5B };

static void test_socks4(void)
{
	const unsigned char req[] = { 4, 1, 0, 80, 93, 184, 216, 34, 'b', 'o', 'b', 0, 'G', 'E' };
	/* clang-format off */
	const unsigned char req4a[] = { 4, 1, 0x01, 0xBB, 0, 0, 0, 1, 0,
					'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm', 0,
					'h', 'i' };
	/* clang-format on */
	const unsigned char bind[] = { 4, 2, 0, 80, 10, 0, 0, 1, 0 };
	const unsigned char port0[] = { 4, 1, 0, 0, 10, 0, 0, 1, 0 };
	const unsigned char ok[8] = { 0x00, 0x5A };
	unsigned char big[8 + 300];

	CHECK(first(req, sizeof(req)) == FRONT_TARGET && used == 12 && outlen == 0);
	CHECK(target_is("93.184.216.34", 80, false) && f.proto == FRONT_SOCKS4);
	CHECK(trickle(req, 12, 0) && target_is("93.184.216.34", 80, false));

	CHECK(first(req4a, sizeof(req4a)) == FRONT_TARGET && used == sizeof(req4a) - 2);
	CHECK(target_is("example.com", 443, false) && f.proto == FRONT_SOCKS4A);
	CHECK(!strcmp(front_proto_name(f.proto), "SOCKS4a"));
	CHECK(trickle(req4a, sizeof(req4a) - 2, 0) && target_is("example.com", 443, false));

	CHECK(first(bind, sizeof(bind)) == FRONT_REFUSE && out_is(s4_fail, 8));
	CHECK(strstr(why, "SOCKS4: command 2 (BIND) not supported") != NULL);
	CHECK(first(port0, sizeof(port0)) == FRONT_REFUSE && out_is(s4_fail, 8) &&
	      strstr(why, "port"));

	/* A user id of 255 bytes is the most; 256 without a NUL is refused. */
	memcpy(big, req, 8);
	memset(big + 8, 'u', sizeof(big) - 8);
	big[8 + 255] = 0;
	CHECK(first(big, 8 + 256) == FRONT_TARGET && used == 8 + 256);
	CHECK(first(big, 8 + 255) == FRONT_MORE);
	big[8 + 255] = 'u';
	CHECK(first(big, 8 + 256) == FRONT_REFUSE && out_is(s4_fail, 8) &&
	      strstr(why, "user id longer than 255"));

	/* SOCKS4a: the host name has the same limit, and must be a host. */
	memcpy(big, req4a, 9);
	memset(big + 9, 'h', sizeof(big) - 9);
	CHECK(first(big, 9 + 256) == FRONT_REFUSE && out_is(s4_fail, 8) &&
	      strstr(why, "SOCKS4a: host name longer than 255"));
	memcpy(big + 9, "a\rb", 4);
	CHECK(first(big, 13) == FRONT_REFUSE && out_is(s4_fail, 8) &&
	      strstr(why, "SOCKS4a: invalid host") && why_printable());

	CHECK(front_reply(&f, EGRESS_OK, NULL, out, sizeof(out)) == 8 && !memcmp(out, ok, 8));
	CHECK(front_reply(&f, EGRESS_EREFUSED, "no", out, sizeof(out)) == 8 &&
	      !memcmp(out, s4_fail, 8));
}

static const unsigned char s5_greet[] = { 5, 2, 2, 0 };
static const unsigned char s5_v4[] = { 5, 1, 0, 1, 10, 0, 0, 1, 0, 22 };
/* clang-format off */
static const unsigned char s5_name[] = { 5, 1, 0, 3, 11,
					 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm',
					 0x01, 0xBB };
static const unsigned char s5_v6[] = { 5, 1, 0, 4,
				       0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
				       0, 80 };
/* clang-format on */

/* A SOCKS5 front that has answered the greeting. */
static bool greeted(void)
{
	return first(s5_greet, sizeof(s5_greet)) == FRONT_SEND;
}

static bool s5_reply_is(unsigned char code)
{
	const unsigned char r[10] = { 5, code, 0, 1 };
	return out_is(r, sizeof(r));
}

static void test_socks5(void)
{
	const unsigned char choice[2] = { 5, 0 }, nomethod[2] = { 5, 0xFF };
	const unsigned char onlyauth[] = { 5, 1, 2 }, nomethods[] = { 5, 0 };
	unsigned char buf[64], msg[64];

	CHECK(first(s5_greet, sizeof(s5_greet)) == FRONT_SEND && used == 4 && out_is(choice, 2));
	CHECK(first(onlyauth, sizeof(onlyauth)) == FRONT_REFUSE && out_is(nomethod, 2));
	CHECK(first(nomethods, sizeof(nomethods)) == FRONT_REFUSE && out_is(nomethod, 2));

	CHECK(greeted() && feed(s5_v4, sizeof(s5_v4)) == FRONT_TARGET && used == 10 &&
	      outlen == 0 && target_is("10.0.0.1", 22, false));
	CHECK(greeted() && feed(s5_name, sizeof(s5_name)) == FRONT_TARGET &&
	      used == sizeof(s5_name) && target_is("example.com", 443, false));
	CHECK(greeted() && feed(s5_v6, sizeof(s5_v6)) == FRONT_TARGET && used == sizeof(s5_v6) &&
	      target_is("2001:db8::1", 80, true));
	CHECK(!strcmp(front_proto_name(f.proto), "SOCKS5"));

	/* Greeting, request and tunnel bytes in one read; then the same byte by byte. */
	memcpy(buf, s5_greet, 4);
	memcpy(buf + 4, s5_name, sizeof(s5_name));
	/* Bytes with their length, not a string.
	 * NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
	memcpy(buf + 4 + sizeof(s5_name), "SSH-", 4);
	CHECK(first(buf, 8 + sizeof(s5_name)) == FRONT_SEND && used == 4);
	CHECK(feed(buf + 4, 4 + sizeof(s5_name)) == FRONT_TARGET && used == sizeof(s5_name) &&
	      target_is("example.com", 443, false));
	CHECK(trickle(buf, 4 + sizeof(s5_name), 4) && target_is("example.com", 443, false));
	memcpy(buf + 4, s5_v4, sizeof(s5_v4));
	CHECK(trickle(buf, 4 + sizeof(s5_v4), 4) && target_is("10.0.0.1", 22, false));
	memcpy(buf + 4, s5_v6, sizeof(s5_v6));
	CHECK(trickle(buf, 4 + sizeof(s5_v6), 4) && target_is("2001:db8::1", 80, true));

	memcpy(msg, s5_v4, sizeof(s5_v4));
	msg[1] = 2;
	CHECK(greeted() && feed(msg, sizeof(s5_v4)) == FRONT_REFUSE && s5_reply_is(0x07) &&
	      !strcmp(why, "SOCKS5: command 2 (BIND) not supported"));
	msg[1] = 3;
	CHECK(greeted() && feed(msg, 2) == FRONT_REFUSE && s5_reply_is(0x07) &&
	      strstr(why, "command 3 (UDP ASSOCIATE)"));
	msg[1] = 1;
	msg[3] = 2;
	CHECK(greeted() && feed(msg, sizeof(s5_v4)) == FRONT_REFUSE && s5_reply_is(0x08) &&
	      strstr(why, "address type 2"));
	msg[0] = 4;
	CHECK(greeted() && feed(msg, sizeof(s5_v4)) == FRONT_REFUSE && outlen == 0 &&
	      strstr(why, "version 4"));

	/* A domain name: empty, with a bad byte, with a NUL. */
	memcpy(msg, s5_name, sizeof(s5_name));
	msg[4] = 0;
	CHECK(greeted() && feed(msg, 7) == FRONT_REFUSE && s5_reply_is(0x01) &&
	      strstr(why, "empty"));
	memcpy(msg, s5_name, sizeof(s5_name));
	msg[8] = '\n';
	CHECK(greeted() && feed(msg, sizeof(s5_name)) == FRONT_REFUSE && s5_reply_is(0x01) &&
	      strstr(why, "SOCKS5: invalid host") && why_printable());
	msg[8] = 0;
	CHECK(greeted() && feed(msg, sizeof(s5_name)) == FRONT_REFUSE && s5_reply_is(0x01) &&
	      strstr(why, "NUL"));
	memcpy(msg, s5_v4, sizeof(s5_v4));
	msg[9] = 0;
	CHECK(greeted() && feed(msg, sizeof(s5_v4)) == FRONT_REFUSE && s5_reply_is(0x01));
}

/* front_reply's SOCKS5 code for e. */
static bool s5_maps(enum egress_err e, unsigned char code)
{
	return greeted() && front_reply(&f, e, "why", out, sizeof(out)) == 10 &&
	       !memcmp(out, (const unsigned char[4]){ 5, code, 0, 1 }, 4) &&
	       !memcmp(out + 4, "\0\0\0\0\0\0", 6);
}

static void test_socks5_replies(void)
{
	CHECK(s5_maps(EGRESS_OK, 0x00));
	CHECK(s5_maps(EGRESS_EAUTH, 0x02));
	CHECK(s5_maps(EGRESS_EREFUSED, 0x05));
	CHECK(s5_maps(EGRESS_EUNREACH, 0x04));
	CHECK(s5_maps(EGRESS_ETIMEOUT, 0x06));
	CHECK(s5_maps(EGRESS_EIO, 0x01));
	CHECK(s5_maps(EGRESS_ETLS, 0x01));
	CHECK(s5_maps(EGRESS_EUSAGE, 0x01));
}

/* out is an HTTP error with this status line, the plain-text headers, a
 * Content-Length that is right and one line of printable body. */
static bool http_error_is(const char *status)
{
	char text[FRONT_REPLY_MAX + 1], want[64];
	const char *body, *cl;
	size_t n;

	memcpy(text, out, outlen);
	text[outlen] = '\0';
	tap_fmt(want, sizeof(want), "HTTP/1.1 %s\r\n", status);
	body = strstr(text, "\r\n\r\n");
	cl = strstr(text, "\r\nContent-Length: ");
	if (strlen(text) != outlen || strncmp(text, want, strlen(want)) != 0 || !body || !cl)
		return false;
	body += 4;
	n = strlen(body);
	if (strtoul(cl + 18, NULL, 10) != n || n < 2 || body[n - 1] != '\n')
		return false;
	for (size_t i = 0; i < n - 1; i++)
		if ((unsigned char)body[i] < 0x20 || (unsigned char)body[i] >= 0x7f)
			return false;
	return strstr(text, "\r\nContent-Type: text/plain\r\n") &&
	       strstr(text, "\r\nConnection: close\r\n");
}

static enum front_step http(const char *req)
{
	return first(req, strlen(req));
}

static void test_http(void)
{
	const char *crlf = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n";
	const char *lf = "CONNECT [2001:db8::1]:22 HTTP/1.0\nUser-Agent: x\n\n";
	const char *get = "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n";
	const char *body405 = "This port only tunnels (CONNECT host:port); it does not fetch "
			      "pages.\n";
	char buf[256], want[512];

	CHECK(http(crlf) == FRONT_TARGET && used == strlen(crlf) && outlen == 0 &&
	      target_is("example.com", 443, false) && f.proto == FRONT_HTTP);
	CHECK(trickle((const unsigned char *)crlf, strlen(crlf), 0) &&
	      target_is("example.com", 443, false));
	CHECK(http(lf) == FRONT_TARGET && used == strlen(lf) && target_is("2001:db8::1", 22, true));
	CHECK(trickle((const unsigned char *)lf, strlen(lf), 0) &&
	      target_is("2001:db8::1", 22, true));
	CHECK(http("CONNECT a.example:1 HTTP/1.1\r\n\n") == FRONT_TARGET && used == 31);
	/* A one-byte header line is not the empty line. */
	CHECK(http("CONNECT a.example:1 HTTP/1.1\nX\nY: z\n\nab") == FRONT_TARGET && used == 37);
	tap_fmt(buf, sizeof(buf), "%sSSH-2.0-OpenSSH\r\n", crlf);
	CHECK(http(buf) == FRONT_TARGET && used == strlen(crlf));
	CHECK(!strcmp(front_proto_name(f.proto), "HTTP"));

	CHECK(http(get) == FRONT_REFUSE && !strcmp(why, "HTTP: method GET, not CONNECT"));
	tap_fmt(want, sizeof(want),
		"HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\n"
		"Content-Length: %zu\r\nAllow: CONNECT\r\nConnection: close\r\n\r\n%s",
		strlen(body405), body405);
	CHECK(out_is(want, strlen(want)) && http_error_is("405 Method Not Allowed"));
	/* The method is decided only once the header block is whole. */
	CHECK(http("GET / HTTP/1.1\r\nHost: x\r\n") == FRONT_MORE);

	CHECK(http("CONNECT example.com HTTP/1.1\r\n\r\n") == FRONT_REFUSE &&
	      http_error_is("400 Bad Request") && strstr(why, "missing port"));
	CHECK(http("CONNECT example.com: HTTP/1.1\r\n\r\n") == FRONT_REFUSE &&
	      http_error_is("400 Bad Request") && strstr(why, "invalid port"));
	CHECK(http("CONNECT exa$mple.com:80 HTTP/1.1\r\n\r\n") == FRONT_REFUSE &&
	      http_error_is("400 Bad Request") && strstr(why, "invalid host"));
	CHECK(http("CONNECT 2001:db8::1:80 HTTP/1.1\r\n\r\n") == FRONT_REFUSE &&
	      http_error_is("400 Bad Request") && strstr(why, "brackets"));
	CHECK(http("CONNECT example.com:80 HTTP/2.0\r\n\r\n") == FRONT_REFUSE &&
	      http_error_is("400 Bad Request") && strstr(why, "HTTP/2.0"));
	/* Not HTTP at all: refused on the first line, without waiting for more. */
	CHECK(http("SSH-2.0-OpenSSH_9.6\r\n") == FRONT_REFUSE && http_error_is("400 Bad Request") &&
	      strstr(why, "malformed request line"));
	CHECK(http("CONNECT\x01 a:1 HTTP/1.1\r\n") == FRONT_REFUSE && why_printable() &&
	      strstr(why, "\\x01"));
	CHECK(http("CONNECT  a:1 HTTP/1.1\r\n") == FRONT_REFUSE &&
	      http_error_is("400 Bad Request"));

	CHECK(first("\x16\x03\x01", 3) == FRONT_REFUSE && outlen == 0 && strstr(why, "0x16") &&
	      f.proto == FRONT_UNKNOWN);
	CHECK(first("", 0) == FRONT_MORE && used == 0 && outlen == 0);
}

static void test_http_limit(void)
{
	static char big[FRONT_REQUEST_MAX + 64];
	const char *line = "CONNECT a.example:1 HTTP/1.1\r\n";
	size_t n = strlen(line);

	/* A header block of exactly FRONT_REQUEST_MAX bytes, its empty line last: bytes with
	 * their length, not strings. NOLINTBEGIN(bugprone-not-null-terminated-result) */
	memcpy(big, line, n);
	memcpy(big + n, "X-Pad: ", 7);
	memset(big + n + 7, 'a', FRONT_REQUEST_MAX - n - 7 - 4);
	memcpy(big + FRONT_REQUEST_MAX - 4, "\r\n\r\nab", 6);
	CHECK(first(big, FRONT_REQUEST_MAX + 2) == FRONT_TARGET && used == FRONT_REQUEST_MAX);
	CHECK(first(big, FRONT_REQUEST_MAX - 1) == FRONT_MORE);

	/* One byte more and it cannot end in time. */
	memset(big + n + 7, 'a', FRONT_REQUEST_MAX - n - 7 - 3);
	memcpy(big + FRONT_REQUEST_MAX - 3, "\r\n\r\n", 4);
	/* NOLINTEND(bugprone-not-null-terminated-result) */
	CHECK(first(big, FRONT_REQUEST_MAX - 1) == FRONT_MORE);
	CHECK(first(big, FRONT_REQUEST_MAX) == FRONT_REFUSE &&
	      http_error_is("431 Request Header Fields Too Large") &&
	      strstr(why, "longer than 16384"));
	CHECK(first(big, FRONT_REQUEST_MAX + 1) == FRONT_REFUSE &&
	      http_error_is("431 Request Header Fields Too Large"));

	/* A request line that never ends. */
	memset(big, 'A', FRONT_REQUEST_MAX);
	CHECK(first(big, FRONT_REQUEST_MAX - 1) == FRONT_MORE);
	CHECK(first(big, FRONT_REQUEST_MAX) == FRONT_REFUSE &&
	      http_error_is("431 Request Header Fields Too Large"));
}

static void test_http_replies(void)
{
	const char *ok = "HTTP/1.1 200 Connection established\r\n\r\n";
	const char *crlf = "CONNECT example.com:443 HTTP/1.1\r\n\r\n";
	char text[FRONT_REPLY_MAX + 1];
	char longreason[1000];

	http(crlf);
	outlen = front_reply(&f, EGRESS_OK, "ignored", out, sizeof(out));
	CHECK(out_is(ok, strlen(ok)));
	outlen =
		front_reply(&f, EGRESS_ETIMEOUT, "proxy.example:3128: timed out", out, sizeof(out));
	CHECK(http_error_is("504 Gateway Timeout"));
	CHECK(out_ends("\r\n\r\nproxy.example:3128: timed out\n"));
	outlen = front_reply(&f, EGRESS_EREFUSED, "proxy said 403", out, sizeof(out));
	CHECK(http_error_is("502 Bad Gateway"));
	outlen = front_reply(&f, EGRESS_EUNREACH, "x", out, sizeof(out));
	CHECK(http_error_is("502 Bad Gateway"));
	outlen = front_reply(&f, EGRESS_EAUTH, "x", out, sizeof(out));
	CHECK(http_error_is("502 Bad Gateway"));
	outlen = front_reply(&f, EGRESS_ETLS, "x", out, sizeof(out));
	CHECK(http_error_is("502 Bad Gateway"));

	/* A reason that tries to add a header or end the block gets neither. */
	outlen = front_reply(&f, EGRESS_EIO, "bad\r\nX-Evil: 1\r\n\r\nmore\x1b[2J\x7f", out,
			     sizeof(out));
	memcpy(text, out, outlen);
	text[outlen] = '\0';
	CHECK(http_error_is("502 Bad Gateway") && !strstr(text, "\nX-Evil") &&
	      strstr(text, "\r\n\r\nbad  X-Evil: 1    more [2J \n"));

	outlen = front_reply(&f, EGRESS_EUNREACH, NULL, out, sizeof(out));
	memcpy(text, out, outlen);
	text[outlen] = '\0';
	CHECK(http_error_is("502 Bad Gateway") && strstr(text, err_words(EGRESS_EUNREACH)));

	/* A long reason is cut to fit FRONT_REPLY_MAX; a small buffer gets nothing. */
	memset(longreason, 'r', sizeof(longreason) - 1);
	longreason[sizeof(longreason) - 1] = '\0';
	outlen = front_reply(&f, EGRESS_EIO, longreason, out, sizeof(out));
	CHECK(outlen > 0 && outlen <= FRONT_REPLY_MAX && http_error_is("502 Bad Gateway"));
	CHECK(front_reply(&f, EGRESS_EIO, "x", out, 20) == 0);

	front_init(&f);
	CHECK(front_reply(&f, EGRESS_OK, NULL, out, sizeof(out)) == 0);
	CHECK(!strcmp(front_proto_name(FRONT_SOCKS4), "SOCKS4"));
}

int main(void)
{
	test_socks4();
	test_socks5();
	test_socks5_replies();
	test_http();
	test_http_limit();
	test_http_replies();
	return tap_done();
}
