/*
 * Response serialization, reason phrases and the response-building helpers
 * handlers call (see response.h for the wire format).
 *
 * The Date header is formatted at most once per second and cached (loop thread
 * only, like the rest of the server; the cache is thread-local so unit tests
 * with several loops stay correct). Reason phrases are Go's StatusText, which
 * is what Consul's clients see (413 is "Request Entity Too Large" there).
 */
#include "http/response.h"

#include "http/request.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Append a string literal without strlen. */
#define PUT_LIT(b, lit) buf_append((b), (lit), sizeof(lit) - 1)

static const struct {
	int code;
	const char *text;
} reasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {102, "Processing"},
    {103, "Early Hints"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {207, "Multi-Status"},
    {208, "Already Reported"},
    {226, "IM Used"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {305, "Use Proxy"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Request Entity Too Large"},
    {414, "Request URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Requested Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {418, "I'm a teapot"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Entity"},
    {423, "Locked"},
    {424, "Failed Dependency"},
    {425, "Too Early"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {506, "Variant Also Negotiates"},
    {507, "Insufficient Storage"},
    {508, "Loop Detected"},
    {510, "Not Extended"},
    {511, "Network Authentication Required"},
};

const char *http_status_text(int status)
{
	size_t lo = 0, hi = sizeof(reasons) / sizeof(reasons[0]);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (reasons[mid].code == status)
			return reasons[mid].text;
		if (reasons[mid].code < status)
			lo = mid + 1;
		else
			hi = mid;
	}
	return "";
}

static char *put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

size_t resp_format_date(time_t t, char out[30])
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm;
	gmtime_r(&t, &tm);
	int year = (tm.tm_year + 1900) % 10000;
	char *p = out;
	memcpy(p, days + 3 * tm.tm_wday, 3);
	memcpy(p + 3, ", ", 2);
	p = put2(p + 5, tm.tm_mday);
	*p++ = ' ';
	memcpy(p, months + 3 * tm.tm_mon, 3);
	p[3] = ' ';
	p = put2(put2(p + 4, year / 100), year % 100);
	*p++ = ' ';
	p = put2(p, tm.tm_hour);
	*p++ = ':';
	p = put2(p, tm.tm_min);
	*p++ = ':';
	p = put2(p, tm.tm_sec);
	memcpy(p, " GMT", 5);
	return 29;
}

static const char *date_now(void)
{
	static _Thread_local time_t cached;
	static _Thread_local char text[30];
	time_t now = time(NULL);
	if (now != cached || !text[0]) {
		resp_format_date(now, text);
		cached = now;
	}
	return text;
}

static void status_line(struct buf *out, int status)
{
	if (status == 200) {
		PUT_LIT(out, "HTTP/1.1 200 OK\r\n");
		return;
	}
	const char *text = http_status_text(status);
	PUT_LIT(out, "HTTP/1.1 ");
	buf_put_u64(out, (uint64_t)status);
	if (text[0]) {
		buf_putc(out, ' ');
		buf_puts(out, text);
	} else {
		PUT_LIT(out, " status code ");
		buf_put_u64(out, (uint64_t)status);
	}
	PUT_LIT(out, "\r\n");
}

static bool body_allowed(int status)
{
	return !(status < 200 || status == 204 || status == 304);
}

void resp_serialize(struct buf *out, struct http_request *req, bool close)
{
	struct http_response *r = &req->resp;
	int status = r->status ? r->status : 200;
	if (status < 100 || status > 999)
		status = 500;
	bool allowed = body_allowed(status);
	buf_reserve(out, 160 + r->headers.len + r->body.len);
	status_line(out, status);
	const char *ctype = r->content_type;
	if (!ctype && r->body.len)
		ctype = "application/json";
	if (allowed && ctype && ctype[0]) {
		PUT_LIT(out, "Content-Type: ");
		buf_puts(out, ctype);
		PUT_LIT(out, "\r\n");
	}
	buf_append(out, r->headers.data, r->headers.len);
	PUT_LIT(out, "Date: ");
	buf_append(out, date_now(), 29);
	bool streaming = req_impl(req)->streaming;
	if (allowed && streaming && !req_impl(req)->http10) {
		PUT_LIT(out, "\r\nTransfer-Encoding: chunked");
	} else if (allowed && !streaming) {
		PUT_LIT(out, "\r\nContent-Length: ");
		buf_put_u64(out, r->body.len);
	}
	if (close)
		PUT_LIT(out, "\r\nConnection: close");
	else if (req_impl(req)->http10)
		PUT_LIT(out, "\r\nConnection: keep-alive");
	PUT_LIT(out, "\r\n\r\n");
	if (allowed && req->method != HTTP_M_HEAD && !streaming)
		buf_append(out, r->body.data, r->body.len);
}

void resp_error(struct buf *out, int status)
{
	char body[80];
	int n = snprintf(body, sizeof(body), "%d %s", status, http_status_text(status));
	status_line(out, status);
	PUT_LIT(out, "Content-Type: text/plain; charset=utf-8\r\nContent-Length: ");
	buf_put_u64(out, (uint64_t)n);
	PUT_LIT(out, "\r\nConnection: close\r\n\r\n");
	buf_append(out, body, (size_t)n);
}

void resp_too_many_conns(struct buf *out)
{
	static const char msg[] =
	    "Your IP is issuing too many concurrent connections, please rate limit your calls\n";
	PUT_LIT(out,
		"HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\nContent-Length: ");
	buf_put_u64(out, sizeof(msg) - 1);
	PUT_LIT(out, "\r\nConnection: close\r\n\r\n");
	buf_puts(out, msg);
}

void resp_continue(struct buf *out)
{
	PUT_LIT(out, "HTTP/1.1 100 Continue\r\n\r\n");
}

/* Header values cannot carry line breaks (Go replaces them with spaces). */
static void header_line_end(struct buf *b, size_t value_start)
{
	for (size_t i = value_start; i < b->len; i++)
		if (b->data[i] == '\r' || b->data[i] == '\n')
			b->data[i] = ' ';
	PUT_LIT(b, "\r\n");
}

void http_resp_header(struct http_request *req, const char *name, const char *value)
{
	struct buf *b = &req->resp.headers;
	size_t nl = strlen(name), vl = strlen(value);
	buf_reserve(b, nl + vl + 4);
	char *p = b->data + b->len;
	memcpy(p, name, nl);
	p += nl;
	*p++ = ':';
	*p++ = ' ';
	for (size_t i = 0; i < vl; i++) {
		char c = value[i];
		*p++ = (c == '\r' || c == '\n') ? ' ' : c;
	}
	*p++ = '\r';
	*p++ = '\n';
	*p = '\0';
	b->len = (size_t)(p - b->data);
}

void http_resp_header_u64(struct http_request *req, const char *name, uint64_t value)
{
	struct buf *b = &req->resp.headers;
	buf_puts(b, name);
	PUT_LIT(b, ": ");
	buf_put_u64(b, value);
	PUT_LIT(b, "\r\n");
}

void http_resp_headerf(struct http_request *req, const char *name, const char *fmt, ...)
{
	struct buf *b = &req->resp.headers;
	buf_puts(b, name);
	PUT_LIT(b, ": ");
	size_t start = b->len;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
	header_line_end(b, start);
}

void http_reply_text(struct http_request *req, int status, const char *msg)
{
	struct http_response *r = &req->resp;
	r->status = status;
	r->content_type = "text/plain; charset=utf-8";
	buf_reset(&r->body);
	buf_puts(&r->body, msg);
	if (r->body.len == 0 || r->body.data[r->body.len - 1] != '\n')
		buf_putc(&r->body, '\n');
	http_reply(req);
}
