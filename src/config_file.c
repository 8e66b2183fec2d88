/* Config files into the configuration. A file's buffer stays alive in cfg->files,
 * because the options keep their values by pointer, as they do argv's. */
#include "config_file.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conffile.h"
#include "credentials.h"
#include "err.h"
#include "host_pattern.h"
#include "log.h"

/* One fact about the files, for -v (and --explain) or --explain alone. */
struct config_note {
	char *text;
	bool explain_only;
};

/* One file of those loaded, in the order they are applied; missing: it does not
 * exist, and that is no error. */
struct config_entry {
	char *path;
	bool missing;
	struct conffile f;
};

/* Two uses: what config_files_load read (entries; none_read for --no-config), and
 * the record of applying it to one configuration (notes, strings, password; loaded
 * is the load it applied, which it keeps alive, as the configuration points into its
 * files' buffers). Counted references: listen mode's tunnels share one load. */
struct config_files {
	int refs;
	struct config_entry *entries;
	size_t nentries;
	bool none_read;
	struct config_files *loaded;
	struct config_note *notes;
	size_t nnotes;
	/* Strings the configuration points to: "FILE:LINE" origins, joined patterns. */
	char **strings;
	size_t nstrings;
	bool password;
};

/* Appends a string printed from fmt to *v (n strings); NULL when out of memory. */
static char *add_printf(char ***v, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static char *add_printf(char ***v, size_t *n, const char *fmt, ...)
{
	char *s, **nv;
	va_list ap;

	va_start(ap, fmt);
	int len = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (len < 0)
		return NULL;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv) {
		free(s);
		return NULL;
	}
	nv[(*n)++] = s;
	*v = nv;
	return s;
}

