/* Strings that hold passwords: wiped before their memory goes back, and a process
 * holding one leaves no core dump. */
#ifndef EGRESS_SECRET_H
#define EGRESS_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/* Wipes and frees s (NULL is fine). */
void secret_free(char *s);

/* Overwrites the password inside a command-line argument in place with '*', so that
 * ps and /proc/PID/cmdline stop showing it: "USER:PASS" -> "USER:****" (-U), and
 * each "[SCHEME://]USER:PASS@HOST" of a comma list -> "...USER:****@HOST" (-x).
 * Returns whether there was a password. */
bool secret_hide_in_userpass(char *arg);
bool secret_hide_in_proxy_list(char *arg);

/* Takes the environment variable name: *out becomes a copy of its value (NULL when it
 * is unset or empty), which is then wiped where it stood and removed, so that neither
 * /proc/PID/environ nor a program egress runs sees it. False when out of memory. */
bool secret_take_env(const char *name, char **out);

/* From now on this process is not dumpable: no core file, no ptrace by the same
 * user, /proc/PID/mem and environ readable by root only. Idempotent. */
void secret_protect_process(void);

#endif
