/*
 * Private: the server's side of struct http_request.
 *
 * A request is one allocation that lives across messages: a connection's
 * parser keeps a finished request as a spare and refills it for the next
 * message, so a keep-alive connection does no per-request allocation once its
 * buffers have grown. Every string the public struct points at (URL, header
 * names and values, raw and decoded path, query, parameter names and values)
 * lives in one arena buffer; while the head is being read only offsets are
 * kept, and req_finish_head turns them into pointers once the arena stops
 * growing. Loop thread only; freed with req_free (by the parser, by the
 * connection, or by http_reply for a request whose connection died).
 */
#ifndef CAIRN_HTTP_REQUEST_H
#define CAIRN_HTTP_REQUEST_H

#include "http/http.h"

#include <stdbool.h>
#include <stdint.h>

/* Offsets of one header's name and value in the arena, while parsing. */
struct hdr_span {
	uint32_t name;
	uint32_t value;
};

struct req_impl {
	struct http_request pub; /* what handlers see; must stay first */
	struct buf arena;	 /* the bytes every char * in pub points into */
	uint32_t url_len;	 /* the request target is arena[0, url_len) */
	struct hdr_span *spans;	 /* header offsets while the head is read */
	size_t nspans;		 /* headers seen so far */
	size_t spans_cap;	 /* allocated spans */
	size_t headers_cap;	 /* allocated pub.headers */
	size_t params_cap;	 /* allocated pub.params */
	bool http10;		 /* HTTP/1.0: keep-alive has to be announced */
	bool expect_continue;	 /* "Expect: 100-continue" on HTTP/1.1 */
	bool cancelling;	 /* pub.cancel is running: http_reply must not free */
	bool streaming;		 /* http_stream_start was called: chunked reply */
	/* an injected request (inject.c): no connection; http_reply hands the
	 * response to done instead */
	void (*inject_done)(void *ctx, struct http_request *req);
	void *inject_ctx;
	bool *inject_answered; /* set while the handler runs inside http_inject */
};

static inline struct req_impl *req_impl(struct http_request *req)
{
	return (struct req_impl *)req;
}

struct req_impl *req_new(void);
/* Empty the request for the next message, keeping (moderate) memory. */
void req_reset(struct req_impl *r);
void req_free(struct req_impl *r);

/* The head is complete: split the URL (arena[0, url_len)), decode the path,
 * parse the query, point headers into the arena. Returns 0, or the status to
 * answer with (400 for a malformed target or escape). */
int req_finish_head(struct req_impl *r);

#endif
