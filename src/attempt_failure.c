/* Why an attempt failed, in one line that names proxy and target, and the exit code
 * that goes with it: from libcurl's result, the trace (the proxy's status line and
 * what egress answered a 407 with), OpenSSL's reason, the SOCKS reply or the 407's
 * offered schemes. One function per transport: direct, TLS with the proxy, reaching
 * the proxy, SOCKS, HTTP. */
#include "attempt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proxy_url.h"

/* A SOCKS proxy's refusal as an exit code and words. libcurl reports every SOCKS
 * failure as CURLE_PROXY and says which in CURLINFO_PROXY_ERROR. */
static enum egress_err socks_failure(long px, const char **words)
{
	switch (px) {
	case CURLPX_USER_REJECTED:
		*words = "rejected the user name or password";
		return EGRESS_EAUTH;
	case CURLPX_NO_AUTH:
		*words = "accepts none of the offered authentication methods";
		return EGRESS_EAUTH;
	case CURLPX_REPLY_CONNECTION_REFUSED:
		*words = "target refused the connection";
		return EGRESS_EREFUSED;
	case CURLPX_REPLY_HOST_UNREACHABLE:
		*words = "target host unreachable";
		return EGRESS_EREFUSED;
	case CURLPX_REPLY_NETWORK_UNREACHABLE:
		*words = "target network unreachable";
		return EGRESS_EREFUSED;
	case CURLPX_REPLY_NOT_ALLOWED:
	case CURLPX_REQUEST_FAILED:
		*words = "not allowed by the proxy's rules";
		return EGRESS_EREFUSED;
	case CURLPX_REPLY_TTL_EXPIRED:
		*words = "TTL expired";
		return EGRESS_EREFUSED;
	case CURLPX_REPLY_GENERAL_SERVER_FAILURE:
		*words = "general server failure";
		return EGRESS_EREFUSED;
	case CURLPX_REPLY_COMMAND_NOT_SUPPORTED:
	case CURLPX_REPLY_ADDRESS_TYPE_NOT_SUPPORTED:
	case CURLPX_BAD_ADDRESS_TYPE:
		*words = "request not supported by the proxy";
		return EGRESS_EREFUSED;
	default:
		*words = "malformed or missing SOCKS reply";
		return EGRESS_EREFUSED;
	}
}

static const char *secs_str(long ms, char *buf, size_t bufsz)
{
	if (ms % 1000)
		err_printf(buf, bufsz, "%.3g s", (double)ms / 1000.0);
	else
		err_printf(buf, bufsz, "%ld s", ms / 1000);
	return buf;
}

static bool tls_failure(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
		return true;
	default:
		return false;
	}
}

/* OpenSSL's part of libcurl's message, "OpenSSL SSL_read: OpenSSL/3.0.11:
 * error:0A000418:SSL routines::tlsv1 alert unknown ca, errno 0", is the reason at
 * the end; libcurl's own messages ("SSL certificate problem: ...") stay whole. */
static const char *tls_reason(const char *detail)
{
	static char reason[CURL_ERROR_SIZE];
	const char *r = strstr(detail, "SSL routines::");
	if (!r)
		return detail;
	r += strlen("SSL routines::");
	size_t n = strcspn(r, ",");
	err_printf(reason, sizeof(reason), "%.*s", (int)n, r);
	return reason;
}

