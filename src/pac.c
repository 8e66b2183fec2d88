/* Getting a PAC script and asking it. An http(s) PAC is fetched directly, never
 * through a proxy (which the script is there to name), under --connect-timeout. */
#include "pac.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "file_read.h"
#include "pac_cache.h"
#include "log.h"
#include "pac_eval.h"
#include "pac_wpad.h"

/* No PAC file is larger; browsers refuse far smaller ones. */
#define PAC_MAX (4u << 20)

struct body {
	char *buf;
	size_t len;
	bool too_big;
	/* The caching headers of the last response (a redirect's are replaced). */
	char cache_control[256], expires[64], date[64];
};

static size_t take_body(char *data, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;
	size_t more = size * n;
	if (b->len + more > PAC_MAX) {
		b->too_big = true;
		return 0;
	}
	char *nb = realloc(b->buf, b->len + more + 1);
	if (!nb)
		return 0;
	memcpy(nb + b->len, data, more);
	b->buf = nb;
	b->len += more;
	b->buf[b->len] = '\0';
	return more;
}

/* Keeps the value of a header named name (with its colon) in out; one too long for
 * out is kept as toolong instead: cut short, "..., no-store" would lose its no-store. */
static void keep_header(const char *line, size_t n, const char *name, char *out, size_t outsz,
			const char *toolong)
{
	size_t nl = strlen(name);
	if (n <= nl || strncasecmp(line, name, nl) != 0)
		return;
	line += nl;
	n -= nl;
	while (n && (*line == ' ' || *line == '\t')) {
		line++;
		n--;
	}
	while (n && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' '))
		n--;
	if (n >= outsz) {
		line = toolong;
		n = strlen(toolong);
	}
	memcpy(out, line, n);
	out[n] = '\0';
}

static size_t take_header(char *line, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;
	size_t len = size * n;
	if (len > 5 && !strncmp(line, "HTTP/", 5))
		b->cache_control[0] = b->expires[0] = b->date[0] = '\0';
	/* A Cache-Control egress cannot read whole forbids keeping the PAC; an Expires or
	 * Date that long is no date. */
	keep_header(line, len, "Cache-Control:", b->cache_control, sizeof(b->cache_control),
		    "no-store");
	keep_header(line, len, "Expires:", b->expires, sizeof(b->expires), "");
	keep_header(line, len, "Date:", b->date, sizeof(b->date), "");
	return len;
}

static bool refuse(struct route_refusal *why, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool refuse(struct route_refusal *why, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vprintf(why->line, sizeof(why->line), fmt, ap);
	va_end(ap);
	why->usage = false;
	why->status = EGRESS_EUNREACH;
	return false;
}

static bool fetch(const struct egress_config *cfg, const char *url, long timeout_ms, struct body *b,
		  struct route_refusal *why)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	CURL *h = curl_easy_init();
	CURLcode rc;
	long status = 0;

	if (!h)
		return refuse(why, "cannot set up libcurl to fetch the PAC %s", url);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, take_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, take_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, b);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "egress/" EGRESS_VERSION);
	if (cfg->family)
		curl_easy_setopt(h, CURLOPT_IPRESOLVE,
				 cfg->family == 4 ? CURL_IPRESOLVE_V4 : CURL_IPRESOLVE_V6);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	if (b->too_big)
		return refuse(why, "cannot fetch the PAC %s: larger than %u MiB", url,
			      PAC_MAX >> 20);
	if (rc != CURLE_OK)
		return refuse(why, "cannot fetch the PAC %s: %s", url,
			      curl_err[0] ? curl_err : curl_easy_strerror(rc));
	if (status != 200)
		return refuse(why, "cannot fetch the PAC %s: HTTP status %ld", url, status);
	return true;
}

