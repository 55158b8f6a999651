/*
 * Gossip keyring management (Consul's /v1/operator/keyring):
 *
 *   GET    /v1/operator/keyring[?local-only=&relay-factor=]   list
 *   POST   /v1/operator/keyring   {"Key": "..."}              install
 *   PUT    /v1/operator/keyring   {"Key": "..."}              use (make primary)
 *   DELETE /v1/operator/keyring   {"Key": "..."}              remove
 *
 * Each operation runs across the WAN pool (servers; skipped with
 * ?local-only on a list) and the LAN pool at once, through
 * gossip_pool_keyring_op (gossip/pool_keyring.h); the reply waits for both.
 * Like Consul's Internal.KeyringOperation the answers are one entry per
 * pool, WAN first:
 *
 *   {"WAN": true, "Datacenter": "dc1", "Segment": "", "Messages": {...},
 *    "Keys": {"<key>": n}, "PrimaryKeys": {"<key>": n}, "NumNodes": N,
 *    "Error": ""}
 *
 * A list answers that array; install/use/remove answer 200 with no body.
 * When any pool reports an error the reply is Consul's 500 with
 * go-multierror's text: "<pool> error: <error>" and, for that pool, one
 * "<node>: <message>" line per member that said something. A bad body is
 * 400 "Request decode failed: ...", a bad relay-factor or local-only 400 as
 * Consul. relay-factor is validated and otherwise has no effect: answers are
 * gossiped to every member anyway (docs/compat.md).
 *
 * The request has no cancel hook: if the client goes away the reply is
 * dropped when the pools answer (each operation ends at its timeout).
 */
#include "api/api.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/strconv.h"
#include "gossip/pool.h"
#include "gossip/pool_keyring.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { E_WAN, E_LAN, E_COUNT };

/* One pool's answer, copied out of the callback. */
struct entry {
	bool used;
	struct pool_keyring_result r;
};

struct keyring_req {
	struct api *a;
	struct http_request *req;
	enum pool_keyring_op op;
	int pending; /* pools still answering */
	struct entry e[E_COUNT];
};

static void result_copy(struct pool_keyring_result *dst, const struct pool_keyring_result *src)
{
	*dst = *src;
	dst->msgs = src->nmsgs ? xcalloc(src->nmsgs, sizeof(*dst->msgs)) : NULL;
	for (size_t i = 0; i < src->nmsgs; i++) {
		dst->msgs[i] = src->msgs[i];
		dst->msgs[i].text = xstrdup(src->msgs[i].text);
	}
	dst->keys = src->nkeys ? xmemdup(src->keys, src->nkeys * sizeof(*src->keys)) : NULL;
	dst->primary =
	    src->nprimary ? xmemdup(src->primary, src->nprimary * sizeof(*src->primary)) : NULL;
}

static void result_free(struct pool_keyring_result *r)
{
	for (size_t i = 0; i < r->nmsgs; i++)
		free(r->msgs[i].text);
	free(r->msgs);
	free(r->keys);
	free(r->primary);
}

static void pool_label(struct buf *out, const struct api *a, int which)
{
	if (which == E_WAN)
		buf_puts(out, "WAN");
	else
		buf_printf(out, "%s (LAN)", a->cfg->datacenter);
}

/* go-multierror's ListFormatFunc over keyringErrorsOrNil's errors; false
 * when there are none. */
static bool errors_text(const struct keyring_req *k, struct buf *out)
{
	struct buf lines = BUF_INIT;
	size_t n = 0;
	for (int i = 0; i < E_COUNT; i++) {
		const struct pool_keyring_result *r = &k->e[i].r;
		if (!k->e[i].used || !*r->error)
			continue;
		buf_puts(&lines, n++ ? "\n\t* " : "* ");
		pool_label(&lines, k->a, i);
		buf_printf(&lines, " error: %s", r->error);
		for (size_t j = 0; j < r->nmsgs; j++, n++)
			buf_printf(&lines, "\n\t* %s: %s", r->msgs[j].name, r->msgs[j].text);
	}
	if (n == 1)
		buf_printf(out, "1 error occurred:\n\t%s\n\n", buf_cstr(&lines));
	else if (n > 1)
		buf_printf(out, "%zu errors occurred:\n\t%s\n\n", n, buf_cstr(&lines));
	buf_free(&lines);
	return n > 0;
}

