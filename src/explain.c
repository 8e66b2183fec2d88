/* --explain, one fact a line, so that a user whose connection goes the wrong way can
 * read down to the line that sent it there. */
#include "explain.h"

#include <string.h>

#include "config_file.h"
#include "log.h"

/* A user name as it can be shown on a terminal. */
static const char *shown(const char *user)
{
	static char buf[4 * 128];
	return log_escape_str(buf, sizeof(buf), user, 128);
}

/* The credentials a proxy would be offered, should it ask. */
static void explain_user(const struct egress_config *cfg, const struct proxy_spec *p, FILE *out)
{
	if (p->scheme == PROXY_SOCKS4 || p->scheme == PROXY_SOCKS4A) {
		fprintf(out, "  credentials: none (SOCKS4 has no passwords)\n");
	} else if (p->user) {
		fprintf(out, "  user %s (in the proxy URL), %s\n", shown(p->user),
			p->pass		? "password in the URL"
			: cfg->env_pass ? "password from EGRESS_PROXY_PASSWORD"
					: "no password given: netrc, EGRESS_ASKPASS or the "
					  "terminal if the proxy asks");
	} else if (cfg->proxy_user) {
		fprintf(out, "  user %s (from %s), ", shown(cfg->proxy_user), cfg->user_origin);
		if (cfg->proxy_pass)
			fprintf(out, "password given there\n");
		else if (cfg->env_pass)
			fprintf(out, "password from EGRESS_PROXY_PASSWORD\n");
		else
			fprintf(out, "no password given: netrc, EGRESS_ASKPASS or the terminal if "
				     "the proxy asks\n");
	} else {
		fprintf(out,
			"  no user given: a netrc entry for %s, or a Kerberos ticket, if the "
			"proxy asks\n",
			p->addr.host);
	}
}

/* The proxy variables that are set but not used, because an option says otherwise:
 * the commonest surprise. */
static void explain_env(const struct egress_config *cfg, env_get_fn env, FILE *out)
{
	const char *name;

	if (cfg->proxy && proxy_from_env(env, &name))
		fprintf(out, "%s not used: the proxy is set %s %s\n", name,
			strcmp(cfg->proxy_origin, "-x") ? "at" : "by", cfg->proxy_origin);
	if (cfg->noproxy && noproxy_from_env(env, &name))
		fprintf(out, "%s not used: the noproxy list is set %s %s\n", name,
			strcmp(cfg->noproxy_origin, "--noproxy") ? "at" : "by",
			cfg->noproxy_origin);
}

void explain_print(const struct egress_config *cfg, const struct route *r, env_get_fn env,
		   FILE *out)
{
	char ep[ENDPOINT_STR_MAX];

	fprintf(out, "target %s\n", endpoint_str(&cfg->target, ep, sizeof(ep)));
	config_files_explain(cfg->files, out);
	explain_env(cfg, env, out);
	if (r->pac) {
		char answer[512];
		fprintf(out, "PAC %s (from %s)%s%s\n", r->pac, r->pac_origin,
			r->pac_how[0] ? ": " : "", r->pac_how);
		if (r->pac_answer)
			fprintf(out, "PAC answer for %s: \"%s\"\n", cfg->target.host,
				log_escape_str(answer, sizeof(answer), r->pac_answer, 400));
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct proxy_spec *p = r->v[i].proxy;
		if (!p) {
			fprintf(out, "way %zu: direct (%s)\n", i + 1, r->v[i].why);
			continue;
		}
		fprintf(out, "way %zu: %s://%s (from %s)\n", i + 1, proxy_scheme_name(p->scheme),
			endpoint_str(&p->addr, ep, sizeof(ep)), r->v[i].why);
		if (route_may_send_password(cfg, &r->v[i]))
			explain_user(cfg, p, out);
		else
			fprintf(out, "  no password goes to it: a PAC named it, and no "
				     "--proxy-auth-hosts pattern matches; Kerberos if it asks\n");
	}
}
