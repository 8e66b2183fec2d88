/* libcurl drives the proxy conversation. CONNECT_ONLY with HTTPPROXYTUNNEL makes it stop
 * right after the proxy's 2xx; libcurl reads that reply one byte at a time, so whatever
 * the far side sent after it (an ssh banner) is still in the socket for the relay.
 * Proxy selection is done by egress (cli.c), so libcurl is always told CURLOPT_PROXY and
 * CURLOPT_NOPROXY explicitly and never consults the environment itself. */
#include "proxy.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
	snprintf(buf, sizeof(buf), "libcurl/%s%s%s", d->version, d->ssl_version ? " " : "",
		 d->ssl_version ? d->ssl_version : "");
	return buf;
}

/* Records the status line of the proxy's reply; libcurl hands CONNECT reply headers to
 * the header callback one line at a time. */
static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
	struct attempt *a = userp;
	size_t len = size * n;

	if (a->reply_bytes == 0) {
		size_t end = len;
		while (end && (data[end - 1] == '\r' || data[end - 1] == '\n'))
			end--;
		log_escape(a->first_line, sizeof(a->first_line), data, end);
	}
	a->reply_bytes += len;
	if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
		const char *sp = memchr(data, ' ', len);
		if (sp) {
			size_t rest = len - (size_t)(sp + 1 - data);
			while (rest && (sp[rest] == '\r' || sp[rest] == '\n'))
				rest--;
			log_escape(a->status, sizeof(a->status), sp + 1, rest);
		}
	}
	return len;
}

/* Prints each line of a header block with a direction mark when -v is on, hiding
 * credentials; notes in a the scheme of a Proxy-Authorization line. */
static void print_lines(struct attempt *a, char mark, const char *data, size_t len)
{
	bool show = log_verbose_enabled();
	while (len) {
		size_t n = 0;
		while (n < len && data[n] != '\n')
			n++;
		size_t line = n;
		while (line && (data[line - 1] == '\r'))
			line--;
		if (line) {
			char out[1024];
			static const char auth[] = "Proxy-Authorization:";
			if (line >= sizeof(auth) - 1 && strncasecmp(data, auth, sizeof(auth) - 1) == 0) {
				/* The scheme: the first word of the value, within this line (the
				 * block need not end with a NUL). */
				const char *v = data + sizeof(auth) - 1, *end = data + line, *w;
				while (v < end && *v == ' ')
					v++;
				for (w = v; w < end && *w != ' '; w++)
					;
				log_escape(a->auth_sent, sizeof(a->auth_sent), v, (size_t)(w - v));
				if (show)
					msg_verbose("%c %s %s <hidden>", mark, auth, a->auth_sent);
			} else if (show) {
				log_escape(out, sizeof(out), data, line);
				msg_verbose("%c %s", mark, out);
			}
		}
		n += n < len;
		data += n;
		len -= n;
	}
}

static int on_debug(CURL *h, curl_infotype type, char *data, size_t len, void *userp)
{
	struct attempt *a = userp;
	(void)h;
	switch (type) {
	case CURLINFO_TEXT:
		if (log_verbose_enabled())
			print_lines(a, '*', data, len);
		break;
	case CURLINFO_HEADER_OUT:
		print_lines(a, '>', data, len);
		break;
	case CURLINFO_HEADER_IN:
		if (log_verbose_enabled())
			print_lines(a, '<', data, len);
		break;
	default:
		/* Tunnel bytes are the user's, never logged; TLS records are noise. */
		break;
	}
	return 0;
}

/* "scheme://host:port" for libcurl, built from parts egress validated itself. */
static void proxy_url(const struct proxy_spec *p, char *buf, size_t bufsz)
{
	char hp[HOST_MAX + 9];
	snprintf(buf, bufsz, "%s://%s", proxy_scheme_name(p->scheme),
		 endpoint_str(&p->addr, hp, sizeof(hp)));
}

/* The target as a URL; CURLU takes host and port separately, so nothing in the host
 * can be mistaken for URL syntax. */
static CURLU *target_url(const struct endpoint *t)
{
	char host[HOST_MAX + 3], port[8];
	CURLU *u = curl_url();
	if (!u)
		return NULL;
	snprintf(host, sizeof(host), t->ipv6 ? "[%s]" : "%s", t->host);
	snprintf(port, sizeof(port), "%u", (unsigned)t->port);
	if (curl_url_set(u, CURLUPART_SCHEME, "http", 0) ||
	    curl_url_set(u, CURLUPART_HOST, host, 0) ||
	    curl_url_set(u, CURLUPART_PORT, port, 0)) {
		curl_url_cleanup(u);
		return NULL;
	}
	return u;
}

/* What egress may answer an HTTP proxy's 407 with. libcurl's default is preemptive
 * Basic, which a Digest-only proxy refuses: with several schemes allowed, libcurl
 * waits for the 407 and picks the strongest the proxy offers. */
