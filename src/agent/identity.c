/* Data directory and node ID (see identity.h). */
#define _XOPEN_SOURCE 700
#include "agent/identity.h"

#include "base/random.h"
#include "base/alloc.h"

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int identity_mkdir(const char *dir)
{
	char *p = xstrdup(dir);
	int rv = 0;
	for (char *s = p + 1; *s && !rv; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			rv = -errno;
		*s = '/';
	}
	if (!rv && mkdir(p, 0755) && errno != EEXIST)
		rv = -errno;
	free(p);
	return rv;
}

char *identity_dev_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s/cairn-dev-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	char *dir = buf_steal(&b);
	if (!mkdtemp(dir)) {
		free(dir);
		return NULL;
	}
	return dir;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void identity_remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int valid_uuid(const char *s)
{
	static const int dashes[] = {8, 13, 18, 23};
	if (strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		int dash = i == dashes[0] || i == dashes[1] || i == dashes[2] || i == dashes[3];
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

char *identity_node_id(const char *data_dir, const char *configured, struct buf *err)
{
	if (configured && *configured) {
		if (!valid_uuid(configured)) {
			buf_printf(err, "node ID \"%s\" is not a valid UUID", configured);
			return NULL;
		}
		return xstrdup(configured);
	}
	struct buf path = BUF_INIT;
	buf_printf(&path, "%s/node-id", data_dir);
	char id[64] = {0};
	FILE *f = fopen(buf_cstr(&path), "r");
	if (f) {
		size_t n = fread(id, 1, sizeof(id) - 1, f);
		fclose(f);
		while (n && isspace((unsigned char)id[n - 1]))
			id[--n] = '\0';
		if (!valid_uuid(id)) {
			buf_printf(err, "node ID in %s is not a valid UUID", buf_cstr(&path));
			buf_free(&path);
			return NULL;
		}
		buf_free(&path);
		return xstrdup(id);
	}
	random_uuid(id);
	f = fopen(buf_cstr(&path), "w");
	if (!f || fprintf(f, "%s", id) < 0 || fclose(f)) {
		buf_printf(err, "failed to write %s: %s", buf_cstr(&path), strerror(errno));
		buf_free(&path);
		return NULL;
	}
	buf_free(&path);
	return xstrdup(id);
}
