/*
 * /v1/agent/service..., /v1/agent/check..., /v1/agent/health/service/...,
 * /v1/agent/maintenance: the services and checks registered on this agent
 * (local/local.h), answered locally, never forwarded.
 *
 * Reads answer from the local state at once. Writes change the local state,
 * then reply once that change is on disk and the anti-entropy round that
 * carries it to the catalog has finished (local_wait), as Consul's handlers
 * call syncChanges before returning: a client that registers and then asks the
 * catalog sees its service. A sync failure is only logged (Consul's too); the
 * reply is then 200 all the same and anti-entropy retries.
 *
 * Status codes and messages are Consul's (agent/agent_endpoint.go, acl.go).
 * Lifetime: a request waiting for local_wait holds a struct pending; if the
 * client goes away, the cancel hook drops the wait and frees it.
 */
#include "api/api.h"

#include "api/filter_items.h"
#include "base/alloc.h"
#include "base/duration.h"
#include "base/err.h"
#include "base/strconv.h"
#include "local/local.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNKNOWN_SERVICE                                                                            \
	"Unknown service ID \"%s\". Ensure that the service ID is passed, not the service name."
#define UNKNOWN_CHECK                                                                              \
	"Unknown check ID \"%s\". Ensure that the check ID is passed, not the check name."

/* ---- replying after the change is durable and synced ---- */

struct pending {
	struct local_wait w;
	struct local_state *ls;
	struct http_request *req;
};

static void pending_done(struct local_wait *w)
{
	struct pending *p = w->data;
	p->req->cancel = NULL;
	p->req->ctx = NULL;
	http_reply(p->req);
	free(p);
}

static void pending_cancel(struct http_request *req)
{
	struct pending *p = req->ctx;
	local_wait_cancel(p->ls, &p->w);
	free(p);
}

/* 200 with an empty body, once the changes made so far are durable and synced. */
static void reply_synced(struct api *a, struct http_request *req)
{
	struct pending *p = xcalloc(1, sizeof(*p));
	p->w.data = p;
	p->ls = a->local;
	p->req = req;
	req->ctx = p;
	req->cancel = pending_cancel;
	local_wait(a->local, &p->w, pending_done);
}

/* ---- helpers ---- */

static json_t *decode_body(struct http_request *req)
{
	json_error_t e;
	if (!req->body.len) {
		api_error(req, 400, "Request decode failed: EOF");
		return NULL;
	}
	json_t *j = json_loadb(req->body.data, req->body.len, JSON_DECODE_ANY, &e);
	if (!j)
		api_error(req, 400, "Request decode failed: %s", e.text);
	return j;
}

/* ?enable= of the maintenance endpoints; false after answering 400. */
static bool enable_param(struct http_request *req, bool *enable)
{
	const struct http_param *p = http_param_get(req, "enable");
	if (!p) {
		api_error(req, 400, "Missing value for enable");
		return false;
	}
	if (strconv_parse_bool(p->value, enable)) {
		struct buf q = BUF_INIT;
		json_escape(&q, p->value, strlen(p->value));
		api_error(req, 400, "Invalid value for enable: %s", buf_cstr(&q));
		buf_free(&q);
		return false;
	}
	return true;
}

static const char *param(const struct http_request *req, const char *name)
{
	const struct http_param *p = http_param_get(req, name);
	return p ? p->value : "";
}

/* ---- reads ---- */

static bool service_kept(struct api *a, struct item_query *q, const struct local_service *s)
{
	if (!q->filter)
		return true;
	struct cat_service v;
	local_service_view(a->local, s, &v);
	bool keep = item_query_match(q, fitem_node_service(&q->arena, &v));
	local_service_view_free(&v);
	return keep;
}

/* GET /v1/agent/services: map of ID -> AgentService, IDs sorted. */
void api_agent_services(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	struct item_query q;
	struct buf err = BUF_INIT;
	if (item_query_init(&q, req, filter_node_service_fields, false, &err)) {
		api_error(req, 400, "%s", buf_cstr(&err));
		buf_free(&err);
		return;
	}
	const struct local_service **svcs;
	size_t n = local_services(a->local, &svcs);
	struct jsonw w;
	api_json_begin(a, req, &w);
	jsonw_obj_open(&w);
	for (size_t i = 0; i < n; i++) {
		if (!service_kept(a, &q, svcs[i]))
			continue;
		jsonw_key(&w, svcs[i]->def.id);
		local_write_service(a->local, svcs[i], &w, NULL);
	}
	jsonw_obj_close(&w);
	api_json_end(req, &w);
	free(svcs);
	item_query_free(&q);
	http_reply(req);
}

