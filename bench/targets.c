/* targets: the servers the benchmark tunnels to, all on 127.0.0.1 in one process.
 *
 *   source    reads "N\n", sends N bytes of the test stream (stream.h), then waits for
 *             one byte or EOF and closes: the client decides when the tunnel ends, so
 *             a helper that never forwards stdin EOF still gets a clean close.
 *   sink      reads "N\n" or "N sha256\n", reads exactly N bytes (it never waits for
 *             EOF, which some helpers do not forward), checks each against the stream,
 *             and answers one line:
 *                 STATUS RECEIVED TIMED_BYTES TIMED_NS SHA256|-
 *             STATUS is ok, bad (a wrong byte; RECEIVED is then its offset) or short
 *             (EOF came first). TIMED_NS runs from the first read that brought payload
 *             to the last one, and TIMED_BYTES is what arrived in between, so the rate
 *             excludes the helper's start-up. Then it waits for a byte or EOF, closes.
 *   banner    sends an ssh-style banner line at accept and shuts its side down, like a
 *             server that speaks first; time to its first byte is start-up latency.
 *   pingpong  echoes 64-byte messages; one that starts with 'Q' ends the connection.
 *
 * Each connection but banner's gets its own child process, so a slow or stuck helper
 * never holds up the next one. The banner is sent before forking, so the fork is not
 * part of the latency measured. Everything exits after --lifetime seconds.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stream.h"
#include "util.h"

#define MAX_CHILDREN 64
#define IO_CHUNK     (1024 * 1024)
#define PING_SIZE    64

enum server { SOURCE, SINK, BANNER, PINGPONG, SERVER_COUNT };
static const char *const server_name[SERVER_COUNT] = { "source", "sink", "banner", "pingpong" };
static const char banner[] = "SSH-2.0-egress-bench\r\n";

static unsigned char iobuf[IO_CHUNK];

/* Reads one request line (byte by byte, so no payload is consumed with it) into buf;
 * returns 0, or -1 on EOF, error or an over-long line. */
static int read_line(int fd, char *buf, size_t size)
{
	for (size_t n = 0; n + 1 < size; n++) {
		ssize_t r = recv(fd, buf + n, 1, 0);
		if (r <= 0)
			return -1;
		if (buf[n] == '\n') {
			buf[n] = '\0';
			return 0;
		}
	}
	return -1;
}

/* Blocks until the client sends a byte or closes: the client's cue to hang up. */
static void await_close(int fd)
{
	char c;
	while (recv(fd, &c, 1, 0) < 0 && errno == EINTR) {
	}
}

static void serve_source(int fd)
{
	char line[64];
	if (read_line(fd, line, sizeof(line)) < 0)
		return;
	uint64_t size = parse_u64(line, 0, UINT64_MAX / 2, "source request");
	for (uint64_t off = 0; off < size;) {
		size_t n;
		uint64_t left = size - off;
		const unsigned char *p = stream_at(off, left < IO_CHUNK ? left : IO_CHUNK, &n);
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		off += (uint64_t)w;
	}
	await_close(fd);
}

static void serve_sink(int fd)
{
	char line[64], mode[16] = "";
	unsigned long long size;
	if (read_line(fd, line, sizeof(line)) < 0 || sscanf(line, "%llu %15s", &size, mode) < 1)
		return;
	struct stream_check c;
	check_init(&c, strcmp(mode, "sha256") == 0);
	int64_t t_first = 0, t_last = 0;
	uint64_t first_len = 0;
	while (c.off < size) {
		uint64_t left = size - c.off;
		ssize_t n = recv(fd, iobuf, left < IO_CHUNK ? left : IO_CHUNK, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		t_last = now_ns();
		if (!t_first) {
			t_first = t_last;
			first_len = (uint64_t)n;
		}
		check_feed(&c, iobuf, (size_t)n);
	}
	char hex[65], answer[160];
	check_finish(&c, hex);
	const char *status = c.off < size ? "short" : c.bad_at != UINT64_MAX ? "bad" : "ok";
	uint64_t count = c.bad_at != UINT64_MAX ? c.bad_at : c.off;
	int len = snprintf(answer, sizeof(answer), "%s %" PRIu64 " %" PRIu64 " %" PRId64 " %s\n",
			   status, count, c.off - first_len, t_last - t_first, hex);
	if (write_all(fd, answer, (size_t)len) == 0)
		await_close(fd);
}

static void serve_pingpong(int fd)
{
	char msg[PING_SIZE];
	for (;;) {
		size_t got = 0;
		while (got < PING_SIZE) {
			ssize_t n = recv(fd, msg + got, PING_SIZE - got, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return;
			got += (size_t)n;
		}
		if (msg[0] == 'Q' || write_all(fd, msg, PING_SIZE) < 0)
			return;
	}
}

static void child(enum server s, int fd, unsigned lifetime)
{
	/* Die with the parent, and in any case within the lifetime: no stray servers. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(lifetime);
	switch (s) {
	case SOURCE:
		serve_source(fd);
		break;
	case SINK:
		serve_sink(fd);
		break;
	case BANNER:
		await_close(fd);
		break; /* the banner was sent before the fork */
	case PINGPONG:
		serve_pingpong(fd);
		break;
	case SERVER_COUNT:
		break;
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	util_progname("targets");
	unsigned lifetime = 900;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--lifetime") == 0 && i + 1 < argc)
			lifetime = (unsigned)parse_u64(argv[++i], 1, 86400, "--lifetime");
		else
			die("usage: targets [--lifetime SECS]");
	}
	signal(SIGPIPE, SIG_IGN);
	alarm(lifetime);
	stream_init();

	struct pollfd pfd[SERVER_COUNT];
	for (int s = 0; s < SERVER_COUNT; s++) {
		uint16_t port;
		pfd[s] = (struct pollfd){ .fd = listen_loopback(&port), .events = POLLIN };
		printf("%s%s=%u", s ? " " : "", server_name[s], port);
	}
	printf("\n");
	fflush(stdout);

	unsigned children = 0;
	for (;;) {
		while (children && waitpid(-1, NULL, WNOHANG) > 0)
			children--;
		/* The timeout only paces the reaping of children above. */
		if (poll(pfd, SERVER_COUNT, 200) < 0 && errno != EINTR)
			die_errno("poll");
		for (int s = 0; s < SERVER_COUNT; s++) {
			if (!(pfd[s].revents & POLLIN))
				continue;
			int fd = accept4(pfd[s].fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			int on = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
			if (s == BANNER &&
			    (send(fd, banner, sizeof(banner) - 1, MSG_NOSIGNAL) < 0 ||
			     shutdown(fd, SHUT_WR) < 0)) {
				close(fd);
				continue;
			}
			pid_t pid = children < MAX_CHILDREN ? fork() : -1;
			if (pid == 0) {
				for (int k = 0; k < SERVER_COUNT; k++)
					close(pfd[k].fd);
				child((enum server)s, fd, lifetime);
			}
			if (pid > 0)
				children++;
			close(fd);
		}
	}
}
