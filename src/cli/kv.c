/*
 * The `kv` group and the helpers its subcommands share (see kv.h): reading the DATA
 * argument, Go-compatible base64 and path joining, and the request/response pattern
 * of Consul's api.KV (GET: 404 means "no such key"; PUT/DELETE: 200 with a body of
 * "true" or "false", any other status is "Unexpected response code: N (body)").
 */
#include "cli/kv.h"

#include "base/alloc.h"
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

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Next input byte, skipping CR and LF as Go's decoder does; -1 at the end. */
static int next_char(const char *s, size_t n, size_t *i)
{
	while (*i < n && (s[*i] == '\r' || s[*i] == '\n'))
		(*i)++;
	return *i < n ? (unsigned char)s[(*i)++] : -1;
}

/* One 4-character quantum; returns bytes produced (0..3), -1 at end, -2 on error. */
static int quantum(const char *s, size_t n, size_t *i, unsigned char *o, size_t *bad)
{
	unsigned v = 0;
	int j = 0;
	for (; j < 4; j++) {
		size_t at = *i;
		int c = next_char(s, n, i);
		if (c < 0) {
			if (j == 0)
				return -1;
			*bad = *i - (size_t)j;
			return -2;
		}
		if (c == '=') {
			int pad2 = j == 2 ? next_char(s, n, i) : '=';
			if (j < 2 || pad2 != '=') {
				/* Go: the '=' itself, the end of input, or the byte before the
				 * one that should have been the second '=' */
				*bad = j < 2 ? at : pad2 < 0 ? n : *i - 2;
				return -2;
			}
			size_t rest = *i;
			if (next_char(s, n, &rest) >= 0) {
				*bad = rest - 1;
				return -2;
			}
			break;
		}
		int d = b64_value((char)c);
		if (d < 0) {
			*bad = at;
			return -2;
		}
		v = v << 6 | (unsigned)d;
	}
	int out = j == 4 ? 3 : j - 1;
	v <<= 6 * (4 - j);
	o[0] = (unsigned char)(v >> 16), o[1] = (unsigned char)(v >> 8), o[2] = (unsigned char)v;
	return out;
}

int kv_b64_decode(struct buf *out, const char *s, size_t n, struct buf *err)
{
	size_t i = 0, bad = 0;
	for (;;) {
		unsigned char o[3];
		int k = quantum(s, n, &i, o, &bad);
		if (k == -1)
			return 0;
		if (k == -2) {
			buf_printf(err, "illegal base64 data at input byte %zu", bad);
			return -1;
		}
		buf_append(out, o, (size_t)k);
		if (k < 3)
			return 0;
	}
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