/* What to do about a TLS failure, when the reason tells. */
static const char *tls_hint(const char *detail, bool client_cert)
{
	static const struct {
		const char *needle;
		bool client_cert; /* the hint applies only when one was given */
		const char *hint;
	} hints[] = {
		/* A TLS client talking to a plain proxy gets an HTTP error page back,
		 * which OpenSSL reports as a record it cannot parse. */
		{ "wrong version number", false, " (is it a plain http:// proxy?)" },
		{ "packet length", false, " (is it a plain http:// proxy?)" },
		{ "self-signed certificate", false, " (--proxy-cacert FILE trusts it)" },
		{ "unable to get local issuer", false, " (--proxy-cacert FILE names its CA)" },
		{ "alert certificate required", false,
		  " (the proxy wants a client certificate: --proxy-cert, --proxy-key)" },
		{ "alert unknown ca", true, " (the proxy does not trust the client certificate)" },
		{ "alert bad certificate", true,
		  " (the proxy does not trust the client certificate)" },
		{ "alert certificate unknown", true,
		  " (the proxy does not trust the client certificate)" },
	};
	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if ((!hints[i].client_cert || client_cert) && strstr(detail, hints[i].needle))
			return hints[i].hint;
	return "";
}

/* The names of the schemes in a CURLAUTH mask, ", "-separated, into buf. */
static const char *scheme_names(unsigned long mask, char *buf, size_t bufsz)
{
	static const struct {
		unsigned long bit;
		const char *name;
	} names[] = {
		{ CURLAUTH_BASIC, "Basic" },
		{ CURLAUTH_DIGEST, "Digest" },
		{ CURLAUTH_NTLM, "NTLM" },
		{ CURLAUTH_NEGOTIATE, "Negotiate" },
	};
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(mask & names[i].bit))
			continue;
		int w = snprintf(buf + n, bufsz - n, "%s%s", n ? ", " : "", names[i].name);
		if (w < 0 || (size_t)w >= bufsz - n) {
			buf[n] = '\0'; /* the names that fit, none cut */
			break;
		}
		n += (size_t)w;
	}
	return buf;
}

/* A final 407: which credentials the proxy turned down, or, when egress had none
 * to offer, what the proxy asks for and where egress looks for them. */
static enum egress_err auth_failure(struct attempt *a, CURL *h)
{
	const char *p = a->proxy_label, *tg = a->target_label, *user = a->creds.user;
	long avail = 0;
	char offered[64], hint[ERR_MAX];
	size_t w = sizeof(a->why);

	curl_easy_getinfo(h, CURLINFO_PROXYAUTH_AVAIL, &avail);
	scheme_names((unsigned long)avail, offered, sizeof(offered));
	if (!strcmp(a->trace.auth_sent, "Negotiate")) {
		err_printf(a->why, w,
			   "proxy %s rejected the Kerberos ticket (Negotiate) to CONNECT %s; "
			   "klist shows the tickets",
			   p, tg);
		return EGRESS_EAUTH;
	}
	if (a->trace.auth_sent[0]) {
		/* Sent unasked (--proxy-auth basic) or not among what the proxy takes. */
		bool offered_sent = offered[0] && strstr(offered, a->trace.auth_sent);
		err_printf(a->why, w,
			   "proxy %s rejected the credentials for %s (%s) to CONNECT %s%s%s", p,
			   user ? user : "", a->trace.auth_sent, tg,
			   offered[0] && !offered_sent ? "; it offers " : "",
			   offered[0] && !offered_sent ? offered : "");
		return EGRESS_EAUTH;
	}
	/* Negotiate was possible but nothing went out: GSS-API had no ticket. */
	bool krb = (avail & CURLAUTH_NEGOTIATE) &&
		   (proxy_auth_mask(a->cfg->proxy_auth) & CURLAUTH_NEGOTIATE);
	const char *kinit = krb ? ", or kinit for Negotiate" : "";
	if (a->withheld)
		err_printf(hint, sizeof(hint),
			   "it came from %s, and egress sends passwords only to proxies you name "
			   "or that --proxy-auth-hosts matches%s",
			   a->way->why, kinit);
	else if (!avail)
		err_printf(hint, sizeof(hint), "it names no scheme egress could answer");
	else if (!user)
		err_printf(hint, sizeof(hint), "give a user with -U or in the proxy URL%s", kinit);
	else if (!a->had_pass)
		err_printf(hint, sizeof(hint),
			   "no password for %s: EGRESS_PROXY_PASSWORD, ~/.netrc, "
			   "EGRESS_ASKPASS or a terminal to ask on%s",
			   user, kinit);
	else if (krb)
		err_printf(hint, sizeof(hint),
			   "no Kerberos ticket for Negotiate (kinit), which "
			   "libcurl tries first; --proxy-auth can pick another scheme it offers");
	else
		err_printf(hint, sizeof(hint), "--proxy-auth allows none of them");
	err_printf(a->why, w, "proxy %s requires authentication for CONNECT %s: %s%s%s; %s", p, tg,
		   a->trace.status[0] ? a->trace.status : "407", offered[0] ? "; it offers " : "",
		   offered, hint);
	return EGRESS_EAUTH;
}

