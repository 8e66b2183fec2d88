/* A config file's text cut into lines: every error names a line and is one line. */
#include "conffile.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conffile f = { 0 };
	char *buf = malloc(size + 1), err[512] = "";

	if (!buf)
		abort();
	memcpy(buf, data, size);
	if (conffile_parse(&f, buf, size, err, sizeof(err))) {
		for (size_t i = 0; i < f.nlines; i++)
			if (!f.lines[i].key || !f.lines[i].key[0])
				abort();
	} else {
		fuzz_check_line(err);
	}
	conffile_free(&f);
	return 0;
}
