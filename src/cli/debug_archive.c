/*
 * The archive of `consul debug`: <dir>.tar.gz, a gzip stream (zlib) of a POSIX
 * ustar archive of dir, the way Consul's Go archive/tar + compress/gzip writes it:
 *
 *   entries   dir itself, then its contents depth-first in byte order of names
 *             (filepath.Walk); names are base(dir) + the path below it, e.g.
 *             "consul-debug-1700000000/1700000000/metrics.json"; directories end
 *             in "/" (typeflag 5), files are typeflag 0 with their data padded to
 *             512 bytes; mode, uid, gid and mtime from stat; anything else is skipped.
 *   header    512 bytes: name[100] mode[8] uid[8] gid[8] size[12] mtime[12]
 *             chksum[8] typeflag[1] linkname[100] "ustar\0" "00" uname[32]
 *             gname[32] devmajor[8] devminor[8] prefix[155], octal NUL-terminated
 *             numbers; a name over 100 bytes is split at a "/" into prefix + name.
 *   end       two zero blocks.
 *
 * The archive is written to "<dir>.tar.gz.tmpXXXXXX" and renamed into place only
 * when complete (so a failed run leaves no truncated archive), then dir is removed.
 */
#include "cli/debug.h"

#include "base/alloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define TAR_BLOCK 512

struct tar {
	gzFile gz;	 /* output stream */
	struct buf *err; /* where the first failure is described */
};

static void errno_text(struct buf *err, int e)
{
	const char *s = strerror(e);
	buf_printf(err, "%c%s", (s[0] >= 'A' && s[0] <= 'Z') ? s[0] - 'A' + 'a' : s[0], s + 1);
}

static int gz_put(struct tar *t, const void *p, size_t n)
{
	if (n && gzwrite(t->gz, p, (unsigned)n) != (int)n) {
		int zerr;
		const char *why = gzerror(t->gz, &zerr);
		buf_printf(t->err, "failed to copy files for archive: %s",
			   why ? why : "gzip error");
		return -1;
	}
	return 0;
}

/* v as width-1 octal digits and a NUL (values that do not fit keep their low digits). */
static void octal(char *field, size_t width, unsigned long long v)
{
	field[width - 1] = '\0';
	for (size_t i = width - 1; i-- > 0; v >>= 3)
		field[i] = (char)('0' + (v & 7));
}

/* Fill name (and prefix when needed) of a header. 0, or -1 when it cannot fit. */
static int put_name(unsigned char *h, const char *name)
{
	size_t n = strlen(name);
	if (n <= 100) {
		memcpy(h, name, n);
		return 0;
	}
	for (const char *s = name + n - 1; s > name; s--) {
		if (*s != '/')
			continue;
		size_t pre = (size_t)(s - name), rest = n - pre - 1;
		if (pre <= 155 && rest <= 100 && rest > 0) {
			memcpy(h + 345, name, pre);
			memcpy(h, s + 1, rest);
			return 0;
		}
	}
	return -1;
}

static int put_header(struct tar *t, const char *name, const struct stat *st, char type)
{
	unsigned char h[TAR_BLOCK] = {0};
	if (put_name(h, name) < 0) {
		buf_printf(t->err, "failed to write compressed archive header: name too long: %s",
			   name);
		return -1;
	}
	octal((char *)h + 100, 8, st->st_mode & 07777);
	octal((char *)h + 108, 8, st->st_uid);
	octal((char *)h + 116, 8, st->st_gid);
	octal((char *)h + 124, 12, type == '0' ? (unsigned long long)st->st_size : 0);
	octal((char *)h + 136, 12, (unsigned long long)st->st_mtime);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (size_t i = 0; i < TAR_BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum); /* six digits, NUL, then the space */
	h[155] = ' ';
	return gz_put(t, h, sizeof(h));
}

