/* The relay: two one-way pipes built from a buffer each.
 *
 *   up:   stdin  --read--> up.data   --send--> net
 *   down: net    --recv--> down.data --write-> stdout
 *
 * Theory of operation. Each direction is OPEN (its source may give more bytes), then
 * EOF (the source said so; what is buffered is still written), then DONE (the buffer
 * is empty and the EOF has been passed on). A source is read only when its buffer
 * has room, a sink written only when the buffer holds bytes, so a stalled side never
 * blocks the other. Reads come after POLLIN; a write is tried right after each read
 * (it usually succeeds at once and saves a poll round trip) and after POLLOUT.
 *
 *   up reaches DONE:   if forward_eof, shutdown(net, SHUT_WR); else the tunnel stays
 *                      open, because squid and tinyproxy tear down a half-closed
 *                      tunnel and lose the reply; the eof timer starts.
 *   down reaches DONE: the far side closed and stdout has it all: RELAY_CLOSED.
 *                      Bytes still in up get one last non-blocking send.
 *   stdout's reader is gone (EPIPE, or POLLERR/POLLHUP while idle): RELAY_READER_GONE.
 *   a read or write fails otherwise: RELAY_NET_ERROR or RELAY_LOCAL_ERROR.
 *   idle_timeout_ms without a byte moved: RELAY_IDLE.
 *   eof_timeout_ms after stdin EOF while the far side is open: RELAY_EOF_TIMEOUT.
 * EINTR and EAGAIN mean "poll again"; short writes just leave bytes for the next one.
 */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Large enough that one read drains a full socket receive window in the common case. */
#define RELAY_BUF_SIZE (128 * 1024)

long relay_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sets O_NONBLOCK unless fd is a terminal, which the shell shares with us; returns the
 * flags to restore, or -1 when nothing was changed. */
static int make_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_NONBLOCK) || isatty(fd))
		return -1;
	if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fl;
}

int relay_init(struct relay *r, const struct relay_opts *o)
{
	memset(r, 0, sizeof(*r));
	r->o = *o;
	r->up.data = malloc(RELAY_BUF_SIZE);
	r->down.data = malloc(RELAY_BUF_SIZE);
	if (!r->up.data || !r->down.data) {
		free(r->up.data);
		free(r->down.data);
		errno = ENOMEM;
		return -1;
	}
	r->saved_in_flags = make_nonblocking(o->in_fd);
	r->saved_out_flags = o->out_fd == o->in_fd ? -1 : make_nonblocking(o->out_fd);
	make_nonblocking(o->net_fd);
	r->last_active_ms = relay_now_ms();
	r->end = RELAY_RUNNING;
	return 0;
}

void relay_free(struct relay *r)
{
	if (r->saved_in_flags >= 0)
		fcntl(r->o.in_fd, F_SETFL, r->saved_in_flags);
	if (r->saved_out_flags >= 0)
		fcntl(r->o.out_fd, F_SETFL, r->saved_out_flags);
	free(r->up.data);
	free(r->down.data);
	r->up.data = r->down.data = NULL;
}

static bool has_room(const struct relay_buf *b)
{
	return !b->eof && b->tail < RELAY_BUF_SIZE;
}

static bool has_data(const struct relay_buf *b)
{
	return b->head < b->tail;
}

void relay_pollfds(const struct relay *r, struct pollfd pfd[SLOT_COUNT])
{
	for (int i = 0; i < SLOT_COUNT; i++)
		pfd[i] = (struct pollfd){ .fd = -1 };
	/* Once the far side closed, stdin is not read any more: we are finishing. */
	if (has_room(&r->up) && !r->far_closed)
		pfd[SLOT_IN] = (struct pollfd){ .fd = r->o.in_fd, .events = POLLIN };
	if (has_data(&r->up))
		pfd[SLOT_NET_OUT] = (struct pollfd){ .fd = r->o.net_fd, .events = POLLOUT };
	if (has_room(&r->down))
		pfd[SLOT_NET_IN] = (struct pollfd){ .fd = r->o.net_fd, .events = POLLIN };
	/* Polled even with nothing to write: POLLERR tells us the reader went away. */
	pfd[SLOT_OUT] = (struct pollfd){ .fd = r->o.out_fd,
					 .events = has_data(&r->down) ? POLLOUT : 0 };
}

static int earliest(int a, long deadline, long now)
{
	long left = deadline - now;
	if (left < 0)
		left = 0;
	if (left > 1000L * 1000 * 1000)
		left = 1000L * 1000 * 1000;
	return a < 0 || left < a ? (int)left : a;
}

int relay_timeout(const struct relay *r, long now_ms)
{
	int t = -1;
	if (r->o.idle_timeout_ms)
		t = earliest(t, r->last_active_ms + r->o.idle_timeout_ms, now_ms);
	if (r->o.eof_timeout_ms && r->up.eof && !r->far_closed)
		t = earliest(t, r->eof_at_ms + r->o.eof_timeout_ms, now_ms);
	return t;
}

static enum relay_end fail(struct relay *r, enum relay_end end, const char *op, int err)
{
	r->end = end;
	r->op = op;
	r->err = err;
	return end;
}

