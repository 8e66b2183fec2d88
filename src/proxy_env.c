/* Proxy environment variables and no_proxy matching, the way curl reads them, except
 * that https_proxy is consulted for every target: a CONNECT tunnel carries arbitrary
 * TCP, which curl users already send through their https_proxy. */
#include "proxy_env.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *first_set(env_get_fn get, const char *const *names, const char **name)
{
	for (; *names; names++) {
		const char *v = get(*names);
		if (v && *v) {
			if (name)
				*name = *names;
			return v;
		}
	}
	return NULL;
}

const char *proxy_from_env(env_get_fn get, const char **name)
{
	static const char *const names[] = {
		"EGRESS_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", NULL,
	};
	return first_set(get, names, name);
}

const char *noproxy_from_env(env_get_fn get, const char **name)
{
	static const char *const names[] = { "no_proxy", "NO_PROXY", NULL };
	return first_set(get, names, name);
}

/* An address parsed for comparison: family AF_INET or AF_INET6, 0 if not an IP. */
struct ip {
	int family;
	unsigned char b[16];
};

static struct ip parse_ip(const char *s, size_t n)
{
	struct ip ip = { 0 };
	char buf[64];
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(buf))
		return ip;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, ip.b) == 1)
		ip.family = AF_INET;
	else if (inet_pton(AF_INET6, buf, ip.b) == 1)
		ip.family = AF_INET6;
	return ip;
}

/* Whether the first bits of a and b agree. */
static bool prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, whole) != 0)
		return false;
	if (!rest)
		return true;
	unsigned char mask = (unsigned char)(0xff00u >> rest);
	return (a[whole] & mask) == (b[whole] & mask);
}

static bool ip_entry_match(const struct ip *host, const char *e, size_t n)
{
	const char *slash = memchr(e, '/', n);
	size_t addrlen = slash ? (size_t)(slash - e) : n;
	struct ip net = parse_ip(e, addrlen);
	unsigned max = host->family == AF_INET ? 32 : 128, bits = max;

	if (net.family != host->family)
		return false;
	if (slash) {
		const char *p = slash + 1, *end = e + n;
		if (p == end)
			return false;
		bits = 0;
		for (; p < end; p++) {
			if (!isdigit((unsigned char)*p))
				return false;
			bits = bits * 10 + (unsigned)(*p - '0');
			if (bits > max)
				return false;
		}
	}
	return prefix_equal(host->b, net.b, bits);
}

static bool name_entry_match(const char *host, size_t hl, const char *e, size_t n)
{
	if (n && e[0] == '.') {
		e++;
		n--;
	}
	while (n && e[n - 1] == '.')
		n--;
	if (n == 0 || n > hl)
		return false;
	if (strncasecmp(host + hl - n, e, n) != 0)
		return false;
	return n == hl || host[hl - n - 1] == '.';
}

bool noproxy_match(const char *list, const char *host)
{
	size_t len;
	return noproxy_match_entry(list, host, &list, &len);
}

bool noproxy_match_entry(const char *list, const char *host, const char **entry, size_t *len)
{
	size_t hl = strlen(host);
	struct ip hip;

	while (hl && host[hl - 1] == '.')
		hl--;
	hip = parse_ip(host, hl);

	for (const char *p = list; *p;) {
		size_t n;
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		n = strcspn(p, ", \t\r\n");
		if (n == 0)
			break;
		if ((n == 1 && p[0] == '*') ||
		    (hip.family ? ip_entry_match(&hip, p, n) : name_entry_match(host, hl, p, n))) {
			*entry = p;
			*len = n;
			return true;
		}
		p += n;
	}
	return false;
}
