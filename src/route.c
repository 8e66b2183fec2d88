/* Choosing the ways to a target. The proxy list is parsed only once it is known to
 * apply: a target that no_proxy sends direct never sees it. */
#include "route.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "host_pattern.h"
#include "log.h"

static bool refuse(struct route_refusal *why, bool usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool refuse(struct route_refusal *why, bool usage, const char *fmt, ...)
{
	va_list ap;
	if (usage)
		why->status = EGRESS_EUSAGE;
	va_start(ap, fmt);
	err_vprintf(why->line, sizeof(why->line), fmt, ap);
	va_end(ap);
	why->usage = usage;
	return false;
}

static bool go_direct(struct route *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool go_direct(struct route *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vprintf(r->direct_why, sizeof(r->direct_why), fmt, ap);
	va_end(ap);
	r->v = calloc(1, sizeof(*r->v));
	if (!r->v)
		return false;
	r->v[0] = (struct route_way){ NULL, r->direct_why, false };
	r->n = 1;
	return true;
}

/* Whether target goes direct because a no_proxy list matches it; then the route
 * says which entry of which list. */
static bool noproxy_direct(const struct egress_config *cfg, const struct endpoint *target,
			   env_get_fn env, struct route *r, bool *oom)
{
	const char *from = cfg->noproxy_origin ? cfg->noproxy_origin : "--noproxy";
	const char *list = cfg->noproxy, *entry;
	size_t len;
	char shown[128];

	if (!list)
		list = noproxy_from_env(env, &from);
	if (!list || !noproxy_match_entry(list, target->host, &entry, &len))
		return false;
	log_escape(shown, sizeof(shown), entry, len < 64 ? len : 64);
	if (cfg->noproxy && strcmp(from, "--noproxy") != 0)
		*oom = !go_direct(r, "noproxy entry \"%s\" at %s matches", shown, from);
	else
		*oom = !go_direct(r, "%s entry \"%s\" matches", from, shown);
	return true;
}

/* The ways of a proxy list, each from source. */
static bool take_list(struct route *r, const char *source)
{
	r->v = calloc(r->proxies.n, sizeof(*r->v));
	if (!r->v)
		return false;
	for (size_t i = 0; i < r->proxies.n; i++)
		r->v[i] = (struct route_way){ &r->proxies.v[i], source, false };
	r->n = r->proxies.n;
	return true;
}

/* Where the proxy comes from: -x, else --pac (the config file's first "proxy" or
 * "pac" line is one of them), else EGRESS_PROXY, EGRESS_PAC, the curl variables.
 * *list or *pac is set, or neither. */
static void proxy_source(const struct egress_config *cfg, env_get_fn env, const char **list,
			 const char **pac, const char **source)
{
	const char *v;

	*list = *pac = NULL;
	if (cfg->proxy) {
		*list = cfg->proxy;
		*source = cfg->proxy_origin ? cfg->proxy_origin : "-x";
	} else if (cfg->pac) {
		*pac = cfg->pac;
		*source = cfg->pac_origin ? cfg->pac_origin : "--pac";
	} else if ((v = env("EGRESS_PROXY")) && *v) {
		*list = v;
		*source = "EGRESS_PROXY";
	} else if ((v = env("EGRESS_PAC")) && *v) {
		*pac = v;
		*source = "EGRESS_PAC";
	} else {
		*list = proxy_from_env(env, source);
	}
}

bool route_choose(const struct egress_config *cfg, const struct endpoint *target, env_get_fn env,
		  struct route *r, struct route_refusal *why)
{
	char err[ERR_MAX];
	const char *list, *pac, *source;
	bool oom = false;

	memset(r, 0, sizeof(*r));
	r->cacert = cfg->proxy_cacert;
	r->capath = cfg->proxy_capath;
	why->status = EGRESS_EUSAGE;
	proxy_source(cfg, env, &list, &pac, &source);
	if (pac) {
		/* The PAC is fetched and run by the caller, unless no_proxy says direct. */
		if (noproxy_direct(cfg, target, env, r, &oom))
			return !oom || refuse(why, false, "out of memory");
		r->pac = pac;
		r->pac_origin = source;
		return true;
	}
	if (!list)
		return go_direct(r, "no proxy configured") || refuse(why, false, "out of memory");
	if (!*list)
		return (strcmp(source, "-x") ? go_direct(r, "%s says direct", source)
					     : go_direct(r, "-x \"\"")) ||
		       refuse(why, false, "out of memory");
	if (noproxy_direct(cfg, target, env, r, &oom))
		return !oom || refuse(why, false, "out of memory");
	if (!parse_proxy_list(list, &r->proxies, err, sizeof(err))) {
		if (cfg->proxy && !strcmp(source, "-x"))
			return refuse(why, true, "%s", err);
		return refuse(why, false, "%s (from %s)", err, source);
	}
	return take_list(r, source) || refuse(why, false, "out of memory");
}

/* The URL of one PAC entry ("PROXY host:port") in out, or false when it is not one
 * egress knows. A missing port is the scheme's usual one, as browsers take it. */
static bool pac_entry_url(const char *e, size_t n, char *out, size_t outsz, bool *direct)
{
	static const struct {
		const char *word, *scheme, *port;
	} kinds[] = {
		{ "PROXY", "http", "80" },	{ "HTTP", "http", "80" },
		{ "HTTPS", "https", "443" },	{ "SOCKS", "socks4", "1080" },
		{ "SOCKS4", "socks4", "1080" }, { "SOCKS5", "socks5h", "1080" },
	};
	size_t wl = strcspn(e, " \t");

	/* The entry is n bytes: its first word ends there at the latest (the next blank
	 * may be in the next entry; found by fuzzing: "HTTP;DIRECT x" read past it). */
	if (wl > n)
		wl = n;
	const char *hp = e + wl;
	*direct = wl == 6 && wl == n && !strncasecmp(e, "DIRECT", 6);
	if (*direct)
		return true;
	while (hp < e + n && (*hp == ' ' || *hp == '\t'))
		hp++;
	size_t hl = (size_t)(e + n - hp);
	/* cppcheck-suppress knownConditionTrueFalse ; a lone word ("PROXY") leaves none */
	if (!hl || memchr(hp, ' ', hl) || memchr(hp, '\t', hl) || memchr(hp, ',', hl) ||
	    memchr(hp, '@', hl) || memchr(hp, '/', hl))
		return false;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strlen(kinds[i].word) != wl || strncasecmp(e, kinds[i].word, wl) != 0)
			continue;
		/* host:port, [v6]:port, or a host alone (a colon only inside brackets). */
		const char *close = hp[0] == '[' ? memchr(hp, ']', hl) : NULL;
		const char *after = close ? close + 1 : hp;
		bool has_port = memchr(after, ':', (size_t)(e + n - after)) != NULL;
		/* One too long for out is no proxy egress knows; cut, it would be another. */
		int w = snprintf(out, outsz, "%s://%.*s%s%s", kinds[i].scheme, (int)hl, hp,
				 has_port ? "" : ":", has_port ? "" : kinds[i].port);
		return w > 0 && (size_t)w < outsz;
	}
	return false;
}

