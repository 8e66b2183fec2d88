/* The config files: which are read, what in them applies to the target, and a record
 * of both for -v and --explain. The format is conffile.h's; the options and their
 * checks are the command line's (cli.h), one table for both.
 *
 * Files: --config FILE; else the user's ($XDG_CONFIG_HOME/egress/config, by default
 * ~/.config/egress/config) and then the system's (/etc/egress/config, or
 * $EGRESS_SYSTEM_CONFIG); none with --no-config. A default file that does not exist is no error.
 * Sections: "host PATTERN..." starts one that applies when the target's host matches
 * (host_pattern.h); lines before the first apply to every target.
 * Precedence: the command line's settings, then for each setting the first value in
 * a part that applies, file after file; repeatable options add up. Every line is
 * checked, applying or not: an error anywhere is "FILE:LINE: what is wrong". */
#ifndef EGRESS_CONFIG_FILE_H
#define EGRESS_CONFIG_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli.h"
#include "config.h"

#define CONFIG_SYSTEM_FILE "/etc/egress/config"

/* Reads the files cfg names for cfg->target into cfg (cfg->files records them),
 * skipping the settings marks says are set and marking those it sets. False with the
 * line for "egress: %s" in err. */
bool config_files_read(struct egress_config *cfg, struct option_marks *marks, char *err,
		       size_t errsz);

/* The same in two steps, for listen mode, which applies the files to each tunnel's
 * target and reads them again on SIGHUP only: config_files_load reads (and parses)
 * the files cfg names into *out; config_files_apply applies them to cfg for
 * cfg->target, checking every line, and keeps a reference to loaded in cfg->files.
 * config_files_free drops a reference to either. */
bool config_files_load(const struct egress_config *cfg, struct config_files **out, char *err,
		       size_t errsz);
bool config_files_apply(struct egress_config *cfg, struct config_files *loaded,
			struct option_marks *marks, char *err, size_t errsz);

/* Whether a file read holds a password (then the process leaves no core file). */
bool config_files_have_password(const struct config_files *f);

/* The files read and the sections that applied, as -v lines; NULL is fine. */
void config_files_log(const struct config_files *f);

/* The files tried and every section with whether it applies, one fact a line, for
 * --explain; NULL is fine. */
void config_files_explain(const struct config_files *f, FILE *out);

void config_files_free(struct config_files *f);

#endif