static bool note(struct config_files *cf, bool explain_only, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool note(struct config_files *cf, bool explain_only, const char *fmt, ...)
{
	struct config_note *nv = realloc(cf->notes, (cf->nnotes + 1) * sizeof(*nv));
	char *s;
	va_list ap;

	if (!nv)
		return false;
	cf->notes = nv;
	va_start(ap, fmt);
	int len = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (len < 0)
		return false;
	cf->notes[cf->nnotes++] = (struct config_note){ s, explain_only };
	return true;
}

static bool fail(char *err, size_t errsz, const char *path, unsigned lineno, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static bool fail(char *err, size_t errsz, const char *path, unsigned lineno, const char *fmt, ...)
{
	char what[ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	err_vprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (lineno)
		return err_printf(err, errsz, "%s:%u: %s", path, lineno, what);
	return err_printf(err, errsz, "%s: %s", path, what);
}

/* The user's file: $XDG_CONFIG_HOME/egress/config (an absolute XDG_CONFIG_HOME only,
 * as the XDG spec says), else ~/.config/egress/config. NULL: no home directory. */
static char *user_file(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *path;

	if (xdg && xdg[0] == '/')
		return asprintf(&path, "%s/egress/config", xdg) < 0 ? NULL : path;
	if (!home || !*home) {
		const struct passwd *pw = getpwuid(geteuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home)
		return NULL;
	return asprintf(&path, "%s/.config/egress/config", home) < 0 ? NULL : path;
}

/* What is being read: the file, the target, the settings set before it. */
struct reading {
	struct egress_config *cfg;
	struct config_files *cf;
	struct option_marks *marks;
	const char *path;
	const struct stat *st;
	char *err;
	size_t errsz;
};

/* "host PATTERN...": whether the section it starts applies (*applies); false with
 * err filled when the line is wrong. */
static bool section(struct reading *r, const struct conf_line *l, bool *applies)
{
	char why[ERR_MAX], text[1024];
	size_t used = 0;

	if (l->nvalues == 0)
		return fail(r->err, r->errsz, r->path, l->lineno,
			    "\"host\" needs at least one pattern");
	for (size_t i = 0; i < l->nvalues; i++) {
		if (!host_pattern_check(l->values[i], why, sizeof(why)))
			return fail(r->err, r->errsz, r->path, l->lineno, "%s", why);
		/* The patterns again, for -v and --explain, cut short if very long. */
		int n = snprintf(text + used, sizeof(text) - used, " %s", l->values[i]);
		used = n < 0 || (size_t)n >= sizeof(text) - used ? sizeof(text) - 1
								 : used + (size_t)n;
	}
	*applies = host_pattern_match_list((const char *const *)l->values, l->nvalues,
					   r->cfg->target.host);
	return note(r->cf, !*applies, "section %s:%u %s: host%s", r->path, l->lineno,
		    *applies ? "applies" : "does not apply", text) ||
	       fail(r->err, r->errsz, r->path, l->lineno, "out of memory");
}

/* A password in a file that others can read is refused, as a netrc file's is. */
static bool password_allowed(struct reading *r, unsigned lineno)
{
	char why[ERR_MAX + PATH_MAX];
	r->cf->password = true;
	if (creds_stat_private(r->st, r->path, why, sizeof(why)))
		return true;
	/* why starts with the path, which the error says already. */
	size_t skip = strncmp(why, r->path, strlen(r->path)) ? 0 : strlen(r->path) + 1;
	return fail(r->err, r->errsz, r->path, lineno, "holds a password, but the file %s",
		    why + skip);
}

/* The values of l joined by spaces, kept as long as the configuration. */
static char *joined(struct config_files *cf, const struct conf_line *l)
{
	size_t len = 1, at = 0;
	for (size_t i = 0; i < l->nvalues; i++)
		len += strlen(l->values[i]) + 1;
	char *s = malloc(len);
	if (!s)
		return NULL;
	for (size_t i = 0; i < l->nvalues; i++) {
		size_t n = strlen(l->values[i]);
		if (i)
			s[at++] = ' ';
		memcpy(s + at, l->values[i], n);
		at += n;
	}
	s[at] = '\0';
	char **nv = realloc(cf->strings, (cf->nstrings + 1) * sizeof(*nv));
	if (!nv) {
		free(s);
		return NULL;
	}
	cf->strings = nv;
	cf->strings[cf->nstrings++] = s;
	return s;
}

/* One option line: checked whether or not it applies, then set if it applies and
 * the setting is still free. */
static bool option_line(struct reading *r, const struct conf_line *l, bool applies)
{
	static const struct option_source checking = { false, "" };
	char name[64], why[ERR_MAX + 64];
	const struct cli_option *o = NULL;
	struct egress_config scratch;
	char *value = l->nvalues ? l->values[0] : NULL;

	if (strlen(l->key) < sizeof(name)) {
		for (size_t i = 0; (name[i] = (char)tolower((unsigned char)l->key[i])); i++)
			;
		o = cli_find_option(name);
	}
	if (!o)
		return fail(r->err, r->errsz, r->path, l->lineno, "unknown option \"%s\"", l->key);
	if (!cli_option_in_file(o))
		return fail(r->err, r->errsz, r->path, l->lineno,
			    "\"%s\" belongs on the command line, not in a config file", name);
	/* Host patterns may be given as several values: one string, as on the command line. */
	if (cli_option_takes_patterns(o) && l->nvalues > 1) {
		value = joined(r->cf, l);
		if (!value)
			return fail(r->err, r->errsz, r->path, l->lineno, "out of memory");
	} else if (cli_option_takes_value(o) ? l->nvalues != 1 : l->nvalues != 0)
		return fail(r->err, r->errsz, r->path, l->lineno,
			    !cli_option_takes_value(o) ? "option \"%s\" takes no value"
			    : l->nvalues == 0	       ? "option \"%s\" needs a value"
						       : "option \"%s\" takes one value: a value "
							 "with spaces goes in double quotes",
			    name);
	config_init(&scratch);
	enum egress_err e = apply_option(&scratch, o, value, &checking, why, sizeof(why));
	config_free(&scratch);
	if (e != EGRESS_OK)
		return fail(r->err, r->errsz, r->path, l->lineno, "%s", why);
	if (value && cli_value_has_password(o, value) && !password_allowed(r, l->lineno))
		return false;
	const char *by;
	if (!applies)
		return true;
	if (!cli_option_repeatable(o) && option_marked(r->marks, o, &by))
		return note(r->cf, true, "%s:%u: %s not used: set %s%s", r->path, l->lineno, name,
			    by ? "at " : "on the command line", by ? by : "") ||
		       fail(r->err, r->errsz, r->path, l->lineno, "out of memory");
	const char *where =
		add_printf(&r->cf->strings, &r->cf->nstrings, "%s:%u", r->path, l->lineno);
	struct option_source src = { false, where };
	if (!where || apply_option(r->cfg, o, value, &src, why, sizeof(why)) != EGRESS_OK)
		return fail(r->err, r->errsz, r->path, l->lineno, "%s",
			    where ? why : "out of memory");
	option_mark(r->marks, o, where);
	return true;
}

static bool read_lines(struct reading *r, const struct conffile *f)
{
	bool applies = true; /* before the first "host" line: every target */

	for (size_t i = 0; i < f->nlines; i++) {
		const struct conf_line *l = &f->lines[i];
		if (!strcasecmp(l->key, "host") ? !section(r, l, &applies)
						: !option_line(r, l, applies))
			return false;
	}
	return true;
}

/* Loads path into l; a missing file is an error only when required. */
static bool load_file(struct config_files *l, const char *path, bool required, char *err,
		      size_t errsz)
{
	struct config_entry e = { 0 };
	char why[ERR_MAX + PATH_MAX];

	switch (conffile_read(path, &e.f, why, sizeof(why))) {
	case CONFFILE_MISSING:
		if (required)
			return err_printf(err, errsz, "%s", why);
		e.missing = true;
		break;
	case CONFFILE_ERROR:
		return err_printf(err, errsz, "%s", why);
	case CONFFILE_OK:
		if (!conffile_parse(&e.f, e.f.buf, e.f.len, why, sizeof(why))) {
			conffile_free(&e.f);
			return err_printf(err, errsz, "%s:%s", path, why);
		}
		break;
	}
	struct config_entry *nv = realloc(l->entries, (l->nentries + 1) * sizeof(*nv));
	if (nv)
		l->entries = nv;
	if (!nv || !(e.path = strdup(path))) {
		conffile_free(&e.f);
		return err_printf(err, errsz, "out of memory");
	}
	l->entries[l->nentries++] = e;
	return true;
}

static bool load_files(const struct egress_config *cfg, struct config_files *l, char *err,
		       size_t errsz)
{
	if (cfg->no_config) {
		l->none_read = true;
		return true;
	}
	if (cfg->config_file)
		return load_file(l, cfg->config_file, true, err, errsz);
	char *user = user_file();
	bool ok = !user || load_file(l, user, false, err, errsz);
	free(user);
	/* EGRESS_SYSTEM_CONFIG stands in for the system file, as GIT_CONFIG_SYSTEM does
	 * for git's: a test suite, or a user whose machine's file is wrong, sets it; ""
	 * reads none. */
	const char *sys = getenv("EGRESS_SYSTEM_CONFIG");
	if (!sys)
		sys = CONFIG_SYSTEM_FILE;
	return ok && (!*sys || load_file(l, sys, false, err, errsz));
}

bool config_files_load(const struct egress_config *cfg, struct config_files **out, char *err,
		       size_t errsz)
{
	struct config_files *l = calloc(1, sizeof(*l));
	*out = NULL;
	if (!l)
		return err_printf(err, errsz, "out of memory");
	l->refs = 1;
	if (!load_files(cfg, l, err, errsz)) {
		config_files_free(l);
		return false;
	}
	*out = l;
	return true;
}

bool config_files_apply(struct egress_config *cfg, struct config_files *loaded,
			struct option_marks *marks, char *err, size_t errsz)
{
	struct config_files *cf = calloc(1, sizeof(*cf));

	cfg->files = cf;
	if (!cf)
		return err_printf(err, errsz, "out of memory");
	cf->refs = 1;
	cf->loaded = loaded;
	/* config_files_load gave loaded when it said true; the analyzer takes its "return
	 * err_printf(...)" for true too, not following a variadic function.
	 * NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
	loaded->refs++;
	if (loaded->none_read)
		return note(cf, false, "config file: none read (--no-config)") ||
		       err_printf(err, errsz, "out of memory");
	for (size_t i = 0; i < loaded->nentries; i++) {
		struct config_entry *e = &loaded->entries[i];
		if (e->missing) {
			if (!note(cf, true, "config file %s: none", e->path))
				return err_printf(err, errsz, "out of memory");
			continue;
		}
		if (!note(cf, false, "config file %s", e->path))
			return err_printf(err, errsz, "out of memory");
		struct reading r = { cfg, cf, marks, e->path, &e->f.st, err, errsz };
		if (!read_lines(&r, &e->f))
			return false;
	}
	return true;
}

bool config_files_read(struct egress_config *cfg, struct option_marks *marks, char *err,
		       size_t errsz)
{
	struct config_files *loaded;
	if (!config_files_load(cfg, &loaded, err, errsz))
		return false;
	bool ok = config_files_apply(cfg, loaded, marks, err, errsz);
	config_files_free(loaded);
	return ok;
}

bool config_files_have_password(const struct config_files *f)
{
	return f && f->password;
}

void config_files_log(const struct config_files *f)
{
	for (size_t i = 0; f && i < f->nnotes; i++)
		if (!f->notes[i].explain_only)
			msg_verbose("%s", f->notes[i].text);
}

void config_files_explain(const struct config_files *f, FILE *out)
{
	for (size_t i = 0; f && i < f->nnotes; i++)
		fprintf(out, "%s\n", f->notes[i].text);
}

/* Recursive once at most: the loaded files an applied set points to point to none.
 * NOLINTNEXTLINE(misc-no-recursion) */
void config_files_free(struct config_files *f)
{
	if (!f || --f->refs > 0)
		return;
	for (size_t i = 0; i < f->nentries; i++) {
		conffile_free(&f->entries[i].f);
		free(f->entries[i].path);
	}
	free(f->entries);
	config_files_free(f->loaded);
	for (size_t i = 0; i < f->nnotes; i++)
		free(f->notes[i].text);
	for (size_t i = 0; i < f->nstrings; i++)
		free(f->strings[i]);
	free(f->notes);
	free(f->strings);
	free(f);
}
