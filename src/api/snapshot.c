/*
 * GET /v1/snapshot: a consistent snapshot of the state store, as an archive
 * (state/archive.h), with X-Consul-Index set to the index it reflects.
 *
 * Model. The store is frozen on the loop (reference copies, no value copies:
 * store_freeze), so the snapshot is exactly the store at one index, whatever
 * is written meanwhile; encoding and archiving run in libuv's thread pool on
 * the frozen view, and the reply is sent from the after-work callback. As in
 * Consul, the leader answers: followers and client agents forward the request
 * to it (API_FWD_LEADER), except that a server answers ?stale from its own
 * store.
 *
 * Lifetime. A job owns the frozen view and the encoded bytes until its
 * after-work callback, which runs on the loop. A client that leaves first
 * cancels the request (the cancel hook clears job->req) but the job still
 * runs to the end, since queued work cannot be taken back once started.
 *
 * PUT /v1/snapshot: restore. The body is an archive as GET produces it. The
 * leader (the route is flagged API_FWD_LEADER) checks the archive (magic,
 * version, both checksums, that the state is a store snapshot) and proposes
 * the state as one CMD_RESTORE command, so every server replaces its store
 * with it at the same log index (consensus/restore_ops.c); the reply (200,
 * empty body, as Consul) is sent once that entry is applied, after the
 * leader re-armed the TTL timers of the restored sessions. A bad archive
 * is refused before anything is proposed, with Consul's wording ("failed to
 * read snapshot file: ..."), status 500 as Consul. The body is bounded by
 * API_SNAPSHOT_MAX_BODY (under the RPC frame bound, for a body forwarded to the
 * leader).
 */
#include "api/api.h"

#include "consensus/cmd.h"
#include "consensus/session_ttl.h"
#include "state/archive.h"

#include "base/alloc.h"
#include "base/err.h"
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

/* A restored session with a TTL gets a fresh full timer on the leader, as
 * after an election (session_ttl.h); timers of sessions the restore removed
 * are dropped when they fire. */
static int rearm(void *ctx, const struct session *e)
{
	session_ttl_reset(ctx, e);
	return 0;
}

static void restored(struct api *a, struct http_request *req, int status,
		     const struct txn_result *res)
{
	if (status) {
		api_error_code(req, status);
		return;
	}
	if (res && res->nerrors) {
		api_error(req, 500, "%s", res->errors[0].what);
		return;
	}
	log_info("agent.http", "snapshot restored through the log at index %llu",
		 (unsigned long long)(res ? res->index : 0));
	if (a->ttl)
		session_list(a->store, rearm, a->ttl);
	http_reply(req);
}

static void restore(struct api *a, struct http_request *req)
{
	struct archive_meta m;
	const void *state;
	size_t slen;
	const char *why = NULL;
	int rv = archive_decode(req->body.data ? req->body.data : "", req->body.len, &m, &state,
				&slen, &why);
	if (rv) {
		api_error(req, 500,
			  "failed to read snapshot file: failed checking integrity of "
			  "snapshot: %s",
			  why ? why : cairn_strerror(rv));
		return;
	}
	struct cmd c = {.type = CMD_RESTORE};
	c.u.restore.data = state;
	c.u.restore.len = slen;
	struct buf enc = BUF_INIT;
	cmd_encode(&c, &enc);
	api_write(a, req, &enc, restored);
	buf_free(&enc);
}

void api_snapshot(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (!api_local_dc(a, req) || !api_raft_here(a, req))
		return;
	if (req->method == HTTP_M_PUT)
		restore(a, req);
	else
		save(a, req);
}
