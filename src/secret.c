/* Passwords in memory and on the command line. */
#include "secret.h"

#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

void secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

bool secret_take_env(const char *name, char **out)
{
	char *v = getenv(name);
	*out = NULL;
	if (v && *v) {
		*out = strdup(v);
		explicit_bzero(v, strlen(v));
		if (!*out)
			return false;
	}
	unsetenv(name);
	return true;
}

/* Overwrites the n bytes at p with '*': the argument keeps its length, so the
 * arguments after it stay where ps reads them. */
static void mask(char *p, size_t n)
{
	memset(p, '*', n);
}

bool secret_hide_in_userpass(char *arg)
{
	char *colon = strchr(arg, ':');
	if (!colon || !colon[1])
		return false;
	mask(colon + 1, strlen(colon + 1));
	return true;
}

bool secret_hide_in_proxy_list(char *arg)
{
	bool hid = false;
	char *entry = arg;
	while (*entry) {
		size_t len = strcspn(entry, ",");
		char *sep = strstr(entry, "://");
		char *auth = sep && sep < entry + len ? sep + 3 : entry;
		char *at = NULL;
		/* The last '@' of the authority: a password may hold '@' unencoded. */
		for (char *c = auth; c < entry + len && !strchr("/?#", *c); c++)
			if (*c == '@')
				at = c;
		char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon && at > colon + 1) {
			size_t n = (size_t)(at - colon - 1);
			mask(colon + 1, n);
			hid = true;
		}
		entry += len;
		if (*entry == ',')
			entry++;
	}
	return hid;
}

void secret_protect_process(void)
{
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
