/*
 * HTTP checks (Consul's CheckHTTP), one request per interval through the
 * runtime's shared CURLM.
 *
 * Request as Consul's Go client sends it: Method (default GET), Body, every
 * value of every Header (names as given), User-Agent "Consul Health Check"
 * and Accept "text/plain, text/ *, * / *" (without the spaces) unless given, "Accept-Encoding:
 * gzip" (decoded) unless given, "Connection: close" (Consul disables keep-alive), no curl-added
 * Content-Type or Expect. Timeout: the check's timeout, else 10 s, for the whole exchange including
 * redirects. HTTP/2 over TLS when the server offers it (as Go with ForceAttemptHTTP2).
 *
 * Redirects are followed here, not by curl, to get Go's rules: at most 10;
 * 301/302/303 turn the method into GET (HEAD stays HEAD) and drop the body;
 * 307/308 keep both. With DisableRedirects the 3xx response is the answer.
 *
 * Result: 2xx passing, 429 warning, anything else critical, with
 *   HTTP <METHOD> <url as configured>: <status line, e.g. "200 OK"> Output: <body>
 * where the body keeps its last output-cap bytes (Consul's circbuf). Transport
 * errors are critical with Go's text: `Get "<url>": dial tcp ...`. If the
 * timeout hits after the status line arrived, the partial body is used (Go
 * reports the response and logs the body error). Loop thread only.
 */
#include "checks/internal.h"

#include "base/alloc.h"
#include "base/err.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define MAX_REDIRECTS 10

struct http_probe {
	struct check *c;	   /* owner */
	struct check_curl_req req; /* the request in flight */
	struct curl_slist *hdrs;   /* its headers */
	struct tailbuf body;	   /* last output-cap bytes of the body */
	struct buf status;	   /* status line after the version ("200 OK") */
	long code;		   /* status code of the last status line */
	char *url;		   /* current URL (changes on redirects) */
	char *method;		   /* current method (changes on 301/302/303) */
	bool send_body;		   /* body still sent (dropped on 301/302/303) */
	int redirects;		   /* redirects followed */
	uint64_t deadline;	   /* loop time (ms) when the exchange times out */
};

static const char *status_text(long code)
{
	switch (code) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 304:
		return "Not Modified";
	case 307:
		return "Temporary Redirect";
	case 308:
		return "Permanent Redirect";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "";
	}
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct http_probe *h = ud;
	tailbuf_write(&h->body, p, size * n);
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct http_probe *h = ud;
	size_t len = size * n;
	if (len > 5 && memcmp(p, "HTTP/", 5) == 0) {
		const char *sp = memchr(p, ' ', len);
		buf_reset(&h->status);
		h->code = 0;
		if (sp) {
			const char *e = p + len;
			while (sp < e && *sp == ' ')
				sp++;
			while (e > sp && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
				e--;
			buf_append(&h->status, sp, (size_t)(e - sp));
			h->code = strtol(sp, NULL, 10);
		}
	}
	return len;
}

static bool user_has(const struct checkdef *d, const char *name)
{
	for (size_t i = 0; i < d->n_headers; i++)
		if (strcasecmp(d->headers[i].name, name) == 0)
			return true;
	return false;
}

static struct curl_slist *build_headers(const struct checkdef *d)
{
	struct curl_slist *l = NULL;
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < d->n_headers; i++) {
		for (size_t j = 0; j < d->headers[i].n_values; j++) {
			buf_reset(&b);
			const char *v = d->headers[i].values[j];
			/* "Name;" is curl's way to send an empty value */
			buf_printf(&b, *v ? "%s: %s" : "%s;", d->headers[i].name, v);
			l = curl_slist_append(l, b.data);
		}
	}
	buf_free(&b);
	if (!user_has(d, "User-Agent"))
		l = curl_slist_append(l, "User-Agent: Consul Health Check");
	if (!user_has(d, "Accept"))
		l = curl_slist_append(l, "Accept: text/plain, text/*, */*");
	if (!user_has(d, "Connection"))
		l = curl_slist_append(l, "Connection: close");
	if (!user_has(d, "Content-Type"))
		l = curl_slist_append(l, "Content-Type:");
	l = curl_slist_append(l, "Expect:");
	return l;
}

static void http_done(struct check_curl_req *r, CURLcode res);

static void set_method(struct http_probe *h)
{
	CURL *e = h->req.easy;
	const struct checkdef *d = &h->c->def;
	bool body = h->send_body && d->body && *d->body;
	if (strcmp(h->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		return;
	}
	if (body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(d->body));
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, d->body);
	} else if (!strcmp(h->method, "POST") || !strcmp(h->method, "PUT") ||
		   !strcmp(h->method, "PATCH")) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
	}
	if (strcmp(h->method, "GET") != 0 || body)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, h->method);
}

static int send_request(struct http_probe *h)
{
	struct check *c = h->c;
	uint64_t now = uv_now(c->rt->loop);
	long left = h->deadline > now ? (long)(h->deadline - now) : 1;
	check_curl_req_init(h->c->rt, &h->req, http_done, h);
	h->hdrs = build_headers(&c->def);
	check_curl_url(&h->req, &c->def, h->url, true, &h->hdrs);
	CURL *e = h->req.easy;
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->hdrs);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, left);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, h);
	if (!user_has(&c->def, "Accept-Encoding"))
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip");
	set_method(h);
	return check_curl_add(c->rt, &h->req);
}

