/* --explain: what a run would do, on stdout, without connecting to anything. */
#ifndef EGRESS_EXPLAIN_H
#define EGRESS_EXPLAIN_H

#include <stdio.h>

#include "config.h"
#include "route.h"

/* The target, the config files read and the sections that applied or not, the
 * proxy variables of env that a setting overrides, then each way in order, with where it came from and which credentials it would offer. No
 * password is ever printed: only whether one is set and where from. */
void explain_print(const struct egress_config *cfg, const struct route *r, env_get_fn env,
		   FILE *out);

#endif
