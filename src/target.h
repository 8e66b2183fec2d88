/* Everything the user names that ends up on the wire, for the unit tests that cover
 * all of it (tests/unit/test_target.c): the target and proxy addresses (endpoint.h),
 * proxy URLs (proxy_url.h), durations and header lines (values.h). Code includes the
 * one it needs. */
#ifndef EGRESS_TARGET_H
#define EGRESS_TARGET_H

#include "endpoint.h"
#include "err.h"
#include "proxy_url.h"
#include "values.h"

#endif
