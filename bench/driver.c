/* driver: times the limit, egress and every installed peer in one interleaved run
 * through the bench proxy and targets, and prints the markdown report.
 *
 * First a SHA-256 pass (one hashed transfer each way per runner), then rounds: in each,
 * every runner, in an order rotated by one per round, does one download, one upload,
 * --starts time-to-first-byte runs and one batch of --pings two-part round trips.
 * Exit status: 0, or 1 when the limit or egress failed a sample or an integrity check
 * (peers' failures are reported, not fatal), 2 on bad usage.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure.h"
#include "peers.h"
#include "proc.h"
#include "report.h"
#include "stats.h"
#include "stream.h"
#include "util.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

struct opts {
	const char *egress, *helpers, *targets, *errdir;
	const char *pac_file, *pac_url; /* for the egress-pac rows; NULL: not run */
	uint16_t proxy;
	uint64_t size, sha_size;
	unsigned rounds, starts, pings, timeout_s, budget_s;
};

static void usage(void)
{
	fprintf(stderr, "usage: driver --egress PATH --proxy PORT --targets 'source=P sink=P "
			"banner=P pingpong=P'\n"
			"              --stderr-dir DIR [--helpers all|NAME,...] [--size-mib N] "
			"[--sha-mib N]\n"
			"              [--rounds N] [--starts N] [--pings N] [--timeout SECS] "
			"[--budget SECS]\n"
			"              [--pac-file PATH --pac-url URL]\n");
	exit(2);
}

static struct opts parse_opts(int argc, char **argv)
{
	enum {
		O_EGRESS = 256,
		O_PROXY,
		O_TARGETS,
		O_ERRDIR,
		O_HELPERS,
		O_SIZE,
		O_SHA,
		O_ROUNDS,
		O_STARTS,
		O_PINGS,
		O_TIMEOUT,
		O_BUDGET,
		O_PAC_FILE,
		O_PAC_URL
	};
	static const struct option longopts[] = {
		{ "egress", required_argument, NULL, O_EGRESS },
		{ "proxy", required_argument, NULL, O_PROXY },
		{ "targets", required_argument, NULL, O_TARGETS },
		{ "stderr-dir", required_argument, NULL, O_ERRDIR },
		{ "helpers", required_argument, NULL, O_HELPERS },
		{ "size-mib", required_argument, NULL, O_SIZE },
		{ "sha-mib", required_argument, NULL, O_SHA },
		{ "rounds", required_argument, NULL, O_ROUNDS },
		{ "starts", required_argument, NULL, O_STARTS },
		{ "pings", required_argument, NULL, O_PINGS },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "budget", required_argument, NULL, O_BUDGET },
		{ "pac-file", required_argument, NULL, O_PAC_FILE },
		{ "pac-url", required_argument, NULL, O_PAC_URL },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .helpers = "all",
			  .size = 256 * MIB,
			  .sha_size = 16 * MIB,
			  .rounds = 3,
			  .starts = 5,
			  .pings = 20,
			  .timeout_s = 60,
			  .budget_s = 0 };
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case O_EGRESS:
			o.egress = optarg;
			break;
		case O_PROXY:
			o.proxy = (uint16_t)parse_u64(optarg, 1, 65535, "--proxy");
			break;
		case O_TARGETS:
			o.targets = optarg;
			break;
		case O_ERRDIR:
			o.errdir = optarg;
			break;
		case O_PAC_FILE:
			o.pac_file = optarg;
			break;
		case O_PAC_URL:
			o.pac_url = optarg;
			break;
		case O_HELPERS:
			o.helpers = optarg;
			break;
		case O_SIZE:
			o.size = parse_u64(optarg, 1, 64 * 1024, "--size-mib") * MIB;
			break;
		case O_SHA:
			o.sha_size = parse_u64(optarg, 1, 4096, "--sha-mib") * MIB;
			break;
		case O_ROUNDS:
			o.rounds = (unsigned)parse_u64(optarg, 1, MAX_ROUNDS, "--rounds");
			break;
		case O_STARTS:
			o.starts = (unsigned)parse_u64(optarg, 1, 100, "--starts");
			break;
		case O_PINGS:
			o.pings = (unsigned)parse_u64(optarg, 1, 1000, "--pings");
			break;
		case O_TIMEOUT:
			o.timeout_s = (unsigned)parse_u64(optarg, 1, 3600, "--timeout");
			break;
		case O_BUDGET:
			o.budget_s = (unsigned)parse_u64(optarg, 0, 86400, "--budget");
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !o.egress || !o.proxy || !o.targets || !o.errdir)
		usage();
	return o;
}

