/* Running one helper the way ssh runs a ProxyCommand: stdin and stdout on pipes of the
 * default size (a helper may enlarge them itself), stderr to a file. */
#ifndef BENCH_PROC_H
#define BENCH_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

struct proc {
	pid_t pid;
	int pidfd;  /* readable when the helper has exited */
	int in_fd;  /* the driver's end of the helper's stdin (non-blocking), or -1 */
	int out_fd; /* the driver's end of the helper's stdout (non-blocking), or -1 */
};

/* Removes proxy settings from the environment every helper inherits; call once. */
void proc_clean_env(void);

/* Makes SIGINT, SIGTERM and SIGHUP kill the running helper before the driver dies of
 * them, so that an interrupted run leaves nothing behind. */
void proc_cleanup_on_signals(void);

/* Starts argv[0] (a path) with the driver's environment and stderr written to
 * errfile (emptied first); returns 0, or -1 with errno (nothing is left running then). */
int proc_start(struct proc *p, char *const argv[], const char *errfile);

/* Ends the helper's session: closes its stdin, discards its stdout until EOF, and
 * waits for it to exit; after deadline_ns it is killed. Fills *ru and *status (wait
 * status) and returns 0 when it exited by itself, 1 when it had to be killed. */
int proc_finish(struct proc *p, int64_t deadline_ns, struct rusage *ru, int *status);

/* Private memory of a running process in KiB, from /proc/PID/smaps_rollup: *uss gets
 * Private_Clean + Private_Dirty, *dirty Private_Dirty alone. Returns 0, or -1 when the
 * file cannot be read (the process is gone). */
int proc_private_kib(pid_t pid, long *uss, long *dirty);

/* The first line of errfile (what the helper said on stderr), or "". */
void read_first_line(const char *errfile, char *buf, size_t size);

#endif
