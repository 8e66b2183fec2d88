/* SCM_RIGHTS over stdout. ssh (ProxyUseFdpass yes) runs the proxy command with a
 * socketpair as its stdout, receives the descriptor with one byte of payload, and
 * talks to the socket itself: no relay process, no copy. */
#include "fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

bool fdpass_possible(int fd)
{
	struct stat st;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	/* glibc's _GNU_SOURCE declares getsockname with a transparent union for the
	 * address, through which the analyzer does not see it written.
	 * NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
	return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family == AF_UNIX;
}

int fdpass_send(int fd, int sock)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	char byte = '\0';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;
	ssize_t n;

	memset(&ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &sock, sizeof(int));

	/* stdout may be non-blocking; the message is one byte, so retrying is bounded
	 * by the peer reading, as any write to it is. */
	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}
