/* Unit tests for relay.c: the relay driven on socketpairs (the copy path) and pipes
 * (splice down, copy up), with a fake "far side" on the other end of the tunnel socket.
 * EOF rules, the reader going away, the idle, EOF and quiet timers, bytes in order
 * both ways, and a TLS-like net_io that holds bytes poll() cannot see. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay.h"
#include "tap.h"

/* The fds of one relay under test: what egress sees (in, out, net) and what the
 * test holds at the other ends (feed writes stdin, drain reads stdout, far is the
 * tunnel's far side). */
struct rig {
	int in, out, net;
	int feed, drain, far;
};

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Local ends on pipes (splice down) or on a socketpair each (copy); the tunnel on a
 * socketpair. */
static bool rig_open(struct rig *g, bool pipes)
{
	int a[2], b[2], n[2];
	if (pipes ? pipe(a) < 0 || pipe(b) < 0
		  : socketpair(AF_UNIX, SOCK_STREAM, 0, a) < 0 ||
			    socketpair(AF_UNIX, SOCK_STREAM, 0, b) < 0)
		return false;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, n) < 0)
		return false;
	/* pipe: [0] reads, [1] writes; a socketpair works either way round. */
	*g = (struct rig){
		.in = a[0], .feed = a[1], .out = b[1], .drain = b[0], .net = n[0], .far = n[1]
	};
	nonblock(g->drain);
	nonblock(g->far);
	return true;
}

static void rig_close(struct rig *g)
{
	int *ends[] = { &g->in, &g->out, &g->net, &g->feed, &g->drain, &g->far };
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
		if (*ends[i] >= 0) {
			/* (void): cppcheck read the bare call as a declaration of *ends[i] */
			(void)close(*ends[i]);
			*ends[i] = -1;
		}
}

static struct relay_opts opts_for(const struct rig *g)
{
	return (struct relay_opts){ .in_fd = g->in, .out_fd = g->out, .net_fd = g->net };
}

/* Polls and steps the relay until it ends or ms pass; returns its state then. */
static enum relay_end run_for(struct relay *r, long ms)
{
	long until = relay_now_ms() + ms;
	struct pollfd pfd[SLOT_COUNT];
	while (r->end == RELAY_RUNNING && relay_now_ms() < until) {
		relay_pollfds(r, pfd);
		int t = relay_timeout(r, relay_now_ms());
		long left = until - relay_now_ms();
		if (t < 0 || t > left)
			t = (int)(left > 0 ? left : 0);
		if (poll(pfd, SLOT_COUNT, t) < 0 && errno != EINTR)
			break;
		relay_step(r, pfd, relay_now_ms());
	}
	return r->end;
}

/* Reads what fd has now (non-blocking) into buf at *have, up to cap. */
static void take(int fd, char *buf, size_t *have, size_t cap)
{
	ssize_t n;
	while (*have < cap && (n = read(fd, buf + *have, cap - *have)) > 0)
		*have += (size_t)n;
}

/* The far side's bytes reach stdout, then its close ends the relay: CLOSED. */
static void test_down_then_close(bool pipes)
{
	struct rig g;
	struct relay r;
	char got[64] = "";
	size_t have = 0;
	REQUIRE(rig_open(&g, pipes));
	struct relay_opts o = opts_for(&g);
	CHECK(relay_init(&r, &o) == 0);
	CHECK(write(g.far, "SSH-2.0-test\r\n", 14) == 14);
	CHECK(run_for(&r, 100) == RELAY_RUNNING);
	take(g.drain, got, &have, sizeof(got));
	CHECK(have == 14 && memcmp(got, "SSH-2.0-test\r\n", 14) == 0);
	CHECK(write(g.far, "bye", 3) == 3);
	shutdown(g.far, SHUT_WR);
	CHECK(run_for(&r, 2000) == RELAY_CLOSED);
	CHECK(relay_far_closed(&r));
	take(g.drain, got, &have, sizeof(got));
	CHECK(have == 17 && memcmp(got + 14, "bye", 3) == 0);
	relay_free(&r);
	rig_close(&g);
}

