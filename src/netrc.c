/* netrc parsing: a stream of whitespace-separated tokens, where "machine NAME" starts
 * an entry that "login", "password" and "account" fill in, "default" starts the
 * catch-all entry, and "macdef NAME" is followed by a macro body that ends at the
 * first empty line. */
#include "netrc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "secret.h"

#define TOKEN_MAX 1024

struct scanner {
	const char *p;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The next token into tok; false at the end. An overlong token is cut, never
 * overrun; it then matches nothing a real host or login would. */
static bool next_token(struct scanner *s, char tok[TOKEN_MAX])
{
	size_t n = 0;
	while (is_space(*s->p))
		s->p++;
	if (!*s->p)
		return false;
	if (*s->p == '"') {
		s->p++;
		while (*s->p && *s->p != '"') {
			if (*s->p == '\\' && s->p[1])
				s->p++;
			if (n < TOKEN_MAX - 1)
				tok[n++] = *s->p;
			s->p++;
		}
		if (*s->p == '"')
			s->p++;
	} else {
		while (*s->p && !is_space(*s->p)) {
			if (n < TOKEN_MAX - 1)
				tok[n++] = *s->p;
			s->p++;
		}
	}
	tok[n] = '\0';
	return true;
}

/* Past a macdef's body: everything up to an empty line. */
static void skip_macro(struct scanner *s)
{
	const char *blank = strstr(s->p, "\n\n");
	const char *blank_crlf = strstr(s->p, "\n\r\n");
	if (blank_crlf && (!blank || blank_crlf < blank))
		blank = blank_crlf;
	s->p = blank ? blank + 1 : s->p + strlen(s->p);
}

struct entry {
	bool is_host; /* "machine HOST", not another machine or "default" */
	char *login, *password;
};

static void entry_clear(struct entry *e)
{
	free(e->login);
	secret_free(e->password);
	*e = (struct entry){ 0 };
}

static bool entry_matches(const struct entry *e, const char *login)
{
	return e->is_host && (!login || (e->login && !strcmp(e->login, login)));
}

bool netrc_lookup(const char *text, const char *host, const char *login, char **login_out,
		  char **password_out)
{
	struct scanner s = { text };
	struct entry e = { 0 };
	char tok[TOKEN_MAX];
	bool found = false, in_entry = false;

	*login_out = *password_out = NULL;
	while (!found && next_token(&s, tok)) {
		bool starts = !strcmp(tok, "machine") || !strcmp(tok, "default");
		if (starts || !strcmp(tok, "macdef")) {
			/* The entry so far is complete. */
			if (in_entry && entry_matches(&e, login))
				found = true;
			else
				entry_clear(&e);
			in_entry = false;
			if (found)
				break;
		}
		if (!strcmp(tok, "machine")) {
			if (!next_token(&s, tok))
				break;
			e.is_host = !strcasecmp(tok, host);
			in_entry = true;
		} else if (!strcmp(tok, "default")) {
			in_entry = true;
		} else if (!strcmp(tok, "macdef")) {
			next_token(&s, tok);
			skip_macro(&s);
		} else if (in_entry && (!strcmp(tok, "login") || !strcmp(tok, "password") ||
					!strcmp(tok, "account"))) {
			char what = tok[0];
			if (!next_token(&s, tok))
				break;
			if (what == 'l') {
				free(e.login);
				e.login = strdup(tok);
			} else if (what == 'p') {
				secret_free(e.password);
				e.password = strdup(tok);
			}
		}
		/* Anything else is a token this format does not know: skipped, as ftp does. */
	}
	if (!found && in_entry && entry_matches(&e, login))
		found = true;
	explicit_bzero(tok, sizeof(tok));
	if (!found) {
		entry_clear(&e);
		return false;
	}
	*login_out = e.login;
	*password_out = e.password;
	return true;
}
