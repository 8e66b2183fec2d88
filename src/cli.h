/* The command line: the option table, --help and --version, and the checks across
 * options, into one struct egress_config. Curl-free: the program passes in what it
 * knows of libcurl. */
#ifndef EGRESS_CLI_H
#define EGRESS_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "err.h"

/* Where an option's value comes from. A value is kept by pointer, so it must live as
 * long as the configuration; argv does. */
enum option_origin {
	ORIGIN_ARGV, /* ps shows it: a password in it is overwritten once copied */
};

/* One row of the option table. */
struct cli_option;

/* The row of the long option name ("proxy"), or NULL. */
const struct cli_option *cli_find_option(const char *name);

/* Sets what option o says in cfg from value (NULL for an option without one).
 * EGRESS_EUSAGE: the value is bad, err says why; EGRESS_EIO: out of memory. */
enum egress_err apply_option(struct egress_config *cfg, const struct cli_option *o, char *value,
			     enum option_origin origin, char *err, size_t errsz);

enum cli_result { CLI_RUN, CLI_DONE, CLI_USAGE };

/* Parses argv into cfg (and takes EGRESS_PROXY_PASSWORD out of the environment).
 * CLI_DONE: --help or --version was printed, exit 0; library_version gives the
 * version line of the libraries under egress. CLI_USAGE: the error was printed, exit 2.
 * cfg is freed with config_free either way. Passwords in argv are overwritten in
 * place once copied (ps shows "***"). */
enum cli_result cli_parse(int argc, char **argv, const char *(*library_version)(void),
			  struct egress_config *cfg);

/* The usage text of --help. */
void cli_print_help(FILE *f);

/* An error that the command line caused, on stderr, and the hint to read --help. */
void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
