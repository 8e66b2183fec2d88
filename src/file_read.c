/* Whole files read with a bound on their size, wiping every copy left behind. */
#include "file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"

static void wipe_free(char *buf, size_t len)
{
	if (buf)
		explicit_bzero(buf, len);
	free(buf);
}

enum file_read_status file_read(const char *path, size_t max, const char *what, char **out,
				size_t *outlen, struct stat *st, char *err, size_t errsz)
{
	/* O_NONBLOCK: a FIFO put where the file should be must not hang the open. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	size_t len = 0;
	char *buf = NULL;

	*out = NULL;
	*outlen = 0;
	if (fd < 0) {
		int e = errno;
		err_printf(err, errsz, "%s: cannot read: %s", path, strerror(e));
		return e == ENOENT || e == ENOTDIR ? FILE_READ_MISSING : FILE_READ_ERROR;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		err_printf(err, errsz, "%s: %s%s", path,
			   S_ISDIR(st->st_mode) ? "is a directory, not a "
						: "is not a regular file",
			   S_ISDIR(st->st_mode) ? what : "");
		close(fd);
		return FILE_READ_ERROR;
	}
	if ((unsigned long long)st->st_size > max) {
		err_printf(err, errsz, "%s: larger than %zu MiB, not a %s", path, max >> 20, what);
		close(fd);
		return FILE_READ_ERROR;
	}
	/* Read to the end, not to st_size: the file may grow or shrink meanwhile. One byte
	 * more than the limit tells a file that grew past it. */
	buf = malloc((size_t)st->st_size + 1);
	size_t cap = (size_t)st->st_size + 1;
	while (buf) {
		if (len == cap) {
			char *more = cap > max ? NULL : malloc(cap * 2);
			if (!more) {
				err_printf(err, errsz, "%s: larger than %zu MiB, not a %s", path,
					   max >> 20, what);
				wipe_free(buf, len);
				close(fd);
				return FILE_READ_ERROR;
			}
			memcpy(more, buf, len);
			wipe_free(buf, len);
			buf = more;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err_printf(err, errsz, "%s: cannot read: %s", path, strerror(errno));
			wipe_free(buf, len);
			close(fd);
			return FILE_READ_ERROR;
		}
		len += (size_t)n;
	}
	close(fd);
	if (!buf) {
		err_printf(err, errsz, "%s: out of memory", path);
		return FILE_READ_ERROR;
	}
	buf[len] = '\0'; /* the spare byte: the text is a string too */
	*out = buf;
	*outlen = len;
	return FILE_READ_OK;
}
