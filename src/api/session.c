/*
 * /v1/session/...: Consul's session endpoints.
 *
 *   PUT /v1/session/create        body (optional) -> {"ID": "<uuid>"}
 *   PUT /v1/session/destroy/:id   -> true (also for an unknown ID, as Consul)
 *   PUT /v1/session/renew/:id     -> [session], 404 "Session id 'x' not found"
 *   GET /v1/session/info/:id      -> [session] or []        (blocking)
 *   GET /v1/session/node/:node    -> sessions of the node    (blocking)
 *   GET /v1/session/list          -> every session           (blocking)
 *
 * Create follows Consul's HTTP handler and Session.Apply RPC: defaults (this
 * agent's node, NodeChecks ["serfHealth"], LockDelay 15s, Behavior release),
 * body keys matched ignoring case as Go's decoder does (python-consul sends
 * "lockdelay", "ttl"), a numeric LockDelay below 1000 taken as seconds,
 * fixupEmptySessionChecks, the Behavior and TTL checks with Consul's messages
 * (500, like every RPC error), then a random UUID and CMD_SESSION_CREATE.
 * The store checks the node and the checks at apply time. The leader's TTL
 * timer (consensus/session_ttl.h) is armed once the create is applied and
 * reset by renew; renew is not a Raft write (Consul's is not either).
 * Loop thread.
 */
#include "api/api.h"

#include "base/random.h"
#include "base/alloc.h"
#include "base/duration.h"
#include "base/err.h"
#include "base/json_get.h"
#include "consensus/catalog_ops.h"
#include "consensus/cmd.h"
#include "consensus/session_ttl.h"
#include "state/session.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_LOCK_DELAY_NS (15 * DUR_SEC)
#define LOCK_DELAY_MIN_NS     1000 /* Consul's lockDelayMinThreshold: below, seconds */
#define SESSION_TTL_MAX_NS    (24 * DUR_HOUR)
#define SERF_CHECK	      "serfHealth"

/* ---- JSON ---- */

static void string_list(struct jsonw *w, const char *key, const char *const *v, size_t n)
{
	jsonw_key(w, key);
	if (!n) {
		jsonw_null(w);
		return;
	}
	jsonw_arr_open(w);
	for (size_t i = 0; i < n; i++)
		jsonw_str(w, v[i]);
	jsonw_arr_close(w);
}

/* One session in Consul's field order (structs.Session). */
static void session_json(struct jsonw *w, const struct session *e)
{
	jsonw_obj_open(w);
	jsonw_kstr(w, "ID", e->id);
	jsonw_kstr(w, "Name", e->name);
	jsonw_kstr(w, "Node", e->node);
	jsonw_kuint(w, "LockDelay", e->lock_delay_ns);
	jsonw_kstr(w, "Behavior", session_behavior_name(e->behavior));
	jsonw_kstr(w, "TTL", e->ttl);
	string_list(w, "NodeChecks", e->node_checks, e->nnode_checks);
	jsonw_key(w, "ServiceChecks");
	if (e->nsvc_checks) {
		jsonw_arr_open(w);
		for (size_t i = 0; i < e->nsvc_checks; i++) {
			jsonw_obj_open(w);
			jsonw_kstr(w, "ID", e->svc_checks[i].id);
			jsonw_kstr(w, "Namespace", e->svc_checks[i].ns);
			jsonw_obj_close(w);
		}
		jsonw_arr_close(w);
	} else {
		jsonw_null(w);
	}
	if (e->nchecks) /* deprecated, `json:",omitempty"` */
		string_list(w, "Checks", e->checks, e->nchecks);
	jsonw_kuint(w, "CreateIndex", e->create_index);
	jsonw_kuint(w, "ModifyIndex", e->modify_index);
	jsonw_obj_close(w);
}

static int list_one(void *ctx, const struct session *e)
{
	session_json(ctx, e);
	return 0;
}

/* ---- create: decoding the body ---- */

