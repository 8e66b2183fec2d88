/* The errors egress can end with, and the one table that maps them to exit codes. */
#ifndef EGRESS_ERR_H
#define EGRESS_ERR_H

/* Each value is the process exit status; the man page's EXIT STATUS mirrors this list. */
enum egress_err {
	EGRESS_OK = 0,          /* the tunnel ran and closed normally */
	EGRESS_EIO = 1,         /* I/O error on an established tunnel, or internal error */
	EGRESS_EUSAGE = 2,      /* bad option, host, port, proxy URL or header */
	EGRESS_EUNREACH = 3,    /* proxy (or direct target) could not be reached */
	EGRESS_EAUTH = 4,       /* proxy authentication required or failed */
	EGRESS_EREFUSED = 5,    /* proxy refused the CONNECT, or answered nonsense */
	EGRESS_ETIMEOUT = 6,    /* connecting, waiting for the reply, or idle */
	EGRESS_ETLS = 7,        /* TLS with the proxy failed */
};

/* Short words for an error, as the man page and --help name them. */
const char *err_words(enum egress_err e);

#endif
