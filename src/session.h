/* One tunnel's life, from open to exit status: open it along the route, then either
 * hand its socket over (--fdpass) or relay it between a pair of local descriptors,
 * and say how it ended. Any pair will do: stdin and stdout, or a client's socket. */
#ifndef EGRESS_SESSION_H
#define EGRESS_SESSION_H

#include "config.h"
#include "err.h"
#include "route.h"

/* Runs one tunnel to cfg's target between in_fd and out_fd (with --fdpass, out_fd is
 * the Unix socket the tunnel's socket goes to). Every error has been printed when it
 * returns; the descriptors stay open. libcurl's global state must be initialised. */
enum egress_err session_run(const struct egress_config *cfg, const struct route *route, int in_fd,
			    int out_fd);

#endif