/* What the request asks for; strings borrowed from the JSON document. */
struct create_req {
	struct session s;	  /* template for the command */
	const char **node_checks; /* owned arrays (strings borrowed) */
	const char **checks;
	struct session_svc_check *svc;
	bool checks_given_nil; /* "Checks": null */
};

static int decode_err(struct buf *err, const char *field_name, const char *go_type)
{
	buf_printf(err, "json: cannot unmarshal into Go struct field Session.%s of type %s",
		   field_name, go_type);
	return -1;
}

static int get_string(json_t *obj, const char *key, const char **out, struct buf *err)
{
	json_t *v = json_field(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return decode_err(err, key, "string");
	*out = json_string_value(v);
	return 0;
}

/* A JSON array of strings; *present false when the key is absent. */
static int get_strings(json_t *obj, const char *key, const char ***out, size_t *n, bool *present,
		       struct buf *err)
{
	json_t *v = json_field(obj, key);
	*present = v != NULL;
	if (!v)
		return 0;
	*n = 0;
	if (json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return decode_err(err, key, "[]string");
	*out = xcalloc(json_array_size(v) + 1, sizeof(**out));
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *s = json_array_get(v, i);
		if (!json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s))
			return decode_err(err, key, "string");
		(*out)[(*n)++] = json_string_value(s);
	}
	return 0;
}

static int get_service_checks(json_t *obj, struct create_req *cr, struct buf *err)
{
	json_t *v = json_field(obj, "ServiceChecks");
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return decode_err(err, "ServiceChecks", "[]structs.ServiceCheck");
	cr->svc = xcalloc(json_array_size(v) + 1, sizeof(*cr->svc));
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *c = json_array_get(v, i);
		struct session_svc_check *sc = &cr->svc[cr->s.nsvc_checks++];
		sc->id = sc->ns = "";
		if (!json_is_object(c))
			return decode_err(err, "ServiceChecks", "structs.ServiceCheck");
		if (get_string(c, "ID", &sc->id, err) || get_string(c, "Namespace", &sc->ns, err))
			return -1;
	}
	cr->s.svc_checks = cr->svc;
	return 0;
}

/* LockDelay: Go duration text or a number of ns; below 1000 it means seconds. */
static int get_lock_delay(json_t *obj, uint64_t *out, struct buf *err)
{
	json_t *v = json_field(obj, "LockDelay");
	int64_t ns;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		if (duration_parse(json_string_value(v), false, &ns)) {
			buf_printf(err, "time: invalid duration \"%s\"", json_string_value(v));
			return -1;
		}
	} else if (json_is_number(v)) {
		ns = (int64_t)json_number_value(v);
	} else {
		return decode_err(err, "LockDelay", "time.Duration");
	}
	if (ns < LOCK_DELAY_MIN_NS)
		ns *= DUR_SEC;
	*out = ns > 0 ? (uint64_t)ns : 0;
	return 0;
}

static int decode_body(json_t *root, struct create_req *cr, const char **behavior, struct buf *err)
{
	bool nc_given, c_given;
	const char **nc = NULL, **ch = NULL;
	size_t nnc = 1, nch = 1;
	if (!json_is_object(root))
		return decode_err(err, "", "structs.Session");
	if (get_string(root, "Name", &cr->s.name, err) ||
	    get_string(root, "Node", &cr->s.node, err) ||
	    get_string(root, "TTL", &cr->s.ttl, err) ||
	    get_string(root, "Behavior", behavior, err) ||
	    get_lock_delay(root, &cr->s.lock_delay_ns, err) ||
	    get_strings(root, "NodeChecks", &nc, &nnc, &nc_given, err) ||
	    get_strings(root, "Checks", &ch, &nch, &c_given, err) ||
	    get_service_checks(root, cr, err)) {
		free(nc);
		free(ch);
		return -1;
	}
	cr->node_checks = nc;
	cr->checks = ch;
	if (nc_given) {
		cr->s.node_checks = nc;
		cr->s.nnode_checks = nnc;
	}
	if (c_given) {
		cr->s.checks = ch;
		cr->s.nchecks = nch;
	}
	return 0;
}

