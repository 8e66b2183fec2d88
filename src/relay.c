/* The relay: two one-way channels, up (stdin -> net) and down (net -> stdout).
 *
 * Theory of operation. Each direction is in one state (enum dir_state):
 *   OPEN  its source may send more.
 *   EOF   its source said EOF (read or splice returned 0); bytes may still wait.
 *   DONE  nothing of it is left with us and the EOF was passed on, or kept back.
 * and knows two readiness bits: src_ready (poll said readable; cleared by EAGAIN
 * or a short read) and dst_ready (assumed writable; cleared by EAGAIN). pump() moves
 * bytes while the bits allow, PUMP_ROUNDS moves at a time so that one busy direction
 * cannot starve the other; poll waits only for the bits that are clear.
 * The events that move the relay, and the ends they lead to:
 *   up DONE      with forward_eof, shutdown(net, SHUT_WR); else the tunnel stays
 *                open (squid and tinyproxy drop a half-closed tunnel, and the
 *                reply with it) and the EOF timer starts.
 *   down DONE    the far side closed and stdout has it all: RELAY_CLOSED.
 *   stdout gone  EPIPE, or POLLERR/POLLHUP on stdout: RELAY_READER_GONE.
 *   timers       idle_timeout_ms without a byte: RELAY_IDLE; eof_timeout_ms after
 *                stdin's EOF: RELAY_EOF_TIMEOUT; quiet_ms, once: on_quiet(), no end.
 *   failure      RELAY_NET_ERROR or RELAY_LOCAL_ERROR, with errno and the call.
 * EINTR and EAGAIN mean "poll again"; short writes leave bytes for the next round.
 */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Copy path: large enough that one read drains a socket's receive queue. */
#define COPY_BUF_SIZE ((size_t)128 * 1024)
/* What local pipes are grown to (the default pipe-max-size); also the copy buffer
 * for a stdin pipe, so that one read() takes all it holds. */
#define PIPE_SIZE ((size_t)1024 * 1024)
/* A splice that moves less than this is taken as the source running dry. */
#define SHORT_MOVE ((ssize_t)64 * 1024)
/* A direction's buffer with lazy_buffers: at most this much waits per direction. */
#define LAZY_BUF_SIZE ((size_t)64 * 1024)
/* Moves one direction makes before the other gets its turn. */
#define PUMP_ROUNDS 8

/* The local fds whose modes a relay changed, and the modes to give back, for
 * relay_restore_modes, which a signal handler may call: written before the change,
 * cleared after the restore. Two: stdin and stdout (listen mode changes none). */
static struct saved_mode {
	volatile sig_atomic_t fd; /* -1: none */
	volatile sig_atomic_t flags;
} saved_modes[2] = { { -1, 0 }, { -1, 0 } };

static void remember_mode(int fd, int flags)
{
	for (int i = 0; i < 2; i++)
		if (saved_modes[i].fd < 0) {
			saved_modes[i].flags = flags;
			saved_modes[i].fd = fd;
			return;
		}
}

static void forget_mode(int fd)
{
	for (int i = 0; i < 2; i++)
		if (saved_modes[i].fd == fd)
			saved_modes[i].fd = -1;
}

void relay_restore_modes(void)
{
	for (int i = 0; i < 2; i++)
		if (saved_modes[i].fd >= 0)
			fcntl(saved_modes[i].fd, F_SETFL, saved_modes[i].flags);
}

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
	remember_mode(fd, fl);
	if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		forget_mode(fd);
		return -1;
	}
	return fl;
}

static bool is_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl >= 0 && !(fl & O_NONBLOCK);
}

/* Whether fd is a pipe we can splice with. Grows it toward PIPE_SIZE; where the
 * system refuses (pipe-max-size, another user's pipe), a smaller pipe still works. */
static bool prepare_pipe(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
		return false;
	for (int size = (int)PIPE_SIZE; size > 64 * 1024; size /= 2)
		if (fcntl(fd, F_GETPIPE_SZ) >= size || fcntl(fd, F_SETPIPE_SZ, size) >= 0)
			break;
	return true;
}