/* Facts about the failed transfer that more than one transport's explanation uses. */
struct failed {
	CURLcode rc;
	long code;	    /* the CONNECT reply's status; 0: none */
	long nconn;	    /* connections made; 0: the proxy (or target) was never reached */
	long oserr;	    /* errno of the last socket call */
	const char *detail; /* libcurl's message */
	char timeout[32];   /* --connect-timeout, for messages */
};

static enum egress_err direct_failure(struct attempt *a, const struct failed *f)
{
	const char *tg = a->target_label;
	size_t w = sizeof(a->why);

	switch (f->rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		err_printf(a->why, w, "cannot resolve %s (direct)", tg);
		return EGRESS_EUNREACH;
	case CURLE_COULDNT_CONNECT:
		err_printf(a->why, w, "cannot connect to %s (direct): %s", tg,
			   f->oserr ? strerror((int)f->oserr) : f->detail);
		return EGRESS_EUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		err_printf(a->why, w, "timed out connecting to %s (direct) after %s", tg,
			   f->timeout);
		return EGRESS_ETIMEOUT;
	default:
		err_printf(a->why, w, "cannot connect to %s (direct): %s", tg, f->detail);
		return EGRESS_EIO;
	}
}

/* TLS with an https:// proxy, when that is what failed; EGRESS_OK when it is not. */
static enum egress_err tls_with_proxy_failure(struct attempt *a, CURL *h, const struct failed *f)
{
	const char *p = a->proxy_label, *tg = a->target_label;
	size_t w = sizeof(a->why);
	bool https = a->proxy->scheme == PROXY_HTTPS;
	/* A proxy that refuses the client certificate does so after the TLS 1.3
	 * handshake: libcurl meets the alert reading the CONNECT reply, or, when the
	 * proxy has closed already, a reset while sending CONNECT. */
	bool io_failed = f->rc == CURLE_RECV_ERROR || f->rc == CURLE_SEND_ERROR;

	if (https && io_failed && a->trace.reply_bytes == 0 && f->oserr == ECONNRESET) {
		err_printf(a->why, w,
			   "TLS with proxy %s failed for %s: reset right after the "
			   "handshake (%s)",
			   p, tg,
			   a->cfg->proxy_cert ? "does the proxy refuse the client certificate?"
					      : "does the proxy want a client certificate? "
						"--proxy-cert, --proxy-key");
		return EGRESS_ETLS;
	}
	if (f->rc == CURLE_SSL_CACERT_BADFILE && !a->route->cacert && !a->route->capath) {
		/* No CA named, and the system's bundle is missing (no ca-certificates). */
		const char *bundle = NULL;
		curl_easy_getinfo(h, CURLINFO_CAINFO, &bundle);
		err_printf(a->why, w,
			   "TLS with proxy %s failed for %s: this system has no CA "
			   "certificates at %s; install ca-certificates, or give --proxy-cacert or "
			   "--proxy-capath",
			   p, tg, bundle ? bundle : "libcurl's default path");
		return EGRESS_ETLS;
	}
	if (tls_failure(f->rc) || (https && io_failed && strstr(f->detail, "SSL routines"))) {
		err_printf(a->why, w, "TLS with proxy %s failed for %s: %s%s", p, tg,
			   tls_reason(f->detail), tls_hint(f->detail, a->cfg->proxy_cert != NULL));
		return EGRESS_ETLS;
	}
	return EGRESS_OK;
}

