/* Small helpers shared by the bench programs: errors, clocks, numbers, sockets. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Sets the "prog: " prefix of every message; call first thing in main(). */
void util_progname(const char *name);

/* Prints "prog: message" on stderr and exits 1 (the _errno form appends strerror). */
__attribute__((format(printf, 1, 2), noreturn)) void die(const char *fmt, ...);
__attribute__((format(printf, 1, 2), noreturn)) void die_errno(const char *fmt, ...);
/* Prints "prog: message" on stderr and returns. */
__attribute__((format(printf, 1, 2))) void warnmsg(const char *fmt, ...);

/* CLOCK_MONOTONIC in nanoseconds; the one clock every bench program times with. */
int64_t now_ns(void);

/* CPU seconds the whole machine has spent busy (every CPU, every process, the
 * kernel's own work included) since boot, from /proc/stat; -1 if unreadable. */
double machine_busy_s(void);

/* Parses a whole decimal number in [min, max], or dies naming what it is. */
uint64_t parse_u64(const char *s, uint64_t min, uint64_t max, const char *what);

/* Sets O_NONBLOCK on fd; returns 0 or -1 with errno. */
int set_nonblock(int fd);

/* Writes all len bytes to a blocking fd, retrying on EINTR and short writes; returns 0
 * or -1 with errno. */
int write_all(int fd, const void *buf, size_t len);

/* A TCP socket listening on 127.0.0.1 at an ephemeral port (loopback only, always);
 * stores the port in *port. Returns the fd, or dies. */
int listen_loopback(uint16_t *port);

/* A blocking TCP connection to 127.0.0.1:port with TCP_NODELAY, or -1 with errno. */
int connect_loopback(uint16_t port);

#endif
