/* Unit tests for memtrim: it drops only pages that are a file's, whatever the paths in
 * /proc/self/smaps look like. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memtrim.h"
#include "tap.h"

#define PAGE 4096

static char dir[] = "/tmp/egress-test-memtrim-XXXXXX";

/* The length of the line of /proc/self/maps for the mapping at addr, up to its path;
 * 0 if there is none. smaps starts each mapping with the same line. */
static size_t prefix_len(const void *addr, const char *path)
{
	char line[8192], want[32];
	size_t len = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	tap_fmt(want, sizeof(want), "%lx-", (unsigned long)addr);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)) && strstr(line, path))
			len = (size_t)(strstr(line, path) - line);
	if (f)
		(void)fclose(f);
	return len;
}

/* Moves the file at from to a path whose bytes from offset at of its smaps line on
 * read as a line of their own, "LO-HI r--p 0 0 0 /z", naming the page at anon. */
static bool rename_to_fake_line(const char *from, size_t at, const void *anon, char *to,
				size_t tosz)
{
	char fake[96];
	tap_fmt(fake, sizeof(fake), "%lx-%lx r--p 0 0 0 ", (unsigned long)anon,
		(unsigned long)anon + PAGE);
	size_t n = strlen(dir), fl = strlen(fake);
	if (at < n + 2 || at + fl + 3 > tosz)
		return false;
	/* dir, then directories of 'a's up to at, the last one ending in fake, then "/z". */
	memcpy(to, dir, n);
	while (n < at) {
		to[n++] = '/';
		size_t run = at - n < 200 ? at - n : 200;
		memset(to + n, 'a', run);
		n += run;
		if (n < at) {
			to[n] = '\0';
			if (mkdir(to, 0700) < 0)
				return false;
		}
	}
	memcpy(to + n, fake, fl);
	n += fl;
	to[n] = '\0';
	if (mkdir(to, 0700) < 0)
		return false;
	memcpy(to + n, "/z", 3);
	return rename(from, to) == 0;
}

/* The file at file, mapped at map, moved to a path whose second piece in smaps reads
 * as a mapping of the page at anon; then memtrim. */
static void trim_past(unsigned char *anon, const char *map, const char *file)
{
	char to[1024];
	CHECK(map[0] == 'd'); /* in memory now: Private_Clean */
	size_t at = prefix_len(map, file);
	CHECK(at > 0);
	/* fgets in memtrim reads 511 bytes of a line at a time. */
	CHECK(at > 0 && rename_to_fake_line(file, 511 - at, anon, to, sizeof(to)));
	CHECK(prefix_len(map, to) == at);
	memtrim();
	bool kept = true;
	for (size_t i = 0; i < PAGE; i++)
		kept = kept && anon[i] == 0xAB;
	CHECK(kept);
	CHECK(map[0] == 'd');
}

/* A file mapped at a path long enough to come in two pieces, the second shaped like a
 * mapping of an anonymous page: that page was dropped, and read back as zeros. */
static void test_long_path(void)
{
	char file[64], data[PAGE];
	const int rw = PROT_READ | PROT_WRITE, anonymous = MAP_PRIVATE | MAP_ANONYMOUS;
	/* cppcheck-suppress invalidFunctionArg ; MAP_ANONYMOUS takes fd -1 */
	unsigned char *anon = mmap(NULL, PAGE, rw, anonymous, -1, 0);
	REQUIRE(anon != MAP_FAILED);
	memset(anon, 0xAB, PAGE);
	memset(data, 'd', sizeof(data));
	tap_fmt(file, sizeof(file), "%s/f", dir);
	int fd = open(file, O_RDWR | O_CREAT | O_EXCL, 0600);
	/* Written out, so that its page is clean: memtrim drops only clean ones. */
	bool written =
		fd >= 0 && write(fd, data, sizeof(data)) == (ssize_t)sizeof(data) && fsync(fd) == 0;
	char *map = written ? mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	CHECK(written && map != MAP_FAILED);
	if (map != MAP_FAILED) {
		trim_past(anon, map, file);
		(void)munmap(map, PAGE);
	}
	if (fd >= 0)
		(void)close(fd);
	(void)munmap(anon, PAGE);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_long_path();
	char cmd[64];
	tap_fmt(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	/* NOLINTNEXTLINE(cert-env33-c): a fixed command on the directory mkdtemp made */
	if (system(cmd) != 0)
		CHECK(!"removing the test's directory");
	return tap_done();
}
