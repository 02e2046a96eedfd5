/* file.c — whole-file reads and atomic writes; see file.h. */
#include "common/file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int bl_file_read(const char *path, size_t limit, struct bl_buf *out)
{
	char chunk[65536];
	struct stat st;
	int fd, rc = 0;

	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	if (fd < 0)
		return bl_err(BL_EIO, "%s", strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = bl_err(BL_EINVAL, "is a directory");
		goto out_close;
	}
	if (limit)
		out->limit = out->len + limit;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = bl_err(BL_EIO, "%s", strerror(errno));
			break;
		}
		if (n == 0)
			break;
		rc = bl_buf_append(out, chunk, (size_t)n);
		if (rc < 0) {
			rc = bl_err(BL_ENOMEM, "larger than %zu bytes", limit);
			break;
		}
	}
out_close:
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

int bl_file_write_atomic(const char *path, const void *p, size_t n, mode_t mode)
{
	char *tmp = NULL, *dircopy = NULL;
	size_t off = 0;
	int fd = -1, dfd, rc = 0;

	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
		return bl_err(BL_ENOMEM, "out of memory");
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = bl_err(BL_EIO, "%s: %s", tmp, strerror(errno));
		goto out_free;
	}
	while (off < n) {
		ssize_t w = write(fd, (const char *)p + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = bl_err(BL_EIO, "write %s: %s", tmp, strerror(errno));
			goto out_unlink;
		}
		off += (size_t)w;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		rc = bl_err(BL_EIO, "sync %s: %s", tmp, strerror(errno));
		goto out_unlink;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = bl_err(BL_EIO, "rename to %s: %s", path, strerror(errno));
		goto out_unlink;
	}
	dircopy = strdup(path);
	if (dircopy) {
		dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	goto out_free;
out_unlink:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out_free:
	free(dircopy);
	free(tmp);
	return rc;
}
