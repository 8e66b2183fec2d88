/* listen: the benchmark of listen mode (egress -L) and its peers' standalone modes
 * (socat TCP-LISTEN,fork + PROXY:, proxytunnel -a), or of "the limit": the clients
 * sending the CONNECT to the proxy themselves. One run measures one of them:
 *
 *   idle N     N tunnels at once, each proving itself with a 16-byte echo; the time
 *              until all have, then the helper's private memory (USS, its children's
 *              included) per tunnel, against a reading before the first connect.
 *   busy K MiB K tunnels at once, each sending MiB and reading its echo back, every
 *              byte checked: the aggregate rate, both directions counted.
 *   rate SECS  one tunnel after another for SECS (connect, CONNECT, a byte echoed,
 *              close): tunnels per second, and the helper's CPU per tunnel.
 *
 * The echo server is a child process (its descriptors count apart from the clients').
 * Output: "key value" lines on stdout, for scripts/bench to tabulate. Every wait has
 * a deadline (--timeout); a tunnel that fails or loses a byte is counted and reported,
 * and makes the run exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"
#include "util.h"

#define HELLO_LEN 16
#define CHUNK	  (64 * 1024)

/* ---- the echo server ---- */

struct echo_conn {
	int fd;
	char *buf; /* while bytes wait for the client */
	size_t len, off;
};

static void echo_serve(int lfd)
{
	int ep = epoll_create1(0);
	struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) < 0)
		die_errno("echo: epoll");
	for (;;) {
		struct epoll_event ev[256];
		int n = epoll_wait(ep, ev, 256, -1);
		for (int i = 0; i < n; i++) {
			struct echo_conn *c = ev[i].data.ptr;
			if (!c) {
				int fd;
				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					c = calloc(1, sizeof(*c));
					c->fd = fd;
					struct epoll_event e = { .events = EPOLLIN, .data.ptr = c };
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
				}
				continue;
			}
			if (c->len == c->off) {
				if (!c->buf)
					c->buf = malloc(CHUNK);
				ssize_t r = recv(c->fd, c->buf, CHUNK, 0);
				if (r <= 0 && !(r < 0 && errno == EAGAIN)) {
					close(c->fd);
					free(c->buf);
					free(c);
					continue;
				}
				c->len = r > 0 ? (size_t)r : 0;
				c->off = 0;
			}
			while (c->off < c->len) {
				ssize_t w =
					send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
				if (w <= 0)
					break;
				c->off += (size_t)w;
			}
			struct epoll_event e = { .events = c->off < c->len ? EPOLLOUT : EPOLLIN,
						 .data.ptr = c };
			if (c->off == c->len) {
				free(c->buf);
				c->buf = NULL;
			}
			epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
		}
	}
}

static uint16_t echo_start(unsigned lifetime)
{
	uint16_t port;
	int lfd = listen_loopback(&port);
	pid_t pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(lifetime);
		set_nonblock(lfd);
		echo_serve(lfd);
		_exit(0);
	}
	close(lfd);
	return port;
}

/* ---- what a helper costs ---- */

static pid_t helper;

/* Private memory (KiB) of pid and of its children (a forking helper's tunnels). */
static long helper_uss(void)
{
	long total = 0, uss;
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[64], line[512];

	while (d && (e = readdir(d))) {
		pid_t p = (pid_t)atoi(e->d_name);
		bool ours = p == helper;
		if (p <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)p);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f)) {
			const char *rp = strrchr(line, ')');
			int ppid = 0;
			if (rp && sscanf(rp + 2, "%*c %d", &ppid) == 1 && ppid == helper)
				ours = true;
		}
		fclose(f);
		if (!ours)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)p);
		f = fopen(path, "r");
		uss = 0;
		while (f && fgets(line, sizeof(line), f)) {
			long kb;
			if (sscanf(line, "Private_Clean: %ld kB", &kb) == 1 ||
			    sscanf(line, "Private_Dirty: %ld kB", &kb) == 1)
				uss += kb;
		}
		if (f)
			fclose(f);
		total += uss;
	}
	if (d)
		closedir(d);
	return total;
}

