/*
 * /v1/txn: Consul's transaction endpoint.
 *
 * The body is a JSON array of up to 128 operations, KV, Node, Service or Check
 * (txn_parse.h). A transaction with a write goes through Raft as one
 * CMD_KV_TXN and is all-or-nothing: 200 with Results, or 409 with Errors
 * (OpIndex, What) and nothing applied; a lock on a key in its lock-delay is
 * refused that way before it is proposed. A read-only one (only get verbs, and
 * KV's read verbs) is answered from the store through api_read (consistency
 * modes and headers), the fast path Consul has too. Results are rendered in
 * Consul's shape: {"KV": DirEntry}, {"Node": Node}, {"Service": NodeService},
 * {"Check": HealthCheck} (api/catalog_json.h for the catalog ones).
 */
#include "api/api.h"

#include "base/metrics.h"
#include "consensus/cmd.h"
#include "consensus/kvops.h"
#include "api/catalog_json.h"
#include "api/txn_parse.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void write_item(struct jsonw *j, const struct txn_item *it)
{
	jsonw_obj_open(j);
	jsonw_key(j, txn_op_kind_name(it->kind));
	switch (it->kind) {
	case TXN_OP_NODE:
		catalog_json_node(j, it->node);
		break;
	case TXN_OP_SERVICE:
		catalog_json_node_service(j, it->svc);
		break;
	case TXN_OP_CHECK:
		catalog_json_check(j, it->chk);
		break;
	default:
		api_kv_entry_json(j, it->entry, it->with_value);
		break;
	}
	jsonw_obj_close(j);
}

static void write_results(struct api *a, struct http_request *req, const struct txn_result *res)
{
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_obj_open(&j);
	jsonw_key(&j, "Results");
	if (res->nitems) {
		jsonw_arr_open(&j);
		for (size_t i = 0; i < res->nitems; i++)
			write_item(&j, &res->items[i]);
		jsonw_arr_close(&j);
	} else {
		jsonw_null(&j);
	}
	jsonw_key(&j, "Errors");
	if (res->nerrors) {
		jsonw_arr_open(&j);
		for (size_t i = 0; i < res->nerrors; i++) {
			jsonw_obj_open(&j);
			jsonw_kuint(&j, "OpIndex", res->errors[i].op_index);
			jsonw_kstr(&j, "What", res->errors[i].what);
			jsonw_obj_close(&j);
		}
		jsonw_arr_close(&j);
	} else {
		jsonw_null(&j);
	}
	jsonw_obj_close(&j);
	api_json_end(req, &j);
	req->resp.status = res->nerrors ? 409 : 200;
}

static void txn_written(struct api *a, struct http_request *req, int status,
			const struct txn_result *res)
{
	if (status) {
		api_error_code(req, status);
		return;
	}
	metrics_sample(a->metrics, M_TXN_APPLY, (double)(uv_hrtime() - req->start_ns) / 1e6);
	write_results(a, req, res);
	http_reply(req);
}

/* Read-only transactions: evaluated on the store (the body was validated). */
static int query_read(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index)
{
	struct txn_parsed p;
	struct txn_result res;
	txn_parse(req->body.data, req->body.len, a->cfg->datacenter, &p);
	kvops_eval(a->store, NULL, p.ops, p.n, &res);
	write_results(a, req, &res);
	txn_result_free(&res);
	txn_parsed_free(&p);
	*index = store_index(a->store);
	metrics_sample(a->metrics, M_TXN_READ, (double)(uv_hrtime() - req->start_ns) / 1e6);
	return req->resp.status;
}

/* Consul's txn preApply: a lock on a key still in its lock-delay fails the
 * whole transaction with 409 before anything is proposed (lock-delay is
 * wall-clock state, never evaluated in the FSM). Returns true when it replied. */
static bool lock_delayed(struct api *a, struct http_request *req, const struct txn_parsed *p)
{
	struct txn_result res = {0};
	for (size_t i = 0; i < p->n; i++) {
		const struct kv_op *op = &p->ops[i];
		if (op->kind != TXN_OP_KV || op->verb != KV_LOCK ||
		    !consensus_lock_delayed(a->cons, op->key))
			continue;
		txn_result_key_error(&res, i, "failed to lock key %s due to lock delay", op->key);
	}
	if (res.nerrors) {
		write_results(a, req, &res);
		http_reply(req);
	}
	bool replied = res.nerrors > 0;
	txn_result_free(&res);
	return replied;
}

void api_txn(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	struct txn_parsed p;
	if (!api_local_dc(a, req))
		return;
	if (txn_parse(req->body.data, req->body.len, a->cfg->datacenter, &p)) {
		if (p.status == 409) {
			req->resp.status = 409;
			buf_append(&req->resp.body, p.err.data, p.err.len);
			http_reply(req);
			txn_parsed_free(&p);
			return;
		}
		api_error(req, p.status, "%s", buf_cstr(&p.err));
		txn_parsed_free(&p);
		return;
	}
	if (!p.writes) {
		txn_parsed_free(&p);
		api_read(a, req, query_read);
		return;
	}
	if (lock_delayed(a, req, &p)) {
		txn_parsed_free(&p);
		return;
	}
	struct cmd c = {.type = CMD_KV_TXN, .u.kv = {p.ops, p.n}};
	struct buf enc = BUF_INIT;
	cmd_encode(&c, &enc);
	txn_parsed_free(&p);
	api_write(a, req, &enc, txn_written);
	buf_free(&enc);
}
