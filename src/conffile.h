/* The config file's format, without its meaning: a file read whole, cut into lines of
 * a keyword and its values. "keyword value", "keyword = value", "keyword" alone; "#"
 * starts a comment line; a value with spaces goes in double quotes, inside which \"
 * and \\ stand for " and \. CRLF line ends are fine; a NUL byte is not. What a
 * keyword means is config_file.c's business. */
#ifndef EGRESS_CONFFILE_H
#define EGRESS_CONFFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* A config file larger than this is refused: it cannot be one written by hand. */
#define CONFFILE_MAX (16u << 20)

struct conf_line {
	unsigned lineno;
	const char *key; /* as written, without leading dashes */
	char **values;	 /* nvalues strings, quotes removed */
	size_t nvalues;
};

struct conffile {
	char *buf; /* the file's bytes, cut into the strings above in place */
	size_t len;
	struct stat st; /* of the file read, for the owner and mode */
	struct conf_line *lines;
	size_t nlines;
	char **values; /* the storage of every line's values */
};

enum conffile_status { CONFFILE_OK, CONFFILE_MISSING, CONFFILE_ERROR };

/* Reads path into f->buf. CONFFILE_MISSING: there is no such file (err says so);
 * CONFFILE_ERROR: it cannot be read, is no regular file or is too large. */
enum conffile_status conffile_read(const char *path, struct conffile *f, char *err, size_t errsz);

/* Cuts the buf of len bytes (f->buf from conffile_read, or the caller's malloc'd one of
 * len + 1 bytes, which f then owns, whatever the result: conffile_free it) into f's
 * lines. False with "LINE: what is wrong" in err. */
bool conffile_parse(struct conffile *f, char *buf, size_t len, char *err, size_t errsz);

/* Frees what f owns, wiping the bytes (a file may hold a password). */
void conffile_free(struct conffile *f);

#endif