static bool set_http_auth(CURL *h, struct attempt *a)
{
	unsigned long mask = proxy_auth_mask(a->cfg->proxy_auth);
	bool ok = true;

#define SET(opt, val) ok = ok && curl_easy_setopt(h, opt, val) == CURLE_OK
	if (a->creds.user && a->creds.pass) {
		SET(CURLOPT_PROXYUSERNAME, a->creds.user);
		SET(CURLOPT_PROXYPASSWORD, a->creds.pass);
		SET(CURLOPT_PROXYAUTH, mask);
	} else if (mask & CURLAUTH_NEGOTIATE) {
		/* No password: Kerberos can still answer, from the ticket cache. libcurl
		 * answers only when some user is set, and with Negotiate as the one scheme
		 * it would send a token before being asked; ONLY keeps it waiting for a
		 * 407 that offers Negotiate, unless that is all the user allowed. */
		SET(CURLOPT_PROXYUSERNAME, "");
		SET(CURLOPT_PROXYPASSWORD, "");
		SET(CURLOPT_PROXYAUTH, mask == CURLAUTH_NEGOTIATE
					       ? CURLAUTH_NEGOTIATE
					       : CURLAUTH_NEGOTIATE | CURLAUTH_ONLY);
	}
#undef SET
	return ok;
}

static bool set_options(CURL *h, struct attempt *a, CURLU *url, struct curl_slist *hdrs)
{
	const struct egress_config *cfg = a->cfg;
	char purl[HOST_MAX + 16];
	bool ok = true;

#define SET(opt, val) ok = ok && curl_easy_setopt(h, opt, val) == CURLE_OK
	SET(CURLOPT_CURLU, url);
	SET(CURLOPT_CONNECT_ONLY, 1L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, a->errbuf);
	SET(CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
	SET(CURLOPT_TCP_NODELAY, 1L);
	SET(CURLOPT_IPRESOLVE, cfg->family == 4   ? CURL_IPRESOLVE_V4
			       : cfg->family == 6 ? CURL_IPRESOLVE_V6
						  : CURL_IPRESOLVE_WHATEVER);
	if (cfg->keepalive_secs) {
		SET(CURLOPT_TCP_KEEPALIVE, 1L);
		SET(CURLOPT_TCP_KEEPIDLE, cfg->keepalive_secs);
		SET(CURLOPT_TCP_KEEPINTVL, cfg->keepalive_secs);
	}
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, a);
	/* Always: the debug callback is also where the scheme of a Proxy-Authorization
	 * egress sends shows, for the message when the proxy rejects it. */
	SET(CURLOPT_DEBUGFUNCTION, on_debug);
	SET(CURLOPT_DEBUGDATA, a);
	SET(CURLOPT_VERBOSE, 1L);
	/* Set both, always: libcurl would otherwise read http_proxy and no_proxy itself. */
	SET(CURLOPT_NOPROXY, "");
	if (!a->proxy) {
		SET(CURLOPT_PROXY, "");
		return ok;
	}
	proxy_url(a->proxy, purl, sizeof(purl));
	SET(CURLOPT_PROXY, purl);
	if (a->proxy->scheme == PROXY_HTTPS) {
		/* A directory given alone is the whole trust store: libcurl would also
		 * load its built-in bundle file and fail where that file is missing. */
		if (cfg->proxy_cacert || cfg->proxy_capath)
			SET(CURLOPT_PROXY_CAINFO, cfg->proxy_cacert);
		if (cfg->proxy_capath)
			SET(CURLOPT_PROXY_CAPATH, cfg->proxy_capath);
		if (cfg->proxy_pinnedpubkey)
			SET(CURLOPT_PROXY_PINNEDPUBLICKEY, cfg->proxy_pinnedpubkey);
		if (cfg->proxy_cert)
			SET(CURLOPT_PROXY_SSLCERT, cfg->proxy_cert);
		if (cfg->proxy_key)
			SET(CURLOPT_PROXY_SSLKEY, cfg->proxy_key);
		if (cfg->proxy_insecure) {
			SET(CURLOPT_PROXY_SSL_VERIFYPEER, 0L);
			SET(CURLOPT_PROXY_SSL_VERIFYHOST, 0L);
		}
	}
	if (a->proxy->scheme == PROXY_HTTP || a->proxy->scheme == PROXY_HTTPS) {
		SET(CURLOPT_HTTPPROXYTUNNEL, 1L);
		SET(CURLOPT_PROXYHEADER, hdrs);
		SET(CURLOPT_HEADEROPT, CURLHEADER_SEPARATE);
		if (cfg->user_agent)
			SET(CURLOPT_USERAGENT, cfg->user_agent);
		return ok && set_http_auth(h, a);
	}
	/* For SOCKS5 the same pair is the username/password method's; SOCKS4 sends
	 * the user as its user id. */
	if (a->creds.user) {
		SET(CURLOPT_PROXYUSERNAME, a->creds.user);
		SET(CURLOPT_PROXYPASSWORD, a->creds.pass ? a->creds.pass : "");
	}
#undef SET
	return ok;
}