static void counts_json(struct jsonw *w, const char *name, const struct pool_keyring_count *c,
			size_t n)
{
	jsonw_key(w, name);
	jsonw_obj_open(w);
	for (size_t i = 0; i < n; i++)
		jsonw_kint(w, c[i].key, (int64_t)c[i].count);
	jsonw_obj_close(w);
}

static void entry_json(struct jsonw *w, const struct api *a, int which,
		       const struct pool_keyring_result *r)
{
	jsonw_obj_open(w);
	jsonw_kbool(w, "WAN", which == E_WAN);
	jsonw_kstr(w, "Datacenter", a->cfg->datacenter);
	jsonw_kstr(w, "Segment", "");
	jsonw_key(w, "Messages");
	jsonw_obj_open(w);
	for (size_t i = 0; i < r->nmsgs; i++)
		jsonw_kstr(w, r->msgs[i].name, r->msgs[i].text);
	jsonw_obj_close(w);
	counts_json(w, "Keys", r->keys, r->nkeys);
	counts_json(w, "PrimaryKeys", r->primary, r->nprimary);
	jsonw_kint(w, "NumNodes", (int64_t)r->num_nodes);
	jsonw_kstr(w, "Error", r->error);
	jsonw_obj_close(w);
}

static void finish(struct keyring_req *k)
{
	struct http_request *req = k->req;
	struct buf err = BUF_INIT;
	if (errors_text(k, &err)) {
		api_error(req, 500, "%s", buf_cstr(&err));
	} else if (k->op == POOL_KEYRING_LIST) {
		struct jsonw w;
		api_json_begin(k->a, req, &w);
		jsonw_arr_open(&w);
		for (int i = 0; i < E_COUNT; i++)
			if (k->e[i].used)
				entry_json(&w, k->a, i, &k->e[i].r);
		jsonw_arr_close(&w);
		api_json_end(req, &w);
		http_reply(req);
	} else {
		http_reply(req);
	}
	buf_free(&err);
	for (int i = 0; i < E_COUNT; i++)
		result_free(&k->e[i].r);
	free(k);
}

static void pool_done(struct gossip_pool *p, const struct pool_keyring_result *r, void *data)
{
	struct keyring_req *k = data;
	int which = p == k->a->wan ? E_WAN : E_LAN;
	result_copy(&k->e[which].r, r);
	if (--k->pending == 0)
		finish(k);
}

/* ---- the request ---- */

/* ?relay-factor and ?local-only as Consul's OperatorKeyringEndpoint; false
 * after answering 400. */
static bool parse_params(struct http_request *req, bool *local_only)
{
	const struct http_param *rf = http_param_get(req, "relay-factor");
	if (rf && *rf->value) {
		char *end;
		errno = 0;
		long long n = strtoll(rf->value, &end, 10);
		if (*end || end == rf->value || rf->value[0] == ' ') {
			api_error(
			    req, 400,
			    "Error parsing relay factor: strconv.Atoi: parsing \"%s\": invalid "
			    "syntax",
			    rf->value);
			return false;
		}
		if (errno == ERANGE) {
			api_error(req, 400,
				  "Error parsing relay factor: strconv.Atoi: parsing \"%s\": value "
				  "out of range",
				  rf->value);
			return false;
		}
		if (n < 0 || n > 5) {
			api_error(req, 400,
				  "Invalid relay-factor: Relay factor must be in range: [0, 5]");
			return false;
		}
	}
	const struct http_param *lo = http_param_get(req, "local-only");
	*local_only = false;
	if (lo && *lo->value) {
		if (strconv_parse_bool(lo->value, local_only)) {
			api_error(req, 400,
				  "Error parsing local-only: strconv.ParseBool: parsing \"%s\": "
				  "invalid syntax",
				  lo->value);
			return false;
		}
		if (*local_only && req->method != HTTP_M_GET && req->method != HTTP_M_HEAD) {
			api_error(req, 400,
				  "Invalid use of local-only: local-only can only be set "
				  "for list requests");
			return false;
		}
	}
	return true;
}

