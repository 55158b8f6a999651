/*
 * Shared fixture for the HTTP server tests that use real sockets: a server on
 * 127.0.0.1 with an ephemeral port on a private loop, and a plain non-blocking
 * client socket driven from the same thread (the loop is pumped with
 * UV_RUN_NOWAIT while the client waits). Teardown closes the server and checks
 * that the loop has no handle left, so leaks of handles fail the test and
 * leaks of memory fail under ASan.
 *
 * The handler understands a few paths:
 *   /async[?cancel]  parked in f->parked (with a cancel hook if asked);
 *                    the test answers it with http_reply later
 *   /small           on_headers lowers max_body to 16
 *   /blob            200 with 4096 bytes of 'x'
 *   anything else    200, text body "<METHOD> <path> <body>", or 413 when
 *                    body_too_large is set
 */
#ifndef CAIRN_TEST_HTTP_HARNESS_H
#define CAIRN_TEST_HTTP_HARNESS_H

#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct fixture {
	uv_loop_t loop;
	struct http_server *srv;
	int port;
	struct http_request *parked[8];
	int nparked;
	int dispatched;
	int cancelled;
	int too_large;
	bool closed;
};

static inline void fx_cancel(struct http_request *req)
{
	struct fixture *f = req->ctx;
	f->cancelled++;
	for (int i = 0; i < f->nparked; i++)
		if (f->parked[i] == req)
			f->parked[i] = f->parked[--f->nparked];
}

static inline void fx_dispatch(void *ctx, struct http_request *req)
{
	struct fixture *f = ctx;
	f->dispatched++;
	if (req->body_too_large) {
		f->too_large++;
		http_reply_text(req, 413, "Request body too large");
		return;
	}
	if (strcmp(req->path, "/async") == 0) {
		req->ctx = f;
		if (http_param_get(req, "cancel"))
			req->cancel = fx_cancel;
		f->parked[f->nparked++] = req;
		return;
	}
	req->resp.content_type = "text/plain";
	if (strcmp(req->path, "/blob") == 0) {
		buf_reserve(&req->resp.body, 4096);
		memset(req->resp.body.data, 'x', 4096);
		req->resp.body.len = 4096;
		http_reply(req);
		return;
	}
	buf_printf(&req->resp.body, "%s %s ", req->method_name, req->path);
	buf_append(&req->resp.body, req->body.data, req->body.len);
	http_reply(req);
}

static inline void fx_on_headers(void *ctx, struct http_request *req)
{
	if (strcmp(req->path, "/small") == 0)
		req->max_body = 16;
}

static inline void fx_start_cfg(struct fixture *f, struct http_server_config *cfg)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(uv_loop_init(&f->loop), 0);
	static const char *addrs[] = {"127.0.0.1", NULL};
	if (!cfg->addrs)
		cfg->addrs = addrs;
	cfg->dispatch = fx_dispatch;
	cfg->on_headers = fx_on_headers;
	cfg->ctx = f;
	struct buf err = BUF_INIT;
	int rc = http_server_start(&f->loop, cfg, &f->srv, &err);
	if (rc)
		print_error("start: %s\n", buf_cstr(&err));
	assert_int_equal(rc, 0);
	buf_free(&err);
	f->port = http_server_port(f->srv);
	assert_true(f->port > 0);
}

static inline void fx_start(struct fixture *f)
{
	struct http_server_config cfg = {.max_body = 1024};
	fx_start_cfg(f, &cfg);
}

static inline void fx_closed(void *arg)
{
	((struct fixture *)arg)->closed = true;
}

static inline void fx_pump(struct fixture *f, int ms)
{
	struct timespec ts = {0, 1000000};
	for (int i = 0; i < ms; i++) {
		uv_run(&f->loop, UV_RUN_NOWAIT);
		nanosleep(&ts, NULL);
	}
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

static inline void fx_stop(struct fixture *f)
{
	http_server_close(f->srv, fx_closed, f);
	for (int i = 0; i < 1000 && !f->closed; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_true(f->closed);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

static inline int fx_connect_to(struct fixture *f, int family, const char *ip)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)f->port);
		inet_pton(AF_INET, ip, &a->sin_addr);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)f->port);
		inet_pton(AF_INET6, ip, &a->sin6_addr);
		len = sizeof(*a);
	}
	int fd = socket(family, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
	return fd;
}

static inline int fx_connect(struct fixture *f)
{
	return fx_connect_to(f, AF_INET, "127.0.0.1");
}

/* Send everything, pumping the loop while the socket is full. Errors (the
 * server may close early) end the send quietly. */
static inline void fx_send_n(struct fixture *f, int fd, const char *s, size_t len)
{
	size_t off = 0;
	for (int spins = 0; off < len && spins < 5000; spins++) {
		ssize_t n = send(fd, s + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return;
		else
			fx_pump(f, 1);
	}
}

static inline void fx_send(struct fixture *f, int fd, const char *s)
{
	fx_send_n(f, fd, s, strlen(s));
}

/* Number of complete responses at the start of s (Content-Length framing;
 * responses without one end with their head). */
static inline int fx_count_responses(const char *s, size_t len)
{
	int count = 0;
	size_t off = 0;
	while (off < len) {
		const char *end = memmem(s + off, len - off, "\r\n\r\n", 4);
		if (!end)
			break;
		size_t head = (size_t)(end - (s + off)) + 4;
		size_t body = 0;
		const char *cl = memmem(s + off, head, "Content-Length: ", 16);
		if (cl)
			body = strtoul(cl + 16, NULL, 10);
		if (off + head + body > len)
			break;
		off += head + body;
		count++;
	}
	return count;
}

/* Read until want responses are complete, EOF, or timeout; *eof tells. */
static inline char *fx_read(struct fixture *f, int fd, int want, int timeout_ms, bool *eof)
{
	struct buf in = BUF_INIT;
	bool closed = false;
	for (int i = 0; i < timeout_ms; i++) {
		char tmp[65536];
		ssize_t n;
		while ((n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT)) > 0)
			buf_append(&in, tmp, (size_t)n);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			closed = true;
			break;
		}
		if (want > 0 && fx_count_responses(buf_cstr(&in), in.len) >= want)
			break;
		fx_pump(f, 1);
	}
	if (eof)
		*eof = closed;
	return buf_steal(&in);
}

/* True if the server closes fd within timeout_ms (bytes before are dropped). */
static inline bool fx_wait_eof(struct fixture *f, int fd, int timeout_ms)
{
	bool eof = false;
	free(fx_read(f, fd, 0, timeout_ms, &eof));
	return eof;
}

#endif
