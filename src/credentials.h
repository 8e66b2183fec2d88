/* Where the user name and password for a proxy come from. */
#ifndef EGRESS_CREDENTIALS_H
#define EGRESS_CREDENTIALS_H

#include <stddef.h>
#include <sys/stat.h>

#include "config.h"
#include "err.h"
#include "proxy_url.h"

struct proxy_creds {
	char *user;	  /* NULL: none */
	char *pass;	  /* NULL: none; wiped by creds_clear */
	const char *from; /* where the password came from, for -v */
};

/* The credentials to offer proxy p (label: its host:port for prompts). The user is
 * the proxy URL's, else -U's, else the login of p's netrc entry. The password goes
 * with the user: the URL's or -U's, else EGRESS_PROXY_PASSWORD, else the netrc
 * entry for p's host and that user, else the answer of EGRESS_ASKPASS, of
 * SSH_ASKPASS when there is no terminal, or of a prompt on the terminal. SOCKS4
 * has no passwords. EGRESS_OK may leave either missing (the proxy may not ask);
 * EGRESS_EAUTH: an askpass program or the prompt gave nothing; EGRESS_EUSAGE: the
 * --netrc-file cannot be used. Messages are printed. */
enum egress_err creds_for_proxy(const struct egress_config *cfg, const struct proxy_spec *p,
				const char *label, struct proxy_creds *c);
void creds_clear(struct proxy_creds *c);

/* Listen mode: a password asked of a person (askpass, terminal) is kept for the rest
 * of the process, and once creds_stop_asking() has been called (the server runs),
 * nobody is asked any more: tunnels must not wait on a prompt. */
void creds_keep_answers(void);
void creds_stop_asking(void);

/* Whether a netrc file may be used: ours, and no access for group or others (as ssh
 * wants of private keys). False with the reason in why. */
bool creds_netrc_safe(const char *path, char *why, size_t whysz);

/* The same of a file already open (a config file holding a password): st is its
 * fstat, path its name for the reason. */
bool creds_stat_private(const struct stat *st, const char *path, char *why, size_t whysz);

#endif
