/*
 * Streamed (chunked) replies over real sockets: head and chunk framing, the
 * terminating chunk and keep-alive after it, HTTP/1.0 (unframed, closes),
 * cancel when the client leaves mid-stream, pending bytes, and server shutdown
 * with a stream open. Streams are started on requests the fixture parks
 * (/async?cancel, harness.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

#include <stdio.h>

static struct http_request *start_stream(struct fixture *f, int fd, const char *request)
{
	fx_send(f, fd, request);
	for (int i = 0; i < 500 && f->nparked == 0; i++)
		fx_pump(f, 1);
	assert_int_equal(f->nparked, 1);
	struct http_request *req = f->parked[0];
	req->resp.content_type = "text/plain; charset=utf-8";
	http_stream_start(req);
	return req;
}

/* Read whatever arrives within ms. */
static char *read_for(struct fixture *f, int fd, int ms, bool *eof)
{
	return fx_read(f, fd, 0, ms, eof);
}

static void test_chunks_and_end(void **state)
{
	struct fixture f;
	fx_start(&f);
	int fd = fx_connect(&f);
	struct http_request *req = start_stream(&f, fd, "GET /async?cancel HTTP/1.1\r\n\r\n");
	http_stream_write(req, "hello\n", 6);
	http_stream_write(req, "0123456789abcdefX", 17);
	char *r = read_for(&f, fd, 30, NULL);
	assert_non_null(strstr(r, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(r, "Transfer-Encoding: chunked\r\n"));
	assert_null(strstr(r, "Content-Length"));
	assert_non_null(strstr(r, "\r\n\r\n6\r\nhello\n\r\n11\r\n0123456789abcdefX\r\n"));
	free(r);
	f.nparked = 0;
	http_stream_end(req);
	r = read_for(&f, fd, 30, NULL);
	assert_string_equal(r, "0\r\n\r\n");
	free(r);
	/* the connection carries on with the next request */
	fx_send(&f, fd, "GET /next HTTP/1.1\r\n\r\n");
	r = fx_read(&f, fd, 1, 2000, NULL);
	assert_non_null(strstr(r, "GET /next "));
	free(r);
	assert_int_equal(f.cancelled, 0);
	close(fd);
	fx_stop(&f);
}

static void test_http10(void **state)
{
	struct fixture f;
	fx_start(&f);
	int fd = fx_connect(&f);
	struct http_request *req = start_stream(&f, fd, "GET /async?cancel HTTP/1.0\r\n\r\n");
	http_stream_write(req, "raw", 3);
	f.nparked = 0;
	http_stream_end(req);
	bool eof = false;
	char *r = read_for(&f, fd, 1000, &eof);
	assert_true(eof);
	assert_null(strstr(r, "chunked"));
	assert_non_null(strstr(r, "Connection: close\r\n\r\nraw"));
	size_t n = strlen(r);
	assert_true(n >= 3 && strcmp(r + n - 3, "raw") == 0);
	free(r);
	close(fd);
	fx_stop(&f);
}

static void test_client_leaves(void **state)
{
	struct fixture f;
	fx_start(&f);
	int fd = fx_connect(&f);
	struct http_request *req = start_stream(&f, fd, "GET /async?cancel HTTP/1.1\r\n\r\n");
	http_stream_write(req, "x", 1);
	fx_pump(&f, 5);
	close(fd);
	for (int i = 0; i < 500 && f.cancelled == 0; i++)
		fx_pump(&f, 1);
	assert_int_equal(f.cancelled, 1);
	assert_int_equal(f.nparked, 0);
	fx_pump(&f, 5);
	assert_int_equal(http_server_conn_count(f.srv), 0);
	fx_stop(&f);
}

/* A client that does not read: pending grows, nothing blocks. */
static void test_pending(void **state)
{
	struct fixture f;
	fx_start(&f);
	int fd = fx_connect(&f);
	struct http_request *req = start_stream(&f, fd, "GET /async?cancel HTTP/1.1\r\n\r\n");
	static char block[65536];
	memset(block, 'y', sizeof(block));
	for (int i = 0; i < 200; i++)
		http_stream_write(req, block, sizeof(block));
	assert_true(http_stream_pending(req) > 0);
	fx_pump(&f, 20);
	assert_true(http_stream_pending(req) > 0); /* 12.5 MiB cannot all be in flight */
	fx_stop(&f);				   /* cancels the stream */
	assert_int_equal(f.cancelled, 1);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chunks_and_end),
	    cmocka_unit_test(test_http10),
	    cmocka_unit_test(test_client_leaves),
	    cmocka_unit_test(test_pending),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
