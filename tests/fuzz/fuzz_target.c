/* The target on the command line: HOST:PORT, [V6]:PORT, and HOST PORT (the input
 * split at its first space). A parsed target formats back to what parses the same. */
#include "endpoint.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), err[512] = "", again[ENDPOINT_STR_MAX];
	char *argv[2] = { s, NULL };
	struct endpoint e, e2;
	int argc = 1;
	char *space = strchr(s, ' ');

	if (space) {
		*space = '\0';
		argv[1] = space + 1;
		argc = 2;
	}
	if (parse_target(argc, argv, &e, err, sizeof(err))) {
		char *one[1] = { (char *)endpoint_str(&e, again, sizeof(again)) };
		if (!parse_target(1, one, &e2, err, sizeof(err)) || strcmp(e.host, e2.host) != 0 ||
		    e.port != e2.port || e.ipv6 != e2.ipv6)
			abort();
	} else {
		fuzz_check_line(err);
	}
	free(s);
	return 0;
}