/* Failures before any proxy protocol: the proxy not found, not reached, or silent. */
static enum egress_err reaching_failure(struct attempt *a, CURL *h, const struct failed *f)
{
	const char *p = a->proxy_label, *tg = a->target_label, *t = f->timeout;
	size_t w = sizeof(a->why);
	long sent = 0;

	switch (f->rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
		err_printf(a->why, w, "cannot resolve proxy host %s for %s", a->proxy->addr.host,
			   tg);
		return EGRESS_EUNREACH;
	case CURLE_COULDNT_CONNECT:
		err_printf(a->why, w, "cannot reach proxy %s for %s: %s", p, tg,
			   f->oserr ? strerror((int)f->oserr) : f->detail);
		return EGRESS_EUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		/* The CONNECT request goes out after the TLS handshake: none sent means
		 * the handshake never finished, as when a plain proxy waits for a line. */
		curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent);
		if (f->nconn == 0)
			err_printf(a->why, w, "timed out connecting to proxy %s for %s after %s", p,
				   tg, t);
		else if (a->proxy->scheme == PROXY_HTTPS && sent == 0)
			err_printf(a->why, w,
				   "proxy %s did not complete the TLS handshake for %s within "
				   "%s (is it a plain http:// proxy?)",
				   p, tg, t);
		else if (a->trace.reply_bytes > 0)
			/* Lines trickling in, or a body that libcurl reads before answering
			 * a 407 on the same connection: the proxy did answer. */
			err_printf(
				a->why, w,
				"proxy %s began its reply to CONNECT %s (%s) but did not finish it "
				"within %s",
				p, tg, a->trace.status[0] ? a->trace.status : a->trace.first_line,
				t);
		else
			err_printf(a->why, w, "proxy %s did not answer CONNECT %s within %s", p, tg,
				   t);
		return EGRESS_ETIMEOUT;
	default:
		return EGRESS_OK;
	}
}

static enum egress_err socks_proxy_failure(struct attempt *a, CURL *h)
{
	long px = 0;
	const char *words;
	enum egress_err e;

	curl_easy_getinfo(h, CURLINFO_PROXY_ERROR, &px);
	if (px == CURLPX_RESOLVE_HOST) {
		err_printf(a->why, sizeof(a->why),
			   "cannot resolve %s for SOCKS proxy %s (%s:// "
			   "resolves here; socks5h:// lets the proxy)",
			   a->target_label, a->proxy_label, proxy_scheme_name(a->proxy->scheme));
		return EGRESS_EUNREACH;
	}
	e = socks_failure(px, &words);
	err_printf(a->why, sizeof(a->why), "SOCKS proxy %s refused %s: %s", a->proxy_label,
		   a->target_label, words);
	return e;
}

/* The HTTP proxy's answer to CONNECT, or the lack of one. */
static enum egress_err http_proxy_failure(struct attempt *a, CURL *h, const struct failed *f)
{
	const char *p = a->proxy_label, *tg = a->target_label;
	size_t w = sizeof(a->why);

