/*
 * Streamed (chunked) replies: see "Streaming responses" in http.h.
 *
 * A streamed request stays the connection's active request for its whole life,
 * which is what keeps pipelined requests waiting and makes a disconnect cancel
 * it (conn.c). Chunks are appended to the connection's out buffer in RFC 9112
 * chunked framing (hex size, CRLF, data, CRLF; "0" CRLF CRLF ends it) and the
 * connection is put on the server's resume queue, whose idle callback flushes
 * it: several chunks written in one loop iteration leave in one write, and a
 * write error aborts the connection from a loop callback rather than from
 * inside the handler that is writing. Loop thread only.
 */
#include "http/request.h"
#include "http/response.h"
#include "http/server.h"

#include <assert.h>
#include <stdio.h>

void http_stream_start(struct http_request *req)
{
	struct req_impl *r = req_impl(req);
	struct http_conn *c = req->conn;
	assert(req->cancel && !r->streaming);
	r->streaming = true;
	if (!c)
		return;
	if (r->http10)
		c->close_after = true; /* the end of the body is the end of the connection */
	resp_serialize(&c->out, req, c->close_after);
	conn_flush_later(c);
}

void http_stream_write(struct http_request *req, const void *data, size_t len)
{
	struct http_conn *c = req->conn;
	if (!c || len == 0 || req->method == HTTP_M_HEAD)
		return;
	if (req_impl(req)->http10) {
		buf_append(&c->out, data, len);
	} else {
		char size[24];
		int n = snprintf(size, sizeof(size), "%zx\r\n", len);
		buf_append(&c->out, size, (size_t)n);
		buf_append(&c->out, data, len);
		buf_append(&c->out, "\r\n", 2);
	}
	conn_flush_later(c);
}

size_t http_stream_pending(const struct http_request *req)
{
	const struct http_conn *c = req->conn;
	return c ? c->out.len + c->tcp.write_queue_size : 0;
}

void http_stream_end(struct http_request *req)
{
	struct req_impl *r = req_impl(req);
	struct http_conn *c = req->conn;
	if (r->cancelling)
		return; /* from its own cancel hook: the server frees it */
	if (!c) {
		req_free(r);
		return;
	}
	if (!r->http10 && req->method != HTTP_M_HEAD)
		buf_append(&c->out, "0\r\n\r\n", 5);
	req->conn = NULL;
	reqparser_recycle(&c->parser, req);
	conn_replied(c);
}
