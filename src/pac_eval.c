/* The child runs the script and writes one byte (1: an answer, 0: an error) and the
 * text to a pipe; the parent reads it under the deadline and reaps the child. */
#include "pac_eval.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "pac_js.h"

/* The most a child may write back: no proxy list is longer. */
#define PAC_ANSWER_MAX (64 * 1024)

bool pac_url_for(const struct endpoint *target, char *buf, size_t bufsz)
{
	char ep[ENDPOINT_STR_MAX];
	int w;
	if (target->port == 443)
		w = snprintf(buf, bufsz, "https://%s%s%s/", target->ipv6 ? "[" : "", target->host,
			     target->ipv6 ? "]" : "");
	else
		w = snprintf(buf, bufsz, "https://%s/", endpoint_str(target, ep, sizeof(ep)));
	return w > 0 && (size_t)w < bufsz;
}

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static _Noreturn void child(int fd, const char *script, size_t len, const char *name,
			    const struct endpoint *target)
{
	struct rlimit cpu = { PAC_CPU_SECS, PAC_CPU_SECS + 1 };
	char url[HOST_MAX + 32], err[ERR_MAX + 512], *result = NULL;

	setrlimit(RLIMIT_CPU, &cpu);
	bool ok = false;
	/* The script decides by the URL: it is asked about the whole one or not at all. */
	if (pac_url_for(target, url, sizeof(url)))
		ok = pac_js_find(script, len, name, url, target->host, true, &result, err,
				 sizeof(err));
	else
		err_printf(err, sizeof(err), "%s: the target's URL is too long", name);
	char status = ok ? 1 : 0;
	write_all(fd, &status, 1);
	if (ok)
		write_all(fd, result, strnlen(result, PAC_ANSWER_MAX - 1));
	else
		write_all(fd, err, strlen(err));
	_exit(0);
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Reads the child's answer into buf until EOF or the deadline; the length, or -1 on
 * the deadline. */
static long read_answer(int fd, char *buf, size_t bufsz, long deadline)
{
	size_t got = 0;
	for (;;) {
		long left = deadline - now_ms();
		struct pollfd p = { fd, POLLIN, 0 };
		if (left <= 0)
			return -1;
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		ssize_t n = read(fd, buf + got, bufsz - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (got += (size_t)n) == bufsz - 1)
			return (long)got;
	}
}

bool pac_evaluate(const char *script, size_t len, const char *name, const struct endpoint *target,
		  long deadline_ms, char **result, char *err, size_t errsz)
{
	int fds[2], status = 0;
	char *buf = malloc(PAC_ANSWER_MAX + 1);
	long got;

	*result = NULL;
	if (!buf || pipe2(fds, O_CLOEXEC) < 0) {
		free(buf);
		return err_printf(err, errsz, "%s: cannot run it: %s", name, strerror(errno));
	}
	/* Nothing of ours buffered may be written twice, by the child too. stderr is
	 * unbuffered; should that fail, the child's copy is the worst of it. */
	(void)fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		child(fds[1], script, len, name, target);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		free(buf);
		return err_printf(err, errsz, "%s: cannot run it: %s", name, strerror(errno));
	}
	got = read_answer(fds[0], buf, PAC_ANSWER_MAX + 1, now_ms() + deadline_ms);
	close(fds[0]);
	if (got < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got < 0) {
		free(buf);
		return err_printf(err, errsz, "%s: no answer within %.3g s", name,
				  (double)deadline_ms / 1000.0);
	}
	if (WIFSIGNALED(status) || got == 0) {
		int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
		free(buf);
		if (sig == SIGXCPU || sig == SIGKILL)
			return err_printf(err, errsz,
					  "%s: stopped after %d s of CPU time (an endless loop?)",
					  name, PAC_CPU_SECS);
		return err_printf(err, errsz, "%s: the JavaScript engine died (%s)", name,
				  sig ? strsignal(sig) : "no answer");
	}
	buf[got] = '\0';
	if (buf[0] != 1) {
		err_printf(err, errsz, "%s", buf + 1);
		free(buf);
		return false;
	}
	memmove(buf, buf + 1, (size_t)got);
	*result = buf;
	return true;
}
