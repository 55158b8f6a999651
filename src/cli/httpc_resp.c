/*
 * HTTP/1.1 response parsing for the CLI's client (see httpc.h).
 *
 * A small state machine fed with whatever bytes have arrived: the status line and
 * headers, then a body framed by Content-Length, by chunked transfer coding (chunk
 * extensions and trailers are skipped), or by the end of the connection. Consumed
 * bytes are removed from the input buffer; a partial line stays there until more
 * arrives. 1xx interim responses are skipped. Status line and headers are bounded
 * (1 MiB) so a broken peer cannot make the CLI grow without limit there.
 */
#include "cli/httpc.h"

#include "base/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_HEADER_BYTES (1u << 20)

void httpc_parser_init(struct httpc_parser *p, bool head)
{
	memset(p, 0, sizeof(*p));
	p->state = HP_STATUS;
	p->head = head;
}

const char *httpc_resp_header(const struct httpc_resp *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

void httpc_resp_free(struct httpc_resp *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	buf_free(&r->body);
	memset(r, 0, sizeof(*r));
}

static int fail(struct httpc_parser *p, const char *msg, const char *line, size_t n)
{
	if (line)
		snprintf(p->err, sizeof(p->err), "%s \"%.*s\"", msg, (int)(n > 64 ? 64 : n), line);
	else
		snprintf(p->err, sizeof(p->err), "%s", msg);
	return -1;
}

/* Length of the line at the start of in (without CR LF), or -1 if incomplete. */
static long next_line(const struct buf *in, size_t *skip)
{
	const char *nl = in->len ? memchr(in->data, '\n', in->len) : NULL;
	if (!nl)
		return -1;
	size_t n = (size_t)(nl - in->data);
	*skip = n + 1;
	if (n && in->data[n - 1] == '\r')
		n--;
	return (long)n;
}

static int parse_status(struct httpc_parser *p, const char *l, size_t n, struct httpc_resp *r)
{
	/* "HTTP/1.x SSS[ reason]" */
	if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 || l[8] != ' ' || (n > 12 && l[12] != ' '))
		return fail(p,
			    "net/http: HTTP/1.x transport connection broken: malformed HTTP "
			    "response",
			    l, n);
	int code = 0;
	for (int i = 9; i < 12; i++) {
		if (l[i] < '0' || l[i] > '9')
			return fail(p, "malformed HTTP status code", l + 9, 3);
		code = code * 10 + (l[i] - '0');
	}
	r->status = code;
	return 0;
}

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t'))
		(*s)++, (*n)--;
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

static int add_header(struct httpc_parser *p, const char *l, size_t n, struct httpc_resp *r)
{
	const char *colon = memchr(l, ':', n);
	if (!colon || colon == l)
		return fail(p,
			    "net/http: HTTP/1.x transport connection broken: malformed MIME "
			    "header line:",
			    l, n);
	const char *v = colon + 1;
	size_t vn = n - (size_t)(v - l);
	trim(&v, &vn);
	r->headers = xrealloc(r->headers, (r->nheaders + 1) * sizeof(*r->headers));
	struct httpc_header *h = &r->headers[r->nheaders++];
	h->name = xstrndup(l, (size_t)(colon - l));
	h->value = xstrndup(v, vn);
	if (strcasecmp(h->name, "Content-Length") == 0) {
		char *end;
		if (!vn || h->value[0] < '0' || h->value[0] > '9')
			return fail(p, "bad Content-Length", h->value, vn);
		p->length = strtoull(h->value, &end, 10);
		if (*end)
			return fail(p, "bad Content-Length", h->value, vn);
		p->has_length = true;
	} else if (strcasecmp(h->name, "Transfer-Encoding") == 0) {
		p->chunked = vn >= 7 && strcasecmp(h->value + vn - 7, "chunked") == 0;
	}
	return 0;
}

