/* Unit tests for err.c as the one source of what each exit status means: --help lists
 * its words, and the man page's EXIT STATUS (argv[1]) has its sentences. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "tap.h"

/* The man page's text for status n: the line after "|  n" in EXIT STATUS, without
 * scdoc's markup (*bold*, _underline_) and its leading ":  ". */
static bool man_row(const char *man, int n, char *out, size_t outsz)
{
	const char *s = strstr(man, "\n# EXIT STATUS\n");
	char head[32];
	size_t o = 0;

	if (!s)
		return false;
	tap_fmt(head, sizeof(head), "\n|  %d\n:  ", n);
	s = strstr(s, head);
	if (!s)
		return false;
	for (s += strlen(head); *s && *s != '\n' && o + 1 < outsz; s++)
		if (*s != '*' && *s != '_')
			out[o++] = *s;
	out[o] = '\0';
	return true;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	long n;
	if (!f)
		return NULL;
	/* ftell's -1 would have read into a buffer of none. */
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		n = -1;
	text = n < 0 ? NULL : calloc(1, (size_t)n + 1);
	if (text && fread(text, 1, (size_t)n, f) != (size_t)n) {
		free(text);
		text = NULL;
	}
	(void)fclose(f); /* read only */
	return text;
}

/* A sentence longer than its buffer is cut, and says so. */
static void test_cut(void)
{
	char err[16];

	CHECK(!err_printf(err, sizeof(err), "%s", "short") && !strcmp(err, "short"));
	CHECK(!err_printf(err, sizeof(err), "%s", "fifteen bytes..") &&
	      !strcmp(err, "fifteen bytes.."));
	CHECK(!err_printf(err, sizeof(err), "a sentence of %d bytes", 22) &&
	      !strcmp(err, "a sentence o..."));
}

int main(int argc, char **argv)
{
	char *help = NULL, *man = argc > 1 ? slurp(argv[1]) : NULL, row[1024], item[128];
	size_t len = 0;
	FILE *f = open_memstream(&help, &len);

	cli_print_help(f);
	CHECK(fclose(f) == 0); /* which also puts the text in help */
	CHECK(man != NULL);
	for (int e = 0; e < EGRESS_ERR_COUNT; e++) {
		tap_fmt(item, sizeof(item), "%d %s", e, err_words((enum egress_err)e));
		CHECK(strstr(help, item) != NULL);
		CHECK(man && man_row(man, e, row, sizeof(row)) &&
		      !strcmp(row, err_meaning((enum egress_err)e)));
	}
	CHECK(!man || !man_row(man, EGRESS_ERR_COUNT, row, sizeof(row)));
	test_cut();
	free(help);
	free(man);
	return tap_done();
}
