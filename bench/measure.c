/* The four measurements. Each opens a channel (chan.h), measures, and closes it;
 * every wait is bounded, and a helper that stalls is killed and its sample failed.
 */
#include "measure.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "chan.h"
#include "io.h"
#include "stats.h"
#include "stream.h"
#include "util.h"

/* What the driver reads or writes per call: large, so that the driver is never what
 * limits the rate; the pipes in between stay at whatever size the helper leaves them. */
#define IO_CHUNK	 (1024 * 1024)
#define PING_SIZE	 64
#define PING_MAX	 1000
#define SPLIT_DELAY_NS	 200000
#define SEC_NS		 INT64_C(1000000000)
#define SHORT_TIMEOUT_NS (10 * SEC_NS)

static const char banner[] = "SSH-2.0-egress-bench\r\n";
static unsigned char iobuf[IO_CHUNK];

static void sample_init(struct sample *s)
{
	memset(s, 0, sizeof(*s));
	s->ok = true;
	s->cpu_s = -1;
	s->machine_s = -1;
	s->uss_kib = -1;
	s->dirty_kib = -1;
}

static void vfail(struct sample *s, bool corrupt, const char *fmt, va_list ap)
{
	/* The first reason is the one that counts; later ones are its consequences. */
	if (!s->ok)
		return;
	s->ok = false;
	s->corrupt = corrupt;
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
}

/* Marks s failed: no value. */
__attribute__((format(printf, 2, 3))) static void fail(struct sample *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(s, false, fmt, ap);
	va_end(ap);
}

/* Marks s failed because the bytes that arrived were not the bytes sent. */
__attribute__((format(printf, 2, 3))) static void corrupt(struct sample *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(s, true, fmt, ap);
	va_end(ap);
}

static bool open_chan(struct chan *c, const struct runner *r, const struct bench_env *e,
		      uint16_t target, int64_t deadline, struct sample *s)
{
	char why[sizeof(s->why)];
	if (chan_open(c, r, e, target, deadline, why, sizeof(why)) == 0)
		return true;
	fail(s, "%s", why);
	return false;
}

/* Closes c and adds to s what the helper's exit tells. */
static void close_chan(struct chan *c, const void *bye, size_t bye_len, struct sample *s)
{
	struct chan_end end;
	chan_close(c, bye, bye_len, !s->ok, &end);
	s->cpu_s = end.cpu_s;
	snprintf(s->note, sizeof(s->note), "%s", end.note);
	size_t len = strlen(s->why);
	if (!s->ok && end.said[0] && len < sizeof(s->why))
		snprintf(s->why + len, sizeof(s->why) - len, " (stderr: %s)", end.said);
}

/* The machine's busy CPU seconds since busy was read, into s->machine_s. Everything
 * that runs counts: the driver, the proxy, the target, the helper, and the kernel's
 * work between them, which is where a pipe between driver and helper costs. */
static void machine_since(struct sample *s, double busy)
{
	double now = machine_busy_s();
	s->machine_s = busy >= 0 && now >= busy ? now - busy : -1;
}

static double mib_per_s(uint64_t bytes, int64_t ns)
{
	return (double)bytes / (1024.0 * 1024.0) / ((double)ns / 1e9);
}

/* The SHA-256 of the first size stream bytes, computed once per size. */
static const char *expected_sha256(uint64_t size)
{
	static uint64_t cached_size = UINT64_MAX;
	static char hex[65];
	if (size != cached_size) {
		stream_sha256(size, hex);
		cached_size = size;
	}
	return hex;
}

