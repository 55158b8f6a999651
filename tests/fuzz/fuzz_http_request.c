/*
 * Fuzz target: the HTTP request parser (http/parser.c, request.c, url.c) and
 * what handlers do with its output (header and parameter lookups, routing,
 * response serialization). No sockets.
 *
 * The input is parsed twice, once in a single feed and once cut into small
 * pieces whose sizes come from the input itself; both runs must produce the
 * same messages and the same final outcome, since TCP may split a request
 * anywhere. Any crash, sanitizer report or mismatch (abort) is a bug.
 */
// fuzz-lib: http
#include "http/parser.h"
#include "http/response.h"

#include <stdlib.h>
#include <string.h>

static void h_any(void *ctx, struct http_request *req)
{
}

static const struct http_route routes[] = {
    {"/v1/kv/", true, 1u << HTTP_M_GET | 1u << HTTP_M_PUT, h_any, 0},
    {"/v1/agent/self", false, 1u << HTTP_M_GET, h_any, 0},
    {"/", true, 1u << HTTP_M_GET, h_any, 0},
};

static void on_head(void *arg, struct http_request *req)
{
	/* A route-dependent limit, like the API layer's. */
	if (strncmp(req->path, "/v1/kv/", 7) == 0)
		req->max_body = 64;
}

static void on_continue(void *arg, struct http_request *req)
{
	(*(int *)arg)++;
}

/* A digest of one message, compared across the two runs. */
static void summarize(struct http_request *req, struct buf *sum)
{
	buf_printf(sum, "%d %s|%s|%s|%zu|%zu|%zu|%d%d|", (int)req->method, req->method_name,
		   req->path, req->query, req->nparams, req->nheaders, req->body.len,
		   req->keep_alive, req->body_too_large);
	for (size_t i = 0; i < req->nheaders; i++)
		buf_printf(sum, "%s=%s;", req->headers[i].name, req->headers[i].value);
	for (size_t i = 0; i < req->nparams; i++)
		buf_printf(sum, "%s=%s;", req->params[i].name, req->params[i].value);
	buf_append(sum, req->body.data, req->body.len);
	(void)http_header_get(req, "content-type");
	(void)http_param_flag(req, "recurse");
	(void)http_route_match(routes, sizeof(routes) / sizeof(routes[0]), req);
	buf_puts(&req->resp.body, "{}");
	http_resp_header(req, "X-Consul-Index", req->path);
	struct buf out = BUF_INIT;
	resp_serialize(&out, req, !req->keep_alive);
	buf_free(&out);
}

/* Parse data, cut into pieces when cuts is non-NULL; returns the digest. */
static char *run(const uint8_t *data, size_t size, const uint8_t *cuts, size_t ncuts)
{
	struct reqparser p;
	int continues = 0;
	reqparser_init(&p, 4096);
	p.on_head = on_head;
	p.on_continue = on_continue;
	p.arg = &continues;
	struct buf sum = BUF_INIT;
	size_t off = 0, k = 0;
	while (off < size) {
		size_t piece = cuts ? 1 + (size_t)(cuts[k++ % ncuts] % 17) : size - off;
		size_t end = off + piece < size ? off + piece : size;
		enum rp_event ev = RP_MESSAGE;
		/* Messages complete inside the piece come out one at a time. */
		while (off < end && ev == RP_MESSAGE) {
			off += reqparser_feed(&p, (const char *)data + off, end - off, &ev);
			if (ev == RP_MESSAGE) {
				struct http_request *req = reqparser_take(&p);
				summarize(req, &sum);
				reqparser_recycle(&p, req);
			} else if (ev == RP_ERROR) {
				buf_printf(&sum, "error %d", p.error_status);
			}
		}
	}
	buf_printf(&sum, "|continues %d", continues);
	reqparser_free(&p);
	return buf_steal(&sum);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *whole = run(data, size, NULL, 0);
	char *cut = size ? run(data, size, data, size < 16 ? size : 16) : NULL;
	if (cut && strcmp(whole, cut) != 0)
		abort();
	free(whole);
	free(cut);
	return 0;
}
