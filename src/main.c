/* egress: parse the command line, choose the route, run the session, and exit with
 * the status it ended with (see err.h). Only main() exits. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "config_file.h"
#include "err.h"
#include "explain.h"
#include "log.h"
#include "pac.h"
#include "proxy.h"
#include "relay.h"
#include "route.h"
#include "secret.h"
#include "server.h"
#include "session.h"

/* Opens /dev/null on any of fds 0-2 that is closed, so that no socket libcurl opens
 * can land on stdin or stdout and receive tunnel bytes meant for the user. open()
 * takes the lowest free descriptor: fd itself, those below it being open by then. */
static void sanitise_stdio(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int nul = open("/dev/null", O_RDWR);
		if (nul >= 0 && nul != fd)
			close(nul); /* cannot be; it must not stay open */
	}
}

/* Ends egress by the signal, as its default action would, once stdin and stdout
 * have their modes back: the shell's next command shares them. */
static void on_ending_signal(int sig)
{
	relay_restore_modes();
	/* On the way out, by the signal: a failure here has nobody left to tell. */
	(void)signal(sig, SIG_DFL);
	(void)raise(sig);
}

static void setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_ending_signal };

	/* A write to a gone reader must come back as EPIPE, not kill us mid-flush. This
	 * fails only for a bad signal number. */
	(void)signal(SIGPIPE, SIG_IGN);
	/* These end egress at once even when a parent left them ignored (a background job
	 * of a non-interactive shell has SIGINT ignored): ssh ends its ProxyCommand with
	 * SIGHUP. Nothing is buffered that a signal could make us lose: the tunnel is gone.
	 * The handler is reset on entry and the signal raised again: the parent sees
	 * egress killed by it. */
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* Whether what was printed on stdout (--help, --version, --explain) got there: stdio
 * keeps a failed write's error, and fflush writes what is left. Says what failed. */
static enum egress_err stdout_written(const char *what)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		msg_err_errno(errno, "cannot write %s", what);
		return EGRESS_EIO;
	}
	return EGRESS_OK;
}

static const char *env_get(const char *name)
{
	return getenv(name);
}

static enum egress_err refused(const struct route_refusal *why)
{
	if (why->usage)
		cli_usage_error("%s", why->line);
	else
		msg_err("%s", why->line);
	return why->status;
}

/* The route to cfg's target, and what must happen before any traffic once it is
 * known: the warning about passwords on the command line, no core file while one is
 * in memory, and the options the route's proxies cannot take. */
static enum egress_err plan(const struct egress_config *cfg, struct route *route)
{
	struct route_refusal why;

	if (!route_choose(cfg, &cfg->target, env_get, route, &why) ||
	    (route->pac && !pac_route(cfg, route, &why)))
		return refused(&why);
	if (cfg->pass_in_argv)
		msg_warn("a password on the command line can be seen by other users (ps); "
			 "EGRESS_PROXY_PASSWORD, ~/.netrc or the prompt keep it off");
	if (cfg->proxy_pass || cfg->env_pass || route_has_password(route) ||
	    config_files_have_password(cfg->files))
		secret_protect_process();
	if (!route_check(cfg, env_get, route, &why))
		return refused(&why);
	return EGRESS_OK;
}

static enum egress_err run(const struct egress_config *cfg)
{
	struct route route = { 0 };
	enum egress_err e;

	/* Once for the process, however many tunnels it opens; a PAC may be fetched
	 * while the route is planned. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		msg_err("cannot initialise libcurl");
		return EGRESS_EIO;
	}
	/* Listen mode plans each tunnel's route itself; -L's is planned once now too,
	 * so that what is wrong with it is said before anything listens. */
	e = cfg->listen == LISTEN_DYNAMIC ? EGRESS_OK : plan(cfg, &route);
	if (e == EGRESS_OK && cfg->listen != LISTEN_NONE) {
		route_free(&route);
		e = server_run(cfg);
	} else if (e == EGRESS_OK && cfg->explain) {
		explain_print(cfg, &route, env_get, stdout);
		e = stdout_written("the explanation");
	} else if (e == EGRESS_OK) {
		e = session_run(cfg, &route, STDIN_FILENO, STDOUT_FILENO);
	}
	route_free(&route);
	curl_global_cleanup();
	return e;
}

int main(int argc, char **argv)
{
	struct egress_config cfg;
	enum egress_err e = EGRESS_EUSAGE;

	sanitise_stdio();
	setup_signals();
	switch (cli_parse(argc, argv, proxy_library_version, &cfg)) {
	case CLI_DONE:
		/* --help or --version, whose text a full disk or a closed pipe lost. */
		e = stdout_written("to standard output");
		break;
	case CLI_USAGE:
		break;
	case CLI_RUN:
		e = run(&cfg);
		break;
	}
	config_free(&cfg);
	return (int)e;
}