void measure_down(const struct runner *r, const struct bench_env *e, uint64_t size, bool sha256,
		  struct sample *s)
{
	sample_init(s);
	int64_t deadline = now_ns() + e->timeout_ns;
	struct chan c;
	if (!open_chan(&c, r, e, e->source, deadline, s))
		return;
	char req[32];
	int n = snprintf(req, sizeof(req), "%" PRIu64 "\n", size);
	double busy = machine_busy_s();
	if (io_write(c.wfd, req, (size_t)n, deadline) < 0) {
		fail(s, "writing the request: %s", io_why(-1));
		close_chan(&c, NULL, 0, s);
		return;
	}
	struct stream_check chk;
	check_init(&chk, sha256);
	/* The clock runs from the first read that brings data to the last one, and
	 * counts only the bytes after that first read: start-up is measured apart. */
	int64_t t_first = 0, t_last = 0;
	uint64_t first_len = 0;
	while (chk.off < size) {
		uint64_t left = size - chk.off;
		ssize_t got = io_read(c.rfd, iobuf, left < IO_CHUNK ? left : IO_CHUNK, deadline);
		if (got <= 0) {
			fail(s, "%s after %" PRIu64 " of %" PRIu64 " bytes", io_why(got), chk.off,
			     size);
			break;
		}
		t_last = now_ns();
		if (!t_first) {
			t_first = t_last;
			first_len = (uint64_t)got;
		}
		check_feed(&chk, iobuf, (size_t)got);
	}
	machine_since(s, busy);
	char hex[65];
	check_finish(&chk, hex);
	if (chk.bad_at != UINT64_MAX)
		corrupt(s, "byte %" PRIu64 " differs from what the source sent", chk.bad_at);
	else if (sha256 && s->ok && strcmp(hex, expected_sha256(size)) != 0)
		corrupt(s, "SHA-256 of the bytes received differs from the source's");
	if (s->ok && t_last <= t_first)
		fail(s, "%" PRIu64 " bytes are too few to time", size);
	if (s->ok) {
		s->value = mib_per_s(size - first_len, t_last - t_first);
		chan_memory(&c, &s->uss_kib, &s->dirty_kib);
	}
	close_chan(&c, "q", 1, s);
}

void measure_up(const struct runner *r, const struct bench_env *e, uint64_t size, bool sha256,
		struct sample *s)
{
	sample_init(s);
	int64_t deadline = now_ns() + e->timeout_ns;
	struct chan c;
	if (!open_chan(&c, r, e, e->sink, deadline, s))
		return;
	char line[200];
	int n = snprintf(line, sizeof(line), "%" PRIu64 "%s\n", size, sha256 ? " sha256" : "");
	double busy = machine_busy_s();
	if (io_write(c.wfd, line, (size_t)n, deadline) < 0) {
		fail(s, "writing the request: %s", io_why(-1));
		close_chan(&c, NULL, 0, s);
		return;
	}
	for (uint64_t off = 0; off < size;) {
		size_t len;
		uint64_t left = size - off;
		const unsigned char *p = stream_at(off, left < IO_CHUNK ? left : IO_CHUNK, &len);
		if (io_write(c.wfd, p, len, deadline) < 0) {
			fail(s, "writing byte %" PRIu64 " of %" PRIu64 ": %s", off, size,
			     io_why(-1));
			close_chan(&c, NULL, 0, s);
			return;
		}
		off += len;
	}
	/* The sink's answer is one line, and nothing else comes back. */
	size_t got = 0;
	while (got < sizeof(line) - 1 && !memchr(line, '\n', got)) {
		ssize_t k = io_read(c.rfd, line + got, sizeof(line) - 1 - got, deadline);
		if (k <= 0) {
			fail(s, "no answer from the sink: %s", io_why(k));
			close_chan(&c, NULL, 0, s);
			return;
		}
		got += (size_t)k;
	}
	machine_since(s, busy);
	line[got] = '\0';
	char status[16], hex[80];
	uint64_t count, timed_bytes;
	int64_t timed_ns;
	if (sscanf(line, "%15s %" SCNu64 " %" SCNu64 " %" SCNd64 " %79s", status, &count,
		   &timed_bytes, &timed_ns, hex) != 5) {
		fail(s, "garbled answer from the sink: %.60s", line);
	} else if (strcmp(status, "bad") == 0) {
		corrupt(s, "byte %" PRIu64 " differs from what the driver sent", count);
	} else if (strcmp(status, "ok") != 0) {
		fail(s, "the sink got %" PRIu64 " of %" PRIu64 " bytes", count, size);
	} else if (sha256 && strcmp(hex, expected_sha256(size)) != 0) {
		corrupt(s, "SHA-256 at the sink differs from the driver's");
	} else if (timed_ns <= 0) {
		fail(s, "%" PRIu64 " bytes are too few to time", size);
	} else {
		s->value = mib_per_s(timed_bytes, timed_ns);
		chan_memory(&c, &s->uss_kib, &s->dirty_kib);
	}
	close_chan(&c, "q", 1, s);
}

