/*
 * The `kv` group and the helpers its subcommands share (see kv.h): the optional KEY
 * argument, reading the DATA argument, Go-compatible base64 decoding (base/b64 plus
 * Go's CR/LF skipping and error offsets) and path joining, and the request/response
 * pattern of Consul's api.KV (GET: 404 means "no such key", kv_fetch decodes the
 * pairs; PUT/DELETE: 200 with a body of "true" or "false", any other status is
 * "Unexpected response code: N (body)").
 */
#include "cli/kv.h"

#include "base/alloc.h"
#include "base/b64.h"
#include "cli/cli.h"
#include "cli/commands.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char kv_usage[] =
    "\nUsage: consul kv <subcommand> [options] [args]\n"
    "\n"
    "  This command has subcommands for interacting with Consul's key-value\n"
    "  store. Here are some simple examples, and more detailed examples are\n"
    "  available in the subcommands or the documentation.\n"
    "\n"
    "  Create or update the key named \"redis/config/connections\" with the value \"5\":\n"
    "\n"
    "      $ consul kv put redis/config/connections 5\n"
    "\n"
    "  Read this value back:\n"
    "\n"
    "      $ consul kv get redis/config/connections\n"
    "\n"
    "  Or get detailed key information:\n"
    "\n"
    "      $ consul kv get -detailed redis/config/connections\n"
    "\n"
    "  Finally, delete the key:\n"
    "\n"
    "      $ consul kv delete redis/config/connections\n"
    "\n"
    "  For more examples, ask for subcommand help or view the documentation.\n";

/* Go's *PathError text: "open NAME: no such file or directory". */
static void path_error(struct buf *err, const char *op, const char *name, int e)
{
	const char *m = strerror(e);
	buf_printf(err, "%s %s: %c%s", op, name, tolower((unsigned char)m[0]), m + 1);
}

static int read_stream(FILE *f, struct buf *out)
{
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(out, tmp, n);
	return ferror(f) ? -1 : 0;
}

int kv_parse_key_args(const struct flag_def *defs, void *opts, int argc, char **argv,
		      const char **key)
{
	int rest;
	if (flags_parse(defs, opts, argc, argv, 1, &rest) < 0)
		return 1;
	if (argc - rest > 1) {
		cli_error("Too many arguments (expected 1, got %d)", argc - rest);
		return 1;
	}
	*key = argc - rest == 1 ? argv[rest] : "";
	if ((*key)[0] == '/')
		(*key)++;
	return 0;
}

int kv_read_data(const char *arg, struct buf *out, struct buf *err)
{
	if (arg[0] == '@') {
		FILE *f = fopen(arg + 1, "rb");
		if (!f) {
			buf_puts(err, "Failed to read file: ");
			path_error(err, "open", arg + 1, errno);
			return -1;
		}
		int rc = read_stream(f, out);
		int e = errno;
		fclose(f);
		if (rc < 0) {
			buf_puts(err, "Failed to read file: ");
			path_error(err, "read", arg + 1, e);
		}
		return rc;
	}
	if (arg[0] == '-' && arg[1] == '\0') {
		if (read_stream(stdin, out) < 0) {
			buf_puts(err, "Failed to read stdin: ");
			path_error(err, "read", "/dev/stdin", errno);
			return -1;
		}
		return 0;
	}
	buf_puts(out, arg);
	return 0;
}

/* Next input byte, skipping CR and LF as Go's decoder does; -1 at the end. */
int kv_b64_decode(struct buf *out, const char *s, size_t n, struct buf *err)
{
	size_t at;
	int rc = b64_decode_go(out, s, n, &at);
	if (rc < 0)
		buf_printf(err, "illegal base64 data at input byte %zu", at);
	return rc;
}

/* Go's path.Clean applied to s, appended to out. */
static void path_clean(struct buf *out, const char *s)
{
	bool rooted = s[0] == '/';
	size_t base = out->len;
	if (rooted)
		buf_putc(out, '/');
	size_t floor = out->len; /* ".." may not remove below this */
	for (const char *p = s; *p;) {
		while (*p == '/')
			p++;
		const char *e = p;
		while (*e && *e != '/')
			e++;
		size_t len = (size_t)(e - p);
		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* skip */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (out->len > floor) {
				while (out->len > floor && out->data[out->len - 1] != '/')
					out->len--;
				if (out->len > floor)
					out->len--;
				out->data[out->len] = '\0';
			} else if (!rooted) {
				if (out->len > base)
					buf_putc(out, '/');
				buf_puts(out, "..");
				floor = out->len;
			}
		} else {
			if (out->len > floor || (out->len > base && !rooted))
				buf_putc(out, '/');
			buf_append(out, p, len);
		}
		p = e;
	}
	if (out->len == base)
		buf_putc(out, '.');
}

void kv_path_join(struct buf *out, const char *prefix, const char *key)
{
	if (!*prefix && !*key)
		return;
	struct buf joined = BUF_INIT;
	buf_puts(&joined, prefix);
	if (*prefix && *key)
		buf_putc(&joined, '/');
	buf_puts(&joined, key);
	path_clean(out, joined.data);
	buf_free(&joined);
}

char *kv_api_path(const char *key)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "/v1/kv/");
	buf_puts(&b, key);
	return buf_steal(&b);
}

int kv_client(struct httpc *c, const struct httpc_flags *f)
{
	struct buf err = BUF_INIT;
	int rc = httpc_init(c, f, &err);
	if (rc < 0)
		cli_error("Error connecting to Consul agent: %s", buf_cstr(&err));
	buf_free(&err);
	return rc;
}

int kv_api_get(const struct httpc *c, struct httpc_req *r, struct httpc_resp *resp, struct buf *err)
{
	if (httpc_do(c, r, resp, err) < 0)
		return -1;
	if (resp->status == 404)
		return 0;
	if (resp->status != 200) {
		httpc_status_error(err, resp, false);
		httpc_resp_free(resp);
		return -1;
	}
	return 1;
}

int kv_fetch(const struct httpc *c, const char *path, bool recurse, struct kv_pairs *pairs)
{
	struct httpc_req r;
	httpc_req_init(&r, "GET", path, true);
	if (recurse)
		httpc_req_param(&r, "recurse", "");
	struct httpc_resp resp;
	struct buf err = BUF_INIT;
	int found = kv_api_get(c, &r, &resp, &err);
	*pairs = (struct kv_pairs){0};
	if (found > 0)
		kv_pairs_parse(resp.body.data, resp.body.len, pairs, &err);
	int rc = err.len ? 1 : 0;
	if (rc)
		cli_error("Error querying Consul agent: %s", err.data);
	if (found >= 0)
		httpc_resp_free(&resp);
	buf_free(&err);
	return rc;
}

int kv_api_write(const struct httpc *c, struct httpc_req *r, bool *ok, struct buf *err)
{
	const char *key = r->path + strlen("/v1/kv/");
	if (strcmp(r->method, "PUT") == 0 && key[0] == '/') {
		buf_printf(err, "Invalid key. Key must not begin with a '/': %s", key);
		return -1;
	}
	struct httpc_resp resp;
	if (httpc_do(c, r, &resp, err) < 0)
		return -1;
	int rc = 0;
	if (resp.status != 200) {
		httpc_status_error(err, &resp, true);
		rc = -1;
	}
	*ok = resp.body.len && strstr(resp.body.data, "true") != NULL;
	httpc_resp_free(&resp);
	return rc;
}