static int put_file(struct tar *t, const char *path, const char *name, const struct stat *st)
{
	if (put_header(t, name, st, '0') < 0)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		buf_puts(t->err, "failed to open target files for archive: ");
		errno_text(t->err, errno);
		return -1;
	}
	char tmp[65536];
	off_t left = st->st_size;
	while (left > 0) {
		ssize_t n = read(fd, tmp, sizeof(tmp) < (size_t)left ? sizeof(tmp) : (size_t)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			buf_puts(t->err, "failed to copy files for archive: ");
			if (n < 0)
				errno_text(t->err, errno);
			else
				buf_puts(t->err, "file shrank while archiving");
			close(fd);
			return -1;
		}
		if (gz_put(t, tmp, (size_t)n) < 0) {
			close(fd);
			return -1;
		}
		left -= n;
	}
	close(fd);
	static const unsigned char zero[TAR_BLOCK];
	size_t pad = (size_t)(st->st_size % TAR_BLOCK);
	return pad ? gz_put(t, zero, TAR_BLOCK - pad) : 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

/* Walk path (archived as name): the entry itself, then its children. */
static int walk(struct tar *t, const char *path, const char *name)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		buf_printf(t->err, "failed to walk filepath for archive: lstat %s: ", path);
		errno_text(t->err, errno);
		return -1;
	}
	if (S_ISREG(st.st_mode))
		return put_file(t, path, name, &st);
	if (!S_ISDIR(st.st_mode))
		return 0;
	struct buf dname = BUF_INIT;
	buf_printf(&dname, "%s/", name);
	int rc = put_header(t, buf_cstr(&dname), &st, '5');
	buf_free(&dname);
	if (rc < 0)
		return -1;
	struct dirent **ents;
	int n = scandir(path, &ents, skip_dots, by_name);
	if (n < 0) {
		buf_printf(t->err, "failed to walk filepath for archive: open %s: ", path);
		errno_text(t->err, errno);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct buf cp = BUF_INIT, cn = BUF_INIT;
		buf_printf(&cp, "%s/%s", path, ents[i]->d_name);
		buf_printf(&cn, "%s/%s", name, ents[i]->d_name);
		if (rc == 0)
			rc = walk(t, buf_cstr(&cp), buf_cstr(&cn));
		buf_free(&cp);
		buf_free(&cn);
		free(ents[i]);
	}
	free(ents);
	return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* dir without trailing slashes, and its last component. */
static void split_dir(const char *dir, struct buf *clean, const char **base)
{
	buf_puts(clean, dir);
	while (clean->len > 1 && clean->data[clean->len - 1] == '/')
		clean->data[--clean->len] = '\0';
	const char *slash = strrchr(clean->data, '/');
	*base = slash && slash[1] ? slash + 1 : clean->data;
}

int debug_archive(const char *dir, struct buf *err)
{
	struct buf clean = BUF_INIT, path = BUF_INIT, tmp = BUF_INIT;
	const char *base;
	split_dir(dir, &clean, &base);
	buf_printf(&path, "%s.tar.gz", clean.data);
	buf_printf(&tmp, "%s.tmpXXXXXX", path.data);
	int rc = -1;
	int fd = mkstemp(tmp.data);
	if (fd < 0) {
		buf_printf(err, "failed to create compressed temp archive: open %s: ", tmp.data);
		errno_text(err, errno);
		goto out;
	}
	fchmod(fd, 0644);
	struct tar t = {.gz = gzdopen(fd, "wb"), .err = err};
	if (!t.gz) {
		close(fd);
		unlink(tmp.data);
		buf_puts(err, "failed to create compressed temp archive: gzip setup failed");
		goto out;
	}
	static const unsigned char end[2 * TAR_BLOCK];
	int bad = walk(&t, clean.data, base);
	if (bad == 0)
		bad = gz_put(&t, end, sizeof(end));
	if (gzclose(t.gz) != Z_OK && bad == 0) {
		buf_puts(err, "failed to write compressed archive");
		bad = -1;
	}
	if (bad) {
		unlink(tmp.data);
		goto out;
	}
	if (rename(tmp.data, path.data) != 0) {
		buf_printf(err, "rename %s %s: ", tmp.data, path.data);
		errno_text(err, errno);
		unlink(tmp.data);
		goto out;
	}
	if (nftw(clean.data, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		buf_puts(err, "failed to remove archived directory: ");
		errno_text(err, errno);
		goto out;
	}
	rc = 0;
out:
	buf_free(&clean);
	buf_free(&path);
	buf_free(&tmp);
	return rc;
}
