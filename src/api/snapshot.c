/*
 * GET /v1/snapshot: a consistent snapshot of the state store, as an archive
 * (state/archive.h), with X-Consul-Index set to the index it reflects.
 *
 * Model. The store is frozen on the loop (reference copies, no value copies:
 * store_freeze), so the snapshot is exactly the store at one index, whatever
 * is written meanwhile; encoding and archiving run in libuv's thread pool on
 * the frozen view, and the reply is sent from the after-work callback. As in
 * Consul, the leader answers (a single server always leads); a follower
 * answers only with ?stale, since it cannot forward yet; client agents have no
 * store and answer 500.
 *
 * Lifetime. A job owns the frozen view and the encoded bytes until its
 * after-work callback, which runs on the loop. A client that leaves first
 * cancels the request (the cancel hook clears job->req) but the job still
 * runs to the end, since queued work cannot be taken back once started.
 *
 * Restore (PUT) is not implemented: replacing the store must go through Raft
 * on every server (a command carrying the snapshot, or a libraft snapshot
 * install), which does not exist yet; the route allows GET only.
 */
#include "api/api.h"

#include "state/archive.h"

#include "base/alloc.h"
#include "base/log.h"

#include <stdlib.h>
#include <sys/time.h>

struct snap_job {
	uv_work_t work;		   /* the pool's request; data = this */
	struct http_request *req;  /* NULL once the client went away */
	struct store_frozen *view; /* released on the loop in done() */
	struct archive_meta meta;  /* index, term, time */
	struct buf out;		   /* the archive */
};

static void encode(uv_work_t *w)
{
	struct snap_job *j = w->data;
	struct buf state = BUF_INIT;
	store_frozen_encode(j->view, &state);
	archive_encode(&j->out, &j->meta, state.data, state.len);
	buf_free(&state);
}

static void done(uv_work_t *w, int status)
{
	struct snap_job *j = w->data;
	store_frozen_release(j->view);
	struct http_request *req = j->req;
	if (req) {
		req->cancel = NULL;
		if (status < 0) {
			api_error(req, 500, "snapshot failed: %s", uv_strerror(status));
		} else {
			req->resp.content_type = "application/octet-stream";
			http_resp_header_u64(req, "X-Consul-Index", j->meta.index);
			buf_free(&req->resp.body);
			req->resp.body = j->out;
			buf_init(&j->out);
			http_reply(req);
		}
	}
	buf_free(&j->out);
	free(j);
}

static void on_cancel(struct http_request *req)
{
	struct snap_job *j = req->ctx;
	j->req = NULL;
}

static uint64_t now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

static void save(struct api *a, struct http_request *req)
{
	if (!a->cons) {
		api_error(req, 500, "No known Consul servers");
		return;
	}
	if (!consensus_is_leader(a->cons) && !api_has(req, "stale")) {
		api_error(req, 500, "No cluster leader");
		return;
	}
	struct consensus_stats st;
	consensus_get_stats(a->cons, &st);
	struct snap_job *j = xcalloc(1, sizeof(*j));
	j->work.data = j;
	j->req = req;
	j->view = store_freeze(a->store);
	j->meta = (struct archive_meta){
	    .index = store_index(a->store), .term = st.term, .created_ms = now_ms()};
	int rv = uv_queue_work(a->loop, &j->work, encode, done);
	if (rv < 0) {
		store_frozen_release(j->view);
		free(j);
		api_error(req, 500, "snapshot failed: %s", uv_strerror(rv));
		return;
	}
	req->ctx = j;
	req->cancel = on_cancel;
}

void api_snapshot(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (!api_local_dc(a, req))
		return;
	save(a, req);
}
