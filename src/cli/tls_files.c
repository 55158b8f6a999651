/*
 * Files of `consul tls`: existence checks, whole-file reads and atomic writes with
 * the mode Consul gives each file (certificates 0666, keys 0600, both less the
 * umask, as Go's os.OpenFile). Errors read as Go's *os.PathError does:
 * "open consul-agent-ca.pem: no such file or directory".
 */
#include "cli/tls.h"

#include "base/alloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void tls_go_errno(struct buf *out, int e)
{
	const char *s = strerror(e);
	buf_putc(out, (char)tolower((unsigned char)s[0]));
	buf_puts(out, s + 1);
}

bool tls_file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 || errno != ENOENT;
}

int tls_read_file(const char *path, struct buf *out, struct buf *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		buf_printf(err, "open %s: ", path);
		tls_go_errno(err, errno);
		return -1;
	}
	char tmp[8192];
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_printf(err, "read %s: ", path);
			tls_go_errno(err, errno);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		buf_append(out, tmp, (size_t)n);
	}
	close(fd);
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int tls_write_file(const char *path, const struct buf *data, unsigned mode, struct buf *err)
{
	char *tmp = xmalloc(strlen(path) + 5);
	sprintf(tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
	if (fd < 0) {
		buf_printf(err, "open %s: ", tmp);
		tls_go_errno(err, errno);
		free(tmp);
		return -1;
	}
	const char *op = "write";
	int bad = write_all(fd, data->data, data->len);
	if (!bad && fsync(fd) != 0) {
		op = "sync";
		bad = -1;
	}
	int e = errno;
	if (close(fd) != 0 && !bad) {
		op = "close";
		e = errno;
		bad = -1;
	}
	if (!bad && rename(tmp, path) != 0) {
		buf_printf(err, "rename %s %s: ", tmp, path);
		tls_go_errno(err, errno);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (bad) {
		buf_printf(err, "%s %s: ", op, tmp);
		tls_go_errno(err, e);
		unlink(tmp);
	}
	free(tmp);
	return bad ? -1 : 0;
}
