#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* The helper running now, for the signal handler; 0 when none. */
static volatile sig_atomic_t running;

static void on_signal(int sig)
{
	if (running > 0)
		kill((pid_t)running, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

void proc_cleanup_on_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction sa = { .sa_handler = on_signal };
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}

void proc_clean_env(void)
{
	/* Each helper is told its proxy on the command line; some (connect-proxy, egress)
	 * would also pick these up. */
	static const char *const vars[] = {
		"http_proxy",	"HTTP_PROXY", "https_proxy",  "HTTPS_PROXY",
		"all_proxy",	"ALL_PROXY",  "no_proxy",     "NO_PROXY",
		"EGRESS_PROXY", "EGRESS_PAC", "SOCKS_SERVER", "SOCKS5_SERVER",
	};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

/* posix_spawn rather than fork: glibc's is a vfork-style clone, which costs the same
 * whatever the driver's size, so it adds little before the helper's exec to the
 * latency measured from just before this call. */
int proc_start(struct proc *p, char *const argv[], const char *errfile)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	/* dup2 onto 0 and 1 clears close-on-exec there; every other fd of the driver is
	 * close-on-exec, so the helper inherits nothing else. */
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, pipe_sig;
	sigemptyset(&none);
	sigemptyset(&pipe_sig);
	sigaddset(&pipe_sig, SIGPIPE);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawnattr_init(&attr);
	/* The driver ignores SIGPIPE; a helper starts with it at its default, as from a
	 * shell, and with no signal blocked. */
	posix_spawnattr_setsigdefault(&attr, &pipe_sig);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(in[0]);
	close(out[1]);
	if (rc != 0) {
		close(in[1]);
		close(out[0]);
		errno = rc;
		return -1;
	}
	p->pid = pid;
	running = pid;
	p->in_fd = in[1];
	p->out_fd = out[0];
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	set_nonblock(p->in_fd);
	set_nonblock(p->out_fd);
	return 0;
}

static int ms_left(int64_t deadline_ns)
{
	int64_t left = (deadline_ns - now_ns()) / 1000000;
	return left < 0 ? 0 : left > 1000 ? 1000 : (int)left;
}

int proc_finish(struct proc *p, int64_t deadline_ns, struct rusage *ru, int *status)
{
	char sink[65536];
	if (p->in_fd >= 0) {
		close(p->in_fd);
		p->in_fd = -1;
	}
	bool exited = false;
	while (now_ns() < deadline_ns && !exited) {
		struct pollfd pfd[2] = { { .fd = p->pidfd, .events = POLLIN },
					 { .fd = p->out_fd, .events = POLLIN } };
		if (p->pidfd < 0) /* no pidfd: poll stdout only and check with WNOHANG */
			pfd[0].fd = -1;
		if (poll(pfd, 2, p->pidfd < 0 ? 10 : ms_left(deadline_ns)) < 0 && errno != EINTR)
			break;
		if (p->out_fd >= 0 && pfd[1].revents) {
			ssize_t n = read(p->out_fd, sink, sizeof(sink));
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				close(p->out_fd);
				p->out_fd = -1;
			}
		}
		exited = wait4(p->pid, status, WNOHANG, ru) == p->pid;
	}
	int killed = 0;
	if (!exited) {
		kill(p->pid, SIGKILL);
		while (wait4(p->pid, status, 0, ru) < 0 && errno == EINTR) {
		}
		killed = 1;
	}
	running = 0;
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->out_fd = p->pidfd = -1;
	return killed;
}

int proc_private_kib(pid_t pid, long *uss, long *dirty)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	long clean = -1;
	*dirty = -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Private_Clean: %ld kB", &clean) != 1)
			sscanf(line, "Private_Dirty: %ld kB", dirty);
	}
	fclose(f);
	if (clean < 0 || *dirty < 0)
		return -1;
	*uss = clean + *dirty;
	return 0;
}

void read_first_line(const char *errfile, char *buf, size_t size)
{
	buf[0] = '\0';
	FILE *f = fopen(errfile, "re");
	if (!f)
		return;
	if (fgets(buf, (int)size, f))
		buf[strcspn(buf, "\r\n")] = '\0';
	fclose(f);
}
