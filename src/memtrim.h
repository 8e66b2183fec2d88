/* Giving memory back once libcurl's work is done. */
#ifndef EGRESS_MEMTRIM_H
#define EGRESS_MEMTRIM_H

/* Returns freed heap to the system and drops this process's resident copies of its
 * own program text, which are refetched from the page cache as the relay runs.
 * Best effort: nothing here can fail the tunnel. */
void memtrim(void);

#endif
