/* Header lines (-H) and durations (SECS): what they accept never holds CR or LF. */
#include "fuzz.h"
#include "values.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), err[512] = "";
	long ms;

	if (check_header(s, err, sizeof(err))) {
		if (strpbrk(s, "\r\n"))
			abort();
	} else {
		fuzz_check_line(err);
	}
	err[0] = '\0';
	if (parse_secs(s, &ms, err, sizeof(err))) {
		if (ms <= 0)
			abort();
	} else {
		fuzz_check_line(err);
	}
	free(s);
	return 0;
}