static bool transient(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

/* Reads from src into b. Returns false when the relay has ended. */
static bool fill(struct relay *r, struct relay_buf *b, int src, bool is_net, long now)
{
	ssize_t n;

	if (!has_room(b))
		return true;
	if (b->head == b->tail)
		b->head = b->tail = 0;
	n = is_net ? recv(src, b->data + b->tail, RELAY_BUF_SIZE - b->tail, 0)
		   : read(src, b->data + b->tail, RELAY_BUF_SIZE - b->tail);
	if (n > 0) {
		b->tail += (size_t)n;
		r->last_active_ms = now;
		return true;
	}
	if (n == 0) {
		b->eof = true;
		if (is_net)
			r->far_closed = true;
		else
			r->eof_at_ms = now;
		return true;
	}
	if (transient(errno))
		return true;
	fail(r, is_net ? RELAY_NET_ERROR : RELAY_LOCAL_ERROR, "read", errno);
	return false;
}

/* Writes what b holds to dst. Returns false when the relay has ended. */
static bool flush(struct relay *r, struct relay_buf *b, int dst, bool is_net)
{
	ssize_t n;

	if (!has_data(b))
		return true;
	n = is_net ? send(dst, b->data + b->head, b->tail - b->head, MSG_NOSIGNAL)
		   : write(dst, b->data + b->head, b->tail - b->head);
	if (n >= 0) {
		b->head += (size_t)n;
		/* Compact only when the room left is small: most flushes empty the buffer. */
		if (b->head == b->tail) {
			b->head = b->tail = 0;
		} else if (b->tail == RELAY_BUF_SIZE && b->head >= RELAY_BUF_SIZE / 2) {
			memmove(b->data, b->data + b->head, b->tail - b->head);
			b->tail -= b->head;
			b->head = 0;
		}
		return true;
	}
	if (transient(errno))
		return true;
	if (!is_net && errno == EPIPE) {
		r->end = RELAY_READER_GONE;
		return false;
	}
	fail(r, is_net ? RELAY_NET_ERROR : RELAY_LOCAL_ERROR, "write", errno);
	return false;
}

/* Moves a direction to DONE once its source said EOF and its buffer is empty. */
static bool finish_up(struct relay *r)
{
	if (r->up.done || !r->up.eof || has_data(&r->up))
		return true;
	r->up.done = true;
	if (r->o.forward_eof && shutdown(r->o.net_fd, SHUT_WR) < 0 && errno != ENOTCONN) {
		fail(r, RELAY_NET_ERROR, "shutdown", errno);
		return false;
	}
	return true;
}

enum relay_end relay_step(struct relay *r, const struct pollfd pfd[SLOT_COUNT], long now)
{
	const short in_ready = POLLIN | POLLHUP | POLLERR;

	if (r->end != RELAY_RUNNING)
		return r->end;

	if (pfd[SLOT_IN].revents & POLLNVAL || pfd[SLOT_NET_IN].revents & POLLNVAL)
		return fail(r, pfd[SLOT_IN].revents & POLLNVAL ? RELAY_LOCAL_ERROR : RELAY_NET_ERROR,
			    "poll", EBADF);

	/* Down first: the far side's bytes are what a user waits for. */
	if (pfd[SLOT_NET_IN].revents & in_ready) {
		if (!fill(r, &r->down, r->o.net_fd, true, now) ||
		    !flush(r, &r->down, r->o.out_fd, false))
			return r->end;
	} else if (pfd[SLOT_OUT].revents & POLLOUT) {
		if (!flush(r, &r->down, r->o.out_fd, false))
			return r->end;
	} else if (pfd[SLOT_OUT].revents & (POLLERR | POLLHUP)) {
		if (has_data(&r->down))
			flush(r, &r->down, r->o.out_fd, false);
		if (r->end == RELAY_RUNNING)
			r->end = RELAY_READER_GONE;
		return r->end;
	}

	if (pfd[SLOT_IN].revents & in_ready) {
		if (!fill(r, &r->up, r->o.in_fd, false, now) ||
		    !flush(r, &r->up, r->o.net_fd, true))
			return r->end;
	} else if (pfd[SLOT_NET_OUT].revents & (POLLOUT | POLLERR | POLLHUP)) {
		if (!flush(r, &r->up, r->o.net_fd, true))
			return r->end;
	}
	if (!finish_up(r))
		return r->end;

	if (r->down.eof && !has_data(&r->down)) {
		r->down.done = true;
		/* One last try for bytes the far side may still read; never wait for it. */
		if (has_data(&r->up))
			flush(r, &r->up, r->o.net_fd, true);
		if (r->end == RELAY_RUNNING)
			r->end = RELAY_CLOSED;
		return r->end;
	}
	if (r->o.idle_timeout_ms && now - r->last_active_ms >= r->o.idle_timeout_ms)
		return r->end = RELAY_IDLE;
	if (r->o.eof_timeout_ms && r->up.eof && now - r->eof_at_ms >= r->o.eof_timeout_ms)
		return r->end = RELAY_EOF_TIMEOUT;
	return RELAY_RUNNING;
}

enum relay_end relay_run(struct relay *r)
{
	struct pollfd pfd[SLOT_COUNT];

	while (r->end == RELAY_RUNNING) {
		relay_pollfds(r, pfd);
		int n = poll(pfd, SLOT_COUNT, relay_timeout(r, relay_now_ms()));
		if (n < 0 && errno != EINTR)
			return fail(r, RELAY_LOCAL_ERROR, "poll", errno);
		if (n < 0)
			continue;
		relay_step(r, pfd, relay_now_ms());
	}
	return r->end;
}
