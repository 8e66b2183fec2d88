#include "io.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int io_wait(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ns();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd pfd = { .fd = fd, .events = events };
		int n = poll(&pfd, 1, (int)((left + 999999) / 1000000));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* The read comes first and poll only after EAGAIN, so a busy stream costs one system
 * call per chunk, as in any well-written consumer. */
ssize_t io_read(int fd, void *buf, size_t len, int64_t deadline)
{
	for (;;) {
		ssize_t n = read(fd, buf, len);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || io_wait(fd, POLLIN, deadline) < 0)
			return -1;
	}
}

ssize_t io_read_exact(int fd, void *buf, size_t len, int64_t deadline)
{
	for (size_t got = 0; got < len;) {
		ssize_t n = io_read(fd, (char *)buf + got, len - got, deadline);
		if (n <= 0)
			return n;
		got += (size_t)n;
	}
	return (ssize_t)len;
}

int io_write(int fd, const void *buf, size_t len, int64_t deadline)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EINTR &&
			   (errno != EAGAIN || io_wait(fd, POLLOUT, deadline) < 0)) {
			return -1;
		}
	}
	return 0;
}

const char *io_why(ssize_t got)
{
	if (got == 0)
		return "unexpected EOF";
	return errno == ETIMEDOUT ? "timed out" : strerror(errno);
}
