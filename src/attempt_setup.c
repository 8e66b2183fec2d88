/* libcurl's options for one attempt. Proxy selection is done by egress (route.c), so
 * libcurl is always told CURLOPT_PROXY and CURLOPT_NOPROXY explicitly and never
 * consults the environment itself. */
#include "attempt.h"

#include <sys/socket.h>

#include <errno.h>

#include <stdio.h>

/* Sets a libcurl option on h; the first failure sticks in ok. */
#define SET(opt, val) (ok = ok && curl_easy_setopt(h, opt, val) == CURLE_OK)

unsigned long proxy_auth_mask(enum proxy_auth m)
{
	static const unsigned long masks[] = {
		[AUTH_ANY] = CURLAUTH_ANY,     [AUTH_ANYSAFE] = CURLAUTH_ANYSAFE,
		[AUTH_BASIC] = CURLAUTH_BASIC, [AUTH_DIGEST] = CURLAUTH_DIGEST,
		[AUTH_NTLM] = CURLAUTH_NTLM,   [AUTH_NEGOTIATE] = CURLAUTH_NEGOTIATE,
	};
	return masks[m];
}

/* "socks5h://" and "[255-byte host]:65535". */
#define PROXY_URL_MAX (16 + ENDPOINT_STR_MAX)

/* "scheme://host:port" for libcurl, built from parts egress validated itself; false
 * if it does not fit, which would change the port libcurl connects to. */
static bool proxy_url(const struct proxy_spec *p, char *buf, size_t bufsz)
{
	char hp[ENDPOINT_STR_MAX];
	int n = snprintf(buf, bufsz, "%s://%s", proxy_scheme_name(p->scheme),
			 endpoint_str(&p->addr, hp, sizeof(hp)));
	return n > 0 && (size_t)n < bufsz;
}

/* CURLU takes host and port separately, so nothing in the host can be mistaken for
 * URL syntax. */
CURLU *attempt_target_url(const struct endpoint *t)
{
	char host[HOST_MAX + 3], port[8];
	CURLU *u = curl_url();
	if (!u)
		return NULL;
	/* A host cut short would be another host. */
	int w = snprintf(host, sizeof(host), t->ipv6 ? "[%s]" : "%s", t->host);
	(void)snprintf(port, sizeof(port), "%u", (unsigned)t->port); /* 5 digits at most */
	if (w < 0 || (size_t)w >= sizeof(host) || curl_url_set(u, CURLUPART_SCHEME, "http", 0) ||
	    curl_url_set(u, CURLUPART_HOST, host, 0) || curl_url_set(u, CURLUPART_PORT, port, 0)) {
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

	if (a->creds.user && a->creds.pass) {
		SET(CURLOPT_PROXYUSERNAME, a->creds.user);
		SET(CURLOPT_PROXYPASSWORD, a->creds.pass);
		SET(CURLOPT_PROXYAUTH, mask);
		a->trace.answerable = mask;
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
		a->trace.answerable = CURLAUTH_NEGOTIATE;
	}
	return ok;
}

/* TLS to an https:// proxy: whom to trust, and the client certificate. */
static bool set_tls(CURL *h, const struct attempt *a)
{
	const struct egress_config *cfg = a->cfg;
	const struct route *r = a->route;
	bool ok = true;

	/* A directory given alone is the whole trust store: libcurl would also load its
	 * built-in bundle file and fail where that file is missing. */
	if (r->cacert || r->capath)
		SET(CURLOPT_PROXY_CAINFO, r->cacert);
	if (r->capath)
		SET(CURLOPT_PROXY_CAPATH, r->capath);
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
	return ok;
}

/* How to talk to the proxy: CONNECT and its headers, or SOCKS and its user. */
static bool set_proxy(CURL *h, struct attempt *a, struct curl_slist *hdrs)
{
	char purl[PROXY_URL_MAX];
	bool ok = true;

	if (!proxy_url(a->proxy, purl, sizeof(purl)))
		return false;
	SET(CURLOPT_PROXY, purl);
	if (a->proxy->scheme == PROXY_HTTPS && !set_tls(h, a))
		return false;
	if (proxy_scheme_is_http(a->proxy->scheme)) {
		SET(CURLOPT_HTTPPROXYTUNNEL, 1L);
		SET(CURLOPT_PROXYHEADER, hdrs);
		SET(CURLOPT_HEADEROPT, CURLHEADER_SEPARATE);
		if (a->cfg->user_agent)
			SET(CURLOPT_USERAGENT, a->cfg->user_agent);
		return ok && set_http_auth(h, a);
	}
	/* For SOCKS5 the same pair is the username/password method's; SOCKS4 sends the
	 * user as its user id. */
	if (a->creds.user) {
		SET(CURLOPT_PROXYUSERNAME, a->creds.user);
		SET(CURLOPT_PROXYPASSWORD, a->creds.pass ? a->creds.pass : "");
	}
	return ok;
}

/* libcurl's own socket(), but remembering why it failed: libcurl reports a failed
 * socket() as "Couldn't connect to server" with no errno, so running out of
 * descriptors here would read as an unreachable proxy. Close-on-exec, too: an
 * askpass program or a PAC's child has no business with the tunnel. */
static curl_socket_t open_socket(void *ctx, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct attempt *a = ctx;
	(void)purpose;
	int fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
	if (fd < 0)
		a->socket_errno = errno;
	/* cppcheck-suppress resourceLeak ; libcurl owns the socket from here, and closes it */
	return fd < 0 ? CURL_SOCKET_BAD : fd;
}

bool attempt_setup(CURL *h, struct attempt *a, CURLU *url, struct curl_slist *hdrs)
{
	const struct egress_config *cfg = a->cfg;
	bool ok = true;

	SET(CURLOPT_CURLU, url);
	SET(CURLOPT_CONNECT_ONLY, 1L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
	SET(CURLOPT_OPENSOCKETDATA, a);
	SET(CURLOPT_ERRORBUFFER, a->errbuf);
	SET(CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
	SET(CURLOPT_TCP_NODELAY, 1L);
	SET(CURLOPT_IPRESOLVE, cfg->family == 4	  ? CURL_IPRESOLVE_V4
			       : cfg->family == 6 ? CURL_IPRESOLVE_V6
						  : CURL_IPRESOLVE_WHATEVER);
	if (cfg->keepalive_secs) {
		SET(CURLOPT_TCP_KEEPALIVE, 1L);
		SET(CURLOPT_TCP_KEEPIDLE, cfg->keepalive_secs);
		SET(CURLOPT_TCP_KEEPINTVL, cfg->keepalive_secs);
	}
	ok = ok && attempt_trace_attach(h, &a->trace);
	/* Set both, always: libcurl would otherwise read http_proxy and no_proxy itself. */
	SET(CURLOPT_NOPROXY, "");
	if (!a->proxy) {
		SET(CURLOPT_PROXY, "");
		return ok;
	}
	return ok && set_proxy(h, a, hdrs);
}
