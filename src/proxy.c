/* libcurl drives the proxy conversation. CONNECT_ONLY with HTTPPROXYTUNNEL makes it stop
 * right after the proxy's 2xx; libcurl reads that reply one byte at a time, so whatever
 * the far side sent after it (an ssh banner) is still in the socket for the relay.
 * Each way of the route is one attempt (attempt.h); the first that gives a tunnel wins. */
#include "proxy.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attempt.h"
#include "credentials.h"
#include "log.h"
#include "secret.h"

const char *proxy_library_version(void)
{
	/* Not curl_version(): that asks libldap for its version, which makes libsasl2
	 * load every SASL plugin and doubles the time --version takes. */
	static char buf[128];
	const curl_version_info_data *d = curl_version_info(CURLVERSION_NOW);
	err_printf(buf, sizeof(buf), "libcurl/%s%s%s", d->version, d->ssl_version ? " " : "",
		   d->ssl_version ? d->ssl_version : "");
	return buf;
}

void attempt_prepare(struct attempt *a, const struct egress_config *cfg, const struct route *route,
		     size_t way, const char *target_label)
{
	memset(a, 0, sizeof(*a));
	a->cfg = cfg;
	a->route = route;
	a->way = &route->v[way];
	a->proxy = a->way->proxy;
	a->target_label = target_label;
	if (a->proxy)
		endpoint_str(&a->proxy->addr, a->proxy_label, sizeof(a->proxy_label));
}

CURL *attempt_begin(struct attempt *a, struct curl_slist *hdrs, CURLU **url, enum egress_err *e)
{
	CURL *h = NULL;

	*url = NULL;
	*e = EGRESS_EIO;
	if (a->proxy) {
		msg_verbose("using proxy %s (from %s)", a->proxy_label, a->way->why);
		a->withheld = !route_may_send_password(a->cfg, a->way);
		if (a->withheld)
			msg_verbose("no password goes to %s: a PAC named it, and no "
				    "--proxy-auth-hosts pattern matches it",
				    a->proxy_label);
		*e = a->withheld ? EGRESS_OK
				 : creds_for_proxy(a->cfg, a->proxy, a->proxy_label, &a->creds);
		if (*e != EGRESS_OK) {
			a->why[0] = '\0'; /* said already */
			goto fail;
		}
		if (a->creds.pass) {
			secret_protect_process();
			msg_verbose("proxy user %s, password from %s", a->creds.user,
				    a->creds.from);
		}
	} else {
		msg_verbose("connecting directly to %s (%s)", a->target_label, a->way->why);
	}
	*url = attempt_target_url(&a->cfg->target);
	h = curl_easy_init();
	if (!*url || !h || !attempt_setup(h, a, *url, hdrs)) {
		err_printf(a->why, sizeof(a->why), "cannot set up libcurl for %s", a->target_label);
		*e = EGRESS_EIO;
		goto fail;
	}
	/* libcurl has its own copy now. */
	a->had_pass = a->creds.pass != NULL;
	secret_free(a->creds.pass);
	a->creds.pass = NULL;
	*e = EGRESS_OK;
	return h;
fail:
	curl_easy_cleanup(h);
	curl_url_cleanup(*url);
	*url = NULL;
	creds_clear(&a->creds);
	return NULL;
}

enum egress_err attempt_end(struct attempt *a, CURL *h, CURLU *url, CURLcode rc, struct tunnel *t)
{
	enum egress_err e = EGRESS_EIO;
	curl_socket_t fd = CURL_SOCKET_BAD;
	long code = 0;

	if (rc != CURLE_OK) {
		e = attempt_failure(a, h, rc);
		goto fail;
	}
	curl_easy_getinfo(h, CURLINFO_HTTP_CONNECTCODE, &code);
	/* SOCKS has no status code: libcurl's success is the proxy's. */
	bool http = a->proxy && proxy_scheme_is_http(a->proxy->scheme);
	if (http && (code < 200 || code > 299)) {
		/* CONNECT_ONLY can report success without a tunnel; never relay on that. */
		err_printf(a->why, sizeof(a->why), "proxy %s gave no CONNECT reply for %s",
			   a->proxy_label, a->target_label);
		e = EGRESS_EREFUSED;
		goto fail;
	}
	if (curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK || fd == CURL_SOCKET_BAD) {
		err_printf(a->why, sizeof(a->why), "libcurl gave no socket for %s",
			   a->target_label);
		goto fail;
	}
	/* Both point into *a, which ends with the attempt; a TLS tunnel's handle lives
	 * on, and a failed curl_easy_recv would write its message into the buffer. */
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, (char *)NULL);
	attempt_trace_detach(h);
	t->fd = fd;
	t->handle = h;
	t->proxy = a->proxy;
	t->tls = a->proxy && a->proxy->scheme == PROXY_HTTPS;
	_Static_assert(sizeof(t->proxy_label) == sizeof(a->proxy_label), "the same label");
	memcpy(t->proxy_label, a->proxy_label, sizeof(t->proxy_label));
	curl_url_cleanup(url);
	creds_clear(&a->creds);
	return EGRESS_OK;