/* CPU seconds of the helper and of its children that have ended. */
static double helper_cpu(void)
{
	char path[64], line[1024];
	unsigned long ut, st;
	long cut, cst;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)helper);
	FILE *f = fopen(path, "r");
	if (!f || !fgets(line, sizeof(line), f)) {
		if (f)
			fclose(f);
		return 0;
	}
	fclose(f);
	const char *rp = strrchr(line, ')');
	if (!rp || sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %ld %ld",
			  &ut, &st, &cut, &cst) != 4)
		return 0;
	return (double)(ut + st + (unsigned long)cut + (unsigned long)cst) /
	       (double)sysconf(_SC_CLK_TCK);
}

/* ---- clients ---- */

static uint16_t via_port, proxy_port, echo_port; /* via: the helper's, or the proxy's */
static bool limit;				 /* the client sends the CONNECT itself */
static int64_t deadline;
static int64_t phase_ns = 60000000000LL; /* --phase-timeout: the idle and busy phases' bound */

enum cstate { C_CONNECTING, C_REPLY, C_RUNNING, C_DONE, C_FAILED };

struct client {
	int fd;
	enum cstate st;
	size_t want;	  /* bytes to send and to get back */
	size_t sent, got; /* so far */
	char hdr[256];	  /* the proxy's reply (the limit) */
	size_t hdr_len;
	unsigned char seed;
};

/* The byte at offset i of a client's stream: cheap to make and to check. */
static unsigned char stream_byte(const struct client *c, size_t i)
{
	return (unsigned char)(c->seed + i * 7 + (i >> 12));
}

static void client_start(struct client *c, int ep, size_t want, unsigned char seed)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(via_port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	*c = (struct client){ .want = want, .seed = seed };
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		die_errno("socket (raise the descriptor limit?)");
	int on = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS)
		die_errno("connect");
	c->st = C_CONNECTING;
	struct epoll_event e = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e) < 0)
		die_errno("epoll_ctl");
}

static void client_step(struct client *c)
{
	static unsigned char buf[CHUNK];

	if (c->st == C_CONNECTING) {
		if (limit) {
			char req[128];
			int n = snprintf(
				req, sizeof(req),
				"CONNECT 127.0.0.1:%u HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
				echo_port, echo_port);
			if (send(c->fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
				if (errno == EAGAIN || errno == ENOTCONN)
					return;
				c->st = C_FAILED;
				return;
			}
			c->st = C_REPLY;
		} else {
			c->st = C_RUNNING;
		}
	}
	while (c->st == C_REPLY) {
		ssize_t r = recv(c->fd, c->hdr + c->hdr_len, 1, 0);
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0 || c->hdr_len + 2 >= sizeof(c->hdr)) {
			c->st = C_FAILED;
			return;
		}
		c->hdr[++c->hdr_len] = '\0';
		if (c->hdr_len >= 4 && !memcmp(c->hdr + c->hdr_len - 4, "\r\n\r\n", 4))
			c->st = strncmp(c->hdr, "HTTP/1.1 200", 12) ? C_FAILED : C_RUNNING;
	}
	while (c->st == C_RUNNING && c->sent < c->want) {
		size_t n = c->want - c->sent < CHUNK ? c->want - c->sent : CHUNK;
		for (size_t i = 0; i < n; i++)
			buf[i] = stream_byte(c, c->sent + i);
		ssize_t w = send(c->fd, buf, n, MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == ENOTCONN))
			break;
		if (w <= 0) {
			c->st = C_FAILED;
			return;
		}
		c->sent += (size_t)w;
	}
	while (c->st == C_RUNNING && c->got < c->sent) {
		ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			c->st = C_FAILED;
			return;
		}
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] != stream_byte(c, c->got + (size_t)i)) {
				c->st = C_FAILED;
				return;
			}
		c->got += (size_t)r;
		if (c->got == c->want)
			c->st = C_DONE;
	}
}

/* Runs n clients of want bytes each until every one is done or failed, or the
 * deadline; returns how many failed. The clients stay connected. */