void measure_first_byte(const struct runner *r, const struct bench_env *e, struct sample *s)
{
	sample_init(s);
	int64_t t0 = now_ns();
	int64_t deadline = t0 + SHORT_TIMEOUT_NS;
	struct chan c;
	if (!open_chan(&c, r, e, e->banner, deadline, s))
		return;
	char buf[sizeof(banner)];
	ssize_t got = io_read(c.rfd, buf, sizeof(banner) - 1, deadline);
	int64_t t1 = now_ns();
	size_t rest = got > 0 ? sizeof(banner) - 1 - (size_t)got : 0;
	if (got > 0 &&
	    (!rest || io_read_exact(c.rfd, buf + got, rest, deadline) == (ssize_t)rest)) {
		if (memcmp(buf, banner, sizeof(banner) - 1) != 0)
			corrupt(s, "the banner arrived altered");
		else
			s->value = (double)(t1 - t0) / 1e6;
	} else {
		fail(s, "no banner: %s", io_why(got));
	}
	close_chan(&c, "q", 1, s);
}

/* Returns at t (CLOCK_MONOTONIC ns): sleeps most of the way, then spins, because a
 * plain sleep overshoots by the timer slack (50 us by default), a quarter of the
 * 200 us pause it has to time. */
static void pause_until(int64_t t)
{
	int64_t left = t - now_ns();
	if (left > 100000) {
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)(left - 100000) };
		nanosleep(&ts, NULL);
	}
	while (now_ns() < t) {
	}
}

void measure_rtt(const struct runner *r, const struct bench_env *e, unsigned pings, bool idle_mem,
		 struct sample *s)
{
	sample_init(s);
	if (pings > PING_MAX)
		pings = PING_MAX;
	int64_t deadline = now_ns() + SHORT_TIMEOUT_NS + (int64_t)pings * SEC_NS;
	struct chan c;
	if (!open_chan(&c, r, e, e->pingpong, deadline, s))
		return;
	char msg[PING_SIZE], echo[PING_SIZE];
	static double rtt[PING_MAX];
	/* The first exchange, in one write, only waits for the tunnel to be up. */
	for (unsigned i = 0; i <= pings && s->ok; i++) {
		memset(msg, 'a' + (int)(i % 26), sizeof(msg));
		msg[0] = 'P';
		int64_t t0 = now_ns();
		if (i == 0) {
			if (io_write(c.wfd, msg, PING_SIZE, deadline) < 0)
				fail(s, "writing: %s", io_why(-1));
		} else {
			bool sent = io_write(c.wfd, msg, 1, deadline) == 0;
			if (sent)
				pause_until(t0 + SPLIT_DELAY_NS);
			if (!sent || io_write(c.wfd, msg + 1, PING_SIZE - 1, deadline) < 0)
				fail(s, "writing: %s", io_why(-1));
		}
		ssize_t got = s->ok ? io_read_exact(c.rfd, echo, PING_SIZE, deadline) : -1;
		int64_t t1 = now_ns();
		if (s->ok && got != PING_SIZE)
			fail(s, "no echo for ping %u: %s", i, io_why(got));
		else if (s->ok && memcmp(msg, echo, PING_SIZE) != 0)
			corrupt(s, "ping %u came back altered", i);
		else if (s->ok && i > 0)
			rtt[i - 1] = (double)(t1 - t0) / 1e6;
	}
	if (s->ok)
		s->value = median(rtt, pings);
	if (s->ok && idle_mem) {
		pause_until(now_ns() + (int64_t)IDLE_SETTLE_MS * 1000000);
		chan_memory(&c, &s->uss_kib, &s->dirty_kib);
	}
	char quit[PING_SIZE];
	memset(quit, 'Q', sizeof(quit));
	close_chan(&c, quit, sizeof(quit), s);
}
