/* Listen mode's event loop. One epoll set watches everything, each descriptor tagged
 * with what it is: a listening socket, a client's socket or a tunnel's socket (both
 * with their struct conn), or a socket of libcurl's (driven by curl_multi_socket_action
 * while a CONNECT is in progress).
 *
 * A connection's life (enum conn_state):
 *   REQUEST  -D only: the client's SOCKS or HTTP request is read (front.h).
 *   OPENING  its configuration and route are chosen (cli_config_for_target,
 *            route_choose) and the route's ways are tried in turn, each an easy handle
 *            in the one multi handle; nothing blocks the others.
 *   RELAY    -D's reply sent, the relay moves the bytes (lazy buffers: an idle
 *            tunnel holds its two sockets and a few hundred bytes).
 * A plain tunnel's socket is taken out of libcurl (duplicated, then the handle is
 * freed); a TLS tunnel (https:// proxy) keeps its handle, which carries the bytes.
 * Sockets are edge-triggered: the relay's readiness bits are exactly that model. */
#include "server.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attempt.h"
#include "cli.h"
#include "credentials.h"
#include "front.h"
#include "listen_addr.h"
#include "log.h"
#include "memtrim.h"
#include "pac.h"
#include "proxy.h"
#include "relay.h"
#include "route.h"
#include "secret.h"

/* What an epoll event's data says, in the low bits of a pointer (or of fd << 2). */
enum tag { TAG_LISTENER, TAG_CLIENT, TAG_NET, TAG_CURL };
#define TAG_MASK 3u

/* How often idle and EOF timers are looked at, when they are set. */
#define TIMER_TICK_MS 250
/* How long accepting pauses when the process is out of descriptors. */
#define ACCEPT_PAUSE_MS 250
/* Clients accepted per wake-up, so that a flood cannot starve live tunnels. */
#define ACCEPT_BATCH 64
/* Descriptors kept free for what opening a tunnel needs besides the client's. */
#define FD_RESERVE 16
#define EVENTS_MAX 256
/* A tunnel whose client sent EOF that was not passed on ends once the far side has
 * been quiet this long (see timer_tick). */
#define EOF_QUIET_MS 1000
/* Quiet time after the last opening before memory is given back (memtrim). */
#define TRIM_AFTER_MS 1000

enum conn_state { CONN_REQUEST, CONN_OPENING, CONN_REPLY, CONN_RELAY };

/* What a connection needs only until its tunnel is open. */
struct opening {
	struct front front;
	unsigned char *req; /* -D: the request's bytes, FRONT_REQUEST_MAX */
	size_t reqlen;
	struct egress_config cfg;
	bool have_cfg;
	struct route route;
	size_t way;
	struct curl_slist *hdrs;
	struct attempt a;
	CURL *h;
	CURLU *url;
	struct tunnel t; /* what the attempt that worked gave */
};

/* A TLS tunnel (https:// proxy): its bytes go through libcurl's handle. */
struct tls_tunnel {
	struct tunnel t;
	struct relay_net_io io;
};

struct conn {
	struct server *s;
	struct conn *prev, *next; /* all connections */
	struct conn *run_next;	  /* the run queue: relays with work that needs no wait */
	bool queued;		  /* on the run queue */
	struct conn *dead_next;	  /* closed: freed once no event or queue can reach it */
	enum conn_state state;
	int cfd, nfd;
	struct opening *op;	/* NULL once relaying */
	struct tls_tunnel *tls; /* NULL: nfd is a plain socket of ours */
	struct relay r;
	bool relay_live;
	bool client_eof;      /* the client sent EOF, which was not passed on (see timer_tick) */
	unsigned char *reply; /* -D's reply still to send (CONN_REPLY) */
	size_t replylen, replyoff;
	enum front_proto proto;
	long started_ms;
	/* What the log lines name. Sized to what they hold: an idle tunnel is this
	 * struct, and thousands of them should fit in a few MiB. */
	char client[INET6_ADDRSTRLEN + 9]; /* "[v6]:port" */
	char *target;			   /* "host:port" */
	char *via;			   /* the proxy's "host:port"; NULL: direct */
};

static const char *route_words(const struct conn *c)
{
	return c->via ? " via proxy " : " (direct)";
}

struct server {
	const struct egress_config *cfg;
	int ep, sigfd;
	int lfd[LISTEN_FDS_MAX];
	size_t nlfd;
	bool accepting;	  /* listeners in the epoll set */
	long resume_at;	  /* out of descriptors: when to try accepting again; 0: not paused */
	int fd_limit;	  /* RLIMIT_NOFILE's soft limit, once raised */
	bool told_emfile; /* said once per pause */
	CURLM *multi;
	long curl_due; /* when libcurl's timer runs out; -1: none */
	struct conn *conns, *runq, *dead;
	size_t nconns;
	size_t nopening; /* connections whose tunnel is not open yet */
	size_t neof;	 /* connections with client_eof set */
	long trim_at;	 /* when to give memory back after the last opening; 0: no need */
	long next_tick;
	bool stopping;
	long drain_until;
	bool inetd;
};

