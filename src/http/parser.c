/*
 * http-parser callbacks that turn bytes into struct http_request (see
 * parser.h for the contract).
 *
 * Header names and values arrive in pieces, possibly split across reads; they
 * are appended to the request's arena as they come (names lower-cased), and a
 * span of offsets is recorded per header. hstate tracks whether the last piece
 * was a name or a value, which is how http-parser signals the start of the
 * next header. A value continued on a folded line is appended to the same
 * value. At the end of the head the spans become pointers (req_finish_head).
 *
 * Messages end by pausing the parser in on_message_complete, so execute
 * returns after exactly one message and the pipelined rest stays unread.
 */
#include "http/parser.h"

#include "base/alloc.h"

#include <string.h>
#include <strings.h>

enum { HS_NONE, HS_NAME, HS_VALUE };

static struct reqparser *parser_of(http_parser *hp)
{
	return hp->data;
}

static int on_message_begin(http_parser *hp)
{
	struct reqparser *p = parser_of(hp);
	if (!p->cur) {
		p->cur = p->spare ? p->spare : req_new();
		p->spare = NULL;
	}
	req_reset(p->cur);
	p->cur->pub.max_body = p->max_body;
	p->head_done = false;
	p->hstate = HS_NONE;
	return 0;
}

static int on_url(http_parser *hp, const char *at, size_t n)
{
	struct req_impl *r = parser_of(hp)->cur;
	buf_append(&r->arena, at, n);
	r->url_len += (uint32_t)n;
	return 0;
}

/* Close the value being read: trim blanks around it, add its NUL. */
static void end_value(struct req_impl *r)
{
	struct hdr_span *s = &r->spans[r->nspans - 1];
	struct buf *a = &r->arena;
	while (a->len > s->value && (a->data[a->len - 1] == ' ' || a->data[a->len - 1] == '\t'))
		a->len--;
	while (s->value < a->len && (a->data[s->value] == ' ' || a->data[s->value] == '\t'))
		s->value++;
	buf_putc(a, '\0');
}

/* Close the name being read and start its (so far empty) value. */
static void end_name(struct req_impl *r)
{
	buf_putc(&r->arena, '\0');
	r->spans[r->nspans - 1].value = (uint32_t)r->arena.len;
}

static void start_header(struct req_impl *r)
{
	if (r->nspans == r->spans_cap) {
		r->spans_cap = r->spans_cap ? r->spans_cap * 2 : 16;
		r->spans = xrealloc(r->spans, r->spans_cap * sizeof(*r->spans));
	}
	r->spans[r->nspans++] = (struct hdr_span){(uint32_t)r->arena.len, 0};
}

