#include "peers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Command lines from each tool's manual page (Debian 12), as a ProxyCommand would
 * run it. proxytunnel's -q only silences its "Via ..." line on stderr. nc is the
 * OpenBSD one, whose -N passes a half-close on at stdin EOF, as socat and ncat do
 * by default. */
static const struct runner table[] = {
	{ .name = "limit", .is_limit = true },
	{ .name = "egress",
	  .package = "(this repository)",
	  .bins = { "egress" },
	  .args = { "-x", "http://%H:%P", "%h", "%p" } },
	/* The same egress, its proxy named by a PAC script: a file, and an http:// one
	 * from its cache (the first start fetches it). What PAC adds to the first byte. */
	{ .name = "egress-pac",
	  .package = "(this repository)",
	  .bins = { "egress" },
	  .args = { "--pac", "%F", "%h", "%p" },
	  .starts_only = true },
	{ .name = "egress-pac-http",
	  .package = "(this repository)",
	  .bins = { "egress" },
	  .args = { "--pac", "%U", "%h", "%p" },
	  .starts_only = true },
	{ .name = "corkscrew",
	  .package = "corkscrew",
	  .bins = { "corkscrew" },
	  .args = { "%H", "%P", "%h", "%p" } },
	{ .name = "proxytunnel",
	  .package = "proxytunnel",
	  .bins = { "proxytunnel" },
	  .args = { "-q", "-p", "%H:%P", "-d", "%h:%p" } },
	{ .name = "connect-proxy",
	  .package = "connect-proxy",
	  .bins = { "connect-proxy", "connect" },
	  .args = { "-H", "%H:%P", "%h", "%p" } },
	{ .name = "nc",
	  .package = "netcat-openbsd",
	  .bins = { "nc.openbsd" },
	  .args = { "-N", "-X", "connect", "-x", "%H:%P", "%h", "%p" } },
	{ .name = "ncat",
	  .package = "ncat",
	  .bins = { "ncat" },
	  .args = { "--proxy", "%H:%P", "--proxy-type", "http", "%h", "%p" } },
	{ .name = "socat",
	  .package = "socat",
	  .bins = { "socat" },
	  .args = { "-", "PROXY:%H:%h:%p,proxyport=%P" } },
};

/* Finds name on PATH; fills path and returns 1, or returns 0. */
static int which(const char *name, char *path, size_t size)
{
	const char *env = getenv("PATH");
	char dirs[4096];
	snprintf(dirs, sizeof(dirs), "%s", env ? env : "/usr/local/bin:/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		if ((size_t)snprintf(path, size, "%s/%s", *d ? d : ".", name) < size &&
		    access(path, X_OK) == 0)
			return 1;
	}
	path[0] = '\0';
	return 0;
}

static const char *pac_file, *pac_url;

void peers_set_pac(const char *file, const char *url)
{
	pac_file = file;
	pac_url = url;
}

int peers_load(struct runner *list, const char *egress_path)
{
	int n = (int)(sizeof(table) / sizeof(table[0]));
	for (int i = 0; i < n; i++) {
		list[i] = table[i];
		list[i].path[0] = '\0';
		list[i].selected = true;
		if (list[i].is_limit)
			continue;
		if (strncmp(list[i].name, "egress", 6) == 0) {
			/* The PAC rows need their PAC; without one they are not run. */
			if (list[i].starts_only && (!pac_file || !pac_url))
				list[i].selected = false;
			if (access(egress_path, X_OK) == 0)
				snprintf(list[i].path, sizeof(list[i].path), "%s", egress_path);
			continue;
		}
		for (int b = 0; b < 3 && list[i].bins[b]; b++)
			if (which(list[i].bins[b], list[i].path, sizeof(list[i].path)))
				break;
	}
	return n;
}

void peers_argv(const struct runner *r, uint16_t proxy, uint16_t target, char store[ARGS_MAX][128],
		char *argv[ARGS_MAX + 2])
{
	int argc = 0;
	argv[argc++] = (char *)r->path;
	for (int i = 0; i < ARGS_MAX && r->args[i]; i++) {
		char *o = store[i];
		*o = '\0';
		size_t left = 128;
		for (const char *s = r->args[i]; *s && left > 1; s++) {
			int w;
			if (s[0] == '%' && (s[1] == 'H' || s[1] == 'h')) {
				w = snprintf(o, left, "127.0.0.1");
				s++;
			} else if (s[0] == '%' && (s[1] == 'P' || s[1] == 'p')) {
				w = snprintf(o, left, "%u", s[1] == 'P' ? proxy : target);
				s++;
			} else if (s[0] == '%' && (s[1] == 'F' || s[1] == 'U')) {
				const char *v = s[1] == 'F' ? pac_file : pac_url;
				w = snprintf(o, left, "%s", v ? v : "");
				s++;
			} else {
				w = snprintf(o, left, "%c", *s);
			}
			if (w < 0 || (size_t)w >= left)
				break;
			o += w;
			left -= (size_t)w;
		}
		argv[argc++] = store[i];
	}
	argv[argc] = NULL;
}