/* The empty line after the headers: decide how the body is framed. */
static void headers_done(struct httpc_parser *p, struct httpc_resp *r)
{
	if (r->status >= 100 && r->status < 200 && r->status != 101) {
		/* interim response: forget it, a final one follows */
		httpc_resp_free(r);
		bool head = p->head;
		httpc_parser_init(p, head);
		return;
	}
	p->remaining = p->length;
	if (p->head || r->status == 204 || r->status == 304 || r->status < 200)
		p->state = HP_DONE;
	else if (p->chunked)
		p->state = HP_CHUNK_SIZE;
	else if (p->has_length)
		p->state = p->length ? HP_BODY_LEN : HP_DONE;
	else
		p->state = HP_BODY_EOF;
}

static int parse_chunk_size(struct httpc_parser *p, const char *l, size_t n)
{
	uint64_t v = 0;
	size_t i = 0;
	for (; i < n; i++) {
		char c = l[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			break;
		if (v >> 60)
			return fail(p, "http chunk length too large", NULL, 0);
		v = v * 16 + (uint64_t)d;
	}
	if (i == 0 || (i < n && l[i] != ';' && l[i] != ' ' && l[i] != '\t'))
		return fail(p, "invalid byte in chunk length", NULL, 0);
	p->remaining = v;
	p->state = v ? HP_CHUNK_DATA : HP_TRAILERS;
	return 0;
}

/* Handle one line in a line-oriented state. */
static int on_line(struct httpc_parser *p, const char *l, size_t n, struct httpc_resp *r)
{
	switch (p->state) {
	case HP_STATUS:
		if (parse_status(p, l, n, r) < 0)
			return -1;
		p->state = HP_HEADERS;
		return 0;
	case HP_HEADERS:
		if (n == 0) {
			headers_done(p, r);
			return 0;
		}
		return add_header(p, l, n, r);
	case HP_CHUNK_SIZE:
		return parse_chunk_size(p, l, n);
	case HP_CHUNK_CRLF:
		if (n != 0)
			return fail(p, "malformed chunked encoding", NULL, 0);
		p->state = HP_CHUNK_SIZE;
		return 0;
	case HP_TRAILERS:
		if (n == 0)
			p->state = HP_DONE;
		return 0;
	default:
		return 0;
	}
}

static bool line_state(enum httpc_pstate s)
{
	return s == HP_STATUS || s == HP_HEADERS || s == HP_CHUNK_SIZE || s == HP_CHUNK_CRLF ||
	       s == HP_TRAILERS;
}

int httpc_parser_feed(struct httpc_parser *p, struct buf *in, struct httpc_resp *resp)
{
	while (p->state != HP_DONE) {
		if (line_state(p->state)) {
			size_t skip;
			long n = next_line(in, &skip);
			if (n < 0) {
				if (p->header_bytes + in->len > MAX_HEADER_BYTES)
					return fail(p, "response headers too large", NULL, 0);
				return 0;
			}
			if (p->state == HP_STATUS || p->state == HP_HEADERS)
				p->header_bytes += skip;
			if (p->header_bytes > MAX_HEADER_BYTES)
				return fail(p, "response headers too large", NULL, 0);
			int rc = on_line(p, in->data, (size_t)n, resp);
			buf_consume(in, skip);
			if (rc < 0)
				return -1;
			continue;
		}
		if (in->len == 0)
			return 0;
		size_t take = in->len;
		if (p->state != HP_BODY_EOF && take > p->remaining)
			take = (size_t)p->remaining;
		buf_append(&resp->body, in->data, take);
		buf_consume(in, take);
		if (p->state == HP_BODY_EOF)
			continue;
		p->remaining -= take;
		if (p->remaining == 0)
			p->state = p->state == HP_CHUNK_DATA ? HP_CHUNK_CRLF : HP_DONE;
	}
	return 1;
}

int httpc_parser_finish(struct httpc_parser *p, const struct buf *in, struct httpc_resp *resp)
{
	if (p->state == HP_DONE || p->state == HP_BODY_EOF)
		return 1;
	if (p->state == HP_STATUS && in->len == 0 && resp->nheaders == 0)
		return fail(p, "EOF", NULL, 0);
	return fail(p, "unexpected EOF", NULL, 0);
}
