/* A route that a PAC decides: the script fetched (http://, https://) or read (a
 * file), run for the target, its answer turned into the route's ways. */
#ifndef EGRESS_PAC_H
#define EGRESS_PAC_H

#include <stdbool.h>

#include "config.h"
#include "route.h"

/* Fills r's ways from r->pac for cfg's target. False with why filled (status
 * EGRESS_EUNREACH: the PAC cannot be had, does not run, or names no way). */
bool pac_route(const struct egress_config *cfg, struct route *r, struct route_refusal *why);

#endif
