/*
 * /v1/kv/<key>: Consul's KV endpoint.
 *
 * GET reads through api_read (blocking, consistency): one key, ?recurse for a
 * prefix, ?keys (with ?separator) for key names, ?raw for the bare value. PUT
 * and DELETE become a one-operation CMD_KV_TXN through Raft and answer the
 * literal true/false. Parameters are tested for presence, as Consul does
 * (?recurse=false still recurses). ?acquire=<session> and ?release=<session>
 * become the lock and unlock verbs (state/session.h): true when the lock was
 * taken or released, false when another session holds it or lock-delay is
 * running, 500 "invalid session \"x\"" for an unknown session.
 */
#include "api/api.h"

#include "base/b64.h"
#include "base/metrics.h"
#include "consensus/cmd.h"

#include <string.h>

void api_kv_entry_json(struct jsonw *w, const struct kv_entry *e, bool with_value)
{
	jsonw_obj_open(w);
	jsonw_kuint(w, "LockIndex", e->lock_index);
	jsonw_kstr(w, "Key", e->key);
	jsonw_kuint(w, "Flags", e->flags);
	jsonw_key(w, "Value");
	if (with_value && e->value)
		jsonw_base64(w, e->value, e->value_len);
	else
		jsonw_null(w);
	if (e->session)
		jsonw_kstr(w, "Session", e->session);
	jsonw_kuint(w, "CreateIndex", e->create_index);
	jsonw_kuint(w, "ModifyIndex", e->modify_index);
	jsonw_obj_close(w);
}

struct listing {
	struct jsonw *w;
	size_t n;
};

static int list_entry(void *ctx, const struct kv_entry *e)
{
	struct listing *l = ctx;
	api_kv_entry_json(l->w, e, true);
	l->n++;
	return 0;
}

static int list_key(void *ctx, const char *key, size_t len)
{
	struct listing *l = ctx;
	jsonw_strn(l->w, key, len);
	l->n++;
	return 0;
}

static int query_recurse(struct api *a, struct http_request *req, struct watcher *w,
			 uint64_t *index)
{
	const char *prefix = req->tail;
	struct jsonw j;
	struct listing l = {&j, 0};
	*index = kv_prefix_index(a->store, prefix);
	if (w)
		watch_prefix(a->store, w, TABLE_KV, prefix);
	api_json_begin(a, req, &j);
	jsonw_arr_open(&j);
	kv_scan(a->store, prefix, list_entry, &l);
	jsonw_arr_close(&j);
	api_json_end(req, &j);
	if (l.n == 0) {
		buf_reset(&req->resp.body);
		return 404;
	}
	return 200;
}

static int query_keys(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index)
{
	const char *prefix = req->tail;
	const struct http_param *sep = http_param_get(req, "separator");
	if (!sep) /* the spelling older Consul clients still send */
		sep = http_param_get(req, "seperator");
	struct jsonw j;
	struct listing l = {&j, 0};
	*index = kv_prefix_index(a->store, prefix);
	if (w)
		watch_prefix(a->store, w, TABLE_KV, prefix);
	api_json_begin(a, req, &j);
	jsonw_arr_open(&j);
	kv_keys(a->store, prefix, sep ? sep->value : NULL, list_key, &l);
	jsonw_arr_close(&j);
	api_json_end(req, &j);
	/* an empty root listing is [], an empty prefix is not found */
	if (l.n == 0 && prefix[0]) {
		buf_reset(&req->resp.body);
		return 404;
	}
	return 200;
}

static int query_get(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index)
{
	const struct kv_entry *e = kv_get(a->store, req->tail);
	*index = kv_key_index(a->store, req->tail);
	if (w)
		watch_key(a->store, w, TABLE_KV, req->tail);
	if (!e)
		return 404;
	if (api_has(req, "raw")) {
		/* never let a browser sniff a value into HTML */
		req->resp.content_type = "text/plain";
		http_resp_header(req, "X-Content-Type-Options", "nosniff");
		buf_append(&req->resp.body, e->value ? e->value : "", e->value_len);
		return 200;
	}
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_arr_open(&j);
	api_kv_entry_json(&j, e, true);
	jsonw_arr_close(&j);
	api_json_end(req, &j);
	return 200;
}