/* Reads the ports from the line the targets program printed. */
static void parse_targets(const char *line, struct bench_env *e)
{
	unsigned s, k, b, p;
	if (sscanf(line, "source=%u sink=%u banner=%u pingpong=%u", &s, &k, &b, &p) != 4 || !s ||
	    !k || !b || !p || s > 65535 || k > 65535 || b > 65535 || p > 65535)
		die("--targets: expected 'source=P sink=P banner=P pingpong=P', got '%s'", line);
	e->source = (uint16_t)s;
	e->sink = (uint16_t)k;
	e->banner = (uint16_t)b;
	e->pingpong = (uint16_t)p;
}

/* Marks the runners named in list (comma-separated, or "all") as selected; the limit
 * always is, since every ratio needs it. */
static void select_runners(struct runner *list, int n, const char *names)
{
	if (strcmp(names, "all") == 0)
		return;
	for (int i = 1; i < n; i++)
		list[i].selected = false;
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", names);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int i = 1;
		while (i < n && strcmp(list[i].name, t) != 0)
			i++;
		if (i == n)
			die("--helpers: no helper named '%s'", t);
		list[i].selected = true;
	}
}

static bool runnable(const struct runner *r)
{
	return r->selected && (r->is_limit || r->path[0]);
}

/* The SHA-256 pass: one hashed transfer each way. */
static void sha_pass(struct row *w, const struct bench_env *e, uint64_t size)
{
	for (int dir = 0; dir < 2; dir++) {
		struct sample s;
		if (dir == 0)
			measure_down(w->r, e, size, true, &s);
		else
			measure_up(w->r, e, size, true, &s);
		row_observe(w, &s);
		if (s.ok)
			w->sha_passed++;
		else if (!w->sha_why[0])
			snprintf(w->sha_why, sizeof(w->sha_why), "%s: %.180s",
				 dir ? "upload" : "download", s.why);
	}
}

/* The starts of one turn: records the median time to the banner's first byte and the
 * median CPU a helper spends on a session that moves no data; returns the latter in
 * seconds, or -1 when no start worked (or for the limit). */
static double starts(struct row *w, const struct bench_env *e, const struct opts *o, unsigned round)
{
	double ms[100], cpu[100];
	unsigned n = 0;
	struct sample s, first_bad = { .ok = true };
	for (unsigned i = 0; i < o->starts; i++) {
		measure_first_byte(w->r, e, &s);
		row_observe(w, &s);
		if (s.ok) {
			ms[n] = s.value;
			cpu[n++] = s.cpu_s;
		} else if (first_bad.ok) {
			first_bad = s;
		}
	}
	/* One failed start spoils the round's value: a helper that sometimes does not
	 * start must show it. */
	struct sample sum = first_bad;
	if (sum.ok)
		sum.value = median(ms, n);
	row_record(w, M_FIRST, round, &sum, sum.value);
	if (w->r->is_limit || !n)
		return -1;
	sum.value = median(cpu, n) * 1e3;
	row_record(w, M_CPU_START, round, &sum, sum.value);
	return sum.value / 1e3;
}

/* One runner's turn in a round; prints a progress line on stderr. */
static void turn(struct row *w, const struct bench_env *e, const struct opts *o, unsigned round)
{
	struct sample s;
	double gib = (double)o->size / (double)GIB;
	const enum metric rate[2] = { M_DOWN, M_UP }, cpu[2] = { M_CPU_DOWN, M_CPU_UP },
			  machine[2] = { M_MACHINE_DOWN, M_MACHINE_UP };
	const enum metric uss[2] = { M_USS_DOWN, M_USS_UP },
			  dirty[2] = { M_DIRTY_DOWN, M_DIRTY_UP };
	char line[256];
	int len = snprintf(line, sizeof(line), "round %u, %s:", round + 1, w->r->name);

	double start_cpu = starts(w, e, o, round);
	if (w->r->starts_only) {
		fprintf(stderr, "%s starts only\n", line);
		return;
	}
	for (int dir = 0; dir < 2; dir++) {
		if (dir == 0)
			measure_down(w->r, e, o->size, false, &s);
		else
			measure_up(w->r, e, o->size, false, &s);
		row_observe(w, &s);
		row_record(w, rate[dir], round, &s, s.value);
		len += snprintf(line + len, sizeof(line) - (size_t)len,
				s.ok ? " %s %.0f MiB/s" : " %s fail", dir ? "up" : "down", s.value);
		struct sample m = s;
		if (s.ok && s.machine_s < 0) {
			m.ok = false;
			snprintf(m.why, sizeof(m.why), "could not read /proc/stat");
		}
		row_record(w, machine[dir], round, &m, s.machine_s / gib);
		if (w->r->is_limit || !s.ok)
			continue;
		/* CPU per GiB moved: the session's CPU less what a session that moves
		 * nothing costs (start-up, CONNECT, exit), measured in this same turn. */
		struct sample c = s;
		if (start_cpu < 0) {
			c.ok = false;
			snprintf(c.why, sizeof(c.why),
				 "no start-up CPU to subtract: every start failed");
		}
		double net = s.cpu_s - start_cpu;
		row_record(w, cpu[dir], round, &c, (net > 0 ? net : 0) / gib);
		struct sample u = s;
		if (s.uss_kib < 0) {
			u.ok = false;
			snprintf(u.why, sizeof(u.why), "could not read /proc/PID/smaps_rollup");
		}
		row_record(w, uss[dir], round, &u, (double)s.uss_kib);
		row_record(w, dirty[dir], round, &u, (double)s.dirty_kib);
	}

	/* Idle memory once per helper: the wait costs IDLE_SETTLE_MS a turn. */
	measure_rtt(w->r, e, o->pings, round == 0, &s);
	row_observe(w, &s);
	row_record(w, M_RTT, round, &s, s.value);
	if (round == 0 && s.ok && s.uss_kib >= 0)
		row_record(w, M_USS_IDLE, round, &s, (double)s.uss_kib);
	if (len < (int)sizeof(line))
		snprintf(line + len, sizeof(line) - (size_t)len, ", RTT %s", s.ok ? "ok" : "fail");
	fprintf(stderr, "%s\n", line);
}

