/* Words for each exit status; kept next to the enum so both change together. */
#include "err.h"

const char *err_words(enum egress_err e)
{
	switch (e) {
	case EGRESS_OK:
		return "tunnel ran and closed normally";
	case EGRESS_EIO:
		return "I/O error on the tunnel, or internal error";
	case EGRESS_EUSAGE:
		return "usage: bad option, host, port, proxy URL or header";
	case EGRESS_EUNREACH:
		return "proxy unreachable";
	case EGRESS_EAUTH:
		return "proxy authentication required or failed";
	case EGRESS_EREFUSED:
		return "proxy refused the CONNECT or sent a malformed reply";
	case EGRESS_ETIMEOUT:
		return "timed out";
	case EGRESS_ETLS:
		return "TLS with the proxy failed";
	}
	return "unknown error";
}
