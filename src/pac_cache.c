/* The PAC cache. A file is "egress-pac-cache 1\nURL\nFETCHED EXPIRES\n" and the PAC's
 * bytes; it is written to a temporary name and renamed, so a reader never sees half
 * of one. Only a file owned by us and closed to others is read back: a PAC decides
 * where traffic goes. */
#include "pac_cache.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "file_read.h"

#define MAGIC	   "egress-pac-cache 1\n"
#define CODE_MAGIC "egress-pac-code 1 "

/* The cache directory, created 0700 when create; false when there is no home. */
static bool cache_dir(char *buf, size_t bufsz, bool create)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n;

	if (xdg && xdg[0] == '/')
		n = snprintf(buf, bufsz, "%s/egress", xdg);
	else if (home && *home)
		n = snprintf(buf, bufsz, "%s/.cache/egress", home);
	else
		return false;
	if (n < 0 || (size_t)n >= bufsz)
		return false;
	if (create) {
		/* The parent too: ~/.cache may not exist yet. */
		char *slash = strrchr(buf, '/');
		*slash = '\0';
		mkdir(buf, 0700);
		*slash = '/';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return false;
	}
	return true;
}

static bool named_file(const char *prefix, const char *key, size_t keylen, char *buf, size_t bufsz,
		       bool create)
{
	char dir[4096];
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < keylen; i++)
		h = (h ^ (unsigned char)key[i]) * 0x100000001b3ULL;
	if (!cache_dir(dir, sizeof(dir), create))
		return false;
	int n = snprintf(buf, bufsz, "%s/%s-%016" PRIx64, dir, prefix, h);
	return n > 0 && (size_t)n < bufsz;
}

static bool cache_file(const char *url, char *buf, size_t bufsz, bool create)
{
	return named_file("pac", url, strlen(url), buf, bufsz, create);
}

/* Latest time a cache file may name: the end of year 9999, which every clock and
 * localtime() can show. */
#define TIME_MAX 253402300799LL

/* A time of the cache file's third line, at *p, followed by sep; advances *p past sep.
 * False when it is not digits, or out of [0, TIME_MAX]. */
static bool cached_time(const char **p, char sep, long long *t)
{
	char *end;
	if (!isdigit((unsigned char)**p))
		return false;
	errno = 0;
	*t = strtoll(*p, &end, 10);
	if (errno || *end != sep || *t > TIME_MAX)
		return false;
	*p = end + 1;
	return true;
}

enum pac_cache_state pac_cache_load(const char *url, time_t now, struct pac_cached *c)
{
	char path[4200], err[ERR_MAX + 4200], *buf;
	size_t len, ulen = strlen(url);
	struct stat st;
	long long fetched, expires;

	memset(c, 0, sizeof(*c));
	if (!cache_file(url, path, sizeof(path), false) ||
	    file_read(path, 8u << 20, "PAC cache file", &buf, &len, &st, err, sizeof(err)) !=
		    FILE_READ_OK)
		return PAC_CACHE_NONE;
	const char *p = buf + strlen(MAGIC), *times = p + ulen + 1;
	/* file_read ends buf with a NUL: the times cannot be read past it. */
	bool ok = st.st_uid == geteuid() && !(st.st_mode & 077) && len > strlen(MAGIC) + ulen + 1 &&
		  !memcmp(buf, MAGIC, strlen(MAGIC)) && !memcmp(p, url, ulen) && p[ulen] == '\n' &&
		  cached_time(&times, ' ', &fetched) && cached_time(&times, '\n', &expires);
	if (!ok) {
		free(buf);
		return PAC_CACHE_NONE;
	}
	size_t head = (size_t)(times - buf);
	memmove(buf, buf + head, len - head);
	buf[len - head] = '\0';
	*c = (struct pac_cached){ buf, len - head, (time_t)fetched, (time_t)expires };
	return now < c->expires ? PAC_CACHE_FRESH : PAC_CACHE_STALE;
}

/* Writes head and then the n parts of parts/lens to path, via a temporary file
 * renamed over it; false with err filled. */
