/*
 * HTTP server over real sockets, synchronous handler paths: keep-alive,
 * pipelining, Connection: close, HTTP/1.0, HEAD, 100-continue, and the error
 * replies (400, 431, 413). See harness.h for the fixture.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

#include <stdio.h>

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void test_keepalive(void **state)
{
	struct fixture f;
	fx_start(&f);
	int fd = fx_connect(&f);
	for (int i = 0; i < 3; i++) {
		fx_send(&f, fd, "GET /v1/kv/x?recurse HTTP/1.1\r\nHost: a\r\n\r\n");
		bool eof;
		char *r = fx_read(&f, fd, 1, 2000, &eof);
		assert_false(eof);
		assert_true(starts(r, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: "));
		assert_non_null(strstr(r, "Content-Length: 13\r\n\r\nGET /v1/kv/x "));
		assert_null(strstr(r, "Connection:"));
		free(r);
	}
	assert_int_equal(http_server_conn_count(f.srv), 1);
	assert_int_equal(f.dispatched, 3);
	close(fd);
	fx_stop(&f);
}

static void test_pipelined(void **state)
{
	struct fixture f;
	fx_start(&f);
	int fd = fx_connect(&f);
	fx_send(&f, fd,
		"GET /one HTTP/1.1\r\n\r\nPUT /two HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
		"DELETE /three HTTP/1.1\r\n\r\n");
	char *r = fx_read(&f, fd, 3, 2000, NULL);
	assert_int_equal(fx_count_responses(r, strlen(r)), 3);
	char *a = strstr(r, "GET /one ");
	char *b = strstr(r, "PUT /two abc");
	char *c = strstr(r, "DELETE /three ");
	assert_true(a && b && c && a < b && b < c);
	free(r);
	close(fd);
	fx_stop(&f);
}

static void test_connection_close(void **state)
{
	struct fixture f;
	fx_start(&f);
	int fd = fx_connect(&f);
	fx_send(&f, fd,
		"GET /bye HTTP/1.1\r\nConnection: close\r\n\r\nGET /ignored HTTP/1.1\r\n\r\n");
	bool eof;
	char *r = fx_read(&f, fd, 0, 2000, &eof);
	assert_true(eof);
	assert_int_equal(fx_count_responses(r, strlen(r)), 1);
	assert_non_null(strstr(r, "\r\nConnection: close\r\n\r\nGET /bye "));
	assert_int_equal(f.dispatched, 1);
	free(r);
	close(fd);
	fx_pump(&f, 5);
	assert_int_equal(http_server_conn_count(f.srv), 0);
	fx_stop(&f);
}

static void test_http10(void **state)
{
	struct fixture f;
	fx_start(&f);
	int fd = fx_connect(&f);
	fx_send(&f, fd, "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	char *r = fx_read(&f, fd, 1, 2000, NULL);
	assert_non_null(strstr(r, "\r\nConnection: keep-alive\r\n\r\nGET /old "));
	free(r);
	fx_send(&f, fd, "GET /old2 HTTP/1.0\r\n\r\n");
	bool eof;
	r = fx_read(&f, fd, 0, 2000, &eof);
	assert_true(eof);
	assert_non_null(strstr(r, "Connection: close\r\n\r\nGET /old2 "));
	free(r);
	close(fd);
	fx_stop(&f);
}

static void test_head(void **state)
{
	struct fixture f;
	fx_start(&f);
	int fd = fx_connect(&f);
	fx_send(&f, fd, "HEAD /h HTTP/1.1\r\n\r\nGET /g HTTP/1.1\r\n\r\n");
	char *r = fx_read(&f, fd, 2, 2000, NULL);
	/* The HEAD reply announces the GET length but carries no body: the
	 * next bytes are the second reply's status line. */
	assert_non_null(strstr(r, "Content-Length: 8\r\n\r\nHTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(r, "\r\n\r\nGET /g "));
	free(r);
	close(fd);
	fx_stop(&f);
}

static void test_continue(void **state)
{
	struct fixture f;
	fx_start(&f);
	int fd = fx_connect(&f);
	fx_send(&f, fd, "PUT /up HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
	char *r = fx_read(&f, fd, 1, 2000, NULL);
	assert_string_equal(r, "HTTP/1.1 100 Continue\r\n\r\n");
	free(r);
	assert_int_equal(f.dispatched, 0);
	fx_send(&f, fd, "hello");
	r = fx_read(&f, fd, 1, 2000, NULL);
	assert_true(starts(r, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(r, "\r\n\r\nPUT /up hello"));
	free(r);
	/* Too large: no 100, a 413 and the connection closes. */
	fx_send(&f, fd,
		"PUT /small HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 50\r\n\r\n");
	bool eof;
	r = fx_read(&f, fd, 0, 2000, &eof);
	assert_true(eof);
	assert_true(starts(r, "HTTP/1.1 413 Request Entity Too Large\r\n"));
	assert_non_null(strstr(r, "Connection: close\r\n"));
	free(r);
	close(fd);
	fx_stop(&f);
}

static void expect_error(const char *req, size_t len, const char *status_line)
{
	struct fixture f;
	fx_start(&f);
	int fd = fx_connect(&f);
	fx_send_n(&f, fd, req, len);
	bool eof;
	char *r = fx_read(&f, fd, 0, 3000, &eof);
	assert_true(eof);
	if (!starts(r, status_line))
		print_error("got: %.80s\n", r);
	assert_true(starts(r, status_line));
	assert_non_null(strstr(r, "Connection: close\r\n"));
	assert_int_equal(f.dispatched, 0);
	free(r);
	close(fd);
	fx_stop(&f);
}

static void test_garbage(void **state)
{
	static const char tls[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
	expect_error(tls, sizeof(tls) - 1, "HTTP/1.1 400 Bad Request\r\n");
	const char *bad = "GET /a%zz HTTP/1.1\r\n\r\n";
	expect_error(bad, strlen(bad), "HTTP/1.1 400 Bad Request\r\n");
	bad = "PUT /x HTTP/1.1\r\nExpect: magic\r\n\r\n";
	expect_error(bad, strlen(bad), "HTTP/1.1 417 Expectation Failed\r\n");
}

static void test_header_too_large(void **state)
{
	size_t n = 100 * 1024;
	char *s = malloc(n + 64);
	strcpy(s, "GET / HTTP/1.1\r\nX-Big: ");
	size_t len = strlen(s);
	memset(s + len, 'a', n);
	memcpy(s + len + n, "\r\n\r\n", 4);
	expect_error(s, len + n + 4, "HTTP/1.1 431 Request Header Fields Too Large\r\n");
	free(s);
}

static void test_body_too_large(void **state)
{
	struct fixture f;
	fx_start(&f);
	/* Known from Content-Length (server default 1024). */
	int fd = fx_connect(&f);
	char big[4096];
	int n = snprintf(big, sizeof(big), "PUT /x HTTP/1.1\r\nContent-Length: 3000\r\n\r\n");
	memset(big + n, 'z', 3000);
	fx_send_n(&f, fd, big, (size_t)n + 3000);
	bool eof;
	char *r = fx_read(&f, fd, 0, 3000, &eof);
	assert_true(eof);
	assert_true(starts(r, "HTTP/1.1 413 Request Entity Too Large\r\n"));
	assert_non_null(strstr(r, "Connection: close\r\n\r\nRequest body too large\n"));
	free(r);
	close(fd);
	/* Discovered while reading chunks, with the lower /small limit. */
	fd = fx_connect(&f);
	fx_send(&f, fd,
		"PUT /small HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		"a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n");
	r = fx_read(&f, fd, 0, 3000, &eof);
	assert_true(eof);
	assert_true(starts(r, "HTTP/1.1 413 "));
	free(r);
	close(fd);
	assert_int_equal(f.too_large, 2);
	fx_stop(&f);
}

static void test_listen_error(void **state)
{
	struct fixture f;
	fx_start(&f);
	uv_loop_t loop2;
	uv_loop_init(&loop2);
	const char *addrs[] = {"127.0.0.1", NULL};
	struct http_server_config cfg = {.addrs = addrs, .port = f.port, .dispatch = fx_dispatch};
	struct http_server *srv2 = (struct http_server *)&cfg;
	struct buf err = BUF_INIT;
	int rc = http_server_start(&loop2, &cfg, &srv2, &err);
	assert_int_equal(rc, UV_EADDRINUSE);
	assert_null(srv2);
	char want[96];
	snprintf(want, sizeof(want), "listen tcp 127.0.0.1:%d: bind: address already in use",
		 f.port);
	assert_string_equal(buf_cstr(&err), want);
	buf_free(&err);
	uv_run(&loop2, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop2), 0);
	fx_stop(&f);
}

static void test_ipv6(void **state)
{
	struct fixture f;
	const char *addrs[] = {"::1", "127.0.0.1", NULL};
	struct http_server_config cfg = {.addrs = addrs, .max_body = 1024};
	memset(&f, 0, sizeof(f));
	uv_loop_init(&f.loop);
	cfg.dispatch = fx_dispatch;
	cfg.ctx = &f;
	struct buf err = BUF_INIT;
	if (http_server_start(&f.loop, &cfg, &f.srv, &err) != 0) {
		print_message("no IPv6 loopback here (%s); skipped\n", buf_cstr(&err));
		buf_free(&err);
		uv_run(&f.loop, UV_RUN_DEFAULT);
		uv_loop_close(&f.loop);
		skip();
	}
	f.port = http_server_port(f.srv);
	/* Port 0 gives each address its own port; only the first is known. */
	int fd = fx_connect_to(&f, AF_INET6, "::1");
	fx_send(&f, fd, "GET /six HTTP/1.1\r\n\r\n");
	char *r = fx_read(&f, fd, 1, 2000, NULL);
	assert_non_null(strstr(r, "GET /six "));
	free(r);
	close(fd);
	fx_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keepalive),
	    cmocka_unit_test(test_pipelined),
	    cmocka_unit_test(test_connection_close),
	    cmocka_unit_test(test_http10),
	    cmocka_unit_test(test_head),
	    cmocka_unit_test(test_continue),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_header_too_large),
	    cmocka_unit_test(test_body_too_large),
	    cmocka_unit_test(test_listen_error),
	    cmocka_unit_test(test_ipv6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