/* Consul's fixupEmptySessionChecks: an empty Checks list empties the default
 * NodeChecks; the default Checks gives way to NodeChecks; an empty NodeChecks
 * list drops the default Checks. */
static void fixup_checks(struct session *s)
{
	if (s->nchecks == 0) {
		s->nnode_checks = 0;
		return;
	}
	if (s->nchecks == 1 && strcmp(s->checks[0], SERF_CHECK) == 0) {
		s->nchecks = 0;
		return;
	}
	if (s->nnode_checks == 0)
		s->nchecks = 0;
}

/* Session.Apply's checks of Behavior and TTL; 0 or -1 with err set. */
static int validate(struct api *a, struct session *s, const char *behavior, struct buf *err)
{
	int b = behavior && *behavior ? session_behavior_parse(behavior) : SESSION_RELEASE;
	if (b < 0) {
		buf_printf(err, "Invalid Behavior setting '%s'", behavior);
		return -1;
	}
	s->behavior = (enum session_behavior)b;
	if (!s->node || !*s->node) {
		buf_puts(err, "Must provide Node");
		return -1;
	}
	if (!s->ttl || !*s->ttl)
		return 0;
	int64_t ttl;
	if (duration_parse(s->ttl, false, &ttl)) {
		buf_printf(err, "Session TTL '%s' invalid: time: invalid duration \"%s\"", s->ttl,
			   s->ttl);
		return -1;
	}
	int64_t min = a->cfg->session_ttl_min;
	if (ttl != 0 && (ttl < min || ttl > SESSION_TTL_MAX_NS)) {
		buf_printf(err, "Invalid Session TTL '%lld', must be between [", (long long)ttl);
		duration_format(err, min);
		buf_putc(err, '=');
		duration_format(err, SESSION_TTL_MAX_NS);
		buf_putc(err, ']');
		return -1;
	}
	return 0;
}

/* ---- create ---- */

struct created_at {
	uint64_t index;		 /* the create entry's Raft index */
	const struct session *e; /* found */
};

static int find_created(void *ctx, const struct session *e)
{
	struct created_at *at = ctx;
	if (e->create_index != at->index)
		return 0;
	at->e = e;
	return 1;
}

static void created(struct api *a, struct http_request *req, int status,
		    const struct txn_result *res)
{
	if (api_command_failed(req, status, res))
		return;
	/* the session this entry created: the callback runs right after apply */
	struct created_at at = {res->index, NULL};
	session_list(a->store, find_created, &at);
	if (!at.e) {
		api_error(req, 500, "session lookup failed");
		return;
	}
	if (a->ttl)
		session_ttl_reset(a->ttl, at.e);
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_obj_open(&j);
	jsonw_kstr(&j, "ID", at.e->id);
	jsonw_obj_close(&j);
	api_json_end(req, &j);
	http_reply(req);
}

void api_session_create(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	static const char *const serf[] = {SERF_CHECK};
	struct create_req cr;
	const char *behavior = NULL;
	struct buf err = BUF_INIT;
	json_t *root = NULL;
	if (!api_local_dc(a, req))
		return;
	memset(&cr, 0, sizeof(cr));
	cr.s.node = api_origin_node(a, req);
	cr.s.node_checks = (const char **)serf;
	cr.s.nnode_checks = 1;
	cr.s.checks = (const char **)serf;
	cr.s.nchecks = 1;
	cr.s.lock_delay_ns = DEFAULT_LOCK_DELAY_NS;
	cr.s.name = cr.s.ttl = "";
	if (req->body.len) {
		json_error_t jerr;
		root = json_loadb(req->body.data, req->body.len, JSON_DECODE_ANY, &jerr);
		if (!root) {
			api_error(req, 400, "Request decode failed: %s", jerr.text);
			return;
		}
		if (decode_body(root, &cr, &behavior, &err)) {
			api_error(req, 400, "Request decode failed: %s", buf_cstr(&err));
			goto out;
		}
	}
	fixup_checks(&cr.s);
	if (validate(a, &cr.s, behavior, &err)) {
		api_error(req, 500, "%s", buf_cstr(&err));
		goto out;
	}
	char id[37];
	do
		random_uuid(id);
	while (session_get(a->store, id));
	cr.s.id = id;
	struct cmd c = {.type = CMD_SESSION_CREATE, .u.sess = cr.s};
	struct buf enc = BUF_INIT;
	cmd_encode(&c, &enc);
	api_write(a, req, &enc, created);
	buf_free(&enc);
out:
	free(cr.node_checks);
	free(cr.checks);
	free(cr.svc);
	buf_free(&err);
	json_decref(root);
}

