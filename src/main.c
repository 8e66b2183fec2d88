/* egress: parse the command line, open the tunnel, relay it, and turn the way it
 * ended into an exit status (see err.h). Only main() exits. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "fdpass.h"
#include "log.h"
#include "memtrim.h"
#include "proxy.h"
#include "relay.h"

/* Opens /dev/null on any of fds 0-2 that is closed, so that no socket libcurl opens
 * can land on stdin or stdout and receive tunnel bytes meant for the user. */
static void sanitise_stdio(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int nul = open("/dev/null", O_RDWR);
		if (nul >= 0 && nul != fd) {
			dup2(nul, fd);
			close(nul);
		}
	}
}

static void setup_signals(void)
{
	/* A write to a gone reader must come back as EPIPE, not kill us mid-flush. */
	signal(SIGPIPE, SIG_IGN);
	/* These end egress at once even when a parent left them ignored (a background job
	 * of a non-interactive shell has SIGINT ignored): ssh ends its ProxyCommand with
	 * SIGHUP. Nothing is buffered that a signal could make us lose: the tunnel is gone. */
	signal(SIGHUP, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
}

static const char *via(const struct tunnel *t)
{
	return t->proxy ? t->proxy_label : "";
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
			      r->op, r->op[0] == 'r' ? "stdin" : "stdout");
		return EGRESS_EIO;
	case RELAY_RUNNING:
		break;
	}
	return EGRESS_EIO;
}

static enum egress_err run(const struct egress_config *cfg)
{
	struct tunnel t;
	struct relay r;
	enum egress_err e = tunnel_open(cfg, &t);

	if (e != EGRESS_OK)
		return e;
	if (cfg->fdpass) {
		if (fdpass_send(STDOUT_FILENO, t.fd) < 0) {
			msg_err_errno(errno, "cannot pass the socket for %s to the caller",
				      t.target_label);
			e = EGRESS_EIO;
		} else {
			msg_verbose("passed the tunnel to %s to the caller", t.target_label);
		}
		tunnel_close(&t);
		return e;
	}
	struct relay_net_io tls_io = { tunnel_recv, tunnel_send, &t };
	struct relay_opts o = {
		.in_fd = STDIN_FILENO,
		.out_fd = STDOUT_FILENO,
		/* A direct TCP peer handles half-close; proxies mostly do not (see relay.c).
		 * Over TLS it cannot be done (cli.c refuses --half-close there). */
		.forward_eof = !t.proxy || (cfg->half_close && !t.tls),
		.idle_timeout_ms = cfg->idle_timeout_ms,
		.eof_timeout_ms = cfg->eof_timeout_ms,
	};
	int net = -1;
	if (t.tls) {
		/* TLS keeps libcurl in the path of every byte. */
		o.net_fd = t.fd;
		o.net_io = &tls_io;
	} else {
		/* The bytes no longer need libcurl: let it go, and the memory it used
		 * at the first pause (trimming costs ~1 ms: not before the first bytes). */
		net = tunnel_detach(&t);
		if (net < 0) {
			msg_err_errno(errno, "cannot take over the tunnel to %s", t.target_label);
			tunnel_close(&t);
			return EGRESS_EIO;
		}
		o.net_fd = net;
		o.quiet_ms = 1000;
		o.on_quiet = memtrim;
	}
	if (relay_init(&r, &o) < 0) {
		msg_err_errno(errno, "cannot start the relay");
		e = EGRESS_EIO;
	} else {
		msg_verbose("tunnel to %s open; relaying", t.target_label);
		relay_run(&r);
		e = report(cfg, &r, &t);
		relay_free(&r);
	}
	if (net >= 0)
		close(net);
	tunnel_close(&t);
	return e;
}

int main(int argc, char **argv)
{
	struct egress_config cfg;
	enum egress_err e;

	sanitise_stdio();
	setup_signals();
	switch (cli_parse(argc, argv, &cfg)) {
	case CLI_DONE:
		cli_free(&cfg);
		return EGRESS_OK;
	case CLI_USAGE:
		cli_free(&cfg);
		return EGRESS_EUSAGE;
	case CLI_RUN:
		break;
	}
	if (cfg.fdpass && !fdpass_possible(STDOUT_FILENO)) {
		msg_err("--fdpass needs stdout to be a Unix socket (ssh -o ProxyUseFdpass=yes "
			"runs its ProxyCommand so)");
		cli_free(&cfg);
		return EGRESS_EUSAGE;
	}
	e = run(&cfg);
	cli_free(&cfg);
	return (int)e;
}
