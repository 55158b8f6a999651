/*
 * Request objects: lifecycle, the end of head parsing, and the lookup helpers
 * handlers use (see request.h for the memory model).
 *
 * The request target is taken apart the way Go's server does it
 * (url.ParseRequestURI): origin form "/path?query" and "*" are split at the
 * first '?'; absolute form "http://host/path?query" goes through
 * http_parser_parse_url for the host part. A fragment is not special (Go keeps
 * it in the path or the query). The path is percent-decoded with
 * url_unescape; a bad escape is a 400, as in Go.
 */
#include "http/request.h"

#include "http/hp.h"
#include "http/url.h"

#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Above these sizes a buffer is released between messages instead of kept. */
#define KEEP_ARENA     (16 * 1024)
#define KEEP_BODY      (64 * 1024)
#define KEEP_RESP_BODY (256 * 1024)
#define KEEP_ARRAY     64

struct req_impl *req_new(void)
{
	struct req_impl *r = xcalloc(1, sizeof(*r));
	req_reset(r);
	return r;
}

static void shrink(struct buf *b, size_t keep)
{
	if (b->cap > keep)
		buf_free(b);
	else
		buf_reset(b);
}

void req_reset(struct req_impl *r)
{
	struct http_request *q = &r->pub;
	struct http_header *headers = q->headers;
	struct http_param *params = q->params;
	struct buf body = q->body, rhead = q->resp.headers, rbody = q->resp.body;

	if (r->headers_cap > KEEP_ARRAY) {
		free(headers);
		headers = NULL;
		r->headers_cap = 0;
	}
	if (r->params_cap > KEEP_ARRAY) {
		free(params);
		params = NULL;
		r->params_cap = 0;
	}
	if (r->spans_cap > KEEP_ARRAY) {
		free(r->spans);
		r->spans = NULL;
		r->spans_cap = 0;
	}
	shrink(&body, KEEP_BODY);
	shrink(&rhead, KEEP_ARENA);
	shrink(&rbody, KEEP_RESP_BODY);
	shrink(&r->arena, KEEP_ARENA);

	memset(q, 0, sizeof(*q));
	q->headers = headers;
	q->params = params;
	q->body = body;
	q->resp.headers = rhead;
	q->resp.body = rbody;
	q->method_name = "";
	q->raw_path = q->path = q->query = (char *)"";
	r->url_len = 0;
	r->nspans = 0;
	r->http10 = false;
	r->expect_continue = false;
	r->cancelling = false;
	r->streaming = false;
	r->inject_done = NULL;
	r->inject_ctx = NULL;
	r->inject_answered = NULL;
}

void req_free(struct req_impl *r)
{
	if (!r)
		return;
	struct http_request *q = &r->pub;
	free(q->headers);
	free(q->params);
	free(r->spans);
	buf_free(&q->body);
	buf_free(&q->resp.headers);
	buf_free(&q->resp.body);
	buf_free(&r->arena);
	free(r);
}

/* Append n bytes and a NUL to the arena (room already reserved). */
static char *arena_put(struct buf *a, const char *s, size_t n)
{
	char *p = a->data + a->len;
	buf_append(a, s, n);
	buf_putc(a, '\0');
	return p;
}

/* Where the path starts in the target, or -1 if the target is malformed. */
static ssize_t path_offset(const char *url, size_t len)
{
	if (url[0] == '/' || (len == 1 && url[0] == '*'))
		return 0;
	struct http_parser_url u;
	http_parser_url_init(&u);
	if (http_parser_parse_url(url, len, 0, &u) != 0)
		return -1;
	if (!(u.field_set & (1 << UF_SCHEMA)) || !(u.field_set & (1 << UF_HOST)))
		return -1;
	if (u.field_set & (1 << UF_PATH))
		return u.field_data[UF_PATH].off;
	if (u.field_set & (1 << UF_QUERY))
		return u.field_data[UF_QUERY].off - 1;
	return (ssize_t)len;
}

static void add_param(void *arg, char *name, char *value, bool has_value)
{
	struct req_impl *r = arg;
	struct http_request *q = &r->pub;
	if (q->nparams == r->params_cap) {
		r->params_cap = r->params_cap ? r->params_cap * 2 : 8;
		q->params = xrealloc(q->params, r->params_cap * sizeof(*q->params));
	}
	q->params[q->nparams++] = (struct http_param){name, value, has_value};
}

static void point_headers(struct req_impl *r)
{
	struct http_request *q = &r->pub;
	if (r->nspans > r->headers_cap) {
		r->headers_cap = r->nspans;
		q->headers = xrealloc(q->headers, r->headers_cap * sizeof(*q->headers));
	}
	for (size_t i = 0; i < r->nspans; i++) {
		q->headers[i].name = r->arena.data + r->spans[i].name;
		q->headers[i].value = r->arena.data + r->spans[i].value;
	}
	q->nheaders = r->nspans;
}

int req_finish_head(struct req_impl *r)
{
	struct http_request *q = &r->pub;
	size_t ulen = r->url_len;
	if (ulen == 0)
		return 400;
	ssize_t poff = path_offset(r->arena.data, ulen);
	if (poff < 0)
		return 400;
	/* Everything appended below fits: the arena does not move after this. */
	buf_reserve(&r->arena, 3 * ulen + 16);
	const char *url = r->arena.data;
	const char *qm = memchr(url + poff, '?', ulen - (size_t)poff);
	size_t pend = qm ? (size_t)(qm - url) : ulen;
	const char *praw = url + poff;
	size_t plen = pend - (size_t)poff;
	if (plen == 0) {
		praw = "/";
		plen = 1;
	}
	q->raw_path = arena_put(&r->arena, praw, plen);

	char *out = r->arena.data + r->arena.len;
	ssize_t dlen = url_unescape(praw, plen, false, out);
	if (dlen < 0)
		return 400;
	r->arena.len += (size_t)dlen;
	r->arena.data[r->arena.len++] = '\0';
	r->arena.data[r->arena.len] = '\0';
	q->path = out;

	size_t qlen = qm ? ulen - pend - 1 : 0;
	q->query = arena_put(&r->arena, qm ? qm + 1 : "", qlen);
	q->nparams = 0;
	r->arena.len += url_parse_query(q->query, qlen, r->arena.data + r->arena.len, add_param, r);
	r->arena.data[r->arena.len] = '\0';
	point_headers(r);
	return 0;
}

const char *http_header_get(const struct http_request *req, const char *lname)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (strcmp(req->headers[i].name, lname) == 0)
			return req->headers[i].value;
	return NULL;
}

const struct http_param *http_param_get(const struct http_request *req, const char *name)
{
	for (size_t i = req->nparams; i > 0; i--)
		if (strcmp(req->params[i - 1].name, name) == 0)
			return &req->params[i - 1];
	return NULL;
}

bool http_param_flag(const struct http_request *req, const char *name)
{
	const struct http_param *p = http_param_get(req, name);
	if (!p)
		return false;
	return strcasecmp(p->value, "false") != 0 && strcmp(p->value, "0") != 0;
}
