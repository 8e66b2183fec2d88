/* The errors egress can end with, and the one table that maps them to exit codes. */
#ifndef EGRESS_ERR_H
#define EGRESS_ERR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Size of an error sentence (without the "egress: " prefix). */
#define ERR_MAX 512

/* Each value is the process exit status. What each means is said once, in err.c's
 * table: --help prints its words, and the unit tests hold the man page's EXIT STATUS
 * to its sentences. */
enum egress_err {
	EGRESS_OK = 0,
	EGRESS_EIO = 1,
	EGRESS_EUSAGE = 2,
	EGRESS_EUNREACH = 3,
	EGRESS_EAUTH = 4,
	EGRESS_EREFUSED = 5,
	EGRESS_ETIMEOUT = 6,
	EGRESS_ETLS = 7,
};

#define EGRESS_ERR_COUNT 8

/* A few words for an exit status, as --help lists them ("proxy unreachable"). */
const char *err_words(enum egress_err e);

/* The sentence for an exit status, as the man page's EXIT STATUS has it. */
const char *err_meaning(enum egress_err e);

/* Writes a sentence into err (size errsz) and returns false, so that a parser can
 * end with `return err_printf(err, errsz, ...)`. A sentence too long for err is cut
 * and ends in "...", so that nobody takes what is left for all of it. */
bool err_printf(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool err_vprintf(char *err, size_t errsz, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif
