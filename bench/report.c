/* The report: one markdown table of medians (min–max over rounds), the footnotes that
 * explain every "fail" and "n/a", egress against its targets, and the machine.
 *
 * Ratios are paired per round: a helper's value in round r divided by the limit's in
 * the same round, because the machine's speed drifts between rounds more than
 * helpers differ within one. A number appears only where a sample really produced it.
 */
#include "report.h"
#include "measure.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "stats.h"

#define MAX_NOTES 64
#define CELL	  96

static char notes[MAX_NOTES][320];
static int nnotes;

/* Returns the number of the footnote with this text, adding it if new. */
__attribute__((format(printf, 1, 2))) static int footnote(const char *fmt, ...)
{
	char text[320];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (int i = 0; i < nnotes; i++)
		if (strcmp(notes[i], text) == 0)
			return i + 1;
	if (nnotes == MAX_NOTES)
		return MAX_NOTES;
	snprintf(notes[nnotes], sizeof(notes[nnotes]), "%s", text);
	return ++nnotes;
}

void row_record(struct row *w, enum metric m, unsigned round, const struct sample *s, double value)
{
	struct cell *c = &w->m[m];
	if (round >= MAX_ROUNDS)
		return;
	c->tried++;
	if (s->ok) {
		c->v[round] = value;
		c->ok[round] = true;
	} else if (c->failed++ == 0) {
		snprintf(c->why, sizeof(c->why), "%s", s->why);
	}
}

void row_observe(struct row *w, const struct sample *s)
{
	if (s->corrupt && !w->corrupt) {
		w->corrupt = true;
		snprintf(w->corrupt_why, sizeof(w->corrupt_why), "%s", s->why);
	}
	if (s->note[0] && w->noted++ == 0)
		snprintf(w->note, sizeof(w->note), "%s", s->note);
}

static void fmt_summary(char *out, struct summary s, int decimals, const char *unit)
{
	if (s.n == 1 || s.min == s.max)
		snprintf(out, CELL, "%.*f%s", decimals, s.median, unit);
	else
		snprintf(out, CELL, "%.*f%s (%.*f–%.*f)", decimals, s.median, unit, decimals, s.min,
			 decimals, s.max);
}

/* Appends "[n]" for the samples of c that failed, if some worked. */
static void mark_partial(char *out, const struct row *w, const struct cell *c, const char *what)
{
	if (!c->failed)
		return;
	size_t len = strlen(out);
	snprintf(out + len, CELL - len, " [%d]",
		 footnote("%s, %s: %u of %u samples failed: %s", w->r->name, what, c->failed,
			  c->tried, c->why));
}

/* A cell with nothing to show: why, as a footnote. */
static void fmt_missing(char *out, const struct row *w, const struct cell *c, const char *what)
{
	if (c->tried == 0)
		snprintf(out, CELL, "n/a");
	else
		snprintf(out, CELL, "fail [%d]",
			 footnote("%s, %s: every sample failed: %s", w->r->name, what, c->why));
}

/* The absolute values of metric m for row w, over the rounds run. */
static void value_cell(char *out, const struct row *w, enum metric m, unsigned rounds, int decimals,
		       const char *unit, const char *what)
{
	double v[MAX_ROUNDS];
	size_t n = 0;
	for (unsigned r = 0; r < rounds; r++)
		if (w->m[m].ok[r])
			v[n++] = w->m[m].v[r];
	if (!n) {
		fmt_missing(out, w, &w->m[m], what);
		return;
	}
	fmt_summary(out, summarize(v, n), decimals, unit);
	mark_partial(out, w, &w->m[m], what);
}

/* Median over rounds of w's value divided by the limit's value of the same round. */
static struct summary ratios(const struct row *w, const struct row *lim, enum metric m,
			     unsigned rounds)
{
	double v[MAX_ROUNDS];
	size_t n = 0;
	for (unsigned r = 0; r < rounds; r++)
		if (w->m[m].ok[r] && lim->m[m].ok[r] && lim->m[m].v[r] > 0)
			v[n++] = w->m[m].v[r] / lim->m[m].v[r];
	return summarize(v, n);
}

static void ratio_cell(char *out, const struct row *w, const struct row *lim, enum metric m,
		       unsigned rounds, const char *what)
{
	struct summary s = ratios(w, lim, m, rounds);
	if (s.n) {
		fmt_summary(out, s, 2, "");
		mark_partial(out, w, &w->m[m], what);
	} else if (w->m[m].tried && w->m[m].failed == w->m[m].tried) {
		fmt_missing(out, w, &w->m[m], what);
	} else if (lim->m[m].failed) {
		snprintf(out, CELL, "n/a [%d]",
			 footnote("limit, %s: failed, so no ratio: %s", what, lim->m[m].why));
	} else {
		snprintf(out, CELL, "n/a");
	}
}

/* A memory metric after the download (down) and after the upload (down + 1),
 * together. */
static struct summary memory(const struct row *w, enum metric down, unsigned rounds)
{
	double v[2 * MAX_ROUNDS];
	size_t n = 0;
	for (unsigned r = 0; r < rounds; r++)
		for (enum metric m = down; m <= down + 1; m++)
			if (w->m[m].ok[r])
				v[n++] = w->m[m].v[r];
	return summarize(v, n);
}

static void memory_cell(char *out, const struct row *w, enum metric down, unsigned rounds,
			const char *what)
{
	struct summary s = memory(w, down, rounds);
	const struct cell *c = w->m[down].failed ? &w->m[down] : &w->m[down + 1];
	if (s.n) {
		fmt_summary(out, s, 0, "");
		mark_partial(out, w, c, what);
	} else {
		fmt_missing(out, w, c, what);
	}
}

/* The table's columns after the helper's name, in order. */
enum column {
	C_DOWN,
	C_UP,
	C_CPU_DOWN,
	C_CPU_UP,
	C_MACHINE_DOWN,
	C_MACHINE_UP,
	C_CPU_START,
	C_FIRST_MS,
	C_FIRST_X,
	C_RTT_MS,
	C_RTT_X,
	C_USS,
	C_DIRTY,
	C_USS_IDLE,
	C_SHA,
	C_COUNT
};

static const char *const column_title[C_COUNT] = {
	"down ×limit",
	"up ×limit",
	"CPU s/GiB down",
	"CPU s/GiB up",
	"machine CPU s/GiB down",
	"machine CPU s/GiB up",
	"start CPU ms",
	"first byte ms",
	"first byte ×limit",
	"two-part RTT ms",
	"RTT ×limit",
	"USS KiB",
	"dirty KiB",
	"idle USS KiB",
	"sha256",
};

static void print_row(FILE *out, struct row *w, const struct row *lim, const struct run_info *info)
{
	unsigned rounds = info->rounds_done;
	char name[CELL], c[C_COUNT][CELL];
	snprintf(name, sizeof(name), "%s", w->r->name);
	if (!w->r->is_limit && !w->r->path[0]) {
		size_t len = strlen(name);
		snprintf(name + len, sizeof(name) - len, " [%d]",
			 footnote("%s: not installed (Debian package %s)", w->r->name,
				  w->r->package));
		fprintf(out, "| %s |", name);
		for (int i = 0; i < C_COUNT; i++)
			fprintf(out, " n/a |");
		fputc('\n', out);
		return;
	}
	if (w->noted) {
		size_t len = strlen(name);
		snprintf(name + len, sizeof(name) - len, " [%d]",
			 footnote("%s: %u session(s) ended oddly, the first: %s", w->r->name,
				  w->noted, w->note));
	}
	if (w->r->is_limit) {
		/* The limit's row holds the absolute numbers the ratios divide by. */
		value_cell(c[C_DOWN], w, M_DOWN, rounds, 0, " MiB/s", "download");
		value_cell(c[C_UP], w, M_UP, rounds, 0, " MiB/s", "upload");
		snprintf(c[C_CPU_DOWN], CELL, "—");
		snprintf(c[C_CPU_UP], CELL, "—");
		snprintf(c[C_CPU_START], CELL, "—");
		snprintf(c[C_FIRST_X], CELL, "1");
		snprintf(c[C_RTT_X], CELL, "1");
		snprintf(c[C_USS], CELL, "—");
		snprintf(c[C_DIRTY], CELL, "—");
		snprintf(c[C_USS_IDLE], CELL, "—");
	} else {
		ratio_cell(c[C_DOWN], w, lim, M_DOWN, rounds, "download");
		ratio_cell(c[C_UP], w, lim, M_UP, rounds, "upload");
		value_cell(c[C_CPU_DOWN], w, M_CPU_DOWN, rounds, 2, "", "CPU during download");
		value_cell(c[C_CPU_UP], w, M_CPU_UP, rounds, 2, "", "CPU during upload");
		value_cell(c[C_CPU_START], w, M_CPU_START, rounds, 1, "", "start-up CPU");
		ratio_cell(c[C_FIRST_X], w, lim, M_FIRST, rounds, "first byte");
		ratio_cell(c[C_RTT_X], w, lim, M_RTT, rounds, "two-part RTT");
		memory_cell(c[C_USS], w, M_USS_DOWN, rounds, "USS");
		memory_cell(c[C_DIRTY], w, M_DIRTY_DOWN, rounds, "private dirty");
		value_cell(c[C_USS_IDLE], w, M_USS_IDLE, rounds, 0, "", "idle USS");
	}
	value_cell(c[C_MACHINE_DOWN], w, M_MACHINE_DOWN, rounds, 2, "", "machine CPU, download");
	value_cell(c[C_MACHINE_UP], w, M_MACHINE_UP, rounds, 2, "", "machine CPU, upload");
	value_cell(c[C_FIRST_MS], w, M_FIRST, rounds, 2, "", "first byte");
	value_cell(c[C_RTT_MS], w, M_RTT, rounds, 2, "", "two-part RTT");
	if (w->corrupt)
		snprintf(c[C_SHA], CELL, "FAIL [%d]",
			 footnote("%s: INTEGRITY: %s", w->r->name, w->corrupt_why));
	else if (w->sha_passed == 2)
		snprintf(c[C_SHA], CELL, "ok");
	else if (w->sha_why[0])
		snprintf(c[C_SHA], CELL, "fail [%d]",
			 footnote("%s, sha256 transfer: %s", w->r->name, w->sha_why));
	else
		snprintf(c[C_SHA], CELL, "n/a");
	fprintf(out, "| %s |", name);
	for (int i = 0; i < C_COUNT; i++)
		fprintf(out, " %s |", c[i]);
	fputc('\n', out);
}

/* One line of the targets table: the median of egress's values against a bound. */
static void target_line(FILE *out, const char *what, struct summary s, int decimals, bool at_least,
			double bound, const char *unit)
{
	if (!s.n) {
		fprintf(out, "| %s | n/a | %s %g%s | no data |\n", what, at_least ? "≥" : "≤",
			bound, unit);
		return;
	}
	/* Judged on the value as printed, so the verdict never contradicts the number. */
	double scale = pow(10, decimals), v = round(s.median * scale) / scale;
	bool met = at_least ? v >= bound : v <= bound;
	fprintf(out, "| %s | %.*f%s | %s %g%s | %s |\n", what, decimals, s.median, unit,
		at_least ? "≥" : "≤", bound, unit, met ? "met" : "**missed**");
}

static void print_targets(FILE *out, struct row *rows, int nrows, unsigned rounds)
{
	const struct row *lim = &rows[0], *eg = NULL;
	for (int i = 0; i < nrows; i++)
		if (strcmp(rows[i].r->name, "egress") == 0 && rows[i].r->path[0])
			eg = &rows[i];
	if (!eg)
		return;
	double v[MAX_ROUNDS];
	fprintf(out, "\negress against its targets (medians):\n\n");
	fprintf(out, "| metric | egress | target | |\n|---|---|---|---|\n");
	target_line(out, "download ×limit", ratios(eg, lim, M_DOWN, rounds), 2, true, 0.85, "");
	target_line(out, "upload ×limit", ratios(eg, lim, M_UP, rounds), 2, true, 0.90, "");
	for (enum metric m = M_CPU_DOWN; m <= M_CPU_UP; m++) {
		size_t n = 0;
		for (unsigned r = 0; r < rounds; r++)
			if (eg->m[m].ok[r])
				v[n++] = eg->m[m].v[r];
		target_line(out, m == M_CPU_DOWN ? "CPU s/GiB down" : "CPU s/GiB up",
			    summarize(v, n), 2, false, 0.15, "");
	}
	target_line(out, "first byte ×limit", ratios(eg, lim, M_FIRST, rounds), 2, false, 2.0, "");
	target_line(out, "two-part RTT ×limit", ratios(eg, lim, M_RTT, rounds), 2, false, 1.10, "");
	target_line(out, "USS after a transfer", memory(eg, M_USS_DOWN, rounds), 0, false, 1024,
		    " KiB");
	size_t n = 0;
	for (unsigned r = 0; r < rounds; r++)
		if (eg->m[M_USS_IDLE].ok[r])
			v[n++] = eg->m[M_USS_IDLE].v[r];
	target_line(out, "USS idle in a tunnel", summarize(v, n), 0, false, 1024, " KiB");
	/* What a PAC adds to the first byte: each PAC row less egress's -x, same round. */
	for (int i = 0; i < nrows; i++) {
		const struct row *w = &rows[i];
		if (!w->r->starts_only || !w->r->selected || !w->r->path[0])
			continue;
		n = 0;
		for (unsigned r = 0; r < rounds; r++)
			if (w->m[M_FIRST].ok[r] && eg->m[M_FIRST].ok[r])
				v[n++] = w->m[M_FIRST].v[r] - eg->m[M_FIRST].v[r];
		char what[64];
		snprintf(what, sizeof(what), "%s: first byte + ms", w->r->name);
		target_line(out, what, summarize(v, n), 2, false, 5, " ms");
	}
}

/* Rounds in which egress moved metric m faster than w, of those both finished. */
static void rounds_ahead(const struct row *eg, const struct row *w, enum metric m, unsigned rounds,
			 unsigned *ahead, unsigned *paired)
{
	*ahead = *paired = 0;
	for (unsigned r = 0; r < rounds; r++) {
		if (!eg->m[m].ok[r] || !w->m[m].ok[r])
			continue;
		(*paired)++;
		*ahead += eg->m[m].v[r] > w->m[m].v[r];
	}
}

/* Head to head, round by round: a median ahead of a peer's inside the spread of the
 * rounds is no win, so count the rounds egress was ahead in. */
static void print_head_to_head(FILE *out, struct row *rows, int nrows, unsigned rounds)
{
	const struct row *eg = NULL;
	bool any = false;
	for (int i = 0; i < nrows; i++)
		if (strcmp(rows[i].r->name, "egress") == 0 && rows[i].r->path[0])
			eg = &rows[i];
	if (!eg)
		return;
	for (int i = 0; i < nrows; i++) {
		const struct row *w = &rows[i];
		unsigned da, dn, ua, un;
		if (w == eg || w->r->is_limit || w->r->starts_only || !w->r->selected ||
		    !w->r->path[0])
			continue;
		rounds_ahead(eg, w, M_DOWN, rounds, &da, &dn);
		rounds_ahead(eg, w, M_UP, rounds, &ua, &un);
		if (!any)
			fprintf(out,
				"\negress ahead of each peer, in rounds (paired, same round):\n\n"
				"| peer | download | upload |\n|---|---|---|\n");
		any = true;
		fprintf(out, "| %s | %u of %u | %u of %u |\n", w->r->name, da, dn, ua, un);
	}
}

static void print_machine(FILE *out)
{
	struct utsname u;
	char model[256] = "unknown CPU", line[512];
	FILE *f = fopen("/proc/cpuinfo", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (strncmp(line, "model name", 10) == 0 && colon) {
			snprintf(model, sizeof(model), "%s", colon + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "?");
	fprintf(out, "\nmachine: nproc %ld, Linux %s, %s\n", sysconf(_SC_NPROCESSORS_ONLN),
		u.release, model);
}

void report_print(FILE *out, struct row *rows, int nrows, const struct run_info *info)
{
	fprintf(out, "| helper |");
	for (int i = 0; i < C_COUNT; i++)
		fprintf(out, " %s |", column_title[i]);
	fprintf(out, "\n|---|");
	for (int i = 0; i < C_COUNT; i++)
		fprintf(out, "---|");
	fputc('\n', out);
	for (int i = 0; i < nrows; i++)
		if (rows[i].r->selected)
			print_row(out, &rows[i], &rows[0], info);
	if (nnotes)
		fputc('\n', out);
	for (int i = 0; i < nnotes; i++)
		fprintf(out, "[%d] %s\n", i + 1, notes[i]);

	fprintf(out,
		"\nMedians over %u round(s), (min–max) where they differ; ratios are paired "
		"with the limit's value of the same round.\n",
		info->rounds_done);
	fprintf(out,
		"Each round: one %.0f MiB download and upload, %u starts and %u two-part pings "
		"per helper, in an order rotated every round.\n",
		(double)info->size / (1024 * 1024), info->spawns, info->pings);
	fprintf(out,
		"CPU s/GiB: the helper's user+system time (wait4) for the transfer's session, "
		"less its start CPU ms (the median of that round's banner sessions, which move no "
		"data).\n");
	fprintf(out,
		"machine CPU s/GiB: what the whole machine spent busy during the transfer "
		"(/proc/stat: every CPU and process, the driver, proxy and target too, and the "
		"kernel's work between them), per GiB; the limit's row is the cost without a "
		"helper, so the difference is all a helper costs, its pipes included. When it "
		"times the rate comes near the CPUs there are, the machine, not the helper, is "
		"the bound. Counted in clock ticks (10 ms): a smoke run is too short for it.\n");
	fprintf(out,
		"USS: Private_Clean+Private_Dirty of smaps_rollup, read while the helper sits "
		"in its tunnel after each transfer; a library page counts as private when no "
		"other process maps it, so USS depends on what else runs. dirty: "
		"Private_Dirty alone. idle USS: the same, read once (first round) after "
		"%d ms of quiet in the ping-pong tunnel: what a long, mostly idle session "
		"holds.\n",
		IDLE_SETTLE_MS);
	fprintf(out,
		"sha256: a %.0f MiB transfer each way hashed at both ends before the rounds; "
		"every byte of every timed transfer is also compared with the stream sent.\n",
		(double)info->sha_size / (1024 * 1024));
	if (info->stopped[0])
		fprintf(out, "Stopped after %u of %u rounds: %s.\n", info->rounds_done,
			info->rounds_planned, info->stopped);
	print_targets(out, rows, nrows, info->rounds_done);
	print_head_to_head(out, rows, nrows, info->rounds_done);
	print_machine(out);
}
