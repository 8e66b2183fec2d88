/* proxy: a small, fast HTTP CONNECT proxy on 127.0.0.1 for the benchmark.
 *
 * It must never be the bottleneck it is measuring through, so bytes cross it with
 * splice() (socket -> pipe -> socket, no copy to user space) in one epoll loop.
 *
 * Theory of operation. A tunnel starts in HEADER: the client's bytes are read until
 * the blank line that ends its request. A valid "CONNECT 127.0.0.1:PORT" (or
 * localhost) is connected at once (a loopback connect finishes or fails without
 * waiting), answered "200 Connection established", and any bytes the client sent
 * after its headers are passed on. The tunnel is then OPEN, with two flows, client to
 * target and target to client, each owning a pipe:
 *
 *   a flow reads its source into its pipe while the pipe has room, and empties the
 *   pipe into its destination while the destination takes bytes; it repeats until
 *   neither step moves anything (the sockets are edge-triggered, so a flow must always
 *   run until it meets EAGAIN or a full pipe).
 *   source EOF with an empty pipe: shutdown(destination, SHUT_WR); the flow is DONE,
 *   and the other flow carries on: a client's half-close never tears the tunnel down.
 *   both flows DONE, or any error: both sockets are closed.
 *
 * Anything that is not a CONNECT to a loopback port is refused: this proxy must not
 * reach anything off this machine. It exits after --lifetime seconds whatever happens.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

/* Tunnels at once: --tunnels (listen mode's run takes thousands, with --lazy-pipes). */
static int max_tunnels = 256;
/* --lazy-pipes: a flow's pipe exists only while bytes are in it, so that an idle
 * tunnel holds its two sockets alone (9000 tunnels in 20000 descriptors). */
static bool lazy_pipes;
#define HEADER_MAX 4096
/* 1 MiB is the default /proc/sys/fs/pipe-max-size; with less, the pipe (not the copy)
 * limits the rate. A refused size falls back to whatever the kernel gave. */
#define PIPE_SIZE (1024 * 1024)

enum tunnel_state { T_FREE, T_HEADER, T_OPEN, T_CLOSED };
enum { CLIENT, TARGET };

struct tunnel;

/* What an epoll event points at: one socket of one tunnel. */
struct end {
	struct tunnel *t;
	int side;
};

/* Bytes moving from fd[i] to fd[1 - i] through a pipe. */
struct flow {
	int pipe[2];
	size_t cap, inpipe;
	bool src_eof, done;
};

struct tunnel {
	enum tunnel_state state;
	int fd[2];
	struct end end[2];
	struct flow flow[2];
	char hdr[HEADER_MAX];
	size_t hdr_len;
};

static struct tunnel *tunnels;
static int ep;

static void tunnel_close(struct tunnel *t)
{
	for (int i = 0; i < 2; i++) {
		if (t->fd[i] >= 0)
			close(t->fd[i]);
		for (int j = 0; j < 2; j++)
			if (t->flow[i].pipe[j] >= 0)
				close(t->flow[i].pipe[j]);
	}
	/* The slot is reused only after the current batch of events, which may still
	 * hold one for this tunnel's other socket. */
	t->state = T_CLOSED;
}

static struct tunnel *tunnel_new(int client)
{
	for (int i = 0; i < max_tunnels; i++) {
		struct tunnel *t = &tunnels[i];
		if (t->state != T_FREE)
			continue;
		memset(t, 0, sizeof(*t));
		t->state = T_HEADER;
		t->fd[CLIENT] = client;
		t->fd[TARGET] = -1;
		for (int s = 0; s < 2; s++) {
			t->end[s] = (struct end){ t, s };
			t->flow[s].pipe[0] = t->flow[s].pipe[1] = -1;
		}
		return t;
	}
	return NULL;
}

static int watch(int fd, struct end *e, int op)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				  .data.ptr = e };
	return epoll_ctl(ep, op, fd, &ev);
}

