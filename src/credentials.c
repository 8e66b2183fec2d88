/* The order in which proxy credentials are looked for, and the netrc file. */
#include "credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ask.h"
#include "values.h"
#include "log.h"
#include "netrc.h"
#include "secret.h"

/* Larger than any netrc a person writes; a bound on what we read and wipe. */
#define NETRC_MAX ((size_t)1024 * 1024)

void creds_clear(struct proxy_creds *c)
{
	free(c->user);
	secret_free(c->pass);
	*c = (struct proxy_creds){ 0 };
}

bool creds_stat_private(const struct stat *st, const char *path, char *why, size_t whysz)
{
	if (st->st_uid != geteuid()) {
		err_printf(why, whysz, "%s belongs to another user", path);
		return false;
	}
	if (st->st_mode & 077) {
		err_printf(why, whysz, "%s is open to group or others (mode %04o; chmod 600 it)",
			   path, (unsigned)(st->st_mode & 07777));
		return false;
	}
	return true;
}

bool creds_netrc_safe(const char *path, char *why, size_t whysz)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		err_printf(why, whysz, "cannot read %s: %s", path, strerror(errno));
		return false;
	}
	return creds_stat_private(&st, path, why, whysz);
}

/* ~/.netrc, from HOME or the password database. */
static const char *default_netrc(char *buf, size_t bufsz)
{
	const char *home = getenv("HOME");
	if (!home || !*home) {
		const struct passwd *pw = getpwuid(geteuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home)
		return NULL;
	int w = snprintf(buf, bufsz, "%s/.netrc", home);
	if (w < 0 || (size_t)w >= bufsz) {
		/* Cut short, the path would name another file. */
		msg_warn("not reading ~/.netrc: HOME is too long for a path");
		return NULL;
	}
	return buf;
}

/* Looks up host (and login, if given) in the netrc file. A missing ~/.netrc is
 * normal; an unsafe one is passed over with a warning. --netrc-file was checked
 * before any traffic, so a failure there now is an error. */
static enum egress_err netrc_creds(const struct egress_config *cfg, const char *host,
				   const char *login, char **login_out, char **pass_out)
{
	char pathbuf[4096], why[4200];
	const char *path =
		cfg->netrc_file ? cfg->netrc_file : default_netrc(pathbuf, sizeof(pathbuf));
	struct stat st;
	char *text;
	ssize_t n;
	size_t len = 0;
	int fd;

	*login_out = *pass_out = NULL;
	if (!path)
		return EGRESS_OK;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (!cfg->netrc_file && errno == ENOENT)
			return EGRESS_OK;
		msg_err_errno(errno, "cannot read %s", path);
		return cfg->netrc_file ? EGRESS_EUSAGE : EGRESS_OK;
	}
	if (fstat(fd, &st) < 0 || !creds_stat_private(&st, path, why, sizeof(why))) {
		close(fd);
		if (cfg->netrc_file) {
			msg_err("%s", why);
			return EGRESS_EUSAGE;
		}
		msg_warn("not using %s: %s", path, why);
		return EGRESS_OK;
	}
	text = malloc(NETRC_MAX + 1);
	if (!text) {
		close(fd);
		return EGRESS_EIO;
	}
	while (len < NETRC_MAX && (n = read(fd, text + len, NETRC_MAX - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	text[len] = '\0';
	netrc_lookup(text, host, login, login_out, pass_out);
	explicit_bzero(text, len);
	free(text);
	return EGRESS_OK;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Listen mode's answers: one question per proxy and user for the whole process. */
#define KEPT_MAX 16
static struct kept_answer {
	char *key; /* "user@label" */
	char *pass;
	const char *from;
} kept[KEPT_MAX];
static size_t nkept;
static bool keeping, asking_over;

void creds_keep_answers(void)
{
	keeping = true;
}

void creds_stop_asking(void)
{
	asking_over = true;
}

static struct kept_answer *kept_find(const char *key)
{
	for (size_t i = 0; i < nkept; i++)
		if (!strcmp(kept[i].key, key))
			return &kept[i];
	return NULL;
}

static void keep_answer(const char *key, const struct proxy_creds *c)
{
	if (!keeping || !c->pass || nkept == KEPT_MAX)
		return;
	kept[nkept] = (struct kept_answer){ strdup(key), strdup(c->pass), c->from };
	if (kept[nkept].key && kept[nkept].pass) {
		nkept++;
	} else {
		free(kept[nkept].key);
		secret_free(kept[nkept].pass);
	}
}

static enum egress_err ask_person_now(const char *user, const char *label, struct proxy_creds *c);

/* Asks a person for user's password to proxy label, the way the environment allows;
 * in listen mode once, at start (creds_keep_answers). */
static enum egress_err ask_person(const char *user, const char *label, struct proxy_creds *c)
{
	/* Whole, however long the user name: cut short, two proxies' keys could be one,
	 * and one proxy's password would be sent to the other. */
	char *key;
	if (asprintf(&key, "%s@%s", user, label) < 0)
		return EGRESS_EIO;
	struct kept_answer *k = keeping ? kept_find(key) : NULL;
	enum egress_err e = EGRESS_OK;
	if (k) {
		c->pass = strdup(k->pass);
		c->from = k->from;
		e = c->pass ? EGRESS_OK : EGRESS_EIO;
	} else if (!asking_over) { /* else nobody to ask any more: the proxy may not need it */
		e = ask_person_now(user, label, c);
		if (e == EGRESS_OK)
			keep_answer(key, c);
	}
	free(key);
	return e;
}

/* Asks with EGRESS_ASKPASS (askpass), else the terminal, else SSH_ASKPASS. */
static enum egress_err ask_with(const char *askpass, const char *prompt, struct proxy_creds *c)
{
	if (askpass && *askpass) {
		c->from = "EGRESS_ASKPASS";
	} else if (!ask_have_terminal()) {
		askpass = getenv("SSH_ASKPASS");
		if (!askpass || !*askpass)
			return EGRESS_OK; /* nobody to ask */
		c->from = "SSH_ASKPASS";
	} else {
		c->from = "the terminal";
		c->pass = ask_terminal(prompt);
		return c->pass ? EGRESS_OK : EGRESS_EAUTH;
	}
	c->pass = ask_program(askpass, prompt);
	return c->pass ? EGRESS_OK : EGRESS_EAUTH;
}

static enum egress_err ask_person_now(const char *user, const char *label, struct proxy_creds *c)
{
	const char *askpass = getenv("EGRESS_ASKPASS");
	char *prompt;

	/* The proxy is named last; a prompt cut short would not name it. */
	if (asprintf(&prompt, "egress: password for %s at proxy %s: ", user, label) < 0)
		return EGRESS_EIO;
	enum egress_err e = ask_with(askpass, prompt, c);
	free(prompt);
	return e;
}

static enum egress_err find_creds(const struct egress_config *cfg, const struct proxy_spec *p,
				  const char *label, struct proxy_creds *c)
{
	bool from_url = p->user != NULL;
	const char *pass = from_url ? p->pass : cfg->proxy_pass;
	char *login = NULL, *netrc_pass = NULL;
	enum egress_err e;

	*c = (struct proxy_creds){ 0 };
	c->user = dup_or_null(from_url ? p->user : cfg->proxy_user);
	if (pass) {
		c->pass = strdup(pass);
		c->from = from_url ? "the proxy URL" : cfg->user_origin ? cfg->user_origin : "-U";
		return EGRESS_OK;
	}
	if (p->scheme == PROXY_SOCKS4 || p->scheme == PROXY_SOCKS4A)
		return EGRESS_OK;
	if (c->user && cfg->env_pass) {
		c->pass = strdup(cfg->env_pass);
		c->from = "EGRESS_PROXY_PASSWORD";
		return EGRESS_OK;
	}
	e = netrc_creds(cfg, p->addr.host, c->user, &login, &netrc_pass);
	if (e != EGRESS_OK)
		return e;
	if (login && !c->user)
		c->user = login;
	else
		free(login);
	if (netrc_pass) {
		c->pass = netrc_pass;
		c->from = "netrc";
		return EGRESS_OK;
	}
	if (!c->user)
		return EGRESS_OK;
	return ask_person(c->user, label, c);
}

enum egress_err creds_for_proxy(const struct egress_config *cfg, const struct proxy_spec *p,
				const char *label, struct proxy_creds *c)
{
	enum egress_err e = find_creds(cfg, p, label, c);
	/* The command line and proxy URLs were checked when parsed; a netrc file, an
	 * askpass program or the terminal are checked here, before the proxy hears of it. */
	bool bad_user = c->user && has_control(c->user), bad_pass = c->pass && has_control(c->pass);
	if (e == EGRESS_OK && (bad_user || bad_pass)) {
		msg_err("the proxy %s for %s%s%s holds a control character (CR/LF...): refused",
			bad_user ? "user name" : "password", label,
			bad_pass && c->from ? " from " : "", bad_pass && c->from ? c->from : "");
		creds_clear(c);
		return EGRESS_EUSAGE;
	}
	return e;
}
