/* Handing the tunnel socket to the parent (ssh's ProxyUseFdpass) instead of relaying. */
#ifndef EGRESS_FDPASS_H
#define EGRESS_FDPASS_H

#include <stdbool.h>

/* Whether fd is a Unix-domain socket, the only thing a descriptor can be passed over. */
bool fdpass_possible(int fd);

/* Sends sock over the Unix socket fd with SCM_RIGHTS. Returns 0, or -1 with errno. */
int fdpass_send(int fd, int sock);

#endif
