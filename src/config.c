/* The configuration's defaults and its release. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "config_file.h"
#include "secret.h"

void config_init(struct egress_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->connect_timeout_ms = CONFIG_CONNECT_TIMEOUT_MS;
}

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
}
