/*
 * Keyring files (see keyring.h for the format and the boot rules): loading, the
 * atomic replacement on disk (base/file.h: <file>.tmp, fsync, rename, fsync the dir),
 * and keyring_setup, which decides between the `encrypt` config key and an existing
 * file as Consul does. The JSON itself is keyring_json.c. Plain POSIX I/O: it
 * blocks, so it runs at boot or on the thread pool.
 */
#include "gossip/keyring_int.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/file.h"

#include <openssl/crypto.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The pools: file under data_dir and the name in Consul's warning. */
static const struct {
	const char *file;
	const char *name;
} pools[] = {
    [KEYRING_LAN] = {"serf/local.keyring", "LAN"},
    [KEYRING_WAN] = {"serf/remote.keyring", "WAN"},
};

const char *keyring_file_name(enum keyring_pool pool)
{
	return pools[pool].file;
}

/* ---- files ---- */

int keyring_load_file(struct keyring *kr, const char *path, char *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		return keyring_fail(err, e == ENOENT ? CAIRN_E_NOTFOUND : CAIRN_E_IO, "%s: %s",
				    path, strerror(e));
	}
	struct buf data = BUF_INIT;
	int rc = 0;
	for (;;) {
		buf_reserve(&data, 4096);
		ssize_t got = read(fd, data.data + data.len, data.cap - data.len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = keyring_fail(err, CAIRN_E_IO, "%s: %s", path, strerror(errno));
			break;
		}
		if (got == 0)
			break;
		data.len += (size_t)got;
		if (data.len > (1u << 20)) {
			rc = keyring_fail(err, CAIRN_E_TOOBIG, "%s: keyring file is too large",
					  path);
			break;
		}
	}
	close(fd);
	if (rc == 0) {
		char why[KEYRING_ERR_MAX];
		rc = keyring_parse_json(kr, data.data ? data.data : "", data.len, why);
		if (rc == CAIRN_E_INVAL && strcmp(why, "no keys present in keyring") == 0)
			keyring_fail(err, rc, "no keys present in keyring: %s", path);
		else if (rc != 0)
			keyring_fail(err, rc, "%s: %.400s", path, why);
	}
	if (data.data)
		OPENSSL_cleanse(data.data, data.cap);
	buf_free(&data);
	return rc;
}

/* mkdir -p of the directory part of path, mode 0700 for what it creates. */
static int make_parent(const char *path, char *err)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int rc = 0;
	if (slash && slash != dir) {
		*slash = '\0';
		for (char *p = dir + 1; rc == 0; p++) {
			if (*p != '/' && *p != '\0')
				continue;
			char save = *p;
			*p = '\0';
			if (mkdir(dir, 0700) != 0 && errno != EEXIST)
				rc = keyring_fail(err, CAIRN_E_IO,
						  "Failed to write keyring file: %s: %s", dir,
						  strerror(errno));
			*p = save;
			if (save == '\0')
				break;
		}
	}
	free(dir);
	return rc;
}

int keyring_write_file(const char *path, const char *data, size_t n, char *err)
{
	if (make_parent(path, err) != 0)
		return CAIRN_E_IO;
	const char *step;
	int e = file_replace(path, data, n, 0600, &step);
	if (e == 0)
		return 0;
	/* the step names the file: everything before the rename is on <path>.tmp */
	return keyring_fail(err, CAIRN_E_IO, "Failed to write keyring file: %s%s: %s", path,
			    strcmp(step, "rename") ? ".tmp" : "", strerror(-e));
}

int keyring_save_file(const struct keyring *kr, const char *path, char *err)
{
	struct buf json = BUF_INIT;
	keyring_to_json(kr, &json);
	int rc = keyring_write_file(path, json.data, json.len, err);
	OPENSSL_cleanse(json.data, json.cap);
	buf_free(&json);
	return rc;
}

/* ---- boot ---- */

int keyring_setup(struct keyring *kr, enum keyring_pool pool, const char *data_dir,
		  const char *encrypt, bool disable_keyring_file, char *path_out, char *warn,
		  char *err)
{
	if (warn)
		warn[0] = '\0';
	if (path_out)
		path_out[0] = '\0';
	bool have_encrypt = encrypt && encrypt[0];
	struct keyring seed;
	keyring_init(&seed);
	if (have_encrypt) {
		int rc = keyring_install(&seed, encrypt, err);
		if (rc != 0)
			return rc;
	}
	if (disable_keyring_file || !data_dir || !data_dir[0]) {
		keyring_free(kr);
		*kr = seed;
		return 0;
	}

	char path[KEYRING_ERR_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", data_dir, pools[pool].file) >=
	    sizeof(path)) {
		keyring_free(&seed);
		return keyring_fail(err, CAIRN_E_INVAL, "data_dir is too long");
	}
	struct stat st;
	bool exists = stat(path, &st) == 0;
	int rc = 0;
	if (have_encrypt && !exists) {
		/* Consul's initKeyring: the file starts as the compact one-key array */
		struct buf json = BUF_INIT;
		buf_puts(&json, "[\"");
		keyring_key_text(&seed, 0, &json);
		buf_puts(&json, "\"]");
		rc = keyring_write_file(path, json.data, json.len, err);
		OPENSSL_cleanse(json.data, json.cap);
		buf_free(&json);
		exists = rc == 0;
	} else if (have_encrypt && warn) {
		snprintf(warn, KEYRING_ERR_MAX,
			 "WARNING: %s keyring exists but -encrypt given, using keyring",
			 pools[pool].name);
	}
	keyring_free(&seed);
	if (rc == 0 && exists)
		rc = keyring_load_file(kr, path, err);
	if (rc == 0 && path_out)
		snprintf(path_out, KEYRING_ERR_MAX, "%s", path);
	return rc;
}
