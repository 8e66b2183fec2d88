/* Listen mode: one process, one event loop, a tunnel for every client of a local port.
 * -L gives each client a tunnel to the configured target; -D (and --inetd) reads the
 * target from the client's SOCKS or HTTP CONNECT request (front.h) and answers in the
 * client's protocol. Each tunnel's route is chosen as for a command-line target, its
 * CONNECT is driven by libcurl's multi interface, and its bytes by the relay. */
#ifndef EGRESS_SERVER_H
#define EGRESS_SERVER_H

#include "config.h"
#include "err.h"

/* Serves until SIGTERM or SIGINT (then lets live tunnels drain), or, with --inetd,
 * until the one client's tunnel ends. libcurl's global state must be initialised.
 * Errors before serving (cannot listen) are printed and returned. */
enum egress_err server_run(const struct egress_config *cfg);

#endif