static void close_pipe(struct flow *f)
{
	close(f->pipe[0]);
	close(f->pipe[1]);
	f->pipe[0] = f->pipe[1] = -1;
}

static int open_pipe(struct flow *f)
{
	if (pipe2(f->pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	int cap = fcntl(f->pipe[1], F_SETPIPE_SZ, PIPE_SIZE);
	if (cap < 0)
		cap = fcntl(f->pipe[1], F_GETPIPE_SZ);
	f->cap = cap > 0 ? (size_t)cap : 65536;
	return 0;
}

/* Moves what it can through flow i; returns -1 when the tunnel must close. */
static int flow_pump(struct tunnel *t, int i)
{
	struct flow *f = &t->flow[i];
	int src = t->fd[i], dst = t->fd[1 - i];
	const unsigned fl = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

	if (f->pipe[0] < 0 && !f->done && open_pipe(f) < 0)
		return -1;
	for (bool moved = true; moved && !f->done;) {
		moved = false;
		if (!f->src_eof && f->inpipe < f->cap) {
			ssize_t n = splice(src, NULL, f->pipe[1], NULL, f->cap - f->inpipe, fl);
			if (n > 0) {
				f->inpipe += (size_t)n;
				moved = true;
			} else if (n == 0) {
				f->src_eof = true;
				moved = true;
			} else if (errno != EAGAIN && errno != EINTR) {
				return -1;
			}
		}
		if (f->inpipe) {
			ssize_t n = splice(f->pipe[0], NULL, dst, NULL, f->inpipe, fl);
			if (n > 0) {
				f->inpipe -= (size_t)n;
				moved = true;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				return -1;
			}
		}
		if (f->src_eof && !f->inpipe) {
			/* Pass the half-close on; the other direction stays open. */
			shutdown(dst, SHUT_WR);
			f->done = true;
		}
	}
	if (lazy_pipes && !f->inpipe && f->pipe[0] >= 0)
		close_pipe(f);
	return 0;
}

static void tunnel_pump(struct tunnel *t)
{
	if (flow_pump(t, CLIENT) < 0 || flow_pump(t, TARGET) < 0 ||
	    (t->flow[CLIENT].done && t->flow[TARGET].done))
		tunnel_close(t);
}

static void reply(struct tunnel *t, const char *status)
{
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "HTTP/1.1 %s\r\nContent-Length: 0\r\n\r\n", status);
	/* Best effort: the tunnel closes right after an error reply anyway. */
	if (send(t->fd[CLIENT], buf, (size_t)n, MSG_NOSIGNAL) < 0)
		return;
}

/* Parses "CONNECT host:port HTTP/1.x"; returns the port for a loopback host, else 0. */
static unsigned connect_port(const char *line)
{
	char host[256];
	unsigned port;
	int used = 0;
	if (sscanf(line, "CONNECT %255[^: ]:%5u HTTP/1.%*1[01]%n", host, &port, &used) != 2 ||
	    !used)
		return 0;
	if (strcmp(host, "127.0.0.1") != 0 && strcmp(host, "localhost") != 0)
		return 0;
	return port <= 65535 ? port : 0;
}

/* Handles the client's request once its headers are complete. */
static void tunnel_open(struct tunnel *t, size_t hdr_end)
{
	char line[512];
	size_t ll = strcspn(t->hdr, "\r\n");
	if (ll >= sizeof(line)) {
		reply(t, "400 Bad Request");
		tunnel_close(t);
		return;
	}
	memcpy(line, t->hdr, ll);
	line[ll] = '\0';
	unsigned port = connect_port(line);
	if (!port) {
		reply(t, "403 Forbidden");
		tunnel_close(t);
		return;
	}
	int target = connect_loopback((uint16_t)port);
	if (target < 0) {
		reply(t, "502 Bad Gateway");
		tunnel_close(t);
		return;
	}
	t->fd[TARGET] = target;
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	size_t early = t->hdr_len - hdr_end;
	/* Both writes are tiny and go to fresh sockets, whose buffers cannot be full. */
	if (send(t->fd[CLIENT], ok, sizeof(ok) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(ok) - 1) ||
	    (early && send(target, t->hdr + hdr_end, early, MSG_NOSIGNAL) != (ssize_t)early) ||
	    set_nonblock(target) < 0 ||
	    (!lazy_pipes && (open_pipe(&t->flow[CLIENT]) < 0 || open_pipe(&t->flow[TARGET]) < 0)) ||
	    watch(target, &t->end[TARGET], EPOLL_CTL_ADD) < 0) {
		tunnel_close(t);
		return;
	}
	t->state = T_OPEN;
	tunnel_pump(t);
}

static void tunnel_header(struct tunnel *t)
{
	for (;;) {
		if (t->hdr_len == HEADER_MAX - 1) {
			reply(t, "431 Request Header Fields Too Large");
			tunnel_close(t);
			return;
		}
		ssize_t n =
			recv(t->fd[CLIENT], t->hdr + t->hdr_len, HEADER_MAX - 1 - t->hdr_len, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			tunnel_close(t);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* EAGAIN: the rest of the headers comes with the next event */
		}
		t->hdr_len += (size_t)n;
		t->hdr[t->hdr_len] = '\0';
		char *blank = strstr(t->hdr, "\r\n\r\n");
		if (blank) {
			tunnel_open(t, (size_t)(blank + 4 - t->hdr));
			return;
		}
	}
}

static void accept_all(int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or a transient error; the next event retries */
		struct tunnel *t = tunnel_new(fd);
		if (!t) {
			static const char busy[] = "HTTP/1.1 503 Too Many Tunnels\r\n\r\n";
			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL) < 0) {
				/* nothing more to do: the connection is dropped either way */
			}
			close(fd);
			continue;
		}
		int on = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		if (watch(fd, &t->end[CLIENT], EPOLL_CTL_ADD) < 0)
			tunnel_close(t);
		else
			tunnel_header(t); /* edge-triggered: bytes may already be waiting */
	}
}

