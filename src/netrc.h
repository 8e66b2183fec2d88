/* The netrc file format (ftp(1), curl): which login and password a file holds for a
 * host. Pure text in, strings out; reading the file is credentials.c's job. */
#ifndef EGRESS_NETRC_H
#define EGRESS_NETRC_H

#include <stdbool.h>

/* Looks for "machine HOST" (case-insensitive) in text; with login non-NULL only an
 * entry with that login matches. On a match returns true and sets *login_out and
 * *password_out to new strings (either NULL when the entry has none); free the
 * password with secret_free. "default" entries are not used: a proxy is not
 * worth handing the catch-all credentials to. Tokens may be "quoted", with \"
 * and \\ inside; macdef bodies are skipped. */
bool netrc_lookup(const char *text, const char *host, const char *login, char **login_out,
		  char **password_out);

#endif
