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

/* Adds the candidates of domain d (and its parents of two labels or more). */
static size_t add_domain(const char *domain, char (*out)[WPAD_URL_MAX], size_t n, size_t max)
{
	char buf[256];
	size_t len;

	while (*domain == '.')
		domain++;
	len = strlen(domain);
	while (len && domain[len - 1] == '.')
		len--;
	if (len == 0 || len >= sizeof(buf))
		return n;
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)domain[i]);
	buf[len] = '\0';
	for (const char *d = buf; labels(d) >= 2 && n < max; d = strchr(d, '.') + 1) {
		char url[WPAD_URL_MAX];
		snprintf(url, sizeof(url), "http://wpad.%s/wpad.dat", d);
		bool seen = false;
		for (size_t i = 0; i < n && !seen; i++)
			seen = !strcmp(out[i], url);
		if (!seen)
			snprintf(out[n++], WPAD_URL_MAX, "%s", url);
	}
	return n;
}

size_t wpad_candidates(const char *fqdn, const char *resolv_conf, char (*out)[WPAD_URL_MAX],
		       size_t max)
{
	size_t n = 0;
	const char *dot = fqdn ? strchr(fqdn, '.') : NULL;

	if (dot)
		n = add_domain(dot + 1, out, n, max);
	for (const char *line = resolv_conf; line && *line;) {
		size_t len = strcspn(line, "\n");
		/* "search a b c" or "domain a": the resolver's own domains. */
		if ((len > 7 && !strncmp(line, "search", 6) && isspace((unsigned char)line[6])) ||
		    (len > 7 && !strncmp(line, "domain", 6) && isspace((unsigned char)line[6]))) {
			char buf[1024];
			snprintf(buf, sizeof(buf), "%.*s", (int)(len - 7), line + 7);
			char *save = NULL;
			for (char *d = strtok_r(buf, " \t\r", &save); d;
			     d = strtok_r(NULL, " \t\r", &save))
				n = add_domain(d, out, n, max);
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
		snprintf(dir, sizeof(dir), "%.*s/%s", (int)n, p, prog);
		if (n && access(dir, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

/* The value of a GNOME proxy key, quotes removed, or "". */
static void gsetting(const char *key, char *out, size_t outsz)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "timeout 2 gsettings get org.gnome.system.proxy %s 2>/dev/null",
		 key);
	out[0] = '\0';
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
	if (strcmp(mode, "auto"))
		return NULL;
	gsetting("autoconfig-url", url, sizeof(url));
	return url[0] && !strpbrk(url, "'\" \t") ? strdup(url) : NULL;
}