static void *tagged(void *p, enum tag t)
{
	return (void *)((uintptr_t)p | t);
}

static bool watch(struct server *s, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };
	return epoll_ctl(s->ep, op, fd, &ev) == 0;
}

static bool watch_ptr(struct server *s, int fd, uint32_t events, void *p, enum tag t)
{
	return watch(s, EPOLL_CTL_ADD, fd, events, (uint64_t)(uintptr_t)tagged(p, t));
}

/* ---- libcurl's sockets and timer ---- */

static int on_curl_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct server *s = userp;
	uint64_t data = ((uint64_t)fd << 2) | TAG_CURL;
	uint32_t ev = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);

	(void)e;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(s->ep, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	if (!watch(s, EPOLL_CTL_MOD, fd, ev, data) && errno == ENOENT)
		watch(s, EPOLL_CTL_ADD, fd, ev, data);
	return 0;
}

static int on_curl_timer(CURLM *m, long ms, void *userp)
{
	struct server *s = userp;
	(void)m;
	s->curl_due = ms < 0 ? -1 : relay_now_ms() + ms;
	return 0;
}

/* ---- connections ---- */

static const char *env_get(const char *name)
{
	return getenv(name);
}

/* The client's address for log lines; "stdin" for --inetd's when it has none. */
static void peer_name(int fd, char *out, size_t outsz)
{
	bool loopback;
	if (!socket_address(fd, true, out, outsz, &loopback))
		err_printf(out, outsz, "stdin");
}

static void enqueue(struct conn *c)
{
	if (c->queued)
		return;
	c->queued = true;
	c->run_next = c->s->runq;
	c->s->runq = c;
}

static void opening_free(struct conn *c)
{
	struct opening *op = c->op;
	if (!op)
		return;
	if (op->h)
		curl_easy_cleanup(op->h); /* leaves the multi handle too */
	if (op->t.handle) {
		epoll_ctl(c->s->ep, EPOLL_CTL_DEL, op->t.fd, NULL);
		curl_multi_remove_handle(c->s->multi, op->t.handle);
		tunnel_close(&op->t);
	}
	curl_url_cleanup(op->url);
	creds_clear(&op->a.creds);
	curl_slist_free_all(op->hdrs);
	route_free(&op->route);
	if (op->have_cfg)
		config_free(&op->cfg);
	free(op->req);
	free(op);
	c->op = NULL;
	/* Opening a tunnel takes tens of KiB (libcurl's handle and buffers, the
	 * configuration), freed now but left scattered in the heap between live
	 * connections: once a burst is over, it goes back to the system. */
	if (--c->s->nopening == 0)
		c->s->trim_at = relay_now_ms() + TRIM_AFTER_MS;
}

static const char *end_words(const struct conn *c)
{
	switch (c->r.end) {
	case RELAY_CLOSED:
		return "closed by the far side";
	case RELAY_READER_GONE:
		return "closed by the client";
	case RELAY_IDLE:
		return "idle timeout";
	case RELAY_EOF_TIMEOUT:
		return c->client_eof && !c->r.o.eof_timeout_ms ? "client EOF, then quiet"
							       : "EOF timeout";
	case RELAY_NET_ERROR:
		return "tunnel error";
	case RELAY_LOCAL_ERROR:
		return "client error";
	case RELAY_RUNNING:
		break;
	}
	return "stopped";
}

