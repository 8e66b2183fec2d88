/* The -D front's SOCKS4/4a/5 and HTTP CONNECT requests, fed in two pieces at a split
 * the input's first byte chooses: the decision must not depend on where it came cut. */
#include "front.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum front_step parse_all(const uint8_t *in, size_t len, size_t cut, struct endpoint *t,
				 char *why, size_t whysz)
{
	struct front f;
	unsigned char out[FRONT_REPLY_MAX];
	size_t used = 0, outlen = 0, off = 0, have = cut < len ? cut : len;
	enum front_step st = FRONT_MORE;

	front_init(&f);
	for (int rounds = 0; rounds < 8; rounds++) {
		st = front_parse(&f, in + off, have - off, &used, out, sizeof(out), &outlen, t, why,
				 whysz);
		if (st == FRONT_SEND) {
			off += used;
			continue;
		}
		if (st == FRONT_MORE && have < len) {
			have = len;
			continue;
		}
		break;
	}
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct endpoint t1, t2;
	char why1[256] = "", why2[256] = "";

	if (size < 1)
		return 0;
	size_t cut = data[0] % (size + 1);
	enum front_step a = parse_all(data + 1, size - 1, size, &t1, why1, sizeof(why1));
	enum front_step b = parse_all(data + 1, size - 1, cut, &t2, why2, sizeof(why2));
	if (a != b)
		abort();
	if (a == FRONT_TARGET && (strcmp(t1.host, t2.host) != 0 || t1.port != t2.port))
		abort();
	if (a == FRONT_REFUSE)
		fuzz_check_line(why1);
	return 0;
}
