/* A proxy URL list, as -x and the proxy variables give it. No error may show a
 * password: the input's text after "user:" up to "@" never appears in one. */
#include "fuzz.h"
#include "proxy_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), err[512] = "";
	struct proxy_list l;

	if (parse_proxy_list(s, &l, err, sizeof(err))) {
		for (size_t i = 0; i < l.n; i++)
			if (!l.v[i].addr.host[0] || !l.v[i].addr.port)
				abort();
		proxy_list_free(&l);
	} else {
		fuzz_check_line(err);
		/* A password of 6 or more bytes (so that it is not a word of the message
		 * by chance) between ':' and '@' never reaches the error. */
		const char *colon = strchr(s, ':'), *at = strrchr(s, '@');
		if (colon && at && at - colon > 7 &&
		    !memchr(colon + 1, '/', (size_t)(at - colon - 1))) {
			char pass[64];
			size_t n = (size_t)(at - colon - 1) < sizeof(pass) - 1
					   ? (size_t)(at - colon - 1)
					   : sizeof(pass) - 1;
			memcpy(pass, colon + 1, n);
			pass[n] = '\0';
			if (!strpbrk(pass, ":@%") && strstr(err, pass))
				abort();
		}
	}
	free(s);
	return 0;
}