/* Consul hashes the response struct; any stable digest of it serves clients,
 * which only compare it with the previous one. */
static void content_hash(struct api *a, const struct local_service *s, char out[17])
{
	struct buf b = BUF_INIT;
	struct jsonw w;
	jsonw_init(&w, &b, false);
	local_write_service(a->local, s, &w, NULL);
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < b.len; i++) {
		h ^= (unsigned char)b.data[i];
		h *= 1099511628211ULL;
	}
	snprintf(out, 17, "%llx", (unsigned long long)h);
	buf_free(&b);
}

/* Answer with the service as it is now (404 when gone). */
static void reply_service(struct api *a, struct http_request *req, const char *id)
{
	const struct local_service *s = local_service(a->local, id);
	if (!s) {
		api_error(req, 404, "unknown service ID: %s", id);
		return;
	}
	char hash[17];
	struct jsonw w;
	content_hash(a, s, hash);
	http_resp_header(req, "X-Consul-ContentHash", hash);
	api_json_begin(a, req, &w);
	local_write_service(a->local, s, &w, hash);
	api_json_end(req, &w);
	http_reply(req);
}

/*
 * Hash-based blocking (Consul's LocalBlockingQuery): with ?hash equal to the
 * current ContentHash the request parks until the service changes or ?wait
 * (default 5 min, at most 10 min, plus up to 1/16 jitter) runs out. Each local
 * change re-hashes; an unchanged hash parks again. The struct is freed in the
 * timer's close callback, after the reply or the client's disconnect.
 */
struct hash_wait {
	struct local_watch lw;
	uv_timer_t timer;
	struct api *a;
	struct http_request *req; /* NULL once answered or cancelled */
	char hash[17];
};

static void hash_wait_free(uv_handle_t *h)
{
	free(h->data);
}

static void hash_wait_end(struct hash_wait *hw, bool reply)
{
	struct http_request *req = hw->req;
	hw->req = NULL;
	hw->a->blocked--;
	local_watch_cancel(hw->a->local, &hw->lw);
	uv_close((uv_handle_t *)&hw->timer, hash_wait_free);
	if (reply) {
		req->cancel = NULL;
		req->ctx = NULL;
		reply_service(hw->a, req, req->tail);
	}
}

static void hash_wait_changed(struct local_watch *lw)
{
	struct hash_wait *hw = lw->data;
	const struct local_service *s = local_service(hw->a->local, hw->req->tail);
	char now[17];
	if (s)
		content_hash(hw->a, s, now);
	if (s && strcmp(now, hw->hash) == 0)
		local_watch(hw->a->local, &hw->lw, hash_wait_changed);
	else
		hash_wait_end(hw, true);
}

static void hash_wait_timeout(uv_timer_t *t)
{
	hash_wait_end(t->data, true);
}

static void hash_wait_cancel(struct http_request *req)
{
	hash_wait_end(req->ctx, false);
}

/* ?wait as Consul's parseWait reads it; false after answering 400. */
static bool wait_ms(struct http_request *req, uint64_t *ms)
{
	const struct http_param *p = http_param_get(req, "wait");
	int64_t ns = 5 * 60 * DUR_SEC;
	if (p && p->value[0] && (duration_parse(p->value, false, &ns) || ns < 0)) {
		api_error(req, 400, "Invalid wait time");
		return false;
	}
	if (ns == 0 || ns > 10 * 60 * DUR_SEC)
		ns = ns ? 10 * 60 * DUR_SEC : 5 * 60 * DUR_SEC;
	*ms = (uint64_t)(ns / DUR_MS) ? (uint64_t)(ns / DUR_MS) : 1;
	*ms += *ms / 16 ? (uint64_t)random() % (*ms / 16) : 0;
	return true;
}