	if (f->code == 407)
		return auth_failure(a, h);
	if (f->code >= 100 && f->code <= 199) {
		/* RFC 9110 lets a 1xx come before the final reply, but libcurl takes the
		 * first reply to CONNECT as final: no refusal, and no tunnel either. */
		err_printf(a->why, w,
			   "proxy %s answered CONNECT %s with an interim reply, which egress does "
			   "not support: %s",
			   p, tg, a->trace.status[0] ? a->trace.status : "1xx");
		return EGRESS_EREFUSED;
	}
	if (f->code >= 200 && f->code <= 299) {
		/* A 2xx whose headers libcurl could not take, e.g. an endless header flood;
		 * for a NUL in a header it says only "bad argument". */
		if (a->trace.nul_header[0])
			err_printf(
				a->why, w,
				"proxy %s sent a malformed reply to CONNECT %s: a NUL byte in the "
				"header \"%s\"",
				p, tg, a->trace.nul_header);
		else if (f->rc == CURLE_RECV_ERROR &&
			 (f->oserr == ECONNRESET || strstr(f->detail, "CONNECT aborted")))
			/* The head broken off by a reset or a close, where libcurl's "Recv
			 * failure" or "Proxy CONNECT aborted" read as a wrong reply. */
			err_printf(a->why, w,
				   "proxy %s %s the connection before the end of its reply to "
				   "CONNECT %s (%s)",
				   p, f->oserr == ECONNRESET ? "reset" : "closed", tg,
				   a->trace.status);
		else
			err_printf(a->why, w, "proxy %s sent a malformed reply to CONNECT %s: %s",
				   p, tg, f->detail);
		return EGRESS_EREFUSED;
	}
	if (f->code != 0) {
		err_printf(a->why, w, "proxy %s refused CONNECT %s: %s", p, tg,
			   a->trace.status[0] ? a->trace.status : "non-2xx reply");
		return EGRESS_EREFUSED;
	}
	if (f->nconn > 0) {
		/* A status line longer than libcurl reads delivers no byte of the reply. */
		if (a->trace.reply_bytes == 0 && strstr(f->detail, "too large"))
			err_printf(a->why, w, "proxy %s sent a malformed reply to CONNECT %s: %s",
				   p, tg, f->detail);
		else if (a->trace.reply_bytes == 0)
			err_printf(a->why, w,
				   "proxy %s closed the connection without answering CONNECT %s", p,
				   tg);
		else
			err_printf(a->why, w,
				   "proxy %s sent a malformed reply to CONNECT %s: \"%s\"", p, tg,
				   a->trace.first_line);
		return EGRESS_EREFUSED;
	}
	err_printf(a->why, w, "proxy %s: CONNECT %s failed: %s", p, tg, f->detail);
	return EGRESS_EIO;
}

enum egress_err attempt_failure(struct attempt *a, CURL *h, CURLcode rc)
{
	struct failed f = { .rc = rc, .detail = a->errbuf[0] ? a->errbuf : curl_easy_strerror(rc) };
	enum egress_err e;

	curl_easy_getinfo(h, CURLINFO_HTTP_CONNECTCODE, &f.code);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &f.nconn);
	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &f.oserr);
	secs_str(a->cfg->connect_timeout_ms, f.timeout, sizeof(f.timeout));

	if (a->socket_errno == EMFILE || a->socket_errno == ENFILE) {
		/* Ours, not the network's: no proxy was tried. */
		if (a->proxy)
			err_printf(a->why, sizeof(a->why),
				   "cannot open a socket to proxy %s for %s: %s (ulimit -n)",
				   a->proxy_label, a->target_label, strerror(a->socket_errno));
		else
			err_printf(a->why, sizeof(a->why),
				   "cannot open a socket to %s (direct): %s (ulimit -n)",
				   a->target_label, strerror(a->socket_errno));
		return EGRESS_EIO;
	}
	if (!a->proxy)
		return direct_failure(a, &f);
	e = tls_with_proxy_failure(a, h, &f);
	if (e == EGRESS_OK)
		e = reaching_failure(a, h, &f);
	if (e != EGRESS_OK)
		return e;
	/* SOCKS says what went wrong in its own reply codes, which libcurl passes on. */
	if (rc == CURLE_PROXY && !proxy_scheme_is_http(a->proxy->scheme))
		return socks_proxy_failure(a, h);
	return http_proxy_failure(a, h, &f);
}