static bool write_file(const char *path, const char *head, const void *const *parts,
		       const size_t *lens, size_t n, char *err, size_t errsz)
{
	char tmp[4300];
	int w = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if (w < 0 || (size_t)w >= sizeof(tmp))
		return err_printf(err, errsz, "%s: name too long", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_printf(err, errsz, "%s: %s", tmp, strerror(errno));
	FILE *f = fdopen(fd, "w");
	bool ok = f && fputs(head, f) >= 0;
	for (size_t i = 0; ok && i < n; i++)
		ok = fwrite(parts[i], 1, lens[i], f) == lens[i];
	ok = (f ? fclose(f) == 0 : close(fd) == 0) && ok;
	if (!ok || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return err_printf(err, errsz, "%s: %s", path, strerror(e));
	}
	return true;
}

bool pac_cache_store(const char *url, const char *text, size_t len, time_t fetched, time_t expires,
		     char *err, size_t errsz)
{
	char path[4200], *head;
	if (!cache_file(url, path, sizeof(path), true))
		return err_printf(err, errsz, "no cache directory (XDG_CACHE_HOME or HOME)");
	if (asprintf(&head, MAGIC "%s\n%lld %lld\n", url, (long long)fetched, (long long)expires) <
	    0)
		return err_printf(err, errsz, "out of memory");
	const void *parts[] = { text };
	bool ok = write_file(path, head, parts, &len, 1, err, errsz);
	free(head);
	return ok;
}

bool pac_code_load(const char *key, const char *script, size_t len, char **code, size_t *codelen)
{
	char path[4200], head[256], err[ERR_MAX + 4200], *buf;
	size_t n;
	struct stat st;

	*code = NULL;
	if (!named_file("code", script, len, path, sizeof(path), false) ||
	    file_read(path, 64u << 20, "PAC code file", &buf, &n, &st, err, sizeof(err)) !=
		    FILE_READ_OK)
		return false;
	int hl = snprintf(head, sizeof(head), CODE_MAGIC "%s %zu\n", key, len);
	bool ok = st.st_uid == geteuid() && !(st.st_mode & 077) && hl > 0 &&
		  (size_t)hl < sizeof(head) && n > (size_t)hl + len &&
		  !memcmp(buf, head, (size_t)hl) && !memcmp(buf + hl, script, len);
	if (!ok) {
		free(buf);
		return false;
	}
	*codelen = n - (size_t)hl - len;
	memmove(buf, buf + hl + len, *codelen);
	*code = buf;
	return true;
}

void pac_code_store(const char *key, const char *script, size_t len, const void *code,
		    size_t codelen)
{
	char path[4200], head[256], err[ERR_MAX + 4200];
	const void *parts[] = { script, code };
	const size_t lens[] = { len, codelen };

	/* A head cut short would be written, and never match what pac_code_load looks for. */
	int w = snprintf(head, sizeof(head), CODE_MAGIC "%s %zu\n", key, len);
	if (w > 0 && (size_t)w < sizeof(head) &&
	    named_file("code", script, len, path, sizeof(path), true))
		write_file(path, head, parts, lens, 2, err, sizeof(err));
}

/* The number after "name=" in a Cache-Control value, or -1. */
static long directive(const char *cc, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = cc; (p = strcasestr(p, name)) != NULL; p += n) {
		bool starts = p == cc || p[-1] == ',' || p[-1] == ' ' || p[-1] == '\t';
		if (starts && p[n] == '=' && isdigit((unsigned char)p[n + 1]))
			return strtol(p + n + 1, NULL, 10);
		if (starts && (p[n] == '\0' || p[n] == ',' || p[n] == ' ' || p[n] == ';'))
			return 0;
	}
	return -1;
}

time_t pac_cache_expiry(const char *cache_control, time_t expires, time_t date, time_t now,
			bool *store)
{
	long age;

	*store = true;
	if (cache_control) {
		if (directive(cache_control, "no-store") == 0) {
			*store = false;
			return now;
		}
		if (directive(cache_control, "no-cache") == 0)
			return now;
		if ((age = directive(cache_control, "max-age")) >= 0)
			return now + age;
	}
	if (expires >= 0)
		return now + (expires - (date >= 0 ? date : now));
	return now + PAC_CACHE_DEFAULT_SECS;
}
