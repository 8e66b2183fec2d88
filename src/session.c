/* A session: tunnel_open, then the backend that fits the tunnel (the caller's fd,
 * the socket taken from libcurl, or libcurl's TLS session), the relay, and the
 * report that maps the relay's end to an exit status. */
#include "session.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fdpass.h"
#include "log.h"
#include "memtrim.h"
#include "proxy.h"
#include "relay.h"

static const char *via(const struct tunnel *t)
{
	return t->proxy ? t->proxy_label : "";
}

/* The local end that failed: the relay only reads in_fd and only writes out_fd. */
static const char *local_end(const struct relay *r)
{
	return strcmp(r->op, "read") == 0 ? "stdin" : "stdout";
}

/* Maps the relay's end to an exit status, with one line for the errors. */
static enum egress_err report(const struct egress_config *cfg, const struct relay *r,
			      const struct tunnel *t)
{
	const char *sep = t->proxy ? " via proxy " : " (direct)";
	switch (r->end) {
	case RELAY_CLOSED:
	case RELAY_EOF_TIMEOUT:
		return EGRESS_OK;
	case RELAY_READER_GONE:
		/* Quietly: the reader leaving is how `| head` ends a stream. When stdin had
		 * ended too, the local side is simply done: git closes both pipes after the
		 * pack while git daemon, never told of the EOF, still holds the tunnel. */
		return relay_far_closed(r) || relay_local_eof(r) ? EGRESS_OK : EGRESS_EIO;
	case RELAY_IDLE:
		msg_err("tunnel to %s%s%s idle for %g s; closing", t->target_label, sep, via(t),
			(double)cfg->idle_timeout_ms / 1000.0);
		return EGRESS_ETIMEOUT;
	case RELAY_NET_ERROR:
		msg_err_errno(r->err, "tunnel to %s%s%s: %s", t->target_label, sep, via(t), r->op);
		return EGRESS_EIO;
	case RELAY_LOCAL_ERROR:
		msg_err_errno(r->err, "tunnel to %s%s%s: %s on %s", t->target_label, sep, via(t),
			      r->op, local_end(r));
		return EGRESS_EIO;
	case RELAY_RUNNING:
		break;
	}
	return EGRESS_EIO;
}

/* --fdpass: the tunnel's socket goes to the caller over out_fd, and egress is done. */
static enum egress_err pass_fd(struct tunnel *t, int out_fd)
{
	enum egress_err e = EGRESS_OK;
	if (fdpass_send(out_fd, t->fd) < 0) {
		msg_err_errno(errno, "cannot pass the socket for %s to the caller",
			      t->target_label);
		e = EGRESS_EIO;
	} else {
		msg_verbose("passed the tunnel to %s to the caller", t->target_label);
	}
	tunnel_close(t);
	return e;
}

/* Runs the relay with the options o and reports its end. */
static enum egress_err run_relay(const struct egress_config *cfg, const struct relay_opts *o,
				 const struct tunnel *t)
{
	struct relay r;
	enum egress_err e;

	if (relay_init(&r, o) < 0) {
		msg_err_errno(errno, "cannot start the relay");
		return EGRESS_EIO;
	}
	msg_verbose("tunnel to %s open; relaying", t->target_label);
	relay_run(&r);
	e = report(cfg, &r, t);
	relay_free(&r);
	return e;
}

/* The relay's quiet hook: once libcurl's work is done, its memory goes back. */
static void trim_memory(void *ctx)
{
	(void)ctx;
	memtrim();
}

enum egress_err session_run(const struct egress_config *cfg, const struct route *route, int in_fd,
			    int out_fd)
{
	struct tunnel t;
	enum egress_err e;

	if (cfg->fdpass && !fdpass_possible(out_fd)) {
		msg_err("--fdpass needs stdout to be a Unix socket (ssh -o ProxyUseFdpass=yes "
			"runs its ProxyCommand so)");
		return EGRESS_EUSAGE;
	}
	e = tunnel_open(cfg, route, &t);
	if (e != EGRESS_OK)
		return e;
	if (cfg->fdpass)
		return pass_fd(&t, out_fd);
	struct relay_net_io tls_io = { tunnel_recv, tunnel_send, &t };
	struct relay_opts o = {
		.in_fd = in_fd,
		.out_fd = out_fd,
		/* A direct TCP peer handles half-close; proxies mostly do not (see relay.c).
		 * Over TLS it cannot be done (route.c refuses --half-close there). */
		.forward_eof = !t.proxy || (cfg->half_close && !t.tls),
		.idle_timeout_ms = cfg->idle_timeout_ms,
		.eof_timeout_ms = cfg->eof_timeout_ms,
	};
	if (t.tls) {
		/* TLS keeps libcurl in the path of every byte. */
		o.net_fd = t.fd;
		o.net_io = &tls_io;
		e = run_relay(cfg, &o, &t);
		tunnel_close(&t);
		return e;
	}
	/* The bytes no longer need libcurl: let it go, and the memory it used at the
	 * first pause (trimming costs ~1 ms: not before the first bytes). */
	o.net_fd = tunnel_detach(&t);
	if (o.net_fd < 0) {
		msg_err_errno(errno, "cannot take over the tunnel to %s", t.target_label);
		tunnel_close(&t);
		return EGRESS_EIO;
	}
	o.quiet_ms = 1000;
	o.on_quiet = trim_memory;
	e = run_relay(cfg, &o, &t);
	close(o.net_fd);
	return e;
}
