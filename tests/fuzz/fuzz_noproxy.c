/* no_proxy lists against a host: the input is "LIST\nHOST". */
#include "fuzz.h"
#include "proxy_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), *host = strchr(s, '\n');
	const char *entry = NULL;
	size_t len = 0;

	if (host)
		*host++ = '\0';
	bool m = noproxy_match_entry(s, host ? host : "example.com", &entry, &len);
	if (m != noproxy_match(s, host ? host : "example.com"))
		abort();
	if (m && entry && (entry < s || entry + len > s + strlen(s)))
		abort();
	free(s);
	return 0;
}