int main(int argc, char **argv)
{
	util_progname("proxy");
	unsigned lifetime = 900;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--lifetime") == 0 && i + 1 < argc)
			lifetime = (unsigned)parse_u64(argv[++i], 1, 86400, "--lifetime");
		else if (strcmp(argv[i], "--tunnels") == 0 && i + 1 < argc)
			max_tunnels = (int)parse_u64(argv[++i], 1, 100000, "--tunnels");
		else if (strcmp(argv[i], "--lazy-pipes") == 0)
			lazy_pipes = true;
		else
			die("usage: proxy [--lifetime SECS] [--tunnels N] [--lazy-pipes]");
	}
	tunnels = calloc((size_t)max_tunnels, sizeof(*tunnels));
	if (!tunnels)
		die("out of memory");
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	alarm(lifetime); /* SIGALRM's default action ends the process: bounded in time */

	uint16_t port;
	int lfd = listen_loopback(&port);
	set_nonblock(lfd);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die_errno("epoll_create1");
	struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) < 0)
		die_errno("epoll_ctl");
	printf("%u\n", port);
	fflush(stdout);

	for (;;) {
		struct epoll_event ev[64];
		int n = epoll_wait(ep, ev, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_errno("epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			struct end *e = ev[i].data.ptr;
			if (!e) {
				accept_all(lfd);
			} else if (e->t->state == T_HEADER && e->side == CLIENT) {
				tunnel_header(e->t);
			} else if (e->t->state == T_OPEN) {
				tunnel_pump(e->t);
			}
		}
		for (int i = 0; i < max_tunnels; i++)
			if (tunnels[i].state == T_CLOSED)
				tunnels[i].state = T_FREE;
	}
}