fail:
	curl_easy_cleanup(h);
	curl_url_cleanup(url);
	creds_clear(&a->creds);
	return e;
}

/* One attempt through one proxy (or direct). On success t holds the tunnel. */
static enum egress_err try_one(struct attempt *a, struct curl_slist *hdrs, struct tunnel *t)
{
	CURLU *url;
	enum egress_err e;
	CURL *h = attempt_begin(a, hdrs, &url, &e);

	if (!h)
		return e;
	return attempt_end(a, h, url, curl_easy_perform(h), t);
}

bool proxy_headers(const struct egress_config *cfg, struct curl_slist **out)
{
	struct curl_slist *hdrs = NULL;

	for (size_t i = 0; i < cfg->headers.n; i++) {
		struct curl_slist *n = curl_slist_append(hdrs, cfg->headers.v[i]);
		if (!n) {
			curl_slist_free_all(hdrs);
			return false;
		}
		hdrs = n;
	}
	*out = hdrs;
	return true;
}

enum egress_err tunnel_open(const struct egress_config *cfg, const struct route *route,
			    struct tunnel *t)
{
	struct curl_slist *hdrs = NULL;
	struct attempt a;
	enum egress_err e = EGRESS_EIO;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	endpoint_str(&cfg->target, t->target_label, sizeof(t->target_label));
	if (!proxy_headers(cfg, &hdrs)) {
		msg_err("out of memory");
		return EGRESS_EIO;
	}

	for (size_t i = 0; i < route->n; i++) {
		attempt_prepare(&a, cfg, route, i, t->target_label);
		e = try_one(&a, hdrs, t);
		if (e == EGRESS_OK)
			break;
		/* Credentials that could not be had end the whole attempt, said already:
		 * the person declined, or --netrc-file went bad. */
		if (!a.why[0])
			break;
		if (i + 1 < route->n)
			msg_verbose("proxy %s failed: %s; trying the next one", a.proxy_label,
				    a.why);
		else
			msg_err("%s", a.why);
	}
	curl_slist_free_all(hdrs);
	return e;
}

/* libcurl's failures as errno values for the relay's messages. */
static ssize_t io_result(struct tunnel *t, CURLcode rc, size_t n)
{
	long oserr = 0;
	if (rc == CURLE_OK)
		return (ssize_t)n;
	if (rc == CURLE_AGAIN) {
		errno = EAGAIN;
		return -1;
	}
	curl_easy_getinfo(t->handle, CURLINFO_OS_ERRNO, &oserr);
	errno = oserr ? (int)oserr : EIO;
	return -1;
}

ssize_t tunnel_recv(void *ctx, void *buf, size_t len)
{
	struct tunnel *t = ctx;
	size_t n = 0;
	/* Two statements: n must be read after libcurl has set it. */
	CURLcode rc = curl_easy_recv(t->handle, buf, len, &n);
	return io_result(t, rc, n);
}

ssize_t tunnel_send(void *ctx, const void *buf, size_t len)
{
	struct tunnel *t = ctx;
	size_t n = 0;
	/* libcurl reports a write TLS must retry as CURLE_AGAIN (a 0-byte write too). */
	CURLcode rc = curl_easy_send(t->handle, buf, len, &n);
	return io_result(t, rc, n);
}

int tunnel_detach(struct tunnel *t)
{
	/* libcurl closes its socket on cleanup and never shuts it down, so the
	 * connection lives on in the duplicate. */
	int fd = fcntl(t->fd, F_DUPFD_CLOEXEC, 3);
	if (fd >= 0)
		tunnel_close(t);
	return fd;
}

void tunnel_close(struct tunnel *t)
{
	if (!t->handle)
		return;
	curl_easy_cleanup(t->handle);
	t->handle = NULL;
	t->fd = -1;
}