/* How a direction moves bytes. Local pipes (ssh and git run their proxy command on
 * pipes) are grown to 1 MiB first: their default 64 KiB, not the copy, limits
 * throughput. Down, from the socket into a stdout pipe, splice() moves the pages in
 * the kernel and the pipe is the buffer. Up, from a stdin pipe, read() and send()
 * through a buffer as large as the pipe: measured, that moves more than splice()
 * (1.05x the limit against 0.81x, for 0.06 s/GiB more CPU), whatever the splice
 * length or a pipe of our own in between. Splicing gives the pipe's pages away to
 * the socket, so the writer of stdin must fill new pages that the far side frees;
 * a read leaves them in the pipe for the writer to fill again. Any other local end
 * (a terminal, a file, a socket) and every tunnel through relay_net_io (TLS) goes
 * through a buffer of our own too. */
static int dir_init(struct relay_dir *d, int src, int dst, bool src_is_net, bool net_io, bool lazy)
{
	int local = src_is_net ? dst : src;
	*d = (struct relay_dir){
		.src = src, .dst = dst, .src_is_net = src_is_net, .dst_ready = true
	};
	if (lazy) {
		d->cap = LAZY_BUF_SIZE;
		return 0;
	}
	/* A terminal stays blocking (see make_nonblocking): never splice into one.
	 * Bytes that go through net_io are not in the socket: no splice either. */
	bool pipe = !is_blocking(local) && prepare_pipe(local);
	d->splice = pipe && src_is_net && !net_io;
	d->cap = pipe && !src_is_net ? PIPE_SIZE : COPY_BUF_SIZE;
	if (!d->splice && !(d->data = malloc(d->cap)))
		return -1;
	return 0;
}

int relay_init(struct relay *r, const struct relay_opts *o)
{
	memset(r, 0, sizeof(*r));
	r->o = *o;
	r->saved_in_flags = make_nonblocking(o->in_fd);
	r->saved_out_flags = o->out_fd == o->in_fd ? -1 : make_nonblocking(o->out_fd);
	make_nonblocking(o->net_fd);
	if (dir_init(&r->up, o->in_fd, o->net_fd, false, o->net_io, o->lazy_buffers) < 0 ||
	    dir_init(&r->down, o->net_fd, o->out_fd, true, o->net_io, o->lazy_buffers) < 0) {
		relay_free(r);
		errno = ENOMEM;
		return -1;
	}
	/* Bytes that came with the CONNECT reply may already wait inside TLS. */
	r->down.src_ready = o->net_io != NULL || o->edge_triggered;
	r->up.src_ready = o->edge_triggered;
	r->last_active_ms = relay_now_ms();
	r->end = RELAY_RUNNING;
	return 0;
}

void relay_free(struct relay *r)
{
	if (r->saved_in_flags >= 0) {
		fcntl(r->o.in_fd, F_SETFL, r->saved_in_flags);
		forget_mode(r->o.in_fd);
	}
	if (r->saved_out_flags >= 0) {
		fcntl(r->o.out_fd, F_SETFL, r->saved_out_flags);
		forget_mode(r->o.out_fd);
	}
	r->saved_in_flags = r->saved_out_flags = -1;
	free(r->up.data);
	free(r->down.data);
	r->up.data = r->down.data = NULL;
}

bool relay_far_closed(const struct relay *r)
{
	return r->down.state != DIR_OPEN;
}

bool relay_local_eof(const struct relay *r)
{
	return r->up.state != DIR_OPEN;
}

static bool has_room(const struct relay_dir *d)
{
	return d->state == DIR_OPEN && d->tail < d->cap;
}

static bool has_data(const struct relay_dir *d)
{
	return d->head < d->tail;
}

/* Whether poll should wait for d's source / destination. */
static bool want_src(const struct relay_dir *d)
{
	return !d->src_ready && d->state == DIR_OPEN && (d->splice || has_room(d));
}

static bool want_dst(const struct relay_dir *d)
{
	return !d->dst_ready && (d->splice ? d->state == DIR_OPEN : has_data(d));
}

/* Whether d can move bytes right now without waiting for poll. */
static bool can_move(const struct relay_dir *d)
{
	if (d->splice)
		return d->src_ready && d->dst_ready && d->state == DIR_OPEN;
	return (d->src_ready && has_room(d)) || (d->dst_ready && has_data(d));
}

