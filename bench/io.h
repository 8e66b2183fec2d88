/* Non-blocking I/O bounded by a deadline (CLOCK_MONOTONIC ns, as from now_ns()): the
 * driver never waits on a helper longer than the sample allows. */
#ifndef BENCH_IO_H
#define BENCH_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Waits until fd is ready for events (POLLIN or POLLOUT); returns 0, or -1 with errno
 * (ETIMEDOUT when the deadline passes). */
int io_wait(int fd, short events, int64_t deadline);

/* Reads what is there, up to len; returns n > 0, 0 at EOF, or -1 with errno. */
ssize_t io_read(int fd, void *buf, size_t len, int64_t deadline);

/* Reads exactly len bytes; returns len, 0 at a premature EOF, or -1 with errno. */
ssize_t io_read_exact(int fd, void *buf, size_t len, int64_t deadline);

/* Writes all len bytes; returns 0, or -1 with errno. */
int io_write(int fd, const void *buf, size_t len, int64_t deadline);

/* Says why a read returned got (0 or -1): "unexpected EOF", "timed out" or errno's. */
const char *io_why(ssize_t got);

#endif
