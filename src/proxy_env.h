/* Which proxy a target goes through when the command line does not say: the proxy
 * environment variables and curl's no_proxy matching rules. Pure: getenv is injected. */
#ifndef EGRESS_PROXY_ENV_H
#define EGRESS_PROXY_ENV_H

#include <stdbool.h>
#include <stddef.h>

typedef const char *(*env_get_fn)(const char *name);

/* The first non-empty of EGRESS_PROXY, https_proxy, HTTPS_PROXY, all_proxy, ALL_PROXY;
 * *name is set to the variable it came from. NULL when none is set. */
const char *proxy_from_env(env_get_fn get, const char **name);

/* The first non-empty of no_proxy, NO_PROXY; NULL when neither is set. *name is set
 * to the variable it came from. */
const char *noproxy_from_env(env_get_fn get, const char **name);

/* Whether host (a name, an IPv4 or a bare IPv6 literal) matches a no_proxy list:
 * entries separated by commas or white space; "*" matches everything; a name matches
 * itself and its subdomains (a leading dot is optional); an IP matches an equal IP or
 * a CIDR block (192.168.0.0/16, fd00::/8). Case-insensitive, trailing dots ignored. */
bool noproxy_match(const char *list, const char *host);

/* noproxy_match, and the entry that matched: len bytes at *entry. */
bool noproxy_match_entry(const char *list, const char *host, const char **entry, size_t *len);

#endif
