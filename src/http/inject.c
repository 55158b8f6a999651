/*
 * Injected requests (http.h): a request that arrives as bytes from elsewhere
 * (an RPC forwarded by another agent) runs through the same parser, head hook
 * and handler as one read from a socket, and its response goes back through
 * a callback. The request has no connection: http_reply sees inject_done set
 * and calls it instead of writing (reply.c). Loop thread only.
 */
#include "http/parser.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_MAX_BODY (4u << 20)

struct http_request *http_inject(const struct http_server_config *cfg, const char *raw, size_t len,
				 const char *peer,
				 void (*done)(void *ctx, struct http_request *req), void *ctx,
				 int *status)
{
	struct reqparser p;
	reqparser_init(&p, cfg->max_body ? cfg->max_body : DEFAULT_MAX_BODY);
	p.on_head = cfg->on_headers;
	p.arg = cfg->ctx;
	enum rp_event ev = RP_NEED_MORE;
	size_t used = reqparser_feed(&p, raw, len, &ev);
	if (ev != RP_MESSAGE || used != len) {
		*status = ev == RP_ERROR ? p.error_status : 400;
		reqparser_free(&p);
		return NULL;
	}
	struct http_request *req = reqparser_take(&p);
	reqparser_free(&p);
	if (req->body_too_large) {
		*status = 413;
		req_free(req_impl(req));
		return NULL;
	}
	struct req_impl *r = req_impl(req);
	r->inject_done = done;
	r->inject_ctx = ctx;
	req->conn = NULL;
	req->id = 0; /* not one of a server's connections' requests */
	req->start_ns = uv_hrtime();
	snprintf(req->peer, sizeof(req->peer), "%s", peer ? peer : "");
	bool answered = false;
	r->inject_answered = &answered;
	cfg->dispatch(cfg->ctx, req);
	if (answered) { /* done ran and the request is gone */
		*status = 0;
		return NULL;
	}
	r->inject_answered = NULL;
	return req;
}

void http_inject_cancel(struct http_request *req)
{
	struct req_impl *r = req_impl(req);
	r->inject_done = NULL;
	if (req->cancel) {
		r->cancelling = true;
		req->cancel(req);
		req_free(r);
	}
	/* else an orphan, as on a dead connection: http_reply frees it */
}