/* GET /v1/agent/service/:id[?hash=&wait=]: one AgentService with ContentHash. */
void api_agent_service(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	const struct http_param *h = http_param_get(req, "hash");
	const struct local_service *s = local_service(a->local, req->tail);
	uint64_t ms;
	char now[17];
	if (!h || !h->value[0] || !s) {
		reply_service(a, req, req->tail);
		return;
	}
	content_hash(a, s, now);
	if (strcmp(now, h->value) != 0) {
		reply_service(a, req, req->tail);
		return;
	}
	if (!wait_ms(req, &ms))
		return;
	struct hash_wait *hw = xcalloc(1, sizeof(*hw));
	hw->a = a;
	hw->req = req;
	hw->lw.data = hw;
	snprintf(hw->hash, sizeof(hw->hash), "%s", now);
	uv_timer_init(a->loop, &hw->timer);
	hw->timer.data = hw;
	uv_timer_start(&hw->timer, hash_wait_timeout, ms, 0);
	local_watch(a->local, &hw->lw, hash_wait_changed);
	req->ctx = hw;
	req->cancel = hash_wait_cancel;
	a->blocked++;
}

static bool check_kept(struct api *a, struct item_query *q, const struct local_check *c)
{
	if (!q->filter)
		return true;
	struct cat_check v;
	local_check_view(a->local, c, &v);
	return item_query_match(q, fitem_check(&q->arena, &v));
}

/* GET /v1/agent/checks: map of CheckID -> HealthCheck. */
void api_agent_checks(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	struct item_query q;
	struct buf err = BUF_INIT;
	if (item_query_init(&q, req, filter_check_fields, false, &err)) {
		api_error(req, 400, "%s", buf_cstr(&err));
		buf_free(&err);
		return;
	}
	const struct local_check **cs;
	size_t n = local_checks(a->local, &cs);
	struct jsonw w;
	api_json_begin(a, req, &w);
	jsonw_obj_open(&w);
	for (size_t i = 0; i < n; i++) {
		if (!check_kept(a, &q, cs[i]))
			continue;
		jsonw_key(&w, cs[i]->id);
		local_write_check(a->local, cs[i], &w);
	}
	jsonw_obj_close(&w);
	api_json_end(req, &w);
	free(cs);
	item_query_free(&q);
	http_reply(req);
}

/* ---- /v1/agent/health/service/id/:id and /name/:name ---- */

/* api.HealthChecks.AggregatedStatus: maintenance checks win, then the worst. */
static const char *aggregate(const struct local_check *const *cs, size_t n)
{
	bool maint = false, warn = false, crit = false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(cs[i]->id, LOCAL_NODE_MAINT_ID) == 0 ||
		    strncmp(cs[i]->id, LOCAL_SERVICE_MAINT_PFX, strlen(LOCAL_SERVICE_MAINT_PFX)) ==
			0)
			maint = true;
		else if (cs[i]->status == CHECK_CRITICAL)
			crit = true;
		else if (cs[i]->status == CHECK_WARNING)
			warn = true;
	}
	return maint ? "maintenance" : crit ? "critical" : warn ? "warning" : "passing";
}

static int status_code(const char *agg)
{
	if (strcmp(agg, "passing") == 0)
		return 200;
	return strcmp(agg, "warning") == 0 ? 429 : 503;
}

/* Consul's returnTextPlain: Accept text/plain..., or ?format=text. */
static bool wants_text(const struct http_request *req)
{
	const char *acc = http_header_get(req, "accept");
	const struct http_param *f = http_param_get(req, "format");
	if (acc && strncmp(acc, "text/plain", 10) == 0)
		return true;
	return f && f->value[0] && strcmp(f->value, "text") == 0;
}

static void reply_text(struct http_request *req, int status, const char *text)
{
	buf_reset(&req->resp.body);
	req->resp.status = status;
	req->resp.content_type = "text/plain";
	buf_puts(&req->resp.body, text);
	http_reply(req);
}

/* One AgentServiceChecksInfo; returns its aggregated status. */
static const char *write_info(struct api *a, const struct local_service *s, struct jsonw *w)
{
	const struct local_check **cs;
	size_t n = local_service_checks(a->local, s->def.id, true, &cs);
	const char *agg = aggregate(cs, n);
	jsonw_obj_open(w);
	jsonw_kstr(w, "AggregatedStatus", agg);
	jsonw_key(w, "Service");
	local_write_service(a->local, s, w, NULL);
	jsonw_key(w, "Checks");
	jsonw_arr_open(w);
	for (size_t i = 0; i < n; i++)
		local_write_health_check(a->local, cs[i], w);
	jsonw_arr_close(w);
	jsonw_obj_close(w);
	free(cs);
	return agg;
}