static bool conflicting(struct http_request *req, const char *a, const char *b, const char *c)
{
	int n = api_has(req, a) + api_has(req, b) + (c ? api_has(req, c) : 0);
	if (n > 1) {
		api_error(req, 400, "Conflicting flags: %s", req->query);
		return true;
	}
	return false;
}

static void reply_bool(struct api *a, struct http_request *req, bool v)
{
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_bool(&j, v);
	api_json_end(req, &j);
	http_reply(req);
}

/* Reply for PUT and DELETE: true, or for cas verbs whether it applied. */
static void kv_written(struct api *a, struct http_request *req, int status,
		       const struct txn_result *res)
{
	if (status) {
		api_error_code(req, status);
		return;
	}
	metrics_sample(a->metrics, M_KVS_APPLY, (double)(uv_hrtime() - req->start_ns) / 1e6);
	/* a missing or unknown session is an error, not a failed lock (Consul: 500) */
	if (res->nerrors && res->errors[0].code) {
		api_error(req, 500, "%s", res->errors[0].what);
		return;
	}
	reply_bool(a, req, res->nerrors == 0);
}

static void propose_one(struct api *a, struct http_request *req, struct kv_op *op)
{
	struct cmd c = {.type = CMD_KV_TXN, .u.kv = {op, 1}};
	struct buf enc = BUF_INIT;
	cmd_encode(&c, &enc);
	api_write(a, req, &enc, kv_written);
	buf_free(&enc);
}

static void kv_put(struct api *a, struct http_request *req)
{
	struct kv_op op = {.verb = KV_SET, .key = (char *)req->tail};
	bool cas;
	if (!req->tail[0]) {
		api_error(req, 400, "Missing key name");
		return;
	}
	if (conflicting(req, "cas", "acquire", "release"))
		return;
	if (api_uint_param(req, "flags", &op.flags, NULL) ||
	    api_uint_param(req, "cas", &op.index, &cas))
		return;
	if (cas)
		op.verb = KV_CAS;
	const struct http_param *acq = http_param_get(req, "acquire");
	const struct http_param *rel = http_param_get(req, "release");
	if (acq) {
		op.verb = KV_LOCK;
		op.session = (char *)acq->value;
		/* lock-delay is wall-clock state: checked here, before the write is
		 * proposed, never in the FSM (Consul's kvsPreApply). A key another
		 * session holds is refused here too (the FSM would refuse it): else
		 * an acquire checked while the holder's invalidation is still in
		 * flight would apply right after it and skip the lock-delay. */
		const struct kv_entry *held = kv_get(a->store, op.key);
		if (consensus_lock_delayed(a->cons, op.key) ||
		    (held && held->session && strcmp(held->session, op.session) != 0)) {
			reply_bool(a, req, false);
			return;
		}
	} else if (rel) {
		op.verb = KV_UNLOCK;
		op.session = (char *)rel->value;
	}
	if (req->body.len) {
		op.value = req->body.data;
		op.value_len = req->body.len;
		op.has_value = true;
	}
	propose_one(a, req, &op);
}

static void kv_delete(struct api *a, struct http_request *req)
{
	struct kv_op op = {.verb = KV_DELETE, .key = (char *)req->tail};
	bool cas;
	if (conflicting(req, "recurse", "cas", NULL))
		return;
	if (api_has(req, "recurse")) {
		op.verb = KV_DELETE_TREE;
	} else if (!req->tail[0]) {
		api_error(req, 400, "Missing key name");
		return;
	}
	if (api_uint_param(req, "cas", &op.index, &cas))
		return;
	if (cas)
		op.verb = KV_DELETE_CAS;
	propose_one(a, req, &op);
}

void api_kv(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (req->method != HTTP_M_GET && req->method != HTTP_M_HEAD && !api_local_dc(a, req))
		return;
	switch (req->method) {
	case HTTP_M_PUT:
		kv_put(a, req);
		return;
	case HTTP_M_DELETE:
		kv_delete(a, req);
		return;
	default:
		break;
	}
	if (api_has(req, "keys"))
		api_read(a, req, query_keys);
	else if (api_has(req, "recurse"))
		api_read(a, req, query_recurse);
	else if (!req->tail[0])
		api_error(req, 400, "Missing key name");
	else
		api_read(a, req, query_get);
}
