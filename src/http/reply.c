/*
 * The write side of a connection: http_reply and getting bytes to the socket.
 *
 * Replies are serialized into the connection's out buffer. While the parsing
 * loop runs (pipelined requests answered synchronously), they collect there
 * and leave in one write when the loop ends; otherwise they leave at once.
 * Writing tries uv_try_write first (the usual case: everything fits in the
 * socket buffer, no allocation); whatever is left is moved, not copied, into a
 * uv_write request that owns it until its callback. libuv keeps queued writes
 * in order and uv_try_write refuses while any are queued, so bytes never
 * overtake each other.
 */
#include "http/server.h"

#include "http/response.h"
#include "http/tls.h"

#include "base/alloc.h"
#include "base/duration.h"
#include "base/log.h"

#include <stdlib.h>

/* Above this the out buffer is released after a write rather than kept. */
#define KEEP_OUT (256 * 1024)

struct wreq {
	uv_write_t req;		/* must stay first */
	struct http_conn *conn; /* whose bytes these are */
	struct buf data;	/* owned until the callback */
};

static void write_cb(uv_write_t *wr, int status)
{
	struct wreq *w = (struct wreq *)wr;
	struct http_conn *c = w->conn;
	buf_free(&w->data);
	free(w);
	c->writes--;
	if (status < 0) {
		conn_abort(c);
		return;
	}
	if (c->state == CONN_DRAINING)
		conn_maybe_shutdown(c);
	else if (c->state == CONN_OPEN && c->writes == 0)
		conn_unblocked(c);
}

void conn_flush(struct http_conn *c)
{
	if (c->tls && c->state != CONN_CLOSING && c->state != CONN_LINGER)
		tls_conn_output(c->tls, &c->out); /* HTTPS: out becomes ciphertext */
	if (!c->out.len || c->state == CONN_CLOSING || c->state == CONN_LINGER)
		return;
	size_t off = 0;
	if (c->writes == 0) {
		uv_buf_t b = uv_buf_init(c->out.data, (unsigned)c->out.len);
		int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
		if (n < 0 && n != UV_EAGAIN) {
			conn_abort(c);
			return;
		}
		off = n > 0 ? (size_t)n : 0;
		if (off == c->out.len) {
			if (c->out.cap > KEEP_OUT)
				buf_free(&c->out);
			else
				buf_reset(&c->out);
			return;
		}
	}
	struct wreq *w = xmalloc(sizeof(*w));
	w->conn = c;
	w->data = c->out;
	buf_init(&c->out);
	uv_buf_t b = uv_buf_init(w->data.data + off, (unsigned)(w->data.len - off));
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, write_cb) != 0) {
		buf_free(&w->data);
		free(w);
		conn_abort(c);
		return;
	}
	c->writes++;
}

static void log_finished(const struct http_request *req)
{
	struct buf lat = BUF_INIT;
	duration_format(&lat, (int64_t)(uv_hrtime() - req->start_ns));
	log_debug("agent.http",
		  "Request finished: method=%s url=%s%s%s from=%s status=%d latency=%s",
		  req->method_name, req->raw_path, req->query[0] ? "?" : "", req->query, req->peer,
		  req->resp.status ? req->resp.status : 200, buf_cstr(&lat));
	buf_free(&lat);
}

void http_reply(struct http_request *req)
{
	struct req_impl *r = req_impl(req);
	if (r->cancelling)
		return;	      /* called from its own cancel hook: freed by the caller */
	if (r->inject_done) { /* inject.c: the response goes back over RPC */
		if (r->inject_answered)
			*r->inject_answered = true;
		r->inject_done(r->inject_ctx, req);
		req_free(r);
		return;
	}
	struct http_conn *c = req->conn;
	if (!c) {
		req_free(r); /* the connection died while the handler worked */
		return;
	}
	if (log_enabled(LOG_DEBUG))
		log_finished(req);
	resp_serialize(&c->out, req, c->close_after);
	req->conn = NULL;
	reqparser_recycle(&c->parser, req);
	conn_replied(c);
}