void api_agent_health_id(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	struct jsonw w;
	if (!req->tail[0]) {
		api_error(req, 400, "Missing serviceID");
		return;
	}
	const struct local_service *s = local_service(a->local, req->tail);
	if (!s) {
		struct buf why = BUF_INIT;
		buf_printf(&why, "ServiceId %s not found", req->tail);
		if (wants_text(req)) {
			reply_text(req, 404, buf_cstr(&why));
		} else {
			api_json_begin(a, req, &w);
			jsonw_obj_open(&w);
			jsonw_kstr(&w, "AggregatedStatus", "critical");
			jsonw_key(&w, "Service");
			jsonw_null(&w);
			jsonw_key(&w, "Checks");
			jsonw_null(&w);
			jsonw_obj_close(&w);
			api_json_end(req, &w);
			req->resp.status = 404;
			http_reply(req);
		}
		buf_free(&why);
		return;
	}
	api_json_begin(a, req, &w);
	const char *agg = write_info(a, s, &w);
	api_json_end(req, &w);
	if (wants_text(req)) {
		reply_text(req, status_code(agg), agg);
		return;
	}
	req->resp.status = status_code(agg);
	http_reply(req);
}

void api_agent_health_name(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	struct jsonw w;
	const char *name = req->tail;
	if (!name[0]) {
		api_error(req, 400, "Missing service Name");
		return;
	}
	const struct local_service **svcs;
	size_t n = local_services(a->local, &svcs);
	int code = 404;
	struct buf status = BUF_INIT;
	buf_printf(&status, "ServiceName %s Not Found", name);
	api_json_begin(a, req, &w);
	jsonw_arr_open(&w);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(svcs[i]->def.name, name) != 0)
			continue;
		const char *agg = write_info(a, svcs[i], &w);
		int sc = status_code(agg);
		/* the worst wins: passing 200 < warning 429 < critical 503 */
		if (code == 404 || sc > code) {
			code = sc;
			buf_reset(&status);
			buf_puts(&status, agg);
		}
	}
	jsonw_arr_close(&w);
	api_json_end(req, &w);
	free(svcs);
	if (wants_text(req)) {
		reply_text(req, code, buf_cstr(&status));
	} else {
		req->resp.status = code;
		http_reply(req);
	}
	buf_free(&status);
}

/* ---- writes ---- */

/* PUT /v1/agent/service/register[?replace-existing-checks] */
void api_agent_service_register(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	struct service_def def;
	struct buf err = BUF_INIT;
	json_t *body = decode_body(req);
	if (!body)
		return;
	if (json_is_null(body)) {
		json_decref(body);
		body = json_object();
	}
	int rv = servicedef_parse(body, &def, &err);
	json_decref(body);
	if (rv) {
		api_error(req, 400, "Request decode failed: %s", buf_cstr(&err));
		goto out;
	}
	if (servicedef_validate(&def, &err)) {
		servicedef_free(&def);
		api_error(req, 400, "%s", buf_cstr(&err));
		goto out;
	}
	servicedef_finalize(&def);
	const struct http_param *p = http_param_get(req, "replace-existing-checks");
	bool replace = p && (!p->value[0] || strcmp(p->value, "true") == 0);
	if (local_add_service(a->local, &def, LOCAL_ORIGIN_API, replace, &err)) {
		api_error(req, 500, "%s", buf_cstr(&err));
		goto out;
	}
	reply_synced(a, req);
out:
	buf_free(&err);
}

/* PUT /v1/agent/service/deregister/:id */
void api_agent_service_deregister(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (local_remove_service(a->local, req->tail)) {
		api_error(req, 404, UNKNOWN_SERVICE, req->tail);
		return;
	}
	reply_synced(a, req);
}

/* checkdef_parse reports a bad Status in Consul's words; the rest are decode
 * errors. */
static void check_parse_error(struct http_request *req, const struct buf *err)
{
	if (strcmp(buf_cstr(err), "Bad check status") == 0)
		api_error(req, 400, "Bad check status");
	else
		api_error(req, 400, "Request decode failed: %s", buf_cstr(err));
}

