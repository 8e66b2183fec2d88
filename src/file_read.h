/* Reading a whole file that a person wrote: a config file, a PAC file. */
#ifndef EGRESS_FILE_READ_H
#define EGRESS_FILE_READ_H

#include <stddef.h>
#include <sys/stat.h>

enum file_read_status { FILE_READ_OK, FILE_READ_MISSING, FILE_READ_ERROR };

/* Reads path into *out (malloc'd, NUL-terminated after its *outlen bytes, which may
 * hold NULs of their own) and fstat's it into
 * *st. FILE_READ_MISSING: there is no such file (err says so); FILE_READ_ERROR: it
 * cannot be read, is no regular file ("is a directory, not a WHAT") or is larger
 * than max bytes. A FIFO does not hang the open. What is freed is wiped first: a file
 * may hold a password. */
enum file_read_status file_read(const char *path, size_t max, const char *what, char **out,
				size_t *outlen, struct stat *st, char *err, size_t errsz);

#endif