/* The path of a file:// URL or a path, or NULL for an http(s) URL or "auto". */
static const char *file_path(const char *pac)
{
	if (!strncasecmp(pac, "http://", 7) || !strncasecmp(pac, "https://", 8) ||
	    !strcasecmp(pac, "auto"))
		return NULL;
	if (strncasecmp(pac, "file://", 7) != 0)
		return pac;
	pac += 7;
	return strncasecmp(pac, "localhost/", 10) != 0 ? pac : pac + 9;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Adds to how r's PAC was had, which -v and --explain show. */
static void how_add(struct route *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void how_add(struct route *r, const char *fmt, ...)
{
	size_t n = strlen(r->pac_how);
	va_list ap;
	va_start(ap, fmt);
	err_vprintf(r->pac_how + n, sizeof(r->pac_how) - n, fmt, ap);
	va_end(ap);
}

/* Uses the copy c (from the cache) as the PAC. */
static void use_copy(struct body *b, struct pac_cached *c)
{
	b->buf = c->text;
	b->len = c->len;
	c->text = NULL;
}

/* The PAC at url, fetched within timeout_ms and cached; false (why filled) when it
 * cannot be. */
static bool fetch_and_keep(const struct egress_config *cfg, struct route *r, const char *url,
			   long timeout_ms, struct body *b, struct route_refusal *why)
{
	time_t now = time(NULL);
	char err[ERR_MAX];
	bool store;

	if (!fetch(cfg, url, timeout_ms, b, why))
		return false;
	time_t until = pac_cache_expiry(b->cache_control[0] ? b->cache_control : NULL,
					b->expires[0] ? curl_getdate(b->expires, NULL) : -1,
					b->date[0] ? curl_getdate(b->date, NULL) : -1, now, &store);
	if (store &&
	    !pac_cache_store(url, b->buf ? b->buf : "", b->len, now, until, err, sizeof(err)))
		msg_warn("cannot cache the PAC %s: %s", url, err);
	how_add(r, "fetched%s", store ? ", cached" : "");
	return true;
}

/* The stale copy c of url, with a warning that says why it is used. */
static void use_stale(struct route *r, const char *url, struct pac_cached *c, struct body *b,
		      const char *why)
{
	char when[64];
	struct tm tm;
	/* pac_cache_load takes no time localtime cannot show; this is for the day it does. */
	if (!localtime_r(&c->fetched, &tm) ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		memcpy(when, "an unknown time", sizeof("an unknown time"));
	msg_warn("%s; using the copy of %s cached at %s", why, url, when);
	how_add(r, "stale copy cached at %s: the server cannot be reached", when);
	use_copy(b, c);
}

/* The PAC at r->pac: the cached copy while fresh, else fetched (and cached), else
 * the stale copy with a warning. r->pac_how says which. */
static bool fetch_cached(const struct egress_config *cfg, struct route *r, struct body *b,
			 struct route_refusal *why)
{
	struct pac_cached c;
	time_t now = time(NULL);
	enum pac_cache_state state = pac_cache_load(r->pac, now, &c);
	bool ok = true;

	if (state == PAC_CACHE_FRESH) {
		err_printf(r->pac_how, sizeof(r->pac_how), "cached copy, fresh for %lld s more",
			   (long long)(c.expires - now));
		use_copy(b, &c);
	} else if (!fetch_and_keep(cfg, r, r->pac, cfg->connect_timeout_ms, b, why)) {
		if (state == PAC_CACHE_STALE)
			use_stale(r, r->pac, &c, b, why->line);
		else
			ok = false;
	}
	free(c.text);
	return ok;
}

/* The text of /etc/resolv.conf, or NULL. */
static char *resolv_conf(void)
{
	char *buf, err[ERR_MAX];
	size_t len;
	struct stat st;
	return file_read("/etc/resolv.conf", 1u << 20, "resolver file", &buf, &len, &st, err,
			 sizeof(err)) == FILE_READ_OK
		       ? buf
		       : NULL;
}

/* "--pac auto": the first candidate with a fresh cached copy, else the first that
 * can be fetched (all within --connect-timeout), else the first stale copy. */
static bool discover(const struct egress_config *cfg, struct route *r, struct body *b,
		     struct route_refusal *why)
{
	char(*cand)[WPAD_URL_MAX] = calloc(WPAD_MAX_CANDIDATES, WPAD_URL_MAX);
	char *gnome = wpad_gnome_url(), *fqdn = wpad_local_fqdn(), *resolv = resolv_conf();
	char tried[ERR_MAX] = "", last[sizeof(why->line)] = "";
	size_t n = 0, from_gnome = 0, found = SIZE_MAX;
	struct pac_cached c = { 0 };
	long deadline = now_ms() + cfg->connect_timeout_ms;
	time_t now = time(NULL);

	if (!cand) {
		free(gnome);
		free(fqdn);
		free(resolv);
		return refuse(why, "out of memory");
	}
	if (gnome && strlen(gnome) < WPAD_URL_MAX) {
		memcpy(cand[n++], gnome, strlen(gnome) + 1);
		from_gnome = 1;
	} else if (gnome) {
		/* Cut short, it would be another URL. */
		msg_warn("GNOME's autoconfig-url is longer than %d bytes; not used",
			 WPAD_URL_MAX - 1);
	}
	n += wpad_candidates(fqdn, resolv, cand + n, WPAD_MAX_CANDIDATES - n);
	msg_verbose("WPAD: %zu candidate%s (this machine: %s)", n, n == 1 ? "" : "s",
		    fqdn ? fqdn : "no domain");
	for (size_t i = 0; i < n && found == SIZE_MAX; i++)
		if (pac_cache_load(cand[i], now, &c) == PAC_CACHE_FRESH) {
			found = i;
			err_printf(r->pac_how, sizeof(r->pac_how),
				   "%s; cached copy, fresh for %lld s more",
				   i < from_gnome ? "GNOME's proxy settings" : "WPAD over DNS",
				   (long long)(c.expires - now));
			use_copy(b, &c);
		} else {
			free(c.text);
			c.text = NULL;
		}
	for (size_t i = 0; i < n && found == SIZE_MAX; i++) {
		long left = deadline - now_ms();
		msg_verbose("WPAD: trying %s", cand[i]);
		err_printf(r->pac_how, sizeof(r->pac_how), "%s; ",
			   i < from_gnome ? "GNOME's proxy settings" : "WPAD over DNS");
		size_t tl = strlen(tried);
		err_printf(tried + tl, sizeof(tried) - tl, "%s%s", i ? ", " : "", cand[i]);
		/* GNOME may name a file. */
		const char *path = file_path(cand[i]);
		char ferr[ERR_MAX + 512];
		struct stat st;
		if (path && file_read(path, PAC_MAX, "PAC file", &b->buf, &b->len, &st, ferr,
				      sizeof(ferr)) == FILE_READ_OK) {
			found = i;
			how_add(r, "read from the file");
		} else if (path) {
			refuse(why, "cannot read the PAC: %s", ferr);
		} else if (left > 0 && fetch_and_keep(cfg, r, cand[i], left, b, why)) {
			found = i;
		}
		if (found != i && (left > 0 || path))
			memcpy(last, why->line, sizeof(last));
	}
	for (size_t i = 0; i < n && found == SIZE_MAX; i++)
		if (pac_cache_load(cand[i], now, &c) == PAC_CACHE_STALE) {
			found = i;
			err_printf(r->pac_how, sizeof(r->pac_how), "%s; ",
				   i < from_gnome ? "GNOME's proxy settings" : "WPAD over DNS");
			use_stale(r, cand[i], &c, b, "WPAD found no PAC that answers");
		} else {
			free(c.text);
			c.text = NULL;
		}
	_Static_assert(sizeof(r->pac_url) >= WPAD_URL_MAX, "a candidate fits in pac_url");
	if (found != SIZE_MAX)
		memcpy(r->pac_url, cand[found], strlen(cand[found]) + 1);
	else if (!n)
		refuse(why,
		       "--pac auto: WPAD has no domain to look in (this machine's name has none, "
		       "and /etc/resolv.conf names no search domain)");
	else
		refuse(why, "--pac auto: WPAD found no PAC at %s%s%s", tried,
		       last[0] ? "; last: " : "", last);
	free(c.text);
	free(cand);
	free(gnome);
	free(fqdn);
	free(resolv);
	if (found == SIZE_MAX)
		return false;
	r->pac = r->pac_url;
	return true;
}

bool pac_route(const struct egress_config *cfg, struct route *r, struct route_refusal *why)
{
	struct body b = { 0 };
	const char *path = file_path(r->pac);
	char err[ERR_MAX + 512], shown[256], *answer;
	struct stat st;

	if (path) {
		if (file_read(path, PAC_MAX, "PAC file", &b.buf, &b.len, &st, err, sizeof(err)) !=
		    FILE_READ_OK)
			return refuse(why, "cannot read the PAC: %s", err);
		err_printf(r->pac_how, sizeof(r->pac_how), "read from the file");
	} else if (!strcasecmp(r->pac, "auto") ? !discover(cfg, r, &b, why)
					       : !fetch_cached(cfg, r, &b, why)) {
		free(b.buf);
		return false;
	}
	msg_verbose("PAC %s (from %s): %zu bytes, %s", r->pac, r->pac_origin, b.len, r->pac_how);
	bool ok = pac_evaluate(b.buf ? b.buf : "", b.len, r->pac, &cfg->target,
			       cfg->connect_timeout_ms, &answer, err, sizeof(err));
	free(b.buf);
	if (!ok)
		return refuse(why, "the PAC %s failed: %s", r->pac, err);
	msg_verbose("PAC %s says \"%s\" for %s", r->pac,
		    log_escape_str(shown, sizeof(shown), answer, 200), cfg->target.host);
	return route_from_pac(r, answer, why);
}
