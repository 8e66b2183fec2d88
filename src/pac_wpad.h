/* WPAD: where a network's PAC is, when the user says "--pac auto". The desktop's
 * setting first (GNOME: org.gnome.system.proxy mode 'auto' and its autoconfig-url),
 * then over DNS, as WPAD clients do: http://wpad.D/wpad.dat for D the machine's
 * domain and each parent of it that still has two labels, then the same for each
 * search domain of /etc/resolv.conf, most specific first. */
#ifndef EGRESS_PAC_WPAD_H
#define EGRESS_PAC_WPAD_H

#include <stddef.h>

#define WPAD_URL_MAX	    300
#define WPAD_MAX_CANDIDATES 24

/* The DNS candidates for a machine named fqdn (NULL: unknown) and a resolv.conf's
 * text (NULL: none), in order, without repeats; returns how many were written. */
size_t wpad_candidates(const char *fqdn, const char *resolv_conf, char (*out)[WPAD_URL_MAX],
		       size_t max);

/* This machine's name with its domain (gethostname, else its canonical name), or
 * NULL; malloc'd. */
char *wpad_local_fqdn(void);

/* The PAC URL GNOME's proxy settings name when their mode is 'auto', or NULL;
 * malloc'd. Asks gsettings, when it is installed, within two seconds. */
char *wpad_gnome_url(void);

#endif
