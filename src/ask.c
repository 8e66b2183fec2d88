/* Password prompts. Both ways read one line of at most ASK_MAX bytes; a person (or
 * their askpass dialog) is on the other end, so there is no timeout: the wait ends
 * when they answer, or with the signal that ends egress. */
#include "ask.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"

#define ASK_MAX 1024

bool ask_have_terminal(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Reads from fd up to a newline or EOF into a new string, without the line end;
 * NULL when nothing came or on error. The scratch buffer is wiped. */
static char *read_line(int fd)
{
	char buf[ASK_MAX + 1], *line = NULL;
	size_t n = 0;
	while (n < ASK_MAX) {
		ssize_t r = read(fd, buf + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || buf[n] == '\n')
			break;
		n++;
	}
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (n)
		line = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return line;
}

char *ask_program(const char *program, const char *prompt)
{
	int out[2], status = -1; /* -1: not an exit, should waitpid fail */
	pid_t pid;
	char *line;

	if (pipe2(out, O_CLOEXEC) < 0) {
		msg_err_errno(errno, "cannot run %s", program);
		return NULL;
	}
	pid = fork();
	if (pid < 0) {
		msg_err_errno(errno, "cannot run %s", program);
		close(out[0]);
		close(out[1]);
		return NULL;
	}
	if (pid == 0) {
		/* Not the tunnel's stdin and stdout: /dev/null and the pipe. */
		int nul = open("/dev/null", O_RDONLY);
		if (nul < 0 || dup2(nul, STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0)
			_exit(127);
		(void)signal(SIGPIPE, SIG_DFL); /* fails only for a bad signal number */
		execlp(program, program, prompt, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	line = read_line(out[0]);
	close(out[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		status = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !line) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			msg_err("cannot run the askpass program %s", program);
		else
			msg_err("the askpass program %s gave no password", program);
		if (line) {
			explicit_bzero(line, strlen(line));
			free(line);
		}
		return NULL;
	}
	return line;
}

/* The terminal as it was before the prompt, for the signal handler to put back. */
static int tty_fd = -1;
static struct termios tty_saved;

static void restore_and_die(int sig)
{
	/* On the way out, by the signal: a failure here has nobody left to tell. */
	(void)tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	(void)!write(tty_fd, "\n", 1);
	(void)signal(sig, SIG_DFL);
	(void)raise(sig);
}

char *ask_terminal(const char *prompt)
{
	/* Not SIGTSTP: the shell puts its own terminal modes back around a stopped job. */
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction on_sig = { .sa_handler = restore_and_die }, old[4];
	struct termios quiet, now;
	char *line;

	tty_fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty_fd < 0) {
		msg_err_errno(errno, "cannot open the terminal to ask for the password");
		return NULL;
	}
	if (tcgetattr(tty_fd, &tty_saved) < 0) {
		msg_err_errno(errno, "cannot ask for the password on the terminal");
		close(tty_fd);
		tty_fd = -1;
		return NULL;
	}
	for (size_t i = 0; i < 4; i++)
		sigaction(sigs[i], &on_sig, &old[i]);
	/* Echo off before the prompt shows: nothing typed after it is ever echoed. If it
	 * cannot be turned off, there is no prompt: the password would show. tcsetattr
	 * succeeds when any one change took, so the result is read back. */
	quiet = tty_saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(tty_fd, TCSAFLUSH, &quiet) < 0 || tcgetattr(tty_fd, &now) < 0 ||
	    (now.c_lflag & ECHO)) {
		msg_err("cannot turn the terminal's echo off to ask for the password");
		(void)tcsetattr(tty_fd, TCSAFLUSH, &tty_saved); /* as it was, if anything changed */
		line = NULL;
	} else {
		(void)!write(tty_fd, prompt, strlen(prompt));
		line = read_line(tty_fd);
		if (tcsetattr(tty_fd, TCSAFLUSH, &tty_saved) < 0)
			msg_warn("cannot turn the terminal's echo back on (stty echo does): %s",
				 strerror(errno));
		(void)!write(tty_fd, "\n", 1);
		if (!line)
			msg_err("no password typed");
	}
	for (size_t i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	close(tty_fd);
	tty_fd = -1;
	return line;
}