/* ---- destroy, renew ---- */

static void destroyed(struct api *a, struct http_request *req, int status,
		      const struct txn_result *res)
{
	if (api_command_failed(req, status, res))
		return;
	if (a->ttl)
		session_ttl_clear(a->ttl, req->tail);
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_bool(&j, true);
	api_json_end(req, &j);
	http_reply(req);
}

void api_session_destroy(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (!api_local_dc(a, req))
		return;
	if (!req->tail[0]) {
		api_error(req, 400, "Missing session");
		return;
	}
	struct cmd c = {.type = CMD_SESSION_DESTROY, .u.session_id = req->tail};
	struct buf enc = BUF_INIT;
	cmd_encode(&c, &enc);
	api_write(a, req, &enc, destroyed);
	buf_free(&enc);
}

void api_session_renew(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (!api_local_dc(a, req))
		return;
	if (!req->tail[0]) {
		api_error(req, 400, "Missing session");
		return;
	}
	/* the TTL timer lives on the leader (Consul forwards renew there) */
	if (!consensus_is_leader(a->cons)) {
		api_error_code(req, consensus_known_leader(a->cons) ? CAIRN_E_NOTLEADER
								    : CAIRN_E_NOLEADER);
		return;
	}
	const struct session *e = session_get(a->store, req->tail);
	if (!e) {
		api_error(req, 404, "Session id '%s' not found", req->tail);
		return;
	}
	if (a->ttl)
		session_ttl_reset(a->ttl, e);
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_arr_open(&j);
	session_json(&j, e);
	jsonw_arr_close(&j);
	api_json_end(req, &j);
	http_reply(req);
}

/* ---- reads ---- */

static int query_info(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index)
{
	const struct session *e = session_get(a->store, req->tail);
	*index = session_id_index(a->store, req->tail);
	if (w)
		session_watch_id(a->store, w, req->tail);
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_arr_open(&j);
	if (e)
		session_json(&j, e);
	jsonw_arr_close(&j);
	api_json_end(req, &j);
	return 200;
}

static int query_node(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index)
{
	struct jsonw j;
	*index = session_node_index(a->store, req->tail);
	if (w)
		session_watch_node(a->store, w, req->tail);
	api_json_begin(a, req, &j);
	jsonw_arr_open(&j);
	session_node_list(a->store, req->tail, list_one, &j);
	jsonw_arr_close(&j);
	api_json_end(req, &j);
	return 200;
}

static int query_list(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index)
{
	struct jsonw j;
	*index = session_list_index(a->store);
	if (w)
		session_watch_list(a->store, w);
	api_json_begin(a, req, &j);
	jsonw_arr_open(&j);
	session_list(a->store, list_one, &j);
	jsonw_arr_close(&j);
	api_json_end(req, &j);
	return 200;
}

void api_session_info(void *ctx, struct http_request *req)
{
	if (!req->tail[0]) {
		api_error(req, 400, "Missing session");
		return;
	}
	api_read(ctx, req, query_info);
}

void api_session_node(void *ctx, struct http_request *req)
{
	if (!req->tail[0]) {
		api_error(req, 400, "Missing node name");
		return;
	}
	api_read(ctx, req, query_node);
}

void api_session_list(void *ctx, struct http_request *req)
{
	api_read(ctx, req, query_list);
}
