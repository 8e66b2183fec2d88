/* Asking a person for a password: through an askpass program or on the terminal,
 * never on stdin or stdout, which carry the tunnel. */
#ifndef EGRESS_ASK_H
#define EGRESS_ASK_H

#include <stdbool.h>

/* Whether this process has a controlling terminal to prompt on. */
bool ask_have_terminal(void);

/* Runs PROGRAM PROMPT, as ssh runs SSH_ASKPASS, with stdin on /dev/null, and returns
 * the first line it prints (a new string, for secret_free), or NULL with a message
 * printed when it fails or prints nothing. Waits for the person, without bound. */
char *ask_program(const char *program, const char *prompt);

/* Prompts on /dev/tty with echo off and returns the line typed (for secret_free), or
 * NULL with a message printed. The terminal is restored even when a signal ends
 * egress meanwhile. Waits for the person, without bound. */
char *ask_terminal(const char *prompt);

#endif