static void conn_close(struct conn *c)
{
	struct server *s = c->s;

	if (c->client_eof)
		s->neof--;
	if (c->relay_live) {
		long ms = relay_now_ms() - c->started_ms;
		if (c->r.end == RELAY_NET_ERROR || c->r.end == RELAY_LOCAL_ERROR)
			msg_err("client %s: tunnel to %s%s%s: %s: %s", c->client, c->target,
				route_words(c), c->via ? c->via : "", c->r.op, strerror(c->r.err));
		msg_verbose("client %s: tunnel to %s%s%s ended (%s) after %.1f s: %llu bytes "
			    "up, %llu down",
			    c->client, c->target, route_words(c), c->via ? c->via : "",
			    end_words(c), (double)ms / 1000.0, c->r.up.moved, c->r.down.moved);
		relay_free(&c->r);
	}
	opening_free(c);
	/* Once per connection: c leaves s->conns below, and server_run closes only what is
	 * on it; the analyzer loses that across loop().
	 * NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
	free(c->reply);
	if (c->cfd >= 0)
		close(c->cfd); /* leaves the epoll set with it */
	if (c->tls) {
		/* A TLS tunnel's socket is libcurl's: out of our set before it closes. */
		epoll_ctl(s->ep, EPOLL_CTL_DEL, c->tls->t.fd, NULL);
		curl_multi_remove_handle(s->multi, c->tls->t.handle);
		tunnel_close(&c->tls->t);
		free(c->tls);
	} else if (c->nfd >= 0) {
		close(c->nfd);
	}
	free(c->target);
	free(c->via);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	/* A descriptor came back: accepting may resume. */
	if (s->resume_at)
		s->resume_at = relay_now_ms();
	/* Events of the current batch and the run queue may still point to it. */
	c->s = NULL;
	c->dead_next = s->dead;
	s->dead = c;
}