/* Puts back the values from before a round that could not finish. What the round
 * showed about integrity and odd exits stays: that must never be hidden. */
static void drop_round(struct row *rows, const struct row *saved, int n)
{
	for (int i = 0; i < n; i++)
		memcpy(rows[i].m, saved[i].m, sizeof(rows[i].m));
}

/* True when the limit or egress failed anything: the run itself is then broken. */
static bool run_broken(const struct row *rows, int n)
{
	for (int i = 0; i < n; i++) {
		const struct runner *r = rows[i].r;
		if (!r->selected || (!r->is_limit && strcmp(r->name, "egress") != 0))
			continue;
		if (!runnable(r) || rows[i].corrupt || rows[i].sha_passed != 2)
			return true;
		for (int m = 0; m < M_COUNT; m++)
			if (rows[i].m[m].failed)
				return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	util_progname("driver");
	struct opts o = parse_opts(argc, argv);
	/* A helper that dies must come back as EPIPE on its stdin, not kill the driver. */
	signal(SIGPIPE, SIG_IGN);
	proc_clean_env();
	proc_cleanup_on_signals();
	stream_init();

	struct bench_env e = { .proxy = o.proxy,
			       .errdir = o.errdir,
			       .timeout_ns = (int64_t)o.timeout_s * 1000000000 };
	parse_targets(o.targets, &e);
	static struct runner list[RUNNER_MAX];
	peers_set_pac(o.pac_file, o.pac_url);
	int n = peers_load(list, o.egress);
	select_runners(list, n, o.helpers);
	for (int i = 0; i < n; i++)
		if (list[i].selected && !list[i].is_limit && !list[i].path[0] &&
		    strcmp(list[i].name, "egress") == 0)
			die("no executable egress at %s", o.egress);

	static struct row rows[RUNNER_MAX];
	for (int i = 0; i < n; i++)
		rows[i].r = &list[i];
	int active[RUNNER_MAX], nactive = 0;
	for (int i = 0; i < n; i++)
		if (runnable(&list[i]))
			active[nactive++] = i;

	int64_t start = now_ns();
	fprintf(stderr, "sha256 pass (%" PRIu64 " MiB each way)...\n", o.sha_size / MIB);
	for (int i = 0; i < nactive; i++)
		if (!rows[active[i]].r->starts_only)
			sha_pass(&rows[active[i]], &e, o.sha_size);

	struct run_info info = { .size = o.size,
				 .sha_size = o.sha_size,
				 .rounds_planned = o.rounds,
				 .spawns = o.starts,
				 .pings = o.pings };
	/* The budget is checked before every turn; a round it cuts short is dropped
	 * whole, since its ratios would lack some runners or the limit. */
	static struct row saved[RUNNER_MAX];
	int64_t budget_end = start + (int64_t)o.budget_s * 1000000000;
	for (unsigned round = 0; round < o.rounds && !info.stopped[0]; round++) {
		memcpy(saved, rows, sizeof(rows));
		for (int k = 0; k < nactive; k++) {
			if (o.budget_s && now_ns() > budget_end) {
				snprintf(info.stopped, sizeof(info.stopped),
					 "the time budget of %u s ran out", o.budget_s);
				drop_round(rows, saved, n);
				break;
			}
			turn(&rows[active[(k + (int)round) % nactive]], &e, &o, round);
		}
		if (!info.stopped[0])
			info.rounds_done = round + 1;
	}

	report_print(stdout, rows, n, &info);
	return run_broken(rows, n) ? 1 : 0;
}