bool route_from_pac(struct route *r, char *answer, struct route_refusal *why)
{
	const char *result = answer, *origin = r->pac_label;
	char shown[256], url[HOST_MAX + 32], err[ERR_MAX];
	char *urls = NULL;
	size_t urls_len = 0, nways = 0, nproxies = 0;
	FILE *list = open_memstream(&urls, &urls_len);
	bool *direct = calloc(strlen(result) / 2 + 2, sizeof(*direct));
	bool ok = list && direct;

	r->pac_answer = answer;
	err_printf(r->pac_label, sizeof(r->pac_label), "PAC %s", r->pac);
	why->status = EGRESS_EUNREACH;
	for (const char *p = result; ok && *p;) {
		while (*p == ';' || *p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, ";");
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (!n)
			break;
		bool d;
		struct proxy_list one = { 0 };
		if (pac_entry_url(p, n, url, sizeof(url), &d) &&
		    (d || parse_proxy_list(url, &one, err, sizeof(err)))) {
			proxy_list_free(&one);
			if (!d)
				fprintf(list, "%s%s", nproxies++ ? "," : "", url);
			direct[nways++] = d;
		} else {
			msg_warn("%s returned \"%s\", which egress does not know; skipped", origin,
				 log_escape(shown, sizeof(shown), p, n < 80 ? n : 80));
		}
		p += strcspn(p, ";");
	}
	if (list && fclose(list) != 0)
		ok = false;
	if (ok && nways == 0)
		ok = refuse(why, false, "%s gave no way egress knows for this target: \"%s\"",
			    origin, log_escape_str(shown, sizeof(shown), result, 200));
	else if (ok && nproxies && !parse_proxy_list(urls, &r->proxies, err, sizeof(err)))
		ok = refuse(why, false, "%s returned a bad proxy: %s", origin, err);
	else if (ok && !(r->v = calloc(nways, sizeof(*r->v))))
		ok = refuse(why, false, "out of memory");
	else if (!ok)
		refuse(why, false, "out of memory");
	for (size_t i = 0, p = 0; ok && i < nways; i++) {
		if (direct[i])
			err_printf(r->direct_why, sizeof(r->direct_why), "%.400s says DIRECT",
				   origin);
		/* ok: r->v was allocated; the analyzer takes refuse()'s false for true, not
		 * following a variadic function.
		 * NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
		r->v[i] = (struct route_way){ direct[i] ? NULL : &r->proxies.v[p++],
					      direct[i] ? r->direct_why : origin, true };
	}
	if (ok)
		r->n = nways;
	free(urls);
	free(direct);
	return ok;
}

/* env NAME as a path for TLS, or NULL; one that cannot be read is refused (*bad
 * set), as it is on the command line. */
static const char *env_path(env_get_fn env, const char *name, bool *bad, struct route_refusal *why)
{
	const char *v = env(name);
	if (!v || !*v)
		return NULL;
	/* OpenSSL takes a list of directories in SSL_CERT_DIR; each is its business. */
	if (!strchr(v, ':') && access(v, R_OK) < 0) {
		refuse(why, true, "%s: cannot read \"%s\": %s", name, v, strerror(errno));
		*bad = true;
	}
	return v;
}

/* With no CA named, the variables curl's own tool reads name one for an https://
 * proxy too: CURL_CA_BUNDLE, else SSL_CERT_FILE and SSL_CERT_DIR. Users behind an
 * intercepting proxy set them once for every TLS client. */
static bool ca_from_env(const struct egress_config *cfg, env_get_fn env, struct route *r,
			struct route_refusal *why)
{
	bool bad = false;
	if (r->cacert || r->capath || cfg->proxy_insecure)
		return true;
	r->cacert = env_path(env, "CURL_CA_BUNDLE", &bad, why);
	if (!r->cacert && !bad) {
		r->cacert = env_path(env, "SSL_CERT_FILE", &bad, why);
		if (!bad)
			r->capath = env_path(env, "SSL_CERT_DIR", &bad, why);
	}
	return !bad;
}

bool route_check(const struct egress_config *cfg, env_get_fn env, struct route *r,
		 struct route_refusal *why)
{
	for (size_t i = 0; i < r->n; i++) {
		if (!r->v[i].proxy || r->v[i].proxy->scheme != PROXY_HTTPS)
			continue;
		if (!ca_from_env(cfg, env, r, why))
			return false;
		if (cfg->half_close)
			return refuse(why, true,
				      "--half-close cannot go through an https:// proxy: "
				      "libcurl cannot close only the sending half of TLS");
		if (cfg->fdpass)
			return refuse(why, true,
				      "--fdpass cannot hand over an https:// proxy's "
				      "tunnel: its bytes are inside TLS that egress holds");
	}
	return true;
}

bool route_may_send_password(const struct egress_config *cfg, const struct route_way *way)
{
	return !way->from_pac ||
	       (way->proxy && cfg->proxy_auth_hosts &&
		host_pattern_match_string(cfg->proxy_auth_hosts, way->proxy->addr.host));
}

bool route_has_password(const struct route *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].proxy && r->v[i].proxy->pass)
			return true;
	return false;
}

void route_free(struct route *r)
{
	free(r->pac_answer);
	r->pac_answer = NULL;
	proxy_list_free(&r->proxies);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}