static size_t run_clients(struct client *cs, size_t n, size_t want)
{
	int ep = epoll_create1(0);
	size_t left = n, failed = 0;
	if (ep < 0)
		die_errno("epoll_create1");
	for (size_t i = 0; i < n; i++)
		client_start(&cs[i], ep, want, (unsigned char)i);
	while (left && now_ns() < deadline) {
		struct epoll_event ev[512];
		int k = epoll_wait(ep, ev, 512, 200);
		for (int i = 0; i < k; i++) {
			struct client *c = ev[i].data.ptr;
			if (c->st == C_DONE || c->st == C_FAILED)
				continue;
			client_step(c);
			if (c->st == C_DONE || c->st == C_FAILED) {
				left--;
				failed += c->st == C_FAILED;
			}
		}
	}
	close(ep);
	return failed + left;
}

static void close_clients(struct client *cs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(cs[i].fd);
}

static int measure_idle(size_t n)
{
	struct client *cs = calloc(n, sizeof(*cs));
	long before = helper ? helper_uss() : 0;
	int64_t t0 = now_ns(), all_deadline = deadline;
	/* A helper that cannot take them all gets its failures counted, not an hour. */
	if (t0 + phase_ns < deadline)
		deadline = t0 + phase_ns;
	size_t bad = run_clients(cs, n, HELLO_LEN);
	double secs = (double)(now_ns() - t0) / 1e9;
	deadline = all_deadline;
	printf("idle_tunnels %zu\nidle_failed %zu\nidle_establish_s %.3f\n", n, bad, secs);
	if (helper) {
		sleep(2); /* quiet: egress gives memory back a second after a burst */
		long after = helper_uss();
		printf("idle_uss_before_kib %ld\nidle_uss_after_kib %ld\nidle_kib_per_tunnel "
		       "%.2f\n",
		       before, after, (double)(after - before) / (double)n);
	}
	close_clients(cs, n);
	free(cs);
	return bad ? 1 : 0;
}

static int measure_busy(size_t n, size_t mib)
{
	struct client *cs = calloc(n, sizeof(*cs));
	int64_t t0 = now_ns(), all_deadline = deadline;
	if (t0 + phase_ns < deadline)
		deadline = t0 + phase_ns;
	size_t bad = run_clients(cs, n, mib << 20);
	double secs = (double)(now_ns() - t0) / 1e9;
	deadline = all_deadline;
	printf("busy_tunnels %zu\nbusy_failed %zu\nbusy_s %.3f\nbusy_mb_s %.1f\n", n, bad, secs,
	       (double)(2 * n * (mib << 20)) / secs / 1e6);
	close_clients(cs, n);
	free(cs);
	return bad ? 1 : 0;
}

static int measure_rate(double secs)
{
	size_t done = 0, bad = 0;
	double cpu0 = helper ? helper_cpu() : 0;
	int64_t t0 = now_ns(), end = t0 + (int64_t)(secs * 1e9);
	struct client c;

	while (now_ns() < end && now_ns() < deadline) {
		int ep = epoll_create1(0);
		client_start(&c, ep, 1, (unsigned char)done);
		int64_t stop = now_ns() + 5000000000LL;
		while (c.st != C_DONE && c.st != C_FAILED && now_ns() < stop) {
			struct epoll_event ev;
			if (epoll_wait(ep, &ev, 1, 100) == 1)
				client_step(&c);
		}
		bad += c.st != C_DONE;
		done++;
		close(c.fd);
		close(ep);
	}
	double took = (double)(now_ns() - t0) / 1e9;
	printf("rate_tunnels %zu\nrate_failed %zu\nrate_per_s %.1f\n", done, bad,
	       (double)done / took);
	if (helper) {
		/* A forking helper's last children may still be ending: let them be reaped. */
		usleep(300000);
		printf("rate_cpu_ms_per_tunnel %.3f\n",
		       (helper_cpu() - cpu0) * 1000.0 / (double)(done ? done : 1));
	}
	return bad ? 1 : 0;
}

