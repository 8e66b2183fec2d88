/* Choosing the ways to a target. The proxy list is parsed only once it is known to
 * apply: a target that no_proxy sends direct never sees it. */
#include "route.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static bool refuse(struct route_refusal *why, bool usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool refuse(struct route_refusal *why, bool usage, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why->line, sizeof(why->line), fmt, ap);
	va_end(ap);
	why->usage = usage;
	return false;
}

static bool go_direct(struct route *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool go_direct(struct route *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->direct_why, sizeof(r->direct_why), fmt, ap);
	va_end(ap);
	r->v = calloc(1, sizeof(*r->v));
	if (!r->v)
		return false;
	r->v[0] = (struct route_way){ NULL, r->direct_why };
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
	if (cfg->noproxy && strcmp(from, "--noproxy"))
		*oom = !go_direct(r, "noproxy entry \"%s\" at %s matches", shown, from);
	else
		*oom = !go_direct(r, "%s entry \"%s\" matches", from, shown);
	return true;
}

bool route_choose(const struct egress_config *cfg, const struct endpoint *target, env_get_fn env,
		  struct route *r, struct route_refusal *why)
{
	char err[ERR_MAX];
	const char *list = cfg->proxy, *source = cfg->proxy_origin ? cfg->proxy_origin : "-x";
	bool oom = false;

	memset(r, 0, sizeof(*r));
	r->cacert = cfg->proxy_cacert;
	r->capath = cfg->proxy_capath;
	if (!list) {
		list = proxy_from_env(env, &source);
		if (!list)
			return go_direct(r, "no proxy configured") ||
			       refuse(why, false, "out of memory");
	}
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
	r->v = calloc(r->proxies.n, sizeof(*r->v));
	if (!r->v)
		return refuse(why, false, "out of memory");
	for (size_t i = 0; i < r->proxies.n; i++)
		r->v[i] = (struct route_way){ &r->proxies.v[i], source };
	r->n = r->proxies.n;
	return true;
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

bool route_has_password(const struct route *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].proxy && r->v[i].proxy->pass)
			return true;
	return false;
}

void route_free(struct route *r)
{
	proxy_list_free(&r->proxies);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}
