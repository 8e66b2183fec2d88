/* The command line: the option table, --help and --version, and the checks across
 * options, into one struct egress_config. Curl-free: the program passes in what it
 * knows of libcurl. */
#ifndef EGRESS_CLI_H
#define EGRESS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "err.h"

/* Where an option's value comes from. A value is kept by pointer, so it must live as
 * long as the configuration; argv and a config file's buffer in cfg->files do. */
struct option_source {
	bool argv;	   /* ps shows it: a password in it is overwritten once copied */
	const char *where; /* a config file's "FILE:LINE", as long-lived; NULL: argv */
};

/* One row of the option table. */
struct cli_option;

/* The row of the long option name ("proxy"), or NULL. */
const struct cli_option *cli_find_option(const char *name);

/* Sets what option o says in cfg from value (NULL for an option without one).
 * EGRESS_EUSAGE: the value is bad, err says why; EGRESS_EIO: out of memory. */
enum egress_err apply_option(struct egress_config *cfg, const struct cli_option *o, char *value,
			     const struct option_source *src, char *err, size_t errsz);

/* What the config file needs to know of a row. */
const char *cli_option_name(const struct cli_option *o);
bool cli_option_takes_value(const struct cli_option *o);
/* Whether it can be given more than once, the values adding up (-H). */
bool cli_option_repeatable(const struct cli_option *o);
/* Whether its value is host patterns, which a file may give as several values (they
 * are joined with spaces). */
bool cli_option_takes_patterns(const struct cli_option *o);
/* Whether it may be in a config file: not --help, --config, --explain and the like. */
bool cli_option_in_file(const struct cli_option *o);
/* Whether value, valid for o, holds a password (-U USER:PASS, a URL with one). */
bool cli_value_has_password(const struct cli_option *o, const char *value);

/* The options set so far, one bit a setting: -4 and -6 are one, and -v and -q. The
 * first value of a setting wins: the command line's, then a file's first. */
struct option_marks {
	unsigned long long bits;
	const char *by[64]; /* who set each: "FILE:LINE", or NULL for the command line */
};
/* Whether o's setting is set; *by says by whom. */
bool option_marked(const struct option_marks *m, const struct cli_option *o, const char **by);
void option_mark(struct option_marks *m, const struct cli_option *o, const char *by);

enum cli_result { CLI_RUN, CLI_DONE, CLI_USAGE };

/* Parses argv into cfg, then the config files that apply to its target (see
 * config_file.h), and takes EGRESS_PROXY_PASSWORD out of the environment.
 * CLI_DONE: --help or --version was printed, exit 0; library_version gives the
 * version line of the libraries under egress. CLI_USAGE: the error was printed,
 * exit 2 (an error in a config file says FILE:LINE). cfg is freed with config_free
 * either way. Passwords in argv are overwritten in place once copied (ps shows
 * "***"). */
enum cli_result cli_parse(int argc, char **argv, const char *(*library_version)(void),
			  struct egress_config *cfg);

/* Listen mode: the command line's settings alone (what cli_parse saw before the
 * config files), so that each tunnel's target gets its own sections. */
struct listen_base {
	struct egress_config cfg;
	struct option_marks marks;
	struct config_files *loaded; /* the config files, read at start and on SIGHUP */
};

/* The configuration for one of listen mode's tunnels: cfg's command-line settings,
 * then the config files (as loaded at start or on SIGHUP) for target. False with the error printed; out is
 * freed with config_free either way. */
bool cli_config_for_target(const struct egress_config *cfg, const struct endpoint *target,
			   struct egress_config *out);

/* SIGHUP in listen mode: reads the config files again and checks them (applied to
 * probe's host); on success new tunnels get them, else the error is printed and the
 * files read before stay in use. */
bool cli_reload_config(const struct egress_config *cfg, const struct endpoint *probe);

/* The usage text of --help. */
void cli_print_help(FILE *f);

/* An error that the command line caused, on stderr, and the hint to read --help. */
void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