/* stdin EOF is not passed on by default: the far side sees no EOF and the relay
 * runs on; the EOF timer ends it. */
static void test_eof_kept(bool pipes)
{
	struct rig g;
	struct relay r;
	char buf[16];
	REQUIRE(rig_open(&g, pipes));
	struct relay_opts o = opts_for(&g);
	o.eof_timeout_ms = 300;
	CHECK(relay_init(&r, &o) == 0);
	CHECK(write(g.feed, "req", 3) == 3);
	close(g.feed);
	g.feed = -1;
	long t0 = relay_now_ms();
	CHECK(run_for(&r, 150) == RELAY_RUNNING);
	CHECK(relay_local_eof(&r));
	CHECK(read(g.far, buf, sizeof(buf)) == 3);
	errno = 0;
	CHECK(read(g.far, buf, sizeof(buf)) < 0 && errno == EAGAIN); /* no EOF */
	CHECK(run_for(&r, 2000) == RELAY_EOF_TIMEOUT);
	CHECK(relay_now_ms() - t0 >= 300);
	relay_free(&r);
	rig_close(&g);
}

/* With forward_eof, stdin's EOF becomes the far side's, after the bytes before it. */
static void test_eof_forwarded(bool pipes)
{
	struct rig g;
	struct relay r;
	char buf[16];
	size_t have = 0;
	REQUIRE(rig_open(&g, pipes));
	struct relay_opts o = opts_for(&g);
	o.forward_eof = true;
	CHECK(relay_init(&r, &o) == 0);
	CHECK(write(g.feed, "last words", 10) == 10);
	close(g.feed);
	g.feed = -1;
	CHECK(run_for(&r, 150) == RELAY_RUNNING);
	take(g.far, buf, &have, sizeof(buf));
	CHECK(have == 10 && memcmp(buf, "last words", 10) == 0);
	CHECK(read(g.far, buf, sizeof(buf)) == 0);
	/* The far side answers after the EOF, then closes: all of it arrives. */
	CHECK(write(g.far, "ok", 2) == 2);
	close(g.far);
	g.far = -1;
	CHECK(run_for(&r, 2000) == RELAY_CLOSED);
	have = 0;
	take(g.drain, buf, &have, sizeof(buf));
	CHECK(have == 2 && memcmp(buf, "ok", 2) == 0);
	relay_free(&r);
	rig_close(&g);
}

/* stdout's reader leaving ends the relay as READER_GONE, not as an error. */
static void test_reader_gone(bool pipes)
{
	struct rig g;
	struct relay r;
	REQUIRE(rig_open(&g, pipes));
	struct relay_opts o = opts_for(&g);
	CHECK(relay_init(&r, &o) == 0);
	close(g.drain);
	g.drain = -1;
	CHECK(write(g.far, "data nobody reads", 17) == 17);
	CHECK(run_for(&r, 2000) == RELAY_READER_GONE);
	relay_free(&r);
	rig_close(&g);
}

/* The reader leaving is seen while nothing is being written (POLLERR/POLLHUP on
 * stdout), not only at the next write's EPIPE: an idle ssh session ends with it. */
static void test_reader_gone_idle(bool pipes)
{
	struct rig g;
	struct relay r;
	REQUIRE(rig_open(&g, pipes));
	struct relay_opts o = opts_for(&g);
	CHECK(relay_init(&r, &o) == 0);
	CHECK(run_for(&r, 50) == RELAY_RUNNING);
	close(g.drain);
	g.drain = -1;
	CHECK(run_for(&r, 2000) == RELAY_READER_GONE);
	relay_free(&r);
	rig_close(&g);
}

