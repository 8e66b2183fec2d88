/* The network facts a PAC script asks for: names resolved, the machine's own
 * addresses, IPv6-aware prefix tests and sorting (the "Ex" helpers). Plain C, so the
 * unit tests check them without a JavaScript engine. Strings returned are malloc'd. */
#ifndef EGRESS_PAC_NET_H
#define EGRESS_PAC_NET_H

#include <stdbool.h>

/* dnsResolve: the first IPv4 address of host, or NULL. */
char *pac_dns_resolve(const char *host);

/* dnsResolveEx: every address of host, IPv6 and IPv4, joined by ";"; "" if none. */
char *pac_dns_resolve_ex(const char *host);

/* myIpAddress: the IPv4 address this machine would use to reach the internet (found
 * by connecting a UDP socket, which sends nothing), else one its name resolves to,
 * else "127.0.0.1". */
char *pac_my_ip(void);

/* myIpAddressEx: the addresses of the interfaces that are up, loopback and
 * link-local ones left out, joined by ";"; "" if none. */
char *pac_my_ip_ex(void);

/* isInNet: whether host (an IPv4 literal, else its first IPv4 address) is in the
 * network pattern/mask (dotted quads); false when it does not resolve. */
bool pac_in_net(const char *host, const char *pattern, const char *mask);

/* shExpMatch: whether s matches the shell pattern p ("*" any run, "?" one
 * character), case-sensitively as browsers do. */
bool pac_sh_exp_match(const char *s, const char *p);

/* isInNetEx: whether ip (an IPv4 or IPv6 literal) is inside prefix ("10.0.0.0/8",
 * "fd00::/8"); false for anything malformed. */
bool pac_in_net_ex(const char *ip, const char *prefix);

/* sortIpAddressList: the ";"-separated addresses sorted, IPv6 before IPv4, each in
 * numeric order; NULL when one of them is not an address. */
char *pac_sort_ip_list(const char *list);

#endif