/* RFC 7230 tchar; Go's server refuses other bytes in names with a 400. */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Field values may not hold control characters other than HTAB (as in Go). */
static bool valid_value(const char *at, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)at[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

static int on_header_field(http_parser *hp, const char *at, size_t n)
{
	struct reqparser *p = parser_of(hp);
	struct req_impl *r = p->cur;
	if (p->head_done)
		return 0; /* a trailer */
	if (p->hstate != HS_NAME) {
		if (p->hstate == HS_VALUE)
			end_value(r);
		start_header(r);
		p->hstate = HS_NAME;
	}
	struct buf *a = &r->arena;
	buf_reserve(a, n);
	for (size_t i = 0; i < n; i++) {
		char c = at[i];
		if (!is_tchar((unsigned char)c)) {
			p->error_status = 400;
			return -1;
		}
		a->data[a->len++] = (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
	}
	a->data[a->len] = '\0';
	return 0;
}

static int on_header_value(http_parser *hp, const char *at, size_t n)
{
	struct reqparser *p = parser_of(hp);
	struct req_impl *r = p->cur;
	if (p->head_done || p->hstate == HS_NONE)
		return 0;
	if (!valid_value(at, n)) {
		p->error_status = 400;
		return -1;
	}
	if (p->hstate == HS_NAME) {
		end_name(r);
		p->hstate = HS_VALUE;
	}
	buf_append(&r->arena, at, n);
	return 0;
}

/* Expect: only "100-continue" is understood (Go answers anything else 417). */
static int check_expect(struct reqparser *p, struct req_impl *r)
{
	const char *expect = http_header_get(&r->pub, "expect");
	if (!expect || r->http10)
		return 0;
	if (strcasecmp(expect, "100-continue") != 0) {
		p->error_status = 417;
		return -1;
	}
	r->expect_continue = true;
	return 0;
}

static int on_headers_complete(http_parser *hp)
{
	struct reqparser *p = parser_of(hp);
	struct req_impl *r = p->cur;
	struct http_request *q = &r->pub;
	if (p->hstate == HS_NAME)
		end_name(r);
	if (p->hstate != HS_NONE)
		end_value(r);
	p->hstate = HS_NONE;
	p->head_done = true;

	q->method = reqparser_method(hp->method);
	q->method_name = http_method_str(hp->method);
	q->keep_alive = http_should_keep_alive(hp) != 0;
	bool has_length = (hp->flags & F_CONTENTLENGTH) != 0;
	q->content_length = has_length ? hp->content_length : 0;
	r->http10 = hp->http_major < 1 || (hp->http_major == 1 && hp->http_minor == 0);
	if (hp->http_major != 1) {
		p->error_status = 505; /* as Go: only HTTP/1.x on this listener */
		return -1;
	}
	int status = req_finish_head(r);
	if (status) {
		p->error_status = status;
		return -1;
	}
	if (check_expect(p, r) < 0)
		return -1;
	if (p->on_head)
		p->on_head(p->arg, q);
	if (has_length && q->content_length > q->max_body) {
		q->body_too_large = true;
		return 1; /* skip the body: the message ends with its head */
	}
	bool has_body = (hp->flags & F_CHUNKED) || q->content_length > 0;
	if (r->expect_continue && has_body && p->on_continue)
		p->on_continue(p->arg, q);
	if (q->content_length)
		buf_reserve(&q->body, (size_t)q->content_length);
	return 0;
}

static int on_body(http_parser *hp, const char *at, size_t n)
{
	struct http_request *q = &parser_of(hp)->cur->pub;
	if (q->body.len + n > q->max_body || q->body.len + n < n) {
		/* A chunked body crossed the limit: end the message here. */
		q->body_too_large = true;
		buf_reset(&q->body);
		http_parser_pause(hp, 1);
		return 0;
	}
	buf_append(&q->body, at, n);
	return 0;
}

static int on_message_complete(http_parser *hp)
{
	http_parser_pause(hp, 1);
	return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void reqparser_init(struct reqparser *p, size_t max_body)
{
	memset(p, 0, sizeof(*p));
	http_parser_init(&p->hp, HTTP_REQUEST);
	p->hp.data = p;
	p->max_body = max_body;
}

void reqparser_free(struct reqparser *p)
{
	req_free(p->cur);
	req_free(p->spare);
	p->cur = p->spare = NULL;
}

size_t reqparser_feed(struct reqparser *p, const char *data, size_t len, enum rp_event *ev)
{
	*ev = RP_NEED_MORE;
	if (p->discard || len == 0)
		return len;
	size_t n = http_parser_execute(&p->hp, &settings, data, len);
	enum http_errno e = HTTP_PARSER_ERRNO(&p->hp);
	if (e == HPE_PAUSED && p->cur) {
		http_parser_pause(&p->hp, 0);
		struct http_request *q = &p->cur->pub;
		if (!q->keep_alive || q->body_too_large)
			p->discard = true;
		*ev = RP_MESSAGE;
		return n;
	}
	if (e == HPE_OK && n == len)
		return n;
	/* Malformed input (or the parser stopped short, which it should not). */
	if (e == HPE_HEADER_OVERFLOW)
		p->error_status = 431;
	else if ((e != HPE_CB_headers_complete && e != HPE_CB_header_field &&
		  e != HPE_CB_header_value) ||
		 !p->error_status)
		p->error_status = 400;
	p->discard = true;
	*ev = RP_ERROR;
	return len;
}

struct http_request *reqparser_take(struct reqparser *p)
{
	struct http_request *q = &p->cur->pub;
	p->cur = NULL;
	return q;
}

void reqparser_recycle(struct reqparser *p, struct http_request *req)
{
	if (!p->spare)
		p->spare = req_impl(req);
	else
		req_free(req_impl(req));
}

enum http_method reqparser_method(unsigned hp_method)
{
	switch (hp_method) {
	case HTTP_GET:
		return HTTP_M_GET;
	case HTTP_HEAD:
		return HTTP_M_HEAD;
	case HTTP_PUT:
		return HTTP_M_PUT;
	case HTTP_POST:
		return HTTP_M_POST;
	case HTTP_DELETE:
		return HTTP_M_DELETE;
	case HTTP_OPTIONS:
		return HTTP_M_OPTIONS;
	case HTTP_PATCH:
		return HTTP_M_PATCH;
	default:
		return HTTP_M_OTHER;
	}
}
