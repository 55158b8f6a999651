/* Atomic whole-file replacement (model in file.h). */
#include "base/file.h"

#include "base/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int file_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

void file_sync_dir(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0'; /* "/x" lives in "/" */
	int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

static int fail(const char **step, const char *what, int err)
{
	if (step)
		*step = what;
	return err;
}

int file_replace(const char *path, const void *data, size_t n, unsigned mode, const char **step)
{
	size_t len = strlen(path);
	char *tmp = xmalloc(len + 5);
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".tmp", 5);
	int rc = 0;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
	if (fd < 0) {
		free(tmp);
		return fail(step, "open", -errno);
	}
	int e = file_write_all(fd, data, n);
	if (e)
		rc = fail(step, "write", e);
	else if (fsync(fd) != 0)
		rc = fail(step, "sync", -errno);
	if (close(fd) != 0 && rc == 0)
		rc = fail(step, "close", -errno);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = fail(step, "rename", -errno);
	if (rc == 0)
		file_sync_dir(path);
	else
		unlink(tmp);
	free(tmp);
	return rc;
}