/* Sends what of c->reply is left; false when the client is gone. */
static bool send_reply(struct conn *c)
{
	while (c->replyoff < c->replylen) {
		ssize_t n = send(c->cfd, c->reply + c->replyoff, c->replylen - c->replyoff,
				 MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		c->replyoff += (size_t)n;
	}
	return true;
}

/* -D: answers the client in its protocol (e: EGRESS_OK or the failure's class). */
static bool reply(struct conn *c, enum egress_err e, const char *reason)
{
	unsigned char out[FRONT_REPLY_MAX];
	size_t n = front_reply(&c->op->front, e, reason, out, sizeof(out));
	if (n == 0)
		return true;
	free(c->reply);
	c->reply = malloc(n);
	if (!c->reply)
		return false;
	memcpy(c->reply, out, n);
	c->replylen = n;
	c->replyoff = 0;
	return send_reply(c);
}

/* The tunnel could not be had: one line, the client told (-D), the connection closed. */
static void conn_fail(struct conn *c, enum egress_err e, const char *why)
{
	if (why && *why)
		msg_err("client %s: %s", c->client, why);
	if (c->op && c->op->front.proto != FRONT_UNKNOWN && c->state != CONN_RELAY)
		reply(c, e, why);
	conn_close(c);
}

static void start_relay(struct conn *c);
static void try_way(struct conn *c);

/* Chooses the route for the target in the connection's own configuration. */
static bool plan(struct conn *c, const struct endpoint *target)
{
	struct opening *op = c->op;
	struct route_refusal why;

	char label[ENDPOINT_STR_MAX];
	free(c->target);
	if (!(c->target = strdup(endpoint_str(target, label, sizeof(label))))) {
		conn_fail(c, EGRESS_EIO, "out of memory");
		return false;
	}
	op->have_cfg = true;
	if (!cli_config_for_target(c->s->cfg, target, &op->cfg)) {
		conn_fail(c, EGRESS_EUSAGE, ""); /* printed */
		return false;
	}
	if (!route_choose(&op->cfg, target, env_get, &op->route, &why) ||
	    (op->route.pac && !pac_route(&op->cfg, &op->route, &why)) ||
	    !route_check(&op->cfg, env_get, &op->route, &why)) {
		conn_fail(c, why.status, why.line);
		return false;
	}
	if (!proxy_headers(&op->cfg, &op->hdrs)) {
		conn_fail(c, EGRESS_EIO, "out of memory");
		return false;
	}
	return true;
}

static void conn_open(struct conn *c, const struct endpoint *target)
{
	c->state = CONN_OPENING;
	c->op->way = 0;
	if (plan(c, target))
		try_way(c);
}

/* Starts the attempt through the current way, or fails the connection when no way
 * is left. */
static void try_way(struct conn *c)
{
	struct opening *op = c->op;
	enum egress_err e = EGRESS_EUNREACH;

	while (op->way < op->route.n) {
		attempt_prepare(&op->a, &op->cfg, &op->route, op->way, c->target);
		op->h = attempt_begin(&op->a, op->hdrs, &op->url, &e);
		if (op->h) {
			curl_easy_setopt(op->h, CURLOPT_PRIVATE, c);
			if (curl_multi_add_handle(c->s->multi, op->h) == CURLM_OK)
				return;
			err_printf(op->a.why, sizeof(op->a.why), "cannot start a tunnel to %s",
				   c->target);
			e = EGRESS_EIO;
		}
		if (!op->a.why[0]) {
			conn_fail(c, e, "");
			return;
		}
		if (++op->way < op->route.n)
			msg_verbose("client %s: %s; trying the next way", c->client, op->a.why);
	}
	char why[sizeof(op->a.why)];
	memcpy(why, op->a.why, sizeof(why));
	conn_fail(c, e, why);
}

/* libcurl finished the current attempt with rc. */
static void attempt_done(struct conn *c, CURLcode rc)
{
	struct opening *op = c->op;
	CURL *h = op->h;
	CURLU *url = op->url;
	enum egress_err e;

	op->h = NULL;
	op->url = NULL;
	op->t = (struct tunnel){ .fd = -1 };
	err_printf(op->t.target_label, sizeof(op->t.target_label), "%s", c->target);
	e = attempt_end(&op->a, h, url, rc, &op->t);
	if (e != EGRESS_OK) {
		char why[sizeof(op->a.why)];
		memcpy(why, op->a.why, sizeof(why));
		if (++op->way < op->route.n) {
			msg_verbose("client %s: %s; trying the next way", c->client, why);
			try_way(c);
		} else {
			conn_fail(c, e, why);
		}
		return;
	}
	if (op->t.proxy && !(c->via = strdup(op->t.proxy_label))) {
		conn_fail(c, EGRESS_EIO, "out of memory");
		return;
	}
	op->t.proxy = NULL; /* points into the route, which goes with op */
	if (op->t.tls) {
		if (!(c->tls = malloc(sizeof(*c->tls)))) {
			conn_fail(c, EGRESS_EIO, "out of memory");
			return;
		}
		c->tls->t = op->t;
		op->t = (struct tunnel){ .fd = -1 };
		c->tls->io = (struct relay_net_io){ tunnel_recv, tunnel_send, &c->tls->t };
		c->nfd = c->tls->t.fd;
	} else {
		/* Ours alone: an idle tunnel then holds no libcurl handle. The handle
		 * leaves the multi handle first, which closes its copy of the socket. */
		c->nfd = fcntl(op->t.fd, F_DUPFD_CLOEXEC, 3);
		int err = errno;
		epoll_ctl(c->s->ep, EPOLL_CTL_DEL, op->t.fd, NULL);
		curl_multi_remove_handle(c->s->multi, op->t.handle);
		tunnel_close(&op->t);
		if (c->nfd < 0) {
			char why[ERR_MAX];
			err_printf(why, sizeof(why), "tunnel to %s: %s", c->target, strerror(err));
			conn_fail(c, EGRESS_EIO, why);
			return;
		}
	}
	start_relay(c);
}

static void start_relay(struct conn *c)
{
	struct opening *op = c->op;
	const struct egress_config *cfg = &op->cfg;
	struct relay_opts o = {
		.in_fd = c->cfd,
		.out_fd = c->cfd,
		.net_fd = c->nfd,
		.net_io = c->tls ? &c->tls->io : NULL,
		/* As for stdin: a direct tunnel passes the client's EOF on; a proxy's
		 * only with --half-close (squid and tinyproxy drop the whole tunnel). */
		.forward_eof = !c->via || (cfg->half_close && !c->tls),
		.idle_timeout_ms = cfg->idle_timeout_ms,
		.eof_timeout_ms = cfg->eof_timeout_ms,
		.lazy_buffers = true,
		.edge_triggered = true,
	};
	size_t used = 0;

	if (op->front.proto != FRONT_UNKNOWN && !reply(c, EGRESS_OK, NULL)) {
		conn_fail(c, EGRESS_EIO, "");
		return;
	}
	if (relay_init(&c->r, &o) < 0) {
		conn_fail(c, EGRESS_EIO, "out of memory");
		return;
	}
	c->relay_live = true;
	/* What the client sent after its request goes first. */
	if (op->req && op->reqlen)
		used = op->reqlen;
	if (used && relay_preload_up(&c->r, op->req, used) < 0) {
		conn_fail(c, EGRESS_EIO, "out of memory");
		return;
	}
	c->proto = op->front.proto;
	opening_free(c);
	c->started_ms = relay_now_ms();
	if (!watch_ptr(c->s, c->nfd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, c, TAG_NET) &&
	    !(errno == EEXIST &&
	      watch(c->s, EPOLL_CTL_MOD, c->nfd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		    (uint64_t)(uintptr_t)tagged(c, TAG_NET)))) {
		char why[ERR_MAX];
		err_printf(why, sizeof(why), "tunnel to %s: epoll: %s", c->target, strerror(errno));
		conn_fail(c, EGRESS_EIO, why);
		return;
	}
	c->state = c->replyoff < c->replylen ? CONN_REPLY : CONN_RELAY;
	if (c->state == CONN_RELAY) {
		free(c->reply);
		c->reply = NULL;
	}
	enqueue(c);
}

/* One step of the relay with what epoll said (0: nothing, a timer looks). */
static void relay_events(struct conn *c, uint32_t cev, uint32_t nev)
{
	struct pollfd pfd[SLOT_COUNT] = { { .fd = -1 }, { .fd = -1 }, { .fd = -1 }, { .fd = -1 } };
	const uint32_t in = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;

	if (cev & in)
		pfd[SLOT_IN].revents = POLLIN;
	if (cev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		pfd[SLOT_OUT].revents =
			(short)((cev & EPOLLOUT ? POLLOUT : 0) | (cev & EPOLLERR ? POLLERR : 0) |
				(cev & EPOLLHUP ? POLLHUP : 0));
	if (nev & in)
		pfd[SLOT_NET_IN].revents = POLLIN;
	if (nev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		pfd[SLOT_NET_OUT].revents = POLLOUT;
	long now = relay_now_ms();
	if (relay_step(&c->r, pfd, now) != RELAY_RUNNING) {
		conn_close(c);
		return;
	}
	if (!c->client_eof && relay_local_eof(&c->r) && !c->r.o.forward_eof &&
	    !c->r.o.eof_timeout_ms) {
		c->client_eof = true;
		c->s->neof++;
	}
	if (relay_timeout(&c->r, now) == 0)
		enqueue(c);
}

/* -D: what the client has sent of its request. */
static void read_request(struct conn *c)
{
	struct opening *op = c->op;
	unsigned char out[FRONT_REPLY_MAX];
	char why[ERR_MAX];
	struct endpoint target;

	for (;;) {
		if (op->reqlen == FRONT_REQUEST_MAX) {
			conn_fail(c, EGRESS_EUSAGE, "request too long");
			return;
		}
		ssize_t n = recv(c->cfd, op->req + op->reqlen, FRONT_REQUEST_MAX - op->reqlen, 0);
		if (n == 0) {
			msg_verbose("client %s: closed before its request", c->client);
			conn_close(c);
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			msg_verbose("client %s: %s", c->client, strerror(errno));
			conn_close(c);
			return;
		}
		op->reqlen += (size_t)n;
		for (;;) {
			size_t used = 0, outlen = 0;
			enum front_step st =
				front_parse(&op->front, op->req, op->reqlen, &used, out,
					    sizeof(out), &outlen, &target, why, sizeof(why));
			if (st == FRONT_MORE)
				break;
			memmove(op->req, op->req + used, op->reqlen - used);
			op->reqlen -= used;
			if (outlen && send(c->cfd, out, outlen, MSG_NOSIGNAL) != (ssize_t)outlen &&
			    st != FRONT_REFUSE) {
				conn_close(c); /* a few bytes do not fit: the client is gone */
				return;
			}
			if (st == FRONT_REFUSE) {
				msg_err("client %s: %s", c->client, why);
				conn_close(c);
				return;
			}
			if (st == FRONT_TARGET) {
				char label[ENDPOINT_STR_MAX];
				msg_verbose("client %s: %s request for %s", c->client,
					    front_proto_name(op->front.proto),
					    endpoint_str(&target, label, sizeof(label)));
				conn_open(c, &target);
				return;
			}
		}
	}
}

static void client_event(struct conn *c, uint32_t ev)
{
	switch (c->state) {
	case CONN_REQUEST:
		if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			read_request(c);
		break;
	case CONN_OPENING:
		break; /* the relay looks at the client once the tunnel is open */
	case CONN_REPLY:
		if (!send_reply(c)) {
			conn_close(c);
		} else if (c->replyoff == c->replylen) {
			c->state = CONN_RELAY;
			enqueue(c);
		}
		break;
	case CONN_RELAY:
		relay_events(c, ev, 0);
		break;
	}
}

static struct conn *conn_new(struct server *s, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (!c || !(c->op = calloc(1, sizeof(*c->op)))) {
		free(c);
		return NULL;
	}
	c->s = s;
	c->cfd = fd;
	c->nfd = -1;
	c->op->t.fd = -1;
	peer_name(fd, c->client, sizeof(c->client));
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	s->nopening++;
	return c;
}

/* A new client on fd (non-blocking): its connection starts. */
static void serve_client(struct server *s, int fd)
{
	const struct egress_config *cfg = s->cfg;
	struct conn *c = conn_new(s, fd);

	if (!c) {
		msg_err("cannot serve a client: out of memory");
		close(fd);
		return;
	}
	if (!watch_ptr(s, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, c, TAG_CLIENT)) {
		msg_err_errno(errno, "client %s: epoll", c->client);
		conn_close(c);
		return;
	}
	if (cfg->listen == LISTEN_FORWARD) {
		conn_open(c, &cfg->target);
		return;
	}
	front_init(&c->op->front);
	c->state = CONN_REQUEST;
	if (!(c->op->req = malloc(FRONT_REQUEST_MAX))) {
		conn_fail(c, EGRESS_EIO, "out of memory");
		return;
	}
	read_request(c);
}

/* ---- accepting ---- */

static void set_accepting(struct server *s, bool on)
{
	if (s->accepting == on)
		return;
	for (size_t i = 0; i < s->nlfd; i++)
		if (on)
			watch_ptr(s, s->lfd[i], EPOLLIN, &s->lfd[i], TAG_LISTENER);
		else
			epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd[i], NULL);
	s->accepting = on;
}

/* Out of descriptors (or close to it): live tunnels go on; new clients wait in the
 * backlog until descriptors come back, without a busy loop meanwhile. Said once for
 * each time it happens, however many clients wait. */
static void pause_accepting(struct server *s, int err)
{
	if (!s->told_emfile)
		msg_err_errno(err, "not accepting clients for now (%zu tunnels open)", s->nconns);
	s->told_emfile = true;
	s->resume_at = relay_now_ms() + ACCEPT_PAUSE_MS;
	set_accepting(s, false);
}

static void accept_clients(struct server *s, int lfd)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				pause_accepting(s, errno);
			else if (errno == EAGAIN && s->told_emfile) {
				/* Every waiting client has been taken: the episode is over. */
				msg_err("accepting clients again (%zu tunnels open)", s->nconns);
				s->told_emfile = false;
			}
			return;
		}
		/* Descriptors are handed out lowest first, so fd says how many are in use.
		 * A tunnel needs one more (its proxy socket) and, while it opens, a few
		 * (a netrc file, a resolver's): a client that would leave fewer than
		 * FD_RESERVE waits in the backlog instead of failing half-way. */
		if (fd >= s->fd_limit - FD_RESERVE) {
			close(fd);
			pause_accepting(s, EMFILE);
			return;
		}
		if ((long)s->nconns >= s->cfg->max_conns) {
			char who[ENDPOINT_STR_MAX];
			peer_name(fd, who, sizeof(who));
			msg_err("client %s: refused: %ld tunnels open (--max-conns)", who,
				s->cfg->max_conns);
			close(fd);
			continue;
		}
		serve_client(s, fd);
	}
}