void relay_pollfds(const struct relay *r, struct pollfd pfd[SLOT_COUNT])
{
	for (int i = 0; i < SLOT_COUNT; i++)
		pfd[i] = (struct pollfd){ .fd = -1 };
	/* Once the far side closed, stdin is not read any more: we are finishing. */
	if (want_src(&r->up) && r->down.state == DIR_OPEN)
		pfd[SLOT_IN] = (struct pollfd){ .fd = r->o.in_fd, .events = POLLIN };
	if (want_dst(&r->up))
		pfd[SLOT_NET_OUT] = (struct pollfd){ .fd = r->o.net_fd, .events = POLLOUT };
	if (want_src(&r->down))
		pfd[SLOT_NET_IN] = (struct pollfd){ .fd = r->o.net_fd, .events = POLLIN };
	/* Polled even with nothing to write: POLLERR tells us the reader went away. */
	pfd[SLOT_OUT] =
		(struct pollfd){ .fd = r->o.out_fd, .events = want_dst(&r->down) ? POLLOUT : 0 };
}

static int earliest(int t, long deadline, long now)
{
	long left = deadline - now;
	if (left < 0)
		left = 0;
	if (left > 1000L * 1000 * 1000)
		left = 1000L * 1000 * 1000;
	return t < 0 || left < t ? (int)left : t;
}

int relay_timeout(const struct relay *r, long now_ms)
{
	int t = -1;
	if (can_move(&r->down) || (can_move(&r->up) && r->down.state == DIR_OPEN))
		return 0;
	if (r->o.idle_timeout_ms)
		t = earliest(t, r->last_active_ms + r->o.idle_timeout_ms, now_ms);
	if (r->o.eof_timeout_ms && relay_local_eof(r) && !relay_far_closed(r))
		t = earliest(t, r->eof_at_ms + r->o.eof_timeout_ms, now_ms);
	if (r->o.quiet_ms && !r->quiet_done)
		t = earliest(t, r->last_active_ms + r->o.quiet_ms, now_ms);
	return t;
}

static bool fail(struct relay *r, enum relay_end end, const char *op, int err)
{
	r->end = end;
	r->op = op;
	r->err = err;
	return false;
}

