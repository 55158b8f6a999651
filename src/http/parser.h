/*
 * Private: bytes in, struct http_request out. The pure half of the server.
 *
 * A reqparser wraps one http-parser for one connection (or one fuzz input).
 * reqparser_feed consumes bytes and stops at the end of each message, so
 * pipelined requests come out one at a time and the bytes after a message are
 * left to the caller, who feeds them again once the previous request has been
 * answered. Nothing here touches libuv or sockets; the two hooks are how the
 * caller takes part at the end of the head (limits, "100 Continue").
 *
 * Outcomes of one feed:
 *   RP_NEED_MORE  every byte was used; the message (if any) is incomplete.
 *   RP_MESSAGE    a request is complete: reqparser_take it. Its keep_alive and
 *                 body_too_large say whether another message may follow; if
 *                 not, the parser swallows everything fed after it.
 *   RP_ERROR      malformed input: answer error_status (400, 417, 431 or 505) and
 *                 close. The parser swallows everything fed after it.
 *
 * Bodies are bounded by req->max_body: a Content-Length above it completes the
 * message at once with body_too_large set and no body read; a chunked body
 * that grows past it does the same when it crosses the limit (the bytes read
 * so far are dropped). Trailers after a chunked body are read and ignored.
 *
 * Memory: the parser owns the request being read and one spare (a finished
 * request handed back with reqparser_recycle); reqparser_free frees both.
 * Loop thread only (or any single thread: it has no globals but a const table).
 */
#ifndef CAIRN_HTTP_PARSER_H
#define CAIRN_HTTP_PARSER_H

#include "http/hp.h"
#include "http/request.h"

#include <stdbool.h>
#include <stddef.h>

enum rp_event { RP_NEED_MORE, RP_MESSAGE, RP_ERROR };

typedef void (*rp_hook_fn)(void *arg, struct http_request *req);

struct reqparser {
	http_parser hp;		/* the library's state machine */
	struct req_impl *cur;	/* request being read, NULL between messages */
	struct req_impl *spare; /* a finished request kept for the next message */
	size_t max_body;	/* default req->max_body */
	rp_hook_fn on_head;	/* head complete, before the body; may set max_body */
	rp_hook_fn on_continue; /* the client waits for "100 Continue" and the body is wanted */
	void *arg;		/* passed to the hooks */
	int error_status;	/* after RP_ERROR: the status to answer with */
	bool discard;		/* the connection is ending: swallow further input */
	bool head_done;		/* past the head: header callbacks are trailers */
	unsigned char hstate;	/* header accumulation: none, in a name, in a value */
};

void reqparser_init(struct reqparser *p, size_t max_body);
void reqparser_free(struct reqparser *p);
/* Consume up to len bytes; returns how many were used (see above). */
size_t reqparser_feed(struct reqparser *p, const char *data, size_t len, enum rp_event *ev);
/* After RP_MESSAGE: the complete request, now owned by the caller. */
struct http_request *reqparser_take(struct reqparser *p);
/* Give a finished request back for reuse (or free it). */
void reqparser_recycle(struct reqparser *p, struct http_request *req);
/* Map http-parser's method to ours. */
enum http_method reqparser_method(unsigned hp_method);

#endif
