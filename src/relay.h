/* The byte pump between a local pair of fds (stdin, stdout) and a tunnel socket.
 * Knows nothing of HTTP or libcurl. One struct relay per tunnel, driven by poll():
 * relay_run() drives one; a caller with many tunnels drives them with relay_pollfds,
 * relay_timeout and relay_step. */
#ifndef EGRESS_RELAY_H
#define EGRESS_RELAY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum relay_slot { SLOT_IN, SLOT_NET_OUT, SLOT_NET_IN, SLOT_OUT, SLOT_COUNT };

enum relay_end {
	RELAY_RUNNING,
	RELAY_CLOSED,	   /* the far side closed and everything it sent is on stdout */
	RELAY_READER_GONE, /* stdout's reader went away */
	RELAY_IDLE,	   /* idle_timeout_ms without a byte either way */
	RELAY_EOF_TIMEOUT, /* eof_timeout_ms after stdin EOF, far side still open */
	RELAY_NET_ERROR,   /* read or write on the tunnel failed: err, op */
	RELAY_LOCAL_ERROR, /* read of stdin or write of stdout failed: err, op */
};

/* The tunnel's bytes when they do not go straight through net_fd (TLS to the
 * proxy): calls shaped like recv(2) and send(2), -1 with errno EAGAIN when not
 * ready. The source may hold bytes that poll() cannot see, so it is read until
 * EAGAIN before each wait. net_fd is still what poll() watches. */
struct relay_net_io {
	ssize_t (*recv)(void *ctx, void *buf, size_t len);
	ssize_t (*send)(void *ctx, const void *buf, size_t len);
	void *ctx;
};

struct relay_opts {
	int in_fd, out_fd, net_fd;
	const struct relay_net_io *net_io; /* NULL: net_fd is the tunnel itself */
	bool forward_eof; /* turn stdin EOF into shutdown(net, SHUT_WR); not with net_io */
	/* Copy buffers exist only while bytes wait in them (allocated by a read, freed
	 * when a write empties them), and no splice: what listen mode needs to hold
	 * thousands of idle tunnels in a few KiB each. */
	bool lazy_buffers;
	/* The caller reports readiness as edges (epoll with EPOLLET): every source is
	 * read until EAGAIN, as a short read proves nothing when no new edge will come
	 * (a FIN right behind the bytes), and everything starts out ready, as the first
	 * edges may have come before the relay existed. */
	bool edge_triggered;
	long idle_timeout_ms; /* 0: none */
	long eof_timeout_ms;  /* 0: none */
	/* Called once, the first time no byte has moved for quiet_ms (0: never); for
	 * housekeeping that must not delay the first bytes of a session. */
	long quiet_ms;
	void (*on_quiet)(void *ctx);
	void *quiet_ctx;
};

/* Where one direction stands; relay.c's theory of operation says what moves it. */
enum dir_state {
	DIR_OPEN, /* its source may send more */
	DIR_EOF,  /* its source said EOF; bytes of it may still wait with us */
	DIR_DONE, /* all of it is out and its EOF passed on (or deliberately kept) */
};

/* One direction: bytes from src to dst, by splice() from the tunnel into a stdout
 * pipe, else through a user-space buffer (relay.c's dir_init says why). */
struct relay_dir {
	int src, dst;
	bool src_is_net; /* which end is the tunnel, for errors and EOF handling */
	bool splice;	 /* move with splice(); data is NULL then */
	char *data;	 /* copy buffer of cap bytes: bytes [head, tail) wait for dst */
	size_t cap, head, tail;
	size_t retry_len;	  /* net_io send that said EAGAIN: retried with these same bytes */
	bool src_ready;		  /* poll said readable and no read has come back empty since */
	bool dst_ready;		  /* assumed writable until a write comes back EAGAIN */
	unsigned long long moved; /* bytes delivered to dst */
	enum dir_state state;
};

struct relay {
	struct relay_opts o;
	struct relay_dir up, down; /* up: stdin -> net; down: net -> stdout */
	int saved_in_flags, saved_out_flags;
	long last_active_ms, eof_at_ms;
	bool quiet_done; /* on_quiet has run */
	enum relay_end end;
	int err;	/* errno for the *_ERROR ends */
	const char *op; /* "read", "write", "splice"... for the *_ERROR ends */
};

/* Chooses splice or copy per direction, allocates copy buffers, puts the fds in
 * non-blocking mode (terminals excepted) and enlarges local pipes; relay_free
 * restores the fd modes. Returns -1 with errno on failure. */
int relay_init(struct relay *r, const struct relay_opts *o);
void relay_free(struct relay *r);

/* Fills the SLOT_COUNT pollfds for the relay's next wait (unused slots get fd -1). */
void relay_pollfds(const struct relay *r, struct pollfd pfd[SLOT_COUNT]);
/* Milliseconds until the relay's next deadline: 0 when it has work to do without
 * waiting, -1 for no deadline. */
int relay_timeout(const struct relay *r, long now_ms);
/* Acts on poll's answer; returns the relay's state, RELAY_RUNNING until it ends. */
enum relay_end relay_step(struct relay *r, const struct pollfd pfd[SLOT_COUNT], long now_ms);

/* Puts len bytes (at most the copy buffer's size) where the up direction sends them
 * first: what a client sent right after its request. lazy_buffers only; -1 with
 * errno when out of memory or too many. */
int relay_preload_up(struct relay *r, const void *buf, size_t len);

/* Runs one relay to its end. */
enum relay_end relay_run(struct relay *r);

/* Whether the far side has sent its EOF (and, for RELAY_CLOSED, all of it is out). */
bool relay_far_closed(const struct relay *r);
/* Whether stdin has reached EOF. */
bool relay_local_eof(const struct relay *r);

long relay_now_ms(void);

/* Gives stdin and stdout back the modes a live relay changed (O_NONBLOCK, which the
 * shell's other processes share): for a handler of a signal that ends egress.
 * Async-signal-safe. */
void relay_restore_modes(void);

#endif