/* Runs as a helper's argv: the helper is told its listening port and the echo port
 * by substituting {LPORT} and {EPORT}, and {PPORT} for the proxy. */
static pid_t start_helper(char **argv, uint16_t lport)
{
	char *args[64];
	static char subst[64][128];
	int n = 0;
	for (; argv[n] && n < 63; n++) {
		const char *a = argv[n];
		char *out = subst[n];
		size_t o = 0;
		while (*a && o + 8 < sizeof(subst[n])) {
			unsigned v = 0;
			size_t skip = 0;
			if (!strncmp(a, "{LPORT}", 7))
				v = lport, skip = 7;
			else if (!strncmp(a, "{EPORT}", 7))
				v = echo_port, skip = 7;
			else if (!strncmp(a, "{PPORT}", 7))
				v = proxy_port, skip = 7;
			if (skip) {
				o += (size_t)snprintf(out + o, sizeof(subst[n]) - o, "%u", v);
				a += skip;
			} else {
				out[o++] = *a++;
			}
		}
		out[o] = '\0';
		args[n] = out;
	}
	args[n] = NULL;
	pid_t pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(nul, 1);
		execvp(args[0], args);
		_exit(127);
	}
	return pid;
}

static uint16_t free_port(void)
{
	uint16_t port;
	close(listen_loopback(&port));
	return port;
}

int main(int argc, char **argv)
{
	size_t idle = 0, busy = 0, mib = 0;
	double rate = 0;
	unsigned timeout = 300;
	int i, status = 0;

	util_progname("listen");
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--proxy") && i + 1 < argc)
			proxy_port = (uint16_t)parse_u64(argv[++i], 1, 65535, "--proxy");
		else if (!strcmp(argv[i], "--idle") && i + 1 < argc)
			idle = parse_u64(argv[++i], 1, 100000, "--idle");
		else if (!strcmp(argv[i], "--busy") && i + 2 < argc) {
			busy = parse_u64(argv[++i], 1, 10000, "--busy");
			mib = parse_u64(argv[++i], 1, 4096, "--busy MIB");
		} else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
			rate = (double)parse_u64(argv[++i], 1, 600, "--rate");
		else if (!strcmp(argv[i], "--phase-timeout") && i + 1 < argc)
			phase_ns = (int64_t)parse_u64(argv[++i], 1, 3600, "--phase-timeout") *
				   1000000000LL;
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout = (unsigned)parse_u64(argv[++i], 1, 3600, "--timeout");
		else
			die("usage: listen --proxy PORT [--idle N] [--busy N MIB] [--rate SECS] "
			    "[--timeout SECS] [-- HELPER ARGS... ({LPORT} {EPORT} {PPORT})]");
	}
	if (!proxy_port)
		die("--proxy PORT is required");
	signal(SIGPIPE, SIG_IGN);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	alarm(timeout + 30);
	deadline = now_ns() + (int64_t)timeout * 1000000000LL;
	echo_port = echo_start(timeout + 60);
	if (i < argc) {
		via_port = free_port();
		helper = start_helper(argv + i + 1, via_port);
		/* Until the helper accepts. */
		int64_t until = now_ns() + 10000000000LL;
		for (;;) {
			int fd = connect_loopback(via_port);
			if (fd >= 0) {
				close(fd);
				break;
			}
			if (now_ns() > until || waitpid(helper, NULL, WNOHANG) == helper)
				die("the helper did not listen on port %u", via_port);
			usleep(20000);
		}
		/* The probe's tunnel ends, and egress gives back what opening it took
		 * (a second after), so that the idle reading starts from a quiet helper. */
		sleep(2);
	} else {
		via_port = proxy_port;
		limit = true;
	}
	if (idle)
		status |= measure_idle(idle);
	if (busy)
		status |= measure_busy(busy, mib);
	if (rate > 0)
		status |= measure_rate(rate);
	if (helper) {
		kill(helper, SIGTERM);
		usleep(100000);
		kill(helper, SIGKILL);
		waitpid(helper, NULL, 0);
	}
	fflush(stdout);
	return status;
}
