#include "chan.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"
#include "util.h"

#define SEC_NS INT64_C(1000000000)
/* How long a helper may take to exit once its tunnel has ended. */
#define EXIT_GRACE_NS (5 * SEC_NS)

/* The limit's tunnel: the driver's own CONNECT on a socket it then uses directly. */
static int limit_open(struct chan *c, const struct bench_env *e, uint16_t target, int64_t deadline,
		      char *why, size_t why_size)
{
	int fd = connect_loopback(e->proxy);
	if (fd < 0) {
		snprintf(why, why_size, "connect to the proxy: %s", strerror(errno));
		return -1;
	}
	char buf[1024];
	int n = snprintf(buf, sizeof(buf),
			 "CONNECT 127.0.0.1:%u HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", target,
			 target);
	if (set_nonblock(fd) < 0 || io_write(fd, buf, (size_t)n, deadline) < 0) {
		snprintf(why, why_size, "sending CONNECT: %s", io_why(-1));
		close(fd);
		return -1;
	}
	/* Peek until the reply's blank line, then consume exactly the reply, so tunnel
	 * bytes that came with it stay in the socket for the measurement. The proxy sends
	 * its reply in one piece, so the spin below for a partial reply is short. */
	for (;;) {
		ssize_t got = recv(fd, buf, sizeof(buf) - 1, MSG_PEEK);
		if (got < 0 && errno == EAGAIN && io_wait(fd, POLLIN, deadline) == 0)
			continue;
		if (got <= 0) {
			snprintf(why, why_size, "reading the CONNECT reply: %s", io_why(got));
			break;
		}
		buf[got] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		if (!end && (got == (ssize_t)sizeof(buf) - 1 || now_ns() > deadline)) {
			snprintf(why, why_size, "no complete CONNECT reply");
			break;
		}
		if (!end)
			continue;
		size_t len = (size_t)(end + 4 - buf);
		if (recv(fd, buf, len, 0) != (ssize_t)len || strncmp(buf, "HTTP/1.", 7) != 0 ||
		    strncmp(buf + 8, " 200", 4) != 0) {
			snprintf(why, why_size, "CONNECT refused: %.*s", (int)strcspn(buf, "\r\n"),
				 buf);
			break;
		}
		c->wfd = c->rfd = fd;
		return 0;
	}
	close(fd);
	return -1;
}

int chan_open(struct chan *c, const struct runner *r, const struct bench_env *e, uint16_t target,
	      int64_t deadline, char *why, size_t why_size)
{
	c->r = r;
	c->wfd = c->rfd = -1;
	if (r->is_limit)
		return limit_open(c, e, target, deadline, why, why_size);
	char store[ARGS_MAX][128];
	char *argv[ARGS_MAX + 2];
	peers_argv(r, e->proxy, target, store, argv);
	snprintf(c->errfile, sizeof(c->errfile), "%s/%s.stderr", e->errdir, r->name);
	if (proc_start(&c->p, argv, c->errfile) < 0) {
		snprintf(why, why_size, "cannot start %s: %s", r->path, strerror(errno));
		return -1;
	}
	c->wfd = c->p.in_fd;
	c->rfd = c->p.out_fd;
	return 0;
}

void chan_memory(const struct chan *c, long *uss_kib, long *dirty_kib)
{
	if (c->r->is_limit || proc_private_kib(c->p.pid, uss_kib, dirty_kib) < 0)
		*uss_kib = *dirty_kib = -1;
}

static double seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

void chan_close(struct chan *c, const void *bye, size_t bye_len, bool failed, struct chan_end *end)
{
	memset(end, 0, sizeof(*end));
	end->cpu_s = -1;
	/* The far end may be gone already; then there is nobody to say bye to. */
	if (bye && io_write(c->wfd, bye, bye_len, now_ns() + SEC_NS) < 0) {
	}
	if (c->r->is_limit) {
		static char drain[65536];
		int64_t deadline = now_ns() + EXIT_GRACE_NS;
		shutdown(c->wfd, SHUT_WR);
		while (io_read(c->rfd, drain, sizeof(drain), deadline) > 0) {
		}
		close(c->wfd);
		return;
	}
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));
	int status = 0;
	int64_t grace = failed ? SEC_NS : EXIT_GRACE_NS;
	int killed = proc_finish(&c->p, now_ns() + grace, &ru, &status);
	end->cpu_s = seconds(ru.ru_utime) + seconds(ru.ru_stime);
	if (killed)
		snprintf(end->note, sizeof(end->note),
			 "still running %d s after its tunnel ended; killed",
			 (int)(grace / SEC_NS));
	else if (WIFEXITED(status) && WEXITSTATUS(status))
		snprintf(end->note, sizeof(end->note), "exited with status %d",
			 WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(end->note, sizeof(end->note), "killed by signal %d", WTERMSIG(status));
	read_first_line(c->errfile, end->said, sizeof(end->said));
}