static bool transient(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

/* The source said EOF. */
static void saw_eof(struct relay *r, struct relay_dir *d, long now)
{
	d->state = DIR_EOF;
	if (!d->src_is_net)
		r->eof_at_ms = now;
}

/* stdout's reader is gone. Whether stdin had ended decides the exit status (a
 * client that closed both pipes is done), so look once more without waiting: the
 * EOF may be there unread, as when git closes stdin and stdout together. */
static enum relay_end reader_gone(struct relay *r)
{
	char scratch[4096];
	struct pollfd p = { .fd = r->o.in_fd, .events = POLLIN };

	for (int i = 0; i < 4 && r->up.state == DIR_OPEN && poll(&p, 1, 0) == 1; i++) {
		ssize_t n = read(r->o.in_fd, scratch, sizeof(scratch));
		if (n == 0)
			r->up.state = DIR_EOF;
		if (n != (ssize_t)sizeof(scratch))
			break;
	}
	return r->end = RELAY_READER_GONE;
}

/* A failed write to d's destination: stdout's reader leaving is not an error. */
static bool write_failed(struct relay *r, struct relay_dir *d, const char *op, int err)
{
	if (d->src_is_net && err == EPIPE) {
		reader_gone(r);
		return false;
	}
	return fail(r, d->src_is_net ? RELAY_LOCAL_ERROR : RELAY_NET_ERROR, op, err);
}

/* With lazy_buffers, an empty buffer goes back to the allocator. */
static void release_if_empty(const struct relay *r, struct relay_dir *d)
{
	if (r->o.lazy_buffers && !has_data(d) && d->data && !d->retry_len) {
		free(d->data);
		d->data = NULL;
	}
}

/* One read into d's buffer; returns false when the relay ended. */
static bool copy_in(struct relay *r, struct relay_dir *d, long now, bool *moved)
{
	size_t room = d->cap - d->tail;
	const struct relay_net_io *io = r->o.net_io;
	if (!d->data && !(d->data = malloc(d->cap)))
		return fail(r, RELAY_LOCAL_ERROR, "read", ENOMEM);
	ssize_t n = !d->src_is_net ? read(d->src, d->data + d->tail, room)
		    : io	   ? io->recv(io->ctx, d->data + d->tail, room)
				   : recv(d->src, d->data + d->tail, room, 0);
	if (n > 0) {
		d->tail += (size_t)n;
		r->last_active_ms = now;
		*moved = true;
		/* A short read means a drained socket, but not a drained TLS layer (one
		 * record at a time). A blocking source (a terminal) must not be read
		 * again before poll. */
		if (((size_t)n < room && !(d->src_is_net && io) && !r->o.edge_triggered) ||
		    (!d->src_is_net && is_blocking(d->src)))
			d->src_ready = false;
		return true;
	}
	int err = errno;
	release_if_empty(r, d);
	if (n == 0) {
		saw_eof(r, d, now);
		return true;
	}
	if (transient(err)) {
		d->src_ready = false;
		return true;
	}
	return fail(r, d->src_is_net ? RELAY_NET_ERROR : RELAY_LOCAL_ERROR, "read", err);
}

/* One write from d's buffer; returns false when the relay ended. */
static bool copy_out(struct relay *r, struct relay_dir *d, bool *moved)
{
	const struct relay_net_io *io = r->o.net_io;
	/* TLS (OpenSSL) wants a write that said "again" retried with the same bytes
	 * at the same address, not with more: it has already encrypted part of them. */
	size_t len = d->retry_len ? d->retry_len : d->tail - d->head;
	ssize_t n = d->src_is_net ? write(d->dst, d->data + d->head, len)
		    : io	  ? io->send(io->ctx, d->data + d->head, len)
				  : send(d->dst, d->data + d->head, len, MSG_NOSIGNAL);
	if (n < 0) {
		if (transient(errno)) {
			d->dst_ready = false;
			if (!d->src_is_net && io)
				d->retry_len = len;
			return true;
		}
		return write_failed(r, d, "write", errno);
	}
	d->retry_len = 0;
	d->head += (size_t)n;
	d->moved += (unsigned long long)n;
	*moved = *moved || n > 0;
	if (d->head == d->tail) {
		d->head = d->tail = 0;
		release_if_empty(r, d);
	} else if (d->tail == d->cap && d->head >= d->cap / 2) {
		/* Compact only when little room is left: most writes empty the buffer. */
		memmove(d->data, d->data + d->head, d->tail - d->head);
		d->tail -= d->head;
		d->head = 0;
	}
	return true;
}

/* One splice from src to dst; returns false when the relay ended. */
static bool splice_once(struct relay *r, struct relay_dir *d, long now, bool *moved)
{
	ssize_t n =
		splice(d->src, NULL, d->dst, NULL, PIPE_SIZE, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n > 0) {
		r->last_active_ms = now;
		*moved = true;
		d->moved += (unsigned long long)n;
		/* A small move (a keystroke, a request) most often means the source ran
		 * dry: wait for poll rather than learn it from an EAGAIN that would also
		 * clear dst_ready and cost another poll. Bulk moves keep going: there a
		 * short move is as often a full destination. Either way a wrong guess
		 * costs one poll, never a stall. */
		if (n < SHORT_MOVE)
			d->src_ready = false;
		return true;
	}
	if (n == 0) {
		saw_eof(r, d, now);
		return true;
	}
	if (transient(errno)) {
		d->src_ready = d->dst_ready = false;
		return true;
	}
	/* Which end failed is not said; the local pipe end hardly ever does, but the
	 * reader of stdout leaving does, as EPIPE. Errors are named by what the tunnel
	 * was doing, as on the copy path. */
	if (d->src_is_net && errno == EPIPE)
		return write_failed(r, d, "write", errno);
	return fail(r, RELAY_NET_ERROR, d->src_is_net ? "read" : "write", errno);
}

/* Moves what d can move now, for at most PUMP_ROUNDS rounds. Reading goes on while
 * a write waits (a retry included): a peer that sends before it reads on would
 * otherwise deadlock with us. */
static bool pump(struct relay *r, struct relay_dir *d, long now)
{
	for (int i = 0; i < PUMP_ROUNDS; i++) {
		bool moved = false;
		if (d->splice) {
			if (d->src_ready && d->dst_ready && d->state == DIR_OPEN &&
			    !splice_once(r, d, now, &moved))
				return false;
		} else {
			if (d->src_ready && has_room(d) && !copy_in(r, d, now, &moved))
				return false;
			if (d->dst_ready && has_data(d) && !copy_out(r, d, &moved))
				return false;
		}
		if (!moved)
			break;
	}
	return true;
}

/* up reaches DONE once stdin said EOF and nothing of it is left with us. */
static bool finish_up(struct relay *r)
{
	struct relay_dir *d = &r->up;
	if (d->state != DIR_EOF || has_data(d))
		return true;
	d->state = DIR_DONE;
	if (r->o.forward_eof && shutdown(r->o.net_fd, SHUT_WR) < 0 && errno != ENOTCONN)
		return fail(r, RELAY_NET_ERROR, "shutdown", errno);
	return true;
}

enum relay_end relay_step(struct relay *r, const struct pollfd pfd[SLOT_COUNT], long now)
{
	const short readable = POLLIN | POLLHUP | POLLERR;
	bool out_gone = false;

	if (r->end != RELAY_RUNNING)
		return r->end;
	for (int i = 0; i < SLOT_COUNT; i++)
		if (pfd[i].revents & POLLNVAL)
			return fail(r,
				    i == SLOT_IN || i == SLOT_OUT ? RELAY_LOCAL_ERROR
								  : RELAY_NET_ERROR,
				    "poll", EBADF),
			       r->end;

	/* Through TLS (net_io), decrypted bytes can wait inside the TLS layer where
	 * poll() cannot see them (the first ones often came with the CONNECT reply):
	 * read the tunnel until EAGAIN before every wait. */
	if (r->o.net_io && r->down.state == DIR_OPEN)
		r->down.src_ready = true;
	if (pfd[SLOT_IN].revents & readable)
		r->up.src_ready = true;
	if (pfd[SLOT_NET_OUT].revents & (POLLOUT | POLLERR | POLLHUP))
		r->up.dst_ready = true;
	if (pfd[SLOT_NET_IN].revents & readable)
		r->down.src_ready = true;
	if (pfd[SLOT_OUT].revents & POLLOUT)
		r->down.dst_ready = true;
	if (pfd[SLOT_OUT].revents & (POLLERR | POLLHUP)) {
		/* Let a pending write meet the EPIPE; either way the reader is gone. */
		r->down.dst_ready = true;
		out_gone = true;
	}

	/* Down first: the far side's bytes are what a user waits for. */
	if (!pump(r, &r->down, now))
		return r->end;
	if (out_gone)
		return reader_gone(r);
	if (r->down.state == DIR_OPEN && !pump(r, &r->up, now))
		return r->end;
	if (!finish_up(r))
		return r->end;

	if (r->down.state != DIR_OPEN && !has_data(&r->down)) {
		bool moved = false;
		r->down.state = DIR_DONE;
		/* One last try for bytes the far side may still read; never wait for it. */
		if (has_data(&r->up) && !copy_out(r, &r->up, &moved))
			return r->end;
		return r->end = RELAY_CLOSED;
	}
	if (r->o.idle_timeout_ms && now - r->last_active_ms >= r->o.idle_timeout_ms)
		return r->end = RELAY_IDLE;
	if (r->o.eof_timeout_ms && relay_local_eof(r) && now - r->eof_at_ms >= r->o.eof_timeout_ms)
		return r->end = RELAY_EOF_TIMEOUT;
	if (r->o.quiet_ms && !r->quiet_done && now - r->last_active_ms >= r->o.quiet_ms) {
		r->quiet_done = true;
		r->o.on_quiet(r->o.quiet_ctx);
	}
	return RELAY_RUNNING;
}

int relay_preload_up(struct relay *r, const void *buf, size_t len)
{
	struct relay_dir *d = &r->up;
	if (len == 0)
		return 0;
	if (!r->o.lazy_buffers || d->data || len > d->cap) {
		errno = EINVAL;
		return -1;
	}
	if (!(d->data = malloc(d->cap)))
		return -1;
	memcpy(d->data, buf, len);
	d->head = 0;
	d->tail = len;
	return 0;
}

enum relay_end relay_run(struct relay *r)
{
	struct pollfd pfd[SLOT_COUNT];

	while (r->end == RELAY_RUNNING) {
		relay_pollfds(r, pfd);
		int n = poll(pfd, SLOT_COUNT, relay_timeout(r, relay_now_ms()));
		if (n < 0 && errno != EINTR)
			return fail(r, RELAY_LOCAL_ERROR, "poll", errno), r->end;
		if (n < 0)
			continue;
		relay_step(r, pfd, relay_now_ms());
	}
	return r->end;
}
