/* Diagnostics: one line each on stderr, prefixed "egress: ". */
#ifndef EGRESS_LOG_H
#define EGRESS_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_QUIET = -1, LOG_NORMAL = 0, LOG_VERBOSE = 1 };

void log_set_level(enum log_level level);
bool log_verbose_enabled(void);

/* Errors always print, and so do notes (facts a script reads, as the port listen
 * mode bound); warnings unless -q; verbose lines only with -v. */
void msg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_err_errno(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void msg_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copies the n bytes of s (NULs included) into out (size outsz) with bytes outside printable ASCII shown as <XX>,
 * so that hostile input never moves the terminal's cursor. Returns out. */
char *log_escape(char *out, size_t outsz, const char *s, size_t n);
/* log_escape of the string s, cut at max bytes: untrusted text for an error message. */
char *log_escape_str(char *out, size_t outsz, const char *s, size_t max);

#endif
