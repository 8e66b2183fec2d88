/* The configuration's defaults and its release. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config_file.h"
#include "secret.h"

void config_init(struct egress_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->connect_timeout_ms = CONFIG_CONNECT_TIMEOUT_MS;
	cfg->max_conns = CONFIG_MAX_CONNS;
	cfg->drain_ms = CONFIG_DRAIN_MS;
}

static bool dup_into(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return !src || *dst;
}

bool config_copy(struct egress_config *dst, const struct egress_config *src)
{
	*dst = *src;
	dst->proxy = dst->proxy_user = dst->proxy_pass = dst->env_pass = NULL;
	dst->headers = (struct str_list){ 0 };
	dst->files = NULL;
	dst->listen_base = NULL;
	bool ok = dup_into(&dst->proxy, src->proxy) &&
		  dup_into(&dst->proxy_user, src->proxy_user) &&
		  dup_into(&dst->proxy_pass, src->proxy_pass) &&
		  dup_into(&dst->env_pass, src->env_pass);
	if (ok && src->headers.n) {
		dst->headers.v = malloc(src->headers.n * sizeof(*dst->headers.v));
		ok = dst->headers.v != NULL;
		if (ok) {
			memcpy(dst->headers.v, src->headers.v,
			       src->headers.n * sizeof(*dst->headers.v));
			dst->headers.n = src->headers.n;
		}
	}
	if (!ok)
		config_free(dst);
	return ok;
}

/* Recursive once at most: a listen_base's configuration has no listen_base of its
 * own. NOLINTNEXTLINE(misc-no-recursion) */
void config_free(struct egress_config *cfg)
{
	secret_free(cfg->proxy);
	free(cfg->proxy_user);
	secret_free(cfg->proxy_pass);
	secret_free(cfg->env_pass);
	cfg->proxy = cfg->proxy_user = cfg->proxy_pass = cfg->env_pass = NULL;
	free(cfg->headers.v);
	cfg->headers = (struct str_list){ 0 };
	config_files_free(cfg->files);
	cfg->files = NULL;
	if (cfg->listen_base) {
		config_files_free(cfg->listen_base->loaded);
		config_free(&cfg->listen_base->cfg);
		free(cfg->listen_base);
		cfg->listen_base = NULL;
	}
}
