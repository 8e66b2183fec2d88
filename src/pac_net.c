/* The network helpers of PAC scripts. Every name lookup goes through the system's
 * resolver and may block: the whole evaluation runs under a deadline (pac_eval.c). */
#include "pac_net.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host_pattern.h"

/* An address parsed: family AF_INET or AF_INET6, 0 if none. */
struct pac_addr {
	int family;
	unsigned char b[16];
};

static struct pac_addr parse_addr(const char *s)
{
	struct pac_addr a = { 0 };
	if (inet_pton(AF_INET, s, a.b) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.b) == 1)
		a.family = AF_INET6;
	return a;
}

/* Appends the text of sa to the ";"-list out. */
static void add_addr(FILE *out, const struct sockaddr *sa, bool *first)
{
	char text[INET6_ADDRSTRLEN];
	const void *bytes =
		sa->sa_family == AF_INET
			? (const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr
			: (const void *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (!inet_ntop(sa->sa_family, bytes, text, sizeof(text)))
		return;
	fprintf(out, "%s%s", *first ? "" : ";", text);
	*first = false;
}

/* The addresses of host of family (AF_UNSPEC: both), ";"-joined, NULL on none. */
static char *resolve(const char *host, int family, bool only_first)
{
	struct addrinfo hints = { .ai_family = family, .ai_socktype = SOCK_STREAM }, *res;
	char *text = NULL;
	size_t len = 0;
	bool first = true;

	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return NULL;
	FILE *out = open_memstream(&text, &len);
	for (const struct addrinfo *ai = res; out && ai && !(only_first && !first);
	     ai = ai->ai_next)
		if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
			add_addr(out, ai->ai_addr, &first);
	freeaddrinfo(res);
	if (!out || fclose(out) != 0 || first) {
		free(text);
		return NULL;
	}
	return text;
}

char *pac_dns_resolve(const char *host)
{
	return resolve(host, AF_INET, true);
}

char *pac_dns_resolve_ex(const char *host)
{
	char *all = resolve(host, AF_UNSPEC, false);
	return all ? all : strdup("");
}

/* The source address the kernel picks for a UDP socket connected to a public
 * address: no packet leaves, and no route means no address. */
static char *route_source(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(53) }, me;
	socklen_t melen = sizeof(me);
	char text[INET_ADDRSTRLEN];
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = false;

	inet_pton(AF_INET, "8.8.8.8", &to.sin_addr);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&to, sizeof(to)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&me, &melen) == 0) {
		/* glibc's _GNU_SOURCE declares getsockname with a transparent union for the
		 * address, through which the analyzer does not see it written.
		 * NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
		ok = me.sin_addr.s_addr != 0 &&
		     inet_ntop(AF_INET, &me.sin_addr, text, sizeof(text)) != NULL;
	}
	if (fd >= 0)
		close(fd);
	return ok ? strdup(text) : NULL;
}

char *pac_my_ip(void)
{
	char name[256];
	char *ip = route_source();
	if (!ip && gethostname(name, sizeof(name)) == 0) {
		name[sizeof(name) - 1] = '\0';
		ip = pac_dns_resolve(name);
	}
	return ip ? ip : strdup("127.0.0.1");
}

char *pac_my_ip_ex(void)
{
	struct ifaddrs *ifs;
	char *text = NULL;
	size_t len = 0;
	bool first = true;

	if (getifaddrs(&ifs) != 0)
		return strdup("");
	FILE *out = open_memstream(&text, &len);
	for (const struct ifaddrs *i = ifs; out && i; i = i->ifa_next) {
		const struct sockaddr *sa = i->ifa_addr;
		if (!sa || !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (sa->sa_family == AF_INET6 &&
		    IN6_IS_ADDR_LINKLOCAL(
			    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr))
			continue;
		if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)
			add_addr(out, sa, &first);
	}
	freeifaddrs(ifs);
	if (!out || fclose(out) != 0) {
		free(text);
		return strdup("");
	}
	return text;
}

bool pac_in_net(const char *host, const char *pattern, const char *mask)
{
	struct in_addr h, p, m;
	char *resolved = NULL;
	bool in = false;

	if (inet_pton(AF_INET, pattern, &p) != 1 || inet_pton(AF_INET, mask, &m) != 1)
		return false;
	if (inet_pton(AF_INET, host, &h) != 1) {
		resolved = pac_dns_resolve(host);
		if (!resolved || inet_pton(AF_INET, resolved, &h) != 1) {
			free(resolved);
			return false;
		}
	}
	in = (h.s_addr & m.s_addr) == (p.s_addr & m.s_addr);
	free(resolved);
	return in;
}

bool pac_sh_exp_match(const char *s, const char *p)
{
	return glob_match(p, s, false);
}

bool pac_in_net_ex(const char *ip, const char *prefix)
{
	char net[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(prefix, '/');
	char *end;

	if (!slash || (size_t)(slash - prefix) >= sizeof(net) || !slash[1])
		return false;
	memcpy(net, prefix, (size_t)(slash - prefix));
	net[slash - prefix] = '\0';
	struct pac_addr a = parse_addr(ip), n = parse_addr(net);
	unsigned long bits = strtoul(slash + 1, &end, 10);
	unsigned max = a.family == AF_INET ? 32 : 128;
	if (!a.family || a.family != n.family || *end || bits > max || slash[1] == '-')
		return false;
	size_t whole = bits / 8, rest = bits % 8;
	if (memcmp(a.b, n.b, whole) != 0)
		return false;
	unsigned char mask = (unsigned char)(0xff00u >> rest);
	return !rest || (a.b[whole] & mask) == (n.b[whole] & mask);
}

static int addr_order(const void *x, const void *y)
{
	const struct pac_addr *a = x, *b = y;
	if (a->family != b->family)
		return a->family == AF_INET6 ? -1 : 1;
	return memcmp(a->b, b->b, a->family == AF_INET ? 4 : 16);
}

char *pac_sort_ip_list(const char *list)
{
	size_t n = 1, k = 0;
	for (const char *p = list; *p; p++)
		n += *p == ';';
	struct pac_addr *v = calloc(n, sizeof(*v));
	char *copy = strdup(list), *save = NULL, *text = NULL;
	size_t len = 0;

	if (!v || !copy)
		goto done;
	for (char *t = strtok_r(copy, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
		while (*t == ' ')
			t++;
		v[k] = parse_addr(t);
		if (!v[k++].family)
			goto done;
	}
	if (!k)
		goto done;
	qsort(v, k, sizeof(*v), addr_order);
	FILE *out = open_memstream(&text, &len);
	for (size_t i = 0; out && i < k; i++) {
		char s[INET6_ADDRSTRLEN];
		inet_ntop(v[i].family, v[i].b, s, sizeof(s));
		fprintf(out, "%s%s", i ? ";" : "", s);
	}
	if (!out || fclose(out) != 0) {
		free(text);
		text = NULL;
	}
done:
	free(v);
	free(copy);
	return text;
}
