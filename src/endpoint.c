/* HOST/PORT parsing. Anything accepted here is put on the wire verbatim, so the rules
 * are strict and every refusal names the bad value. */
#include "endpoint.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "log.h"

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
		return err_printf(err, errsz, "invalid port \"%s\" (must be 1..65535)",
				  log_escape_str(q, sizeof(q), s, 32));
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

	log_escape_str(q, sizeof(q), host, 64);
	if (len == 0)
		return err_printf(err, errsz, "invalid host: empty");
	if (len > HOST_MAX)
		return err_printf(err, errsz, "invalid host \"%s...\": longer than %d bytes", q,
				  HOST_MAX);
	if (strchr(host, ':')) {
		unsigned char a[16];
		if (inet_pton(AF_INET6, host, a) != 1)
			return err_printf(err, errsz, "invalid host \"%s\": not an IPv6 address",
					  q);
		return true;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)host[i];
		if (is_host_byte(c))
			continue;
		if (c == ' ')
			return err_printf(err, errsz, "invalid host \"%s\": space not allowed", q);
		/* libcurl's URL parser refuses raw UTF-8 hosts; the ASCII form always works. */
		if (c >= 0x80)
			return err_printf(err, errsz,
					  "invalid host \"%s\": not ASCII (write an "
					  "international name in its xn-- form)",
					  q);
		if (c < 0x20 || c == 0x7f)
			return err_printf(err, errsz,
					  "invalid host \"%s\": control byte 0x%02X not allowed", q,
					  c);
		return err_printf(err, errsz, "invalid host \"%s\": character '%c' not allowed", q,
				  c);
	}
	return true;
}

bool endpoint_set(struct endpoint *e, const char *host, size_t len, const char *port, char *err,
		  size_t errsz)
{
	char q[64];
	if (len > HOST_MAX)
		return err_printf(err, errsz, "invalid host \"%s...\": longer than %d bytes",
				  log_escape_str(q, sizeof(q), host, 48), HOST_MAX);
	memcpy(e->host, host, len);
	e->host[len] = '\0';
	if (memchr(host, '\0', len))
		return err_printf(err, errsz, "invalid host: NUL byte not allowed");
	if (!check_host(e->host, err, errsz))
		return false;
	e->ipv6 = strchr(e->host, ':') != NULL;
	return parse_port(port, &e->port, err, errsz);
}

/* Whether the len bytes at s are an IPv6 address, a zone ("%eth0") allowed. */
static bool is_ipv6_literal(const char *s, size_t len)
{
	char lit[INET6_ADDRSTRLEN + 1];
	struct in6_addr a;
	size_t zone = strcspn(s, "%]");
	if (zone > len)
		zone = len;
	if (zone == 0 || zone >= sizeof(lit))
		return false;
	memcpy(lit, s, zone);
	lit[zone] = '\0';
	return inet_pton(AF_INET6, lit, &a) == 1;
}

bool endpoint_split(const char *s, const char **host, size_t *hostlen, const char **port, char *err,
		    size_t errsz)
{
	char q[64];
	const char *colon;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close)
			return err_printf(err, errsz, "invalid address \"%s\": missing ']'",
					  log_escape_str(q, sizeof(q), s, 48));
		*host = s + 1;
		*hostlen = (size_t)(close - s - 1);
		if (!is_ipv6_literal(*host, *hostlen))
			return err_printf(err, errsz,
					  "invalid address \"%s\": brackets hold an IPv6 address",
					  log_escape_str(q, sizeof(q), s, 48));
		if (close[1] == '\0') {
			*port = NULL;
			return true;
		}
		if (close[1] != ':')
			return err_printf(err, errsz,
					  "invalid address \"%s\": expected ':' after ']'",
					  log_escape_str(q, sizeof(q), s, 48));
		*port = close + 2;
		return true;
	}
	colon = strchr(s, ':');
	if (colon && strchr(colon + 1, ':'))
		return err_printf(
			err, errsz,
			"invalid address \"%s\": an IPv6 address needs brackets, [ADDR]:PORT",
			log_escape_str(q, sizeof(q), s, 48));
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
		return endpoint_set(out, host, hostlen, argv[1], err, errsz);
	}
	if (!endpoint_split(argv[0], &host, &hostlen, &port, err, errsz))
		return false;
	/* endpoint_split set port when it said true; the analyzer takes its "return
	 * err_printf(...)" for true too, not following a variadic function.
	 * NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Branch) */
	if (!port) {
		char q[64];
		return err_printf(err, errsz, "missing port in \"%s\" (use HOST PORT or HOST:PORT)",
				  log_escape_str(q, sizeof(q), argv[0], 48));
	}
	return endpoint_set(out, host, hostlen, port, err, errsz);
}

const char *endpoint_str(const struct endpoint *e, char *buf, size_t bufsz)
{
	/* Always fits ENDPOINT_STR_MAX; a smaller buf gets a label that says it was cut. */
	err_printf(buf, bufsz, e->ipv6 ? "[%s]:%u" : "%s:%u", e->host, (unsigned)e->port);
	return buf;
}
