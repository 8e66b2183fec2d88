/* Getting a PAC script and asking it. An http(s) PAC is fetched directly, never
 * through a proxy (which the script is there to name), under --connect-timeout. */
#include "pac.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "file_read.h"
#include "log.h"
#include "pac_eval.h"

/* No PAC file is larger; browsers refuse far smaller ones. */
#define PAC_MAX (4u << 20)

struct body {
	char *buf;
	size_t len;
	bool too_big;
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

static bool refuse(struct route_refusal *why, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool refuse(struct route_refusal *why, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why->line, sizeof(why->line), fmt, ap);
	va_end(ap);
	why->usage = false;
	why->status = EGRESS_EUNREACH;
	return false;
}

static bool fetch(const struct egress_config *cfg, const char *url, struct body *b,
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
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, cfg->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, take_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
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

/* The path of a file:// URL or a path, or NULL for an http(s) URL. */
static const char *file_path(const char *pac)
{
	if (!strncasecmp(pac, "http://", 7) || !strncasecmp(pac, "https://", 8))
		return NULL;
	if (strncasecmp(pac, "file://", 7))
		return pac;
	pac += 7;
	return strncasecmp(pac, "localhost/", 10) ? pac : pac + 9;
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
	} else if (!fetch(cfg, r->pac, &b, why)) {
		free(b.buf);
		return false;
	}
	msg_verbose("PAC %s (from %s): %zu bytes", r->pac, r->pac_origin, b.len);
	bool ok = pac_evaluate(b.buf ? b.buf : "", b.len, r->pac, &cfg->target,
			       cfg->connect_timeout_ms, &answer, err, sizeof(err));
	free(b.buf);
	if (!ok)
		return refuse(why, "the PAC %s failed: %s", r->pac, err);
	msg_verbose("PAC %s says \"%s\" for %s", r->pac,
		    log_escape_str(shown, sizeof(shown), answer, 200), cfg->target.host);
	return route_from_pac(r, answer, why);
}