/* {"Key": "..."} (field names match case-insensitively, as Go's decoder);
 * NULL after answering 400. */
static char *parse_key(struct http_request *req)
{
	if (!req->body.len) {
		api_error(req, 400, "Request decode failed: EOF");
		return NULL;
	}
	json_error_t je;
	json_t *j = json_loadb(req->body.data, req->body.len, JSON_DECODE_ANY, &je);
	if (!j) {
		api_error(req, 400, "Request decode failed: %s", je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		api_error(req, 400,
			  "Request decode failed: json: cannot unmarshal %s into Go value of type "
			  "agent.keyringArgs",
			  json_is_array(j)    ? "array"
			  : json_is_string(j) ? "string"
					      : "number");
		json_decref(j);
		return NULL;
	}
	char *key = NULL;
	const char *name;
	json_t *v;
	json_object_foreach(j, name, v)
	{
		if (strcasecmp(name, "Key") != 0 || json_is_null(v))
			continue;
		if (!json_is_string(v)) {
			api_error(req, 400,
				  "Request decode failed: json: cannot unmarshal %s into Go struct "
				  "field keyringArgs.Key of type string",
				  json_is_object(v)    ? "object"
				  : json_is_array(v)   ? "array"
				  : json_is_boolean(v) ? "bool"
						       : "number");
			free(key);
			json_decref(j);
			return NULL;
		}
		free(key);
		key = xstrdup(json_string_value(v));
	}
	json_decref(j);
	return key ? key : xstrdup("");
}

void api_operator_keyring(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	static const enum pool_keyring_op by_method[] = {
	    [HTTP_M_GET] = POOL_KEYRING_LIST,	   [HTTP_M_HEAD] = POOL_KEYRING_LIST,
	    [HTTP_M_POST] = POOL_KEYRING_INSTALL,  [HTTP_M_PUT] = POOL_KEYRING_USE,
	    [HTTP_M_DELETE] = POOL_KEYRING_REMOVE,
	};
	if (req->method > HTTP_M_DELETE || !by_method[req->method]) {
		api_error(req, 405, "method %s not allowed", req->method_name);
		return;
	}
	enum pool_keyring_op op = by_method[req->method];
	char *key = NULL;
	if (op != POOL_KEYRING_LIST && !(key = parse_key(req)))
		return;
	bool local_only;
	if (!parse_params(req, &local_only)) {
		free(key);
		return;
	}
	if (!a->lan) {
		free(key);
		api_error(req, 500, "gossip is not running");
		return;
	}
	struct keyring_req *k = xcalloc(1, sizeof(*k));
	k->a = a;
	k->req = req;
	k->op = op;
	k->e[E_LAN].used = true;
	k->e[E_WAN].used = a->wan && !local_only;
	k->pending = 1 + k->e[E_WAN].used;
	/* both start before either can answer: callbacks always come later */
	int rc_wan = k->e[E_WAN].used ? gossip_pool_keyring_op(a->wan, op, key, pool_done, k) : 0;
	int rc_lan = gossip_pool_keyring_op(a->lan, op, key, pool_done, k);
	free(key);
	if (rc_wan) {
		k->e[E_WAN].used = false;
		k->pending--;
	}
	if (rc_lan) {
		k->e[E_LAN].used = false;
		k->pending--;
	}
	if (k->pending == 0) {
		free(k);
		api_error(req, 500, "%s", cairn_strerror(rc_lan ? rc_lan : rc_wan));
	}
}
