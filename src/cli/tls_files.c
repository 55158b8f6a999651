/*
 * Files of `consul tls`: existence checks, whole-file reads and atomic writes with
 * the mode Consul gives each file (certificates 0666, keys 0600, both less the
 * umask, as Go's os.OpenFile). Errors read as Go's *os.PathError does:
 * "open consul-agent-ca.pem: no such file or directory".
 */
#include "cli/tls.h"

#include "cli/cli.h"

#include "base/alloc.h"
#include "base/file.h"

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

/* Messages as Go's os functions word them: "<op> <file>: <errno text>". */
int tls_write_file(const char *path, const struct buf *data, unsigned mode, struct buf *err)
{
	const char *step;
	int e = file_replace(path, data->data, data->len, mode, &step);
	if (e == 0)
		return 0;
	if (strcmp(step, "rename") == 0)
		buf_printf(err, "rename %s.tmp %s: ", path, path);
	else
		buf_printf(err, "%s %s.tmp: ", step, path);
	tls_go_errno(err, -e);
	return -1;
}

int tls_save_pair(const char *cert_file, const struct buf *cert, const char *key_file,
		  const struct buf *key)
{
	const char *files[2] = {cert_file, key_file};
	const struct buf *data[2] = {cert, key};
	static const unsigned modes[2] = {0666, 0600};
	struct buf err = BUF_INIT;
	int rc = 0;
	for (int i = 0; i < 2 && rc == 0; i++) {
		rc = tls_write_file(files[i], data[i], modes[i], &err);
		if (rc == 0)
			cli_info("==> Saved %s", files[i]);
		else
			cli_error("%s", buf_cstr(&err));
	}
	buf_free(&err);
	return rc;
}
