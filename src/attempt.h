/* One try at a tunnel through one way of the route (a proxy, or direct): how libcurl
 * is set up for it (attempt_setup.c), what its callbacks saw (attempt_trace.c), and
 * why it failed (attempt_failure.c). proxy.c makes the attempts. */
#ifndef EGRESS_ATTEMPT_H
#define EGRESS_ATTEMPT_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "credentials.h"
#include "endpoint.h"
#include "err.h"
#include "route.h"

/* What libcurl's callbacks saw during curl_easy_perform: the proxy's reply and the
 * scheme egress answered a 407 with. Written only by attempt_trace.c, but for
 * answerable, which attempt_setup.c sets. */
struct attempt_trace {
	CURL *handle;		  /* whose callbacks these are */
	unsigned long answerable; /* CURLAUTH schemes libcurl can answer a 407 with */
	char status[128];	  /* the proxy's last status line, e.g. "403 Forbidden" */
	char first_line[128];	  /* the reply's first line, shown when it is nonsense */
	size_t reply_bytes;	  /* header bytes received from the proxy */
	bool in_head;		  /* a reply's status line came, its blank line not yet */
	char nul_header[128];	  /* the first header line with a NUL byte in it */
	char auth_sent[16];	  /* the scheme of the last Proxy-Authorization sent */
};

struct attempt {
	const struct egress_config *cfg;
	const struct route *route;
	const struct route_way *way;
	const struct proxy_spec *proxy; /* way->proxy; NULL: direct */
	char proxy_label[ENDPOINT_STR_MAX];
	const char *target_label;
	struct proxy_creds creds; /* what this attempt may answer a 407 with */
	bool had_pass;		  /* creds.pass was given to libcurl, then wiped */
	bool withheld;		  /* no credentials: a PAC named the proxy (route.h) */
	char errbuf[CURL_ERROR_SIZE];
	int socket_errno; /* why socket() failed (libcurl does not say): EMFILE is ours */
	struct attempt_trace trace;
	char why[ERR_MAX + 2 * HOST_MAX]; /* the failure, as one line; "" when printed */
};

/* --proxy-auth as libcurl's CURLAUTH bits. */
unsigned long proxy_auth_mask(enum proxy_auth m);

/* The target as a URL for libcurl, or NULL when out of memory (or, which cannot be,
 * when its host does not fit). */
CURLU *attempt_target_url(const struct endpoint *t);

/* Sets every libcurl option of attempt a on h: the target url, the proxy and how to
 * talk to it, the extra headers hdrs, the trace. False when libcurl refuses one. */
bool attempt_setup(CURL *h, struct attempt *a, CURLU *url, struct curl_slist *hdrs);

/* Points h's header and debug callbacks at t (they also print the -v lines), and
 * takes them away again, before h outlives the attempt. */
bool attempt_trace_attach(CURL *h, struct attempt_trace *t);
void attempt_trace_detach(CURL *h);

/* The steps of an attempt, for proxy.c's blocking tunnel_open and for listen mode,
 * whose event loop drives the handle with libcurl's multi interface:
 * attempt_prepare fills a for the route's way-th way; attempt_begin finds the
 * credentials and sets up a handle (NULL with *e when it cannot; a->why "" when
 * the reason was printed); attempt_end takes what libcurl answered (rc) and gives
 * the tunnel, or frees the handle and says why in a->why. */
struct tunnel;
void attempt_prepare(struct attempt *a, const struct egress_config *cfg, const struct route *route,
		     size_t way, const char *target_label);
CURL *attempt_begin(struct attempt *a, struct curl_slist *hdrs, CURLU **url, enum egress_err *e);
enum egress_err attempt_end(struct attempt *a, CURL *h, CURLU *url, CURLcode rc, struct tunnel *t);

/* cfg's -H headers as libcurl's list (NULL when none); false when out of memory. */
bool proxy_headers(const struct egress_config *cfg, struct curl_slist **out);

/* Turns a failed attempt into an exit code and one line in a->why. */
enum egress_err attempt_failure(struct attempt *a, CURL *h, CURLcode rc);

#endif
