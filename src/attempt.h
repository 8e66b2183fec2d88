/* One try at a tunnel through one proxy (or direct), shared by proxy.c, which makes
 * it, and proxy_failure.c, which explains how it failed. */
#ifndef EGRESS_ATTEMPT_H
#define EGRESS_ATTEMPT_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "credentials.h"
#include "err.h"

struct attempt {
	const struct egress_config *cfg;
	const struct proxy_spec *proxy;  /* NULL: direct */
	char proxy_label[HOST_MAX + 9];
	const char *target_label;
	char status[128];                /* the proxy's last status line, e.g. "403 Forbidden" */
	char first_line[128];            /* the reply's first line, shown when it is nonsense */
	size_t reply_bytes;              /* header bytes received from the proxy */
	char errbuf[CURL_ERROR_SIZE];
	char why[ERR_MAX + 2 * HOST_MAX];  /* the failure, as one line; "" when printed */
	struct proxy_creds creds;        /* what this attempt may answer a 407 with */
	bool had_pass;                   /* creds.pass was given to libcurl, then wiped */
	char auth_sent[16];              /* the scheme of the last Proxy-Authorization sent */
};

/* Turns a failed attempt into an exit code and one line in a->why. */
enum egress_err attempt_failure(struct attempt *a, CURL *h, CURLcode rc);

/* --proxy-auth as libcurl's CURLAUTH bits. */
unsigned long proxy_auth_mask(enum proxy_auth m);

#endif
