/*
 * Config files and directories: reading, format choice and decoding.
 *
 * As Consul: a path is a file or a directory (whichever flag named it); a
 * directory contributes its regular files (symlinks followed, subdirectories
 * skipped) sorted by name in byte order; a file's format comes from its extension
 * (.json, .hcl) unless -config-format forces one, and other files are skipped with
 * a warning. Empty files are skipped. JSON is strict (RFC 8259, as Go's
 * encoding/json): comments are a syntax error, reported with a hint because blog
 * posts often show annotated JSON.
 */
#include "config/loader.h"

#include "base/alloc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILE (64u << 20)

static const char *format_of(const char *path)
{
	size_t n = strlen(path);
	if (n >= 5 && strcmp(path + n - 5, ".json") == 0)
		return "json";
	if (n >= 4 && strcmp(path + n - 4, ".hcl") == 0)
		return "hcl";
	return NULL;
}

/* Go's error text for an errno: lowercase first letter ("no such file or directory"). */
static void go_errno(struct buf *out, int e)
{
	const char *s = strerror(e);
	buf_putc(out, (char)tolower((unsigned char)s[0]));
	buf_puts(out, s + 1);
}

static void json_syntax_error(struct loader *ld, const char *name, const char *data, size_t len,
			      const json_error_t *je)
{
	struct buf msg = BUF_INIT;
	buf_printf(&msg, "%s (line %d, column %d)", je->text, je->line, je->column);
	size_t pos = je->position > 0 ? (size_t)je->position - 1 : 0;
	if (pos < len && (data[pos] == '/' || data[pos] == '#'))
		buf_puts(&msg, "; comments are not allowed in JSON, use an .hcl file for "
			       "commented configuration");
	loader_error(ld, NULL, "failed to parse %s: %s", name, buf_cstr(&msg));
	buf_free(&msg);
}

static json_t *decode(struct loader *ld, const char *name, const char *data, size_t len,
		      const char *format)
{
	if (strcmp(format, "hcl") == 0) {
		struct buf err = BUF_INIT;
		json_t *root = hcl_parse(data, len, &err);
		if (!root)
			loader_error(ld, NULL, "failed to parse %s: %s", name, buf_cstr(&err));
		buf_free(&err);
		return root;
	}
	json_error_t je;
	json_t *root = json_loadb(data, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!root) {
		json_syntax_error(ld, name, data, len, &je);
		return NULL;
	}
	if (!json_is_object(root)) {
		loader_error(ld, NULL,
			     "failed to parse %s: json: cannot unmarshal %s into Go value of "
			     "type map[string]interface {}",
			     name,
			     json_is_array(root)    ? "array"
			     : json_is_string(root) ? "string"
			     : json_is_number(root) ? "number"
			     : json_is_null(root)   ? "null"
						    : "bool");
		json_decref(root);
		return NULL;
	}
	return root;
}

void loader_apply_text(struct loader *ld, const char *name, const char *data, size_t len,
		       const char *format)
{
	if (len == 0)
		return;
	json_t *root = decode(ld, name, data, len, format);
	if (!root)
		return;
	if (json_is_object(root)) {
		loader_source(ld, name);
		loader_apply_tree(ld, root);
	}
	json_decref(root);
}

static char *read_file(struct loader *ld, const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT, why = BUF_INIT;
	if (!f) {
		go_errno(&why, errno);
		loader_error(ld, NULL, "config: failed to read %s: open %s: %s", path, path,
			     buf_cstr(&why));
		buf_free(&why);
		return NULL;
	}
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len <= MAX_FILE)
		buf_append(&b, chunk, n);
	int failed = ferror(f) || b.len > MAX_FILE;
	fclose(f);
	if (failed) {
		loader_error(ld, NULL, "config: failed to read %s: %s", path,
			     b.len > MAX_FILE ? "file too large" : "read error");
		buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return buf_steal(&b);
}

static void load_file(struct loader *ld, const char *path)
{
	const char *format = ld->format ? ld->format : format_of(path);
	if (!format) {
		loader_warn(ld, NULL,
			    "skipping file %s, extension must be .hcl or .json, or config format "
			    "must be set",
			    path);
		return;
	}
	size_t len = 0;
	char *data = read_file(ld, path, &len);
	if (data)
		loader_apply_text(ld, path, data, len, format);
	free(data);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_dir(struct loader *ld, const char *path)
{
	DIR *d = opendir(path);
	struct strlist names = {0};
	struct dirent *de;
	if (!d) {
		struct buf why = BUF_INIT;
		go_errno(&why, errno);
		loader_error(ld, NULL, "config: Readdir failed on %s. %s", path, buf_cstr(&why));
		buf_free(&why);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			strlist_add(&names, de->d_name);
	closedir(d);
	if (names.len) /* qsort(NULL, 0, ...) is undefined */
		qsort(names.items, names.len, sizeof(*names.items), cmp_names);
	size_t plen = strlen(path);
	bool slash = plen > 0 && path[plen - 1] == '/';
	for (size_t i = 0; i < names.len; i++) {
		struct buf full = BUF_INIT;
		struct stat st;
		buf_printf(&full, "%s%s%s", path, slash ? "" : "/", names.items[i]);
		if (stat(full.data, &st) == 0 && !S_ISDIR(st.st_mode))
			load_file(ld, full.data);
		buf_free(&full);
	}
	strlist_free(&names);
}

void loader_path(struct loader *ld, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		struct buf why = BUF_INIT;
		go_errno(&why, errno);
		loader_error(ld, NULL, "config: Open failed on %s. open %s: %s", path, path,
			     buf_cstr(&why));
		buf_free(&why);
		return;
	}
	if (S_ISDIR(st.st_mode))
		load_dir(ld, path);
	else
		load_file(ld, path);
}