/* No byte either way for idle_timeout_ms: IDLE, not before. */
static void test_idle(void)
{
	struct rig g;
	struct relay r;
	REQUIRE(rig_open(&g, false));
	struct relay_opts o = opts_for(&g);
	o.idle_timeout_ms = 200;
	CHECK(relay_init(&r, &o) == 0);
	long t0 = relay_now_ms();
	/* A byte at 100 ms moves the deadline on. */
	CHECK(run_for(&r, 100) == RELAY_RUNNING);
	CHECK(write(g.far, "x", 1) == 1);
	CHECK(run_for(&r, 150) == RELAY_RUNNING);
	CHECK(run_for(&r, 2000) == RELAY_IDLE);
	CHECK(relay_now_ms() - t0 >= 300);
	relay_free(&r);
	rig_close(&g);
}

static void on_quiet(void *ctx)
{
	(*(int *)ctx)++;
}

/* on_quiet runs once, after quiet_ms without a byte, and ends nothing. */
static void test_quiet(void)
{
	struct rig g;
	struct relay r;
	int quiet_calls = 0;
	REQUIRE(rig_open(&g, false));
	struct relay_opts o = opts_for(&g);
	o.quiet_ms = 50;
	o.on_quiet = on_quiet;
	o.quiet_ctx = &quiet_calls;
	CHECK(relay_init(&r, &o) == 0);
	CHECK(run_for(&r, 30) == RELAY_RUNNING && quiet_calls == 0);
	CHECK(run_for(&r, 300) == RELAY_RUNNING && quiet_calls == 1);
	CHECK(write(g.far, "x", 1) == 1);
	CHECK(run_for(&r, 300) == RELAY_RUNNING && quiet_calls == 1);
	relay_free(&r);
	rig_close(&g);
}

/* 4 MiB each way at once, by a far side that writes before it reads: every byte, in
 * order. A relay that blocked on one direction would deadlock here. */
static void test_both_ways(bool pipes)
{
	enum { SIZE = 4 << 20 };
	struct rig g;
	struct relay r;
	char *up = malloc(SIZE), *down = malloc(SIZE), *got_up = malloc(SIZE),
	     *got_down = malloc(SIZE);
	size_t sent_up = 0, sent_down = 0, have_up = 0, have_down = 0;
	CHECK(up && down && got_up && got_down && rig_open(&g, pipes));
	for (size_t i = 0; i < SIZE; i++) {
		up[i] = (char)(i * 7 + 1);
		down[i] = (char)(i * 13 + 5);
	}
	nonblock(g.feed);
	struct relay_opts o = opts_for(&g);
	CHECK(relay_init(&r, &o) == 0);
	long until = relay_now_ms() + 20000;
	while ((have_up < SIZE || have_down < SIZE) && relay_now_ms() < until &&
	       r.end == RELAY_RUNNING) {
		ssize_t n;
		if (sent_up < SIZE && (n = write(g.feed, up + sent_up, SIZE - sent_up)) > 0)
			sent_up += (size_t)n;
		if (sent_down < SIZE && (n = write(g.far, down + sent_down, SIZE - sent_down)) > 0)
			sent_down += (size_t)n;
		run_for(&r, 1);
		take(g.far, got_up, &have_up, SIZE);
		take(g.drain, got_down, &have_down, SIZE);
	}
	CHECK(have_up == SIZE && memcmp(up, got_up, SIZE) == 0);
	CHECK(have_down == SIZE && memcmp(down, got_down, SIZE) == 0);
	relay_free(&r);
	rig_close(&g);
	free(up);
	free(down);
	free(got_up);
	free(got_down);
}

/* A TLS-like tunnel: bytes already decrypted wait inside it, where poll() on the
 * socket sees nothing; sends say EAGAIN once and must be retried with the same
 * bytes at the same address. */
struct fake_tls {
	const char *held; /* decrypted, not yet read */
	size_t held_len;
	int sock;	       /* what lies beyond: the real socket */
	bool open;	       /* sends go through; until then they say EAGAIN */
	bool said_again;       /* some send said EAGAIN */
	const void *again_buf; /* what the first refused send offered */
	size_t again_len;
	bool retry_same; /* every send since offered the same address and length */
};