/* PUT /v1/agent/check/register */
void api_agent_check_register(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	struct checkdef def;
	struct buf err = BUF_INIT;
	json_t *body = decode_body(req);
	if (!body)
		return;
	int rv = checkdef_parse(body, &def, &err);
	json_decref(body);
	if (rv) {
		check_parse_error(req, &err);
		goto out;
	}
	if (!def.name || !def.name[0]) {
		api_error(req, 400, "Missing check name");
	} else if (checkdef_validate(&def, &err)) {
		api_error(req, 400, "Invalid check: %s", buf_cstr(&err));
	} else {
		checkdef_set_check_defaults(&def);
		rv = local_add_check(a->local, &def, LOCAL_ORIGIN_API, &err);
		if (rv)
			api_error(req, rv == CAIRN_E_NOTFOUND ? 404 : 500, "%s", buf_cstr(&err));
		else
			reply_synced(a, req);
		goto out;
	}
	checkdef_free(&def);
out:
	buf_free(&err);
}

/* PUT /v1/agent/check/deregister/:id */
void api_agent_check_deregister(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (local_remove_check(a->local, req->tail)) {
		api_error(req, 404, UNKNOWN_CHECK, req->tail);
		return;
	}
	reply_synced(a, req);
}

static void ttl_update(struct api *a, struct http_request *req, enum check_status st,
		       const char *output)
{
	struct buf err = BUF_INIT;
	if (!local_check(a->local, req->tail))
		api_error(req, 404, UNKNOWN_CHECK, req->tail);
	else if (local_ttl_update(a->local, req->tail, st, output, &err))
		api_error(req, 500, "%s", buf_cstr(&err));
	else
		reply_synced(a, req);
	buf_free(&err);
}

/* PUT /v1/agent/check/pass|warn|fail/:id?note= */
void api_agent_check_pass(void *ctx, struct http_request *req)
{
	ttl_update(ctx, req, CHECK_PASSING, param(req, "note"));
}

void api_agent_check_warn(void *ctx, struct http_request *req)
{
	ttl_update(ctx, req, CHECK_WARNING, param(req, "note"));
}

void api_agent_check_fail(void *ctx, struct http_request *req)
{
	ttl_update(ctx, req, CHECK_CRITICAL, param(req, "note"));
}

/* PUT /v1/agent/check/update/:id {"Status": ..., "Output": ...} */
void api_agent_check_update(void *ctx, struct http_request *req)
{
	const char *k, *status = "", *output = "";
	json_t *v, *body = decode_body(req);
	enum check_status st;
	if (!body)
		return;
	if (!json_is_object(body) && !json_is_null(body)) {
		api_error(req, 400,
			  "Request decode failed: json: cannot unmarshal into "
			  "Go value of type agent.checkUpdate");
		json_decref(body);
		return;
	}
	json_object_foreach(body, k, v)
	{
		if (servicedef_key_is(k, "status") && json_is_string(v))
			status = json_string_value(v);
		else if (servicedef_key_is(k, "output") && json_is_string(v))
			output = json_string_value(v);
	}
	if (check_status_parse(status, &st))
		api_error(req, 400, "Invalid check status: '%s'", status);
	else
		ttl_update(ctx, req, st, output);
	json_decref(body);
}

/* PUT /v1/agent/maintenance?enable=&reason= */
void api_agent_maintenance(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	bool enable;
	if (!enable_param(req, &enable))
		return;
	local_node_maintenance(a->local, enable, param(req, "reason"));
	reply_synced(a, req);
}

/* PUT /v1/agent/service/maintenance/:id?enable=&reason= */
void api_agent_service_maintenance(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	struct buf err = BUF_INIT;
	bool enable;
	if (!req->tail[0]) {
		api_error(req, 400, "Missing service ID");
		return;
	}
	if (!enable_param(req, &enable))
		return;
	if (!local_service(a->local, req->tail))
		api_error(req, 404, UNKNOWN_SERVICE, req->tail);
	else if (local_service_maintenance(a->local, req->tail, enable, param(req, "reason"), &err))
		api_error(req, 404, "%s", buf_cstr(&err));
	else
		reply_synced(a, req);
	buf_free(&err);
}
