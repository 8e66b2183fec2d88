/* What is benchmarked: the limit (the driver's own tunnel socket, no helper), egress,
 * and each peer, with the command line its manual gives for an HTTP CONNECT proxy. */
#ifndef BENCH_PEERS_H
#define BENCH_PEERS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#define RUNNER_MAX 12
#define ARGS_MAX   12

struct runner {
	const char *name;	    /* row label, and the name --helpers selects it by */
	const char *package;	    /* Debian package that provides it */
	const char *bins[3];	    /* executable names tried on PATH, in order */
	const char *args[ARGS_MAX]; /* %H %P proxy host/port, %h %p target host/port,
				     * %F %U the PAC file and URL (peers_set_pac) */
	bool is_limit;
	bool starts_only; /* only its start-up is measured: egress with a PAC */
	bool selected;
	char path[PATH_MAX]; /* resolved executable; "" when not installed */
};

/* Fills list with the limit, egress (at egress_path) and the peers, in table order;
 * resolves each executable. Returns how many. */
int peers_load(struct runner *list, const char *egress_path);

/* The PAC file and its http:// URL for the egress-pac rows; NULL leaves them out. */
void peers_set_pac(const char *file, const char *url);

/* Builds the argv of runner r for a tunnel to 127.0.0.1:target through the proxy at
 * 127.0.0.1:proxy, in storage owned by the caller; argv is NULL-terminated. */
void peers_argv(const struct runner *r, uint16_t proxy, uint16_t target, char store[ARGS_MAX][128],
		char *argv[ARGS_MAX + 2]);

#endif
