/* A proxy URL list, as -x and the proxy variables give it. No error may show a
 * password: the text after "user:" up to "@" in the first entry never appears in
 * one. */
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
		 * by chance) in the first entry's userinfo, between the first ':' after
		 * the scheme and the entry's last '@', never reaches the error. */
		size_t first = strcspn(s, ",");
		const char *auth = strstr(s, "://");
		auth = auth && (size_t)(auth - s) < first ? auth + 3 : s;
		const char *at = NULL, *colon = NULL;
		for (const char *c = auth; c < s + first; c++)
			if (*c == '@')
				at = c;
		if (at)
			colon = memchr(auth, ':', (size_t)(at - auth));
		if (colon && at - colon > 7 && !memchr(colon + 1, '/', (size_t)(at - colon - 1))) {
			char pass[64];
			size_t n = (size_t)(at - colon - 1) < sizeof(pass) - 1
					   ? (size_t)(at - colon - 1)
					   : sizeof(pass) - 1;
			memcpy(pass, colon + 1, n);
			pass[n] = '\0';
			/* "*" is what egress shows a password as, and a password that
			 * is also written elsewhere in the input may be shown from there. */
			if (!strpbrk(pass, ":@%*") && strstr(s, pass) == colon + 1 &&
			    !strstr(at, pass) && strstr(err, pass))
				abort();
		}
	}
	free(s);
	return 0;
}
