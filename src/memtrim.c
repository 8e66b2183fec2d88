/* With libcurl linked statically, what set the tunnel up (libcurl, OpenSSL, GnuTLS
 * code and tables) stays resident for the life of the tunnel as private memory of
 * egress: several MiB, for hours under an ssh session. Once the tunnel is up none of
 * it is needed, so those pages are dropped from this process.
 *
 * Safe by construction: only mappings of a file that are not writable and hold no
 * anonymous (copied-on-write) page are dropped. Their pages are then exactly the
 * file's, so MADV_DONTNEED loses nothing: a later access faults the page back in
 * from the page cache. Relocated data (RELRO) has anonymous pages and is kept. */
#include "memtrim.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* One mapping of /proc/self/smaps, as far as the decision needs it. */
struct vma {
	unsigned long lo, hi;
	bool candidate;	    /* file-backed and not writable */
	long private_clean; /* kB only this process maps */
	long anonymous;	    /* kB copied on write */
};

static void drop(const struct vma *v)
{
	if (v->candidate && v->private_clean > 0 && v->anonymous == 0)
		madvise((void *)v->lo, v->hi - v->lo, MADV_DONTNEED);
}

void memtrim(void)
{
	char line[512];
	struct vma v = { 0 };
	FILE *smaps;

	malloc_trim(0);
	smaps = fopen("/proc/self/smaps", "re");
	if (!smaps)
		return;
	/* One read for the whole file rather than one a KiB; without it, only slower. */
	(void)setvbuf(smaps, NULL, _IOFBF, (size_t)64 * 1024);
	/* The numbers are the kernel's, in the fields it always writes them in: sscanf
	 * is enough here. NOLINTBEGIN(cert-err34-c) */
	for (bool whole = true; fgets(line, sizeof(line), smaps);) {
		unsigned long lo, hi;
		char perms[5];
		int path = 0;
		long kb;
		/* A line longer than line (a long path) comes in pieces; the pieces after
		 * the first are path, however much they look like a mapping. */
		bool piece = !whole;
		whole = strchr(line, '\n') != NULL;
		if (piece)
			continue;

		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &lo, &hi, perms, &path) == 3) {
			drop(&v);
			v = (struct vma){ .lo = lo, .hi = hi };
			v.candidate = perms[1] != 'w' && path > 0 && line[path] == '/';
		} else if (sscanf(line, "Private_Clean: %ld kB", &kb) == 1) {
			v.private_clean = kb;
		} else if (sscanf(line, "Anonymous: %ld kB", &kb) == 1) {
			v.anonymous = kb;
		}
	}
	/* NOLINTEND(cert-err34-c) */
	drop(&v);
	(void)fclose(smaps); /* read only: nothing to lose */
}