/* One attempt through one proxy (or direct). On success t holds the tunnel. */
static enum egress_err try_one(struct attempt *a, struct curl_slist *hdrs, struct tunnel *t)
{
	enum egress_err e = EGRESS_EIO;
	CURLU *url = target_url(&a->cfg->target);
	CURL *h = curl_easy_init();
	curl_socket_t fd = CURL_SOCKET_BAD;
	CURLcode rc;
	long code = 0;

	if (a->proxy) {
		msg_verbose("using proxy %s (from %s)", a->proxy_label, a->cfg->proxy_source);
		e = creds_for_proxy(a->cfg, a->proxy, a->proxy_label, &a->creds);
		if (e != EGRESS_OK) {
			a->why[0] = '\0'; /* said already */
			goto fail;
		}
		if (a->creds.pass) {
			secret_protect_process();
			msg_verbose("proxy user %s, password from %s", a->creds.user, a->creds.from);
		}
	} else {
		msg_verbose("connecting directly to %s (%s)", a->target_label,
			    a->cfg->direct_reason);
	}
	if (!url || !h || !set_options(h, a, url, hdrs)) {
		snprintf(a->why, sizeof(a->why), "cannot set up libcurl for %s", a->target_label);
		e = EGRESS_EIO;
		goto fail;
	}
	/* libcurl has its own copy now. */
	a->had_pass = a->creds.pass != NULL;
	secret_free(a->creds.pass);
	a->creds.pass = NULL;

	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		e = attempt_failure(a, h, rc);
		goto fail;
	}
	curl_easy_getinfo(h, CURLINFO_HTTP_CONNECTCODE, &code);
	/* SOCKS has no status code: libcurl's success is the proxy's. */
	bool http = a->proxy && (a->proxy->scheme == PROXY_HTTP || a->proxy->scheme == PROXY_HTTPS);
	if (http && (code < 200 || code > 299)) {
		/* CONNECT_ONLY can report success without a tunnel; never relay on that. */
		snprintf(a->why, sizeof(a->why), "proxy %s gave no CONNECT reply for %s",
			 a->proxy_label, a->target_label);
		e = EGRESS_EREFUSED;
		goto fail;
	}
	if (curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK || fd == CURL_SOCKET_BAD) {
		snprintf(a->why, sizeof(a->why), "libcurl gave no socket for %s", a->target_label);
		goto fail;
	}
	/* Both point into *a, which ends with tunnel_open; a TLS tunnel's handle lives
	 * on, and a failed curl_easy_recv would write its message into the buffer. */
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, NULL);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, NULL);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, NULL);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, NULL);
	/* libcurl 7.88 logs a line for every curl_easy_recv and curl_easy_send. */
	curl_easy_setopt(h, CURLOPT_VERBOSE, 0L);
	t->fd = fd;
	t->handle = h;
	t->proxy = a->proxy;
	t->tls = a->proxy && a->proxy->scheme == PROXY_HTTPS;
	snprintf(t->proxy_label, sizeof(t->proxy_label), "%s", a->proxy_label);
	curl_url_cleanup(url);
	creds_clear(&a->creds);
	return EGRESS_OK;
fail:
	curl_easy_cleanup(h);
	curl_url_cleanup(url);
	creds_clear(&a->creds);
	return e;
}

enum egress_err tunnel_open(const struct egress_config *cfg, struct tunnel *t)
{
	struct curl_slist *hdrs = NULL;
	struct attempt a;
	enum egress_err e = EGRESS_EIO;
	size_t tries = cfg->proxies.n ? cfg->proxies.n : 1;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	endpoint_str(&cfg->target, t->target_label, sizeof(t->target_label));
	/* Paired with the cleanup in tunnel_close; libcurl counts the pairs. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		msg_err("cannot initialise libcurl");
		return EGRESS_EIO;
	}
	for (size_t i = 0; i < cfg->nheaders; i++) {
		struct curl_slist *n = curl_slist_append(hdrs, cfg->headers[i]);
		if (!n) {
			curl_slist_free_all(hdrs);
			msg_err("out of memory");
			return EGRESS_EIO;
		}
		hdrs = n;
	}

	for (size_t i = 0; i < tries; i++) {
		memset(&a, 0, sizeof(a));
		a.cfg = cfg;
		a.target_label = t->target_label;
		a.proxy = cfg->proxies.n ? &cfg->proxies.v[i] : NULL;
		if (a.proxy)
			endpoint_str(&a.proxy->addr, a.proxy_label, sizeof(a.proxy_label));
		e = try_one(&a, hdrs, t);
		if (e == EGRESS_OK)
			break;
		/* Credentials that could not be had end the whole attempt, said already:
		 * the person declined, or --netrc-file went bad. */
		if (!a.why[0])
			break;
		if (i + 1 < tries)
			msg_verbose("proxy %s failed: %s; trying the next one", a.proxy_label, a.why);
		else
			msg_err("%s", a.why);
	}
	curl_slist_free_all(hdrs);
	if (e != EGRESS_OK)
		curl_global_cleanup();
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
	curl_global_cleanup();
	t->handle = NULL;
	t->fd = -1;
}
