/*
 * /v1/query: Consul's prepared-query endpoints.
 *
 *   POST   /v1/query              create (body: a definition, no ID) -> {"ID": ...}
 *   GET    /v1/query              every query, by ID (blocking on the table)
 *   GET    /v1/query/:id          [query] (404 "Query not found"; blocking)
 *   PUT    /v1/query/:id          replace the definition (ID from the URL) -> ""
 *   DELETE /v1/query/:id          -> ""
 *   GET    /v1/query/:id|name/execute, /explain   query_run.c
 *
 * Definitions are decoded and checked by query_def.c (400 "Request decode
 * failed: ..."; 500 "Invalid prepared query: ..." as Consul's RPC errors
 * are); the store applies Consul's table rules (names unique, sessions that
 * exist) when the command is applied, and its message comes back as a 500.
 * Tokens are shown as stored: this build has no ACLs (Consul redacts them
 * for tokens without management rights). Loop thread.
 */
#include "api/query_def.h"
#include "api/query_int.h"

#include "consensus/cmd.h"
#include "consensus/kvops.h"

#include "base/random.h"
#include "base/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decode and check the body; NULL after answering the error. */
static struct prepared_query *read_def(struct http_request *req)
{
	struct buf err = BUF_INIT;
	struct prepared_query *q =
	    query_def_decode(req->body.data ? req->body.data : "", req->body.len, &err);
	if (!q)
		api_error(req, 400, "Request decode failed: %s", buf_cstr(&err));
	buf_free(&err);
	return q;
}

static bool checked(struct http_request *req, const struct prepared_query *q)
{
	struct buf err = BUF_INIT;
	int rc = query_def_validate(q, &err);
	if (rc)
		api_error(req, 500, "%s", buf_cstr(&err));
	buf_free(&err);
	return rc == 0;
}

static void propose(struct api *a, struct http_request *req, struct cmd *c, api_write_fn done)
{
	struct buf enc = BUF_INIT;
	cmd_encode(c, &enc);
	api_write(a, req, &enc, done);
	buf_free(&enc);
}

/* ---- create ---- */

static int find_created(void *ctx, const struct prepared_query *q)
{
	const struct prepared_query **at = ctx;
	if (q->create_index != (*at)->create_index)
		return 0;
	*at = q;
	return 1;
}

static void created(struct api *a, struct http_request *req, int status,
		    const struct txn_result *res)
{
	if (api_command_failed(req, status, res))
		return;
	struct prepared_query probe = {.create_index = res->index};
	const struct prepared_query *at = &probe;
	if (!pquery_list(a->store, find_created, &at)) {
		api_error(req, 500, "prepared query lookup failed");
		return;
	}
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_obj_open(&j);
	jsonw_kstr(&j, "ID", at->id);
	jsonw_obj_close(&j);
	api_json_end(req, &j);
	http_reply(req);
}

static void create(struct api *a, struct http_request *req)
{
	struct prepared_query *q = read_def(req);
	if (!q)
		return;
	if (q->id && q->id[0]) {
		api_error(req, 500, "ID must be empty when creating a new prepared query");
	} else if (checked(req, q)) {
		char id[37];
		do
			random_uuid(id);
		while (pquery_get(a->store, id));
		free(q->id);
		q->id = xstrdup(id);
		struct cmd c = {.type = CMD_QUERY_SET, .u.query = {false, q}};
		propose(a, req, &c, created);
	}
	pquery_unref(q);
}

/* ---- update, delete ---- */

static void done_empty(struct api *a, struct http_request *req, int status,
		       const struct txn_result *res)
{
	if (api_command_failed(req, status, res))
		return;
	http_reply(req);
}

static void update(struct api *a, struct http_request *req, const char *id)
{
	struct prepared_query *q = read_def(req);
	if (!q)
		return;
	free(q->id);
	q->id = xstrdup(id); /* the URL's, not the body's */
	if (checked(req, q)) {
		struct cmd c = {.type = CMD_QUERY_SET, .u.query = {true, q}};
		propose(a, req, &c, done_empty);
	}
	pquery_unref(q);
}

static void delete (struct api *a, struct http_request *req, const char *id)
{
	struct cmd c = {.type = CMD_QUERY_DELETE, .u.query_id = id};
	propose(a, req, &c, done_empty);
}

/* ---- reads ---- */

static int list_one(void *ctx, const struct prepared_query *q)
{
	query_json(ctx, q);
	return 0;
}

static int read_list(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index)
{
	struct jsonw j;
	*index = pquery_list_index(a->store);
	if (w)
		pquery_watch_list(a->store, w);
	api_json_begin(a, req, &j);
	jsonw_arr_open(&j);
	pquery_list(a->store, list_one, &j);
	jsonw_arr_close(&j);
	api_json_end(req, &j);
	return 200;
}

static int read_one(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index)
{
	struct buf tmp = BUF_INIT;
	const char *id = api_query_tail_id(req, &tmp);
	const struct prepared_query *q = pquery_get(a->store, id);
	*index = pquery_id_index(a->store, id);
	if (w)
		pquery_watch_id(a->store, w, id);
	buf_free(&tmp);
	if (!q) {
		req->resp.content_type = "text/plain; charset=utf-8";
		buf_puts(&req->resp.body, "Query not found");
		return 404;
	}
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_arr_open(&j);
	query_json(&j, q);
	jsonw_arr_close(&j);
	api_json_end(req, &j);
	return 200;
}

/* ---- dispatch ---- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n > m && strcmp(s + n - m, suffix) == 0;
}

const char *api_query_tail_id(struct http_request *req, struct buf *tmp)
{
	const char *t = req->tail;
	size_t n = strlen(t);
	if (ends_with(t, "/execute"))
		n -= strlen("/execute");
	else if (ends_with(t, "/explain"))
		n -= strlen("/explain");
	else
		return t;
	buf_reset(tmp);
	buf_append(tmp, t, n);
	return buf_cstr(tmp);
}

void api_query(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (!api_local_dc(a, req))
		return;
	if (req->method == HTTP_M_POST)
		create(a, req);
	else
		api_read(a, req, read_list);
}

void api_query_id(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (!api_local_dc(a, req))
		return;
	if (!req->tail[0]) {
		api_error(req, 400, "Missing query ID");
		return;
	}
	bool exec = ends_with(req->tail, "/execute"), explain = ends_with(req->tail, "/explain");
	if ((exec || explain) && req->method != HTTP_M_GET && req->method != HTTP_M_HEAD) {
		api_error(req, 405, "Method not allowed");
		return;
	}
	if (exec) {
		api_query_execute(a, req);
	} else if (explain) {
		api_query_explain(a, req);
	} else if (req->method == HTTP_M_PUT) {
		update(a, req, req->tail);
	} else if (req->method == HTTP_M_DELETE) {
		delete (a, req, req->tail);
	} else {
		api_read(a, req, read_one);
	}
}
