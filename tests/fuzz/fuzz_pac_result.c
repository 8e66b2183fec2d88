/* What a PAC returns ("PROXY a:3128; SOCKS5 b; DIRECT") into the ways of a route. */
#include "fuzz.h"
#include "route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route r = { 0 };
	struct route_refusal why = { 0 };

	r.pac = "fuzz.pac";
	/* route_from_pac takes the answer (malloc'd) and route_free frees it. */
	if (!route_from_pac(&r, fuzz_str(data, size), &why))
		fuzz_check_line(why.line);
	else if (r.n == 0)
		abort();
	route_free(&r);
	return 0;
}