static void reset_response(struct http_probe *h)
{
	check_curl_req_free(h->c->rt, &h->req);
	curl_slist_free_all(h->hdrs);
	h->hdrs = NULL;
	tailbuf_free(&h->body);
	tailbuf_init(&h->body, (size_t)h->c->output_cap);
	buf_reset(&h->status);
	h->code = 0;
}

static void probe_free(struct http_probe *h)
{
	check_curl_req_free(h->c->rt, &h->req);
	curl_slist_free_all(h->hdrs);
	tailbuf_free(&h->body);
	buf_free(&h->status);
	free(h->url);
	free(h->method);
	free(h);
}

/* Go's url.Error prefix: `Get "http://...": ` (the method with one capital). */
static void url_error(struct http_probe *h, struct buf *out)
{
	buf_putc(out, h->method[0]);
	for (const char *p = h->method + 1; *p; p++)
		buf_putc(out, (char)tolower((unsigned char)*p));
	buf_printf(out, " \"%s\": ", h->url);
}

static void transport_error(struct http_probe *h, CURLcode res, struct buf *out)
{
	url_error(h, out);
	check_curl_error_text(&h->req, res, out);
}

/* Follow a redirect if Go would. 1 = following, 0 = not a redirect, <0 error. */
static int follow(struct http_probe *h, struct buf *err)
{
	long code = h->code;
	char *loc = NULL;
	if (h->c->def.disable_redirects ||
	    (code != 301 && code != 302 && code != 303 && code != 307 && code != 308))
		return 0;
	curl_easy_getinfo(h->req.easy, CURLINFO_REDIRECT_URL, &loc);
	if (!loc)
		return 0;
	char *next = xstrdup(loc);
	if (++h->redirects > MAX_REDIRECTS) {
		free(h->url);
		h->url = next;
		url_error(h, err);
		buf_puts(err, "stopped after 10 redirects");
		return -1;
	}
	free(h->url);
	h->url = next;
	if (code <= 303 && strcmp(h->method, "HEAD") != 0) {
		free(h->method);
		h->method = xstrdup("GET");
		h->send_body = false;
	}
	reset_response(h);
	return send_request(h) == 0 ? 1 : -1;
}

static void finish(struct http_probe *h, enum check_status st, struct buf *out)
{
	struct check *c = h->c;
	probe_free(h);
	check_probe_done(c, st, out->data ? out->data : "", out->len);
	buf_free(out);
}

static void http_done(struct check_curl_req *r, CURLcode res)
{
	struct http_probe *h = r->data;
	const struct checkdef *d = &h->c->def;
	struct buf out = BUF_INIT;
	bool answered = h->code >= 200 && (res == CURLE_OK || res == CURLE_OPERATION_TIMEDOUT ||
					   res == CURLE_RECV_ERROR || res == CURLE_PARTIAL_FILE);
	if (!answered) {
		transport_error(h, res, &out);
		finish(h, CHECK_CRITICAL, &out);
		return;
	}
	int f = res == CURLE_OK ? follow(h, &out) : 0;
	if (f > 0)
		return;
	if (f < 0) {
		finish(h, CHECK_CRITICAL, &out);
		return;
	}
	long ver = 0;
	curl_easy_getinfo(h->req.easy, CURLINFO_HTTP_VERSION, &ver);
	buf_printf(&out, "HTTP %s %s: %s", d->method && *d->method ? d->method : "GET", d->http,
		   buf_cstr(&h->status));
	if (ver >= CURL_HTTP_VERSION_2_0 && h->status.len <= 4)
		buf_printf(&out, " %s", status_text(h->code));
	buf_puts(&out, " Output: ");
	tailbuf_get(&h->body, &out);
	enum check_status st = CHECK_CRITICAL;
	if (h->code >= 200 && h->code <= 299)
		st = CHECK_PASSING;
	else if (h->code == 429)
		st = CHECK_WARNING;
	finish(h, st, &out);
}

static int http_start(struct check *c)
{
	struct http_probe *h = xcalloc(1, sizeof(*h));
	h->c = c;
	h->url = xstrdup(c->def.http);
	h->method = xstrdup(c->def.method && *c->def.method ? c->def.method : "GET");
	h->send_body = true;
	h->deadline = uv_now(c->rt->loop) + check_ns_to_ms(check_effective_timeout(c), 1);
	tailbuf_init(&h->body, (size_t)c->output_cap);
	c->op = h;
	if (send_request(h) != 0) {
		c->op = NULL;
		probe_free(h);
		return CAIRN_E_INTERNAL;
	}
	return 0;
}

static void http_cancel(struct check *c)
{
	struct http_probe *h = c->op;
	check_curl_cancel(c->rt, &h->req);
	probe_free(h);
	check_probe_end(c);
}

const struct check_runner check_runner_http = {"http", http_start, http_cancel};
