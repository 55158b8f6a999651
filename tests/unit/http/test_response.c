/*
 * Unit tests of response serialization (src/http/response.c): status line,
 * reason phrases, Date in Go's http.TimeFormat, Content-Type/Length rules,
 * HEAD and bodiless statuses, Connection headers, header sanitizing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/request.h"
#include "http/response.h"

#include <stdlib.h>
#include <string.h>

/* Serialized reply with the Date value blanked to "DATE". */
static char *render(struct http_request *req, bool close)
{
	struct buf out = BUF_INIT;
	resp_serialize(&out, req, close);
	char *d = strstr(out.data, "Date: ");
	assert_non_null(d);
	memcpy(d + 6, "DATE", 4);
	memmove(d + 10, d + 6 + 29, strlen(d + 6 + 29) + 1);
	return buf_steal(&out);
}

static void test_status_text(void **state)
{
	assert_string_equal(http_status_text(200), "OK");
	assert_string_equal(http_status_text(404), "Not Found");
	assert_string_equal(http_status_text(405), "Method Not Allowed");
	assert_string_equal(http_status_text(413), "Request Entity Too Large");
	assert_string_equal(http_status_text(429), "Too Many Requests");
	assert_string_equal(http_status_text(431), "Request Header Fields Too Large");
	assert_string_equal(http_status_text(100), "Continue");
	assert_string_equal(http_status_text(511), "Network Authentication Required");
	assert_string_equal(http_status_text(299), "");
}

static void test_date(void **state)
{
	char d[30];
	assert_int_equal(resp_format_date(0, d), 29);
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 GMT");
	resp_format_date(1700000000, d);
	assert_string_equal(d, "Tue, 14 Nov 2023 22:13:20 GMT");
	resp_format_date(951782400, d); /* leap day 2000 */
	assert_string_equal(d, "Tue, 29 Feb 2000 00:00:00 GMT");
}

static void test_json_reply(void **state)
{
	struct req_impl *r = req_new();
	struct http_request *q = &r->pub;
	buf_puts(&q->resp.body, "[]");
	http_resp_header(q, "X-Consul-Index", "5");
	http_resp_headerf(q, "X-Consul-Lastcontact", "%d", 0);
	http_resp_header_u64(q, "X-Consul-Index", 18446744073709551615ull);
	char *s = render(q, false);
	assert_string_equal(s, "HTTP/1.1 200 OK\r\n"
			       "Content-Type: application/json\r\n"
			       "X-Consul-Index: 5\r\n"
			       "X-Consul-Lastcontact: 0\r\n"
			       "X-Consul-Index: 18446744073709551615\r\n"
			       "Date: DATE\r\n"
			       "Content-Length: 2\r\n\r\n[]");
	free(s);
	s = render(q, true);
	assert_non_null(strstr(s, "Content-Length: 2\r\nConnection: close\r\n\r\n[]"));
	free(s);
	req_free(r);
}

static void test_empty_and_head(void **state)
{
	struct req_impl *r = req_new();
	struct http_request *q = &r->pub;
	q->resp.status = 404;
	char *s = render(q, false);
	assert_string_equal(s, "HTTP/1.1 404 Not Found\r\nDate: DATE\r\nContent-Length: 0\r\n\r\n");
	free(s);

	q->method = HTTP_M_HEAD;
	q->resp.status = 200;
	q->resp.content_type = "text/plain";
	buf_puts(&q->resp.body, "hello");
	s = render(q, false);
	assert_string_equal(s, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: DATE\r\n"
			       "Content-Length: 5\r\n\r\n");
	free(s);

	q->method = HTTP_M_GET;
	q->resp.status = 204;
	s = render(q, false);
	assert_string_equal(s, "HTTP/1.1 204 No Content\r\nDate: DATE\r\n\r\n");
	free(s);

	q->resp.status = 299;
	q->resp.content_type = "";
	s = render(q, false);
	assert_string_equal(s, "HTTP/1.1 299 status code 299\r\nDate: DATE\r\n"
			       "Content-Length: 5\r\n\r\nhello");
	free(s);
	req_free(r);
}

static void test_http10_keepalive(void **state)
{
	struct req_impl *r = req_new();
	r->http10 = true;
	char *s = render(&r->pub, false);
	assert_non_null(strstr(s, "\r\nConnection: keep-alive\r\n\r\n"));
	free(s);
	req_free(r);
}

static void test_header_injection(void **state)
{
	struct req_impl *r = req_new();
	http_resp_header(&r->pub, "X-A", "a\r\nSet-Cookie: x");
	http_resp_headerf(&r->pub, "X-B", "%s", "b\nc");
	assert_string_equal(r->pub.resp.headers.data, "X-A: a  Set-Cookie: x\r\nX-B: b c\r\n");
	req_free(r);
}

static void test_errors(void **state)
{
	struct buf out = BUF_INIT;
	resp_error(&out, 400);
	assert_string_equal(out.data, "HTTP/1.1 400 Bad Request\r\n"
				      "Content-Type: text/plain; charset=utf-8\r\n"
				      "Content-Length: 15\r\nConnection: close\r\n\r\n"
				      "400 Bad Request");
	buf_reset(&out);
	resp_too_many_conns(&out);
	assert_true(strncmp(out.data, "HTTP/1.1 429 Too Many Requests\r\n", 32) == 0);
	assert_non_null(strstr(out.data, "Connection: close\r\n\r\nYour IP is issuing"));
	buf_reset(&out);
	resp_continue(&out);
	assert_string_equal(out.data, "HTTP/1.1 100 Continue\r\n\r\n");
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status_text),	     cmocka_unit_test(test_date),
	    cmocka_unit_test(test_json_reply),	     cmocka_unit_test(test_empty_and_head),
	    cmocka_unit_test(test_http10_keepalive), cmocka_unit_test(test_header_injection),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