static ssize_t fake_recv(void *ctx, void *buf, size_t len)
{
	struct fake_tls *t = ctx;
	if (t->held_len) {
		size_t n = len < t->held_len ? len : t->held_len;
		memcpy(buf, t->held, n);
		t->held += n;
		t->held_len -= n;
		return (ssize_t)n;
	}
	return recv(t->sock, buf, len, MSG_DONTWAIT);
}

static ssize_t fake_send(void *ctx, const void *buf, size_t len)
{
	struct fake_tls *t = ctx;
	if (t->said_again)
		t->retry_same = t->retry_same && buf == t->again_buf && len == t->again_len;
	else if (!t->open) {
		t->said_again = t->retry_same = true;
		t->again_buf = buf;
		t->again_len = len;
	}
	if (!t->open) {
		errno = EAGAIN;
		return -1;
	}
	t->said_again = false;
	return send(t->sock, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void test_tls_like(void)
{
	struct rig g;
	struct relay r;
	char got[64];
	size_t have = 0;
	REQUIRE(rig_open(&g, true)); /* pipes: net_io must still take the copy path */
	struct fake_tls t = { .held = "banner that came with the 200\n",
			      .held_len = 30,
			      .sock = g.net,
			      .open = true };
	struct relay_net_io io = { .recv = fake_recv, .send = fake_send, .ctx = &t };
	struct relay_opts o = opts_for(&g);
	o.net_io = &io;
	CHECK(relay_init(&r, &o) == 0);
	/* Nothing is readable on the socket, so poll() would sleep: the relay must
	 * know it has work without it, and the held bytes come out. */
	CHECK(relay_timeout(&r, relay_now_ms()) == 0);
	CHECK(run_for(&r, 100) == RELAY_RUNNING);
	take(g.drain, got, &have, sizeof(got));
	CHECK(have == 30 && memcmp(got, "banner that came with the 200\n", 30) == 0);
	/* Sends say EAGAIN for a while; more bytes arrive meanwhile, and every retry
	 * must still offer the same bytes at the same address. */
	t.open = false;
	CHECK(write(g.feed, "hello", 5) == 5);
	CHECK(run_for(&r, 30) == RELAY_RUNNING && t.said_again);
	CHECK(write(g.feed, " world", 6) == 6);
	CHECK(run_for(&r, 30) == RELAY_RUNNING);
	CHECK(t.retry_same && t.again_len == 5);
	/* cppcheck-suppress redundantAssignment ; the relay's net_io reads it */
	t.open = true;
	CHECK(run_for(&r, 200) == RELAY_RUNNING);
	have = 0;
	take(g.far, got, &have, sizeof(got));
	CHECK(have == 11 && memcmp(got, "hello world", 11) == 0);
	relay_free(&r);
	rig_close(&g);
}

/* relay_init puts the local fds in non-blocking mode; relay_free puts them back. */
static void test_modes_restored(void)
{
	struct rig g;
	struct relay r;
	REQUIRE(rig_open(&g, true));
	struct relay_opts o = opts_for(&g);
	CHECK(relay_init(&r, &o) == 0);
	CHECK(fcntl(g.in, F_GETFL) & O_NONBLOCK);
	CHECK(fcntl(g.out, F_GETFL) & O_NONBLOCK);
	relay_free(&r);
	CHECK(!(fcntl(g.in, F_GETFL) & O_NONBLOCK));
	CHECK(!(fcntl(g.out, F_GETFL) & O_NONBLOCK));
	rig_close(&g);
}

int main(void)
{
	(void)signal(SIGPIPE, SIG_IGN); /* fails only for a bad signal number */
	for (int pipes = 0; pipes <= 1; pipes++) {
		test_down_then_close(pipes);
		test_eof_kept(pipes);
		test_eof_forwarded(pipes);
		test_reader_gone(pipes);
		test_reader_gone_idle(pipes);
		test_both_ways(pipes);
	}
	test_idle();
	test_quiet();
	test_tls_like();
	test_modes_restored();
	return tap_done();
}