/* ---- the loop ---- */

static void curl_messages(struct server *s)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(s->multi, &left))) {
		struct conn *c = NULL;
		if (m->msg != CURLMSG_DONE)
			continue;
		char *priv = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		c = (struct conn *)(void *)priv;
		CURLcode rc = m->data.result;
		if (c && c->op && c->op->h == m->easy_handle)
			attempt_done(c, rc);
	}
}

static void curl_event(struct server *s, int fd, uint32_t ev)
{
	int running, what = ((ev & EPOLLIN) ? CURL_CSELECT_IN : 0) |
			    ((ev & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
			    ((ev & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
	curl_multi_socket_action(s->multi, fd, what, &running);
}

static void run_queue(struct server *s)
{
	struct conn *q = s->runq;
	s->runq = NULL;
	while (q) {
		struct conn *c = q;
		q = c->run_next;
		c->queued = false;
		if (c->s && c->state == CONN_RELAY)
			relay_events(c, 0, 0);
	}
}

/* Whether some tunnel has a deadline that only the clock can bring. */
static bool timers_wanted(const struct server *s)
{
	return s->neof || (s->nconns && (s->cfg->idle_timeout_ms || s->cfg->eof_timeout_ms));
}

/* The relays' timers (--idle-timeout, --eof-timeout), and the end of a tunnel whose
 * client sent EOF. Through a proxy that EOF is not passed on (squid and tinyproxy
 * would drop the reply with the tunnel), but a client's socket cannot tell a
 * half-close from a close: a client gone for good would leave the tunnel, and its
 * descriptors, until the far side closed, perhaps never. So once the client has
 * sent EOF, the tunnel ends when the far side has sent nothing for EOF_QUIET_MS
 * (--eof-timeout, when given, decides instead). */
static void timer_tick(struct server *s, long now)
{
	if (now < s->next_tick)
		return;
	s->next_tick = now + TIMER_TICK_MS;
	for (struct conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (c->state != CONN_RELAY)
			continue;
		if (c->client_eof && now - c->r.last_active_ms >= EOF_QUIET_MS) {
			c->r.end = RELAY_EOF_TIMEOUT;
			conn_close(c);
		} else if (s->cfg->idle_timeout_ms || s->cfg->eof_timeout_ms) {
			relay_events(c, 0, 0);
		}
	}
}

static void stop(struct server *s, long now)
{
	if (s->stopping) {
		s->drain_until = now; /* a second signal: now */
		return;
	}
	s->stopping = true;
	set_accepting(s, false);
	for (size_t i = 0; i < s->nlfd; i++)
		close(s->lfd[i]);
	s->nlfd = 0;
	s->drain_until = now + s->cfg->drain_ms;
	if (s->nconns)
		msg_warn("stopping: %zu tunnels may run %.1f s more", s->nconns,
			 (double)s->cfg->drain_ms / 1000.0);
}

/* The target whose configuration stands for all of -D's: a name that no section or
 * no_proxy entry is likely to match (.invalid is reserved: it never resolves). */
static const struct endpoint any_target = { .host = "egress.invalid", .port = 443 };

static const struct endpoint *probe_target(const struct egress_config *cfg)
{
	return cfg->listen == LISTEN_FORWARD ? &cfg->target : &any_target;
}

static void signals(struct server *s, long now)
{
	struct signalfd_siginfo si;
	while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo != SIGHUP)
			stop(s, now);
		else if (cli_reload_config(s->cfg, probe_target(s->cfg)))
			msg_warn("SIGHUP: config files read again; new tunnels use them");
	}
}

static void sooner(long *due, long when)
{
	if (*due < 0 || when < *due)
		*due = when;
}

/* How long epoll may wait: until the first of libcurl's timer, the end of an
 * accept pause, the end of the drain, the next timer tick; -1: until an event. */
static int wait_ms(const struct server *s, long now)
{
	long due = -1;
	if (s->runq)
		return 0;
	if (s->curl_due >= 0)
		sooner(&due, s->curl_due);
	if (s->resume_at)
		sooner(&due, s->resume_at);
	if (s->stopping)
		sooner(&due, s->drain_until);
	if (s->trim_at)
		sooner(&due, s->trim_at);
	if (timers_wanted(s))
		sooner(&due, s->next_tick);
	if (due < 0)
		return -1;
	return due <= now ? 0 : due - now > 60000 ? 60000 : (int)(due - now);
}

static void dispatch(struct server *s, const struct epoll_event *ev)
{
	uintptr_t data = (uintptr_t)ev->data.u64;
	enum tag t = (enum tag)(data & TAG_MASK);
	void *p = (void *)(data & ~(uintptr_t)TAG_MASK);

	switch (t) {
	case TAG_LISTENER:
		if (s->accepting)
			accept_clients(s, *(int *)p);
		break;
	case TAG_CLIENT:
		client_event(p, ev->events);
		break;
	case TAG_NET:
		if (((struct conn *)p)->state == CONN_RELAY)
			relay_events(p, 0, ev->events);
		break;
	case TAG_CURL:
		curl_event(s, (int)(ev->data.u64 >> 2), ev->events);
		break;
	}
}

/* Frees the closed connections: between two batches of events, when only the run
 * queue can still point to them. */
static void reap(struct server *s)
{
	struct conn **p = &s->runq;
	while (*p) {
		if (!(*p)->s)
			*p = (*p)->run_next;
		else
			p = &(*p)->run_next;
	}
	while (s->dead) {
		struct conn *c = s->dead;
		s->dead = c->dead_next;
		free(c);
	}
}

/* A connection closed while its events are handled stays allocated (c->s NULL)
 * until the batch is over: a later event of the same batch may name it. */
static void loop(struct server *s)
{
	struct epoll_event evs[EVENTS_MAX];

	for (;;) {
		long now = relay_now_ms();
		reap(s);
		if (s->stopping && (s->nconns == 0 || now >= s->drain_until))
			return;
		if (s->inetd && s->nconns == 0)
			return;
		int n = epoll_wait(s->ep, evs, EVENTS_MAX, wait_ms(s, now));
		if (n < 0 && errno != EINTR) {
			msg_err_errno(errno, "epoll_wait");
			return;
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = NULL;
			uintptr_t data = (uintptr_t)evs[i].data.u64;
			enum tag t = (enum tag)(data & TAG_MASK);
			if (t == TAG_CLIENT || t == TAG_NET) {
				c = (struct conn *)(data & ~(uintptr_t)TAG_MASK);
				if (!c->s)
					continue; /* closed earlier in this batch */
			}
			if (evs[i].data.u64 == (uint64_t)(uintptr_t)tagged(s, TAG_LISTENER))
				signals(s, relay_now_ms());
			else
				dispatch(s, &evs[i]);
			if (c && c->s && c->state == CONN_RELAY && relay_timeout(&c->r, now) == 0)
				enqueue(c);
		}
		now = relay_now_ms();
		if (s->curl_due >= 0 && now >= s->curl_due) {
			int running;
			s->curl_due = -1;
			curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		}
		curl_messages(s);
		run_queue(s);
		if (s->resume_at && now >= s->resume_at && !s->stopping) {
			s->resume_at = 0;
			set_accepting(s, true);
		}
		if (timers_wanted(s))
			timer_tick(s, now);
		if (s->trim_at && now >= s->trim_at) {
			s->trim_at = 0;
			if (s->nopening == 0)
				memtrim();
		}
	}
}

/* ---- setting up ---- */

/* Descriptors are what thousands of tunnels run out of first: take all we may. */
static int raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur > (rlim_t)(1 << 30) ? 1 << 30 : (int)rl.rlim_cur;
}

static bool open_listeners(struct server *s)
{
	const struct egress_config *cfg = s->cfg;
	char err[ERR_MAX + 2 * HOST_MAX], where[ENDPOINT_STR_MAX + 8];
	struct listen_addr a;
	int n = listen_inherited(s->lfd, err, sizeof(err));

	if (n < 0) {
		msg_err("%s", err);
		return false;
	}
	if (n > 0) {
		s->nlfd = (size_t)n;
		msg_verbose("listening on %d socket%s from systemd", n, n > 1 ? "s" : "");
	} else {
		if (!listen_addr_parse(cfg->listen_at, &a, err, sizeof(err)) ||
		    !(s->nlfd = listen_addr_open(&a, s->lfd, err, sizeof(err)))) {
			msg_err("%s", err);
			return false;
		}
	}
	for (size_t i = 0; i < s->nlfd; i++) {
		bool loopback = listen_is_loopback(s->lfd[i], where, sizeof(where));
		msg_note("listening on %s", where);
		if (!loopback)
			msg_warn("%s is not a loopback address: whoever can reach it can use "
				 "the proxies and their credentials through egress",
				 where);
	}
	return true;
}

/* Asks now for the passwords the proxies of the target's route need, so that no
 * tunnel waits on a prompt later (credentials.h); for -D, the route of any_target. */
static void ask_passwords_now(const struct egress_config *cfg)
{
	struct egress_config tc;
	struct route route = { 0 };
	struct route_refusal why;

	creds_keep_answers();
	if (cli_config_for_target(cfg, probe_target(cfg), &tc) &&
	    route_choose(&tc, &tc.target, env_get, &route, &why) && !route.pac) {
		for (size_t i = 0; i < route.n; i++) {
			const struct route_way *w = &route.v[i];
			char label[ENDPOINT_STR_MAX];
			struct proxy_creds pc;
			if (!w->proxy || !route_may_send_password(&tc, w))
				continue;
			endpoint_str(&w->proxy->addr, label, sizeof(label));
			if (creds_for_proxy(&tc, w->proxy, label, &pc) == EGRESS_OK)
				creds_clear(&pc);
		}
	}
	route_free(&route);
	config_free(&tc);
	creds_stop_asking();
}

static bool setup(struct server *s, const struct egress_config *cfg)
{
	sigset_t set;

	*s = (struct server){ .cfg = cfg, .ep = -1, .sigfd = -1, .curl_due = -1 };
	s->inetd = cfg->inetd;
	/* It holds the proxies' credentials for as long as it serves. */
	secret_protect_process();
	s->fd_limit = raise_fd_limit();
	ask_passwords_now(cfg);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	s->multi = curl_multi_init();
	if (s->ep < 0 || !s->multi) {
		msg_err_errno(errno, "cannot set up the event loop");
		return false;
	}
	/* Signals arrive as reads, between events, never in the middle of one. */
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    !watch(s, EPOLL_CTL_ADD, s->sigfd, EPOLLIN,
		   (uint64_t)(uintptr_t)tagged(s, TAG_LISTENER))) {
		msg_err_errno(errno, "cannot set up signal handling");
		return false;
	}
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
	if (s->inetd) {
		int fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		if (fd < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
			msg_err_errno(errno, "--inetd: stdin");
			return false;
		}
		serve_client(s, fd);
		return true;
	}
	if (!open_listeners(s))
		return false;
	set_accepting(s, true);
	return true;
}

enum egress_err server_run(const struct egress_config *cfg)
{
	struct server s;
	enum egress_err e = EGRESS_OK;

	if (setup(&s, cfg))
		loop(&s);
	else
		e = EGRESS_EIO;
	while (s.conns)
		conn_close(s.conns);
	reap(&s);
	for (size_t i = 0; i < s.nlfd; i++)
		close(s.lfd[i]);
	if (s.multi)
		curl_multi_cleanup(s.multi);
	if (s.sigfd >= 0)
		close(s.sigfd);
	if (s.ep >= 0)
		close(s.ep);
	return e;
}
