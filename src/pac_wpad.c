/* WPAD candidates. Stopping at two labels keeps "wpad.com" out: a name anyone could
 * register must never be asked where the proxy is. */
#include "pac_wpad.h"

#include <ctype.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static size_t labels(const char *d)
{
	size_t n = 1;
	for (; *d; d++)
		n += *d == '.';
	return n;
}

/* Adds the candidates of the len bytes of domain (and its parents of two labels or
 * more). A name longer than a domain name can be has none. */
static size_t add_domain(const char *domain, size_t len, char (*out)[WPAD_URL_MAX], size_t n,
			 size_t max)
{
	char buf[256];

	while (len && *domain == '.') {
		domain++;
		len--;
	}
	while (len && domain[len - 1] == '.')
		len--;
	if (len == 0 || len >= sizeof(buf))
		return n;
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)domain[i]);
	buf[len] = '\0';
	for (const char *d = buf; labels(d) >= 2 && n < max; d = strchr(d, '.') + 1) {
		char url[WPAD_URL_MAX];
		int w = snprintf(url, sizeof(url), "http://wpad.%s/wpad.dat", d);
		if (w < 0 || (size_t)w >= sizeof(url))
			break; /* cannot be: d has fewer than 256 bytes */
		bool seen = false;
		for (size_t i = 0; i < n && !seen; i++)
			seen = !strcmp(out[i], url);
		if (!seen)
			memcpy(out[n++], url, (size_t)w + 1);
	}
	return n;
}

size_t wpad_candidates(const char *fqdn, const char *resolv_conf, char (*out)[WPAD_URL_MAX],
		       size_t max)
{
	size_t n = 0;
	const char *dot = fqdn ? strchr(fqdn, '.') : NULL;

	if (dot)
		n = add_domain(dot + 1, strlen(dot + 1), out, n, max);
	for (const char *line = resolv_conf; line && *line;) {
		size_t len = strcspn(line, "\n");
		/* "search a b c" or "domain a": the resolver's own domains. */
		if ((len > 7 && !strncmp(line, "search", 6) && isspace((unsigned char)line[6])) ||
		    (len > 7 && !strncmp(line, "domain", 6) && isspace((unsigned char)line[6]))) {
			/* Taken where it is, however long: a line cut short would end in a
			 * domain cut short, which is someone else's. */
			for (size_t i = 7; i < len;) {
				size_t d = i;
				while (d < len && !strchr(" \t\r", line[d]))
					d++;
				if (d > i)
					n = add_domain(line + i, d - i, out, n, max);
				i = d + 1;
			}
		}
		line += len + (line[len] == '\n');
	}
	return n;
}

char *wpad_local_fqdn(void)
{
	char name[256];
	struct addrinfo hints = { .ai_flags = AI_CANONNAME }, *res;
	char *fqdn = NULL;

	if (gethostname(name, sizeof(name)) != 0)
		return NULL;
	name[sizeof(name) - 1] = '\0';
	if (strchr(name, '.'))
		return strdup(name);
	if (getaddrinfo(name, NULL, &hints, &res) == 0) {
		if (res->ai_canonname && strchr(res->ai_canonname, '.'))
			fqdn = strdup(res->ai_canonname);
		freeaddrinfo(res);
	}
	return fqdn;
}

/* Whether prog is an executable in PATH. */
static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char dir[4096];
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");
		int w = snprintf(dir, sizeof(dir), "%.*s/%s", (int)n, p, prog);
		/* A directory too long to name is passed over, not cut to another one. */
		if (n && w > 0 && (size_t)w < sizeof(dir) && access(dir, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

/* The value of a GNOME proxy key, quotes removed, or "". */
static void gsetting(const char *key, char *out, size_t outsz)
{
	char cmd[160];
	int w = snprintf(cmd, sizeof(cmd),
			 "timeout 2 gsettings get org.gnome.system.proxy %s 2>/dev/null", key);
	out[0] = '\0';
	if (w < 0 || (size_t)w >= sizeof(cmd))
		return;
	/* A shell, for timeout and 2>/dev/null, on a literal command with one of the two
	 * literal keys gsetting is called with. NOLINTNEXTLINE(cert-env33-c) */
	FILE *f = popen(cmd, "r");
	if (!f)
		return;
	if (!fgets(out, (int)outsz, f))
		out[0] = '\0';
	pclose(f);
	size_t len = strcspn(out, "\n");
	out[len] = '\0';
	if (len >= 2 && out[0] == '\'' && out[len - 1] == '\'') {
		memmove(out, out + 1, len - 2);
		out[len - 2] = '\0';
	}
}

char *wpad_gnome_url(void)
{
	char mode[64], url[1024];
	if (!in_path("gsettings"))
		return NULL;
	gsetting("mode", mode, sizeof(mode));
	if (strcmp(mode, "auto") != 0)
		return NULL;
	gsetting("autoconfig-url", url, sizeof(url));
	return url[0] && !strpbrk(url, "'\" \t") ? strdup(url) : NULL;
}
