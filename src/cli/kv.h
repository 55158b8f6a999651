/*
 * Shared parts of the `kv` commands: the KV pair as the HTTP API returns it, its JSON
 * decoding, the two output formats that need care (-detailed and export), and the
 * argument conventions: the optional KEY of get, delete and export, and the DATA
 * (@file, "-" for stdin) that kv put and kv import share.
 *
 * Pairs own their strings; free a list with kv_pairs_free.
 */
#ifndef CAIRN_CLI_KV_H
#define CAIRN_CLI_KV_H

#include "base/buf.h"
#include "cli/flags.h"
#include "cli/httpc.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kv_pair {
	char *key;	       /* full key */
	uint64_t flags;	       /* user flags */
	uint64_t create_index; /* CreateIndex */
	uint64_t modify_index; /* ModifyIndex */
	uint64_t lock_index;   /* LockIndex */
	struct buf value;      /* decoded value (empty for null) */
	char *session;	       /* holding session, "" when none */
	char *ns;	       /* Namespace (Enterprise), "" when absent */
	char *partition;       /* Partition (Enterprise), "" when absent */
};

struct kv_pairs {
	struct kv_pair *v; /* pairs in response order (sorted by key) */
	size_t n;
};

/* The string member name of obj, or "" when absent or not a string. */
const char *kv_json_str(json_t *obj, const char *name);

/* Decode a GET /v1/kv response body. Returns 0, or -1 with a message in err. */
int kv_pairs_parse(const char *json, size_t len, struct kv_pairs *out, struct buf *err);
void kv_pairs_free(struct kv_pairs *p);

/* kv get -detailed: Consul's tabwriter table, without a trailing newline. */
void kv_format_detailed(struct buf *out, const struct kv_pair *p, bool base64);

/* kv export: json.MarshalIndent(entries, "", "\t"), without a trailing newline. */
void kv_format_export(struct buf *out, const struct kv_pairs *p);

/* Parse flags into opts and the optional KEY_OR_PREFIX of get, delete and export: at
 * most one positional argument, "" when absent, a leading "/" dropped. Returns 0, or 1
 * with the error printed. */
int kv_parse_key_args(const struct flag_def *defs, void *opts, int argc, char **argv,
		      const char **key);

/* The DATA argument of kv put/import: "@file", "-" (stdin) or the literal text.
 * Returns 0, or -1 with Consul's message in err ("Failed to read file: ..."). */
int kv_read_data(const char *arg, struct buf *out, struct buf *err);

/* Go's base64.StdEncoding.DecodeString, with its "illegal base64 data at input byte N". */
int kv_b64_decode(struct buf *out, const char *s, size_t n, struct buf *err);

/* Go's path.Join(prefix, key) (kv import -prefix). */
void kv_path_join(struct buf *out, const char *prefix, const char *key);

/* "/v1/kv/" + key (unescaped; httpc escapes it). Caller frees. */
char *kv_api_path(const char *key);

/* Resolve the HTTP client, or print "Error connecting to Consul agent: ..." and fail. */
int kv_client(struct httpc *c, const struct httpc_flags *f);

/* GET a KV path: 1 = found (resp 200), 0 = 404, -1 = error (message in err; resp is
 * then already freed). */
int kv_api_get(const struct httpc *c, struct httpc_req *r, struct httpc_resp *resp,
	       struct buf *err);

/* GET path (with ?recurse when recurse) and decode the pairs. Returns 0 (pairs set, a
 * 404 giving none; free them with kv_pairs_free), or 1 with "Error querying Consul
 * agent: ..." printed and pairs empty. */
int kv_fetch(const struct httpc *c, const char *path, bool recurse, struct kv_pairs *pairs);

/* PUT/DELETE: returns 0 with *ok set from the "true"/"false" body, or -1 with err. */
int kv_api_write(const struct httpc *c, struct httpc_req *r, bool *ok, struct buf *err);

#endif
