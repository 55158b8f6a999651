/*
 * Unit tests of the pure request parser (src/http/parser.c, request.c, url.c):
 * bytes in, struct http_request out, no sockets. Each test feeds a literal
 * request, sometimes byte by byte, and checks the request handlers would see.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/parser.h"
#include "http/url.h"

#include <stdlib.h>
#include <string.h>

struct hooks {
	int heads;
	int continues;
	size_t set_max; /* on_head sets max_body to this when non-zero */
};

static void on_head(void *arg, struct http_request *req)
{
	struct hooks *h = arg;
	h->heads++;
	if (h->set_max)
		req->max_body = h->set_max;
}

static void on_continue(void *arg, struct http_request *req)
{
	((struct hooks *)arg)->continues++;
}

static void init(struct reqparser *p, struct hooks *h, size_t max_body)
{
	reqparser_init(p, max_body);
	p->on_head = on_head;
	p->on_continue = on_continue;
	p->arg = h;
}

/* Feed s (from *off) once; returns the event and advances *off. */
static enum rp_event feed(struct reqparser *p, const char *s, size_t len, size_t *off)
{
	enum rp_event ev;
	*off += reqparser_feed(p, s + *off, len - *off, &ev);
	return ev;
}

/* Parse one complete request from s; fails the test otherwise. */
static struct http_request *parse1(struct reqparser *p, const char *s)
{
	size_t off = 0;
	enum rp_event ev = feed(p, s, strlen(s), &off);
	assert_int_equal(ev, RP_MESSAGE);
	assert_int_equal(off, strlen(s));
	return reqparser_take(p);
}

static void done(struct reqparser *p, struct http_request *req)
{
	if (req)
		reqparser_recycle(p, req);
	reqparser_free(p);
}

static void test_simple_get(void **state)
{
	struct reqparser p;
	struct hooks h = {0};
	init(&p, &h, 1024);
	struct http_request *r = parse1(&p, "GET /v1/kv/foo?recurse&token=abc HTTP/1.1\r\n"
					    "Host: localhost:8500\r\n"
					    "X-Consul-Token:  t1 \r\n\r\n");
	assert_int_equal(r->method, HTTP_M_GET);
	assert_string_equal(r->method_name, "GET");
	assert_string_equal(r->raw_path, "/v1/kv/foo");
	assert_string_equal(r->path, "/v1/kv/foo");
	assert_string_equal(r->query, "recurse&token=abc");
	assert_int_equal(r->nparams, 2);
	assert_string_equal(r->params[0].name, "recurse");
	assert_false(r->params[0].has_value);
	assert_string_equal(http_param_get(r, "token")->value, "abc");
	assert_true(http_param_flag(r, "recurse"));
	assert_false(http_param_flag(r, "stale"));
	assert_int_equal(r->nheaders, 2);
	assert_string_equal(http_header_get(r, "host"), "localhost:8500");
	assert_string_equal(http_header_get(r, "x-consul-token"), "t1");
	assert_null(http_header_get(r, "X-Consul-Token"));
	assert_true(r->keep_alive);
	assert_int_equal(r->content_length, 0);
	assert_int_equal(r->body.len, 0);
	assert_int_equal(r->max_body, 1024);
	assert_int_equal(h.heads, 1);
	done(&p, r);
}

static void test_methods(void **state)
{
	static const struct {
		const char *name;
		enum http_method m;
	} cases[] = {
	    {"GET", HTTP_M_GET},     {"HEAD", HTTP_M_HEAD},	 {"PUT", HTTP_M_PUT},
	    {"POST", HTTP_M_POST},   {"DELETE", HTTP_M_DELETE},	 {"OPTIONS", HTTP_M_OPTIONS},
	    {"PATCH", HTTP_M_PATCH}, {"PROPFIND", HTTP_M_OTHER}, {"TRACE", HTTP_M_OTHER}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct reqparser p;
		struct hooks h = {0};
		char line[128];
		snprintf(line, sizeof(line), "%s /x HTTP/1.1\r\n\r\n", cases[i].name);
		init(&p, &h, 1024);
		struct http_request *r = parse1(&p, line);
		assert_int_equal(r->method, cases[i].m);
		assert_string_equal(r->method_name, cases[i].name);
		done(&p, r);
	}
}

static int parse_error(const char *s, size_t len)
{
	struct reqparser p;
	struct hooks h = {0};
	init(&p, &h, 1024);
	size_t off = 0;
	enum rp_event ev;
	do {
		ev = feed(&p, s, len, &off);
	} while (ev == RP_MESSAGE && (reqparser_recycle(&p, reqparser_take(&p)), off < len));
	int status = ev == RP_ERROR ? p.error_status : 0;
	if (ev == RP_ERROR) {
		/* A dead parser swallows everything after. */
		assert_int_equal(off, len);
		assert_int_equal(reqparser_feed(&p, "GET / HTTP/1.1\r\n\r\n", 18, &ev), 18);
		assert_int_equal(ev, RP_NEED_MORE);
	}
	reqparser_free(&p);
	return status;
}

static void test_path_escapes(void **state)
{
	struct reqparser p;
	struct hooks h = {0};
	init(&p, &h, 1024);
	struct http_request *r =
	    parse1(&p, "GET /v1/kv/a%20b%2Fc+d%e2%9C%93?x=%2F HTTP/1.1\r\n\r\n");
	assert_string_equal(r->raw_path, "/v1/kv/a%20b%2Fc+d%e2%9C%93");
	assert_string_equal(r->path, "/v1/kv/a b/c+d\xe2\x9c\x93");
	assert_string_equal(r->query, "x=%2F");
	assert_string_equal(http_param_get(r, "x")->value, "/");
	done(&p, r);

	const char *bad[] = {"GET /a%zz HTTP/1.1\r\n\r\n", "GET /a% HTTP/1.1\r\n\r\n",
			     "GET /a%2 HTTP/1.1\r\n\r\n", "GET /a%00b HTTP/1.1\r\n\r\n",
			     "GET /a%g0 HTTP/1.1\r\n\r\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_error(bad[i], strlen(bad[i])), 400);
}

static void test_query(void **state)
{
	struct reqparser p;
	struct hooks h = {0};
	init(&p, &h, 1024);
	struct http_request *r =
	    parse1(&p, "GET /q?a=1&b=x+y&a=2&c&d=&e=%41&bad=%zz&semi=1;x=2&&=v&f=false&g=0&"
		       "k=True&node-meta=rack:r1&node-meta=zone:z%3D1 HTTP/1.1\r\n\r\n");
	static const struct {
		const char *name, *value;
		bool has_value;
	} want[] = {{"a", "1", true},
		    {"b", "x y", true},
		    {"a", "2", true},
		    {"c", "", false},
		    {"d", "", true},
		    {"e", "A", true},
		    {"", "v", true},
		    {"f", "false", true},
		    {"g", "0", true},
		    {"k", "True", true},
		    {"node-meta", "rack:r1", true},
		    {"node-meta", "zone:z=1", true}};
	assert_int_equal(r->nparams, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < r->nparams; i++) {
		assert_string_equal(r->params[i].name, want[i].name);
		assert_string_equal(r->params[i].value, want[i].value);
		assert_int_equal(r->params[i].has_value, want[i].has_value);
	}
	assert_string_equal(http_param_get(r, "a")->value, "2");
	assert_null(http_param_get(r, "bad"));
	assert_null(http_param_get(r, "semi"));
	assert_true(http_param_flag(r, "c"));
	assert_true(http_param_flag(r, "d"));
	assert_false(http_param_flag(r, "f"));
	assert_false(http_param_flag(r, "g"));
	assert_true(http_param_flag(r, "k"));
	assert_true(http_param_flag(r, "a"));
	done(&p, r);
}

static void test_url_unescape(void **state)
{
	char out[32];
	assert_int_equal(url_unescape("a+b%41", 6, true, out), 4);
	assert_memory_equal(out, "a bA", 4);
	assert_int_equal(url_unescape("a+b%41", 6, false, out), 4);
	assert_memory_equal(out, "a+bA", 4);
	assert_int_equal(url_unescape("%", 1, false, out), -1);
	assert_int_equal(url_unescape("%4", 2, false, out), -1);
	assert_int_equal(url_unescape("%4x", 3, false, out), -1);
	assert_int_equal(url_unescape("", 0, false, out), 0);
}

static void test_headers(void **state)
{
	const char *s = "PUT /h HTTP/1.1\r\n"
			"CONTENT-TYPE: \t application/json \t\r\n"
			"X-Dup: one\r\n"
			"x-dup: two\r\n"
			"Empty:\r\n"
			"Content-Length: 3\r\n\r\nabc";
	/* Whole, then one byte at a time: the same request either way. */
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		struct reqparser p;
		struct hooks h = {0};
		init(&p, &h, 1024);
		size_t len = strlen(s), off = 0;
		enum rp_event ev = RP_NEED_MORE;
		while (off < len && ev == RP_NEED_MORE) {
			size_t before = off;
			size_t end = bytewise ? off + 1 : len;
			enum rp_event e2;
			off += reqparser_feed(&p, s + off, end - off, &e2);
			ev = e2;
			assert_true(off > before);
		}
		assert_int_equal(ev, RP_MESSAGE);
		assert_int_equal(off, len);
		struct http_request *r = reqparser_take(&p);
		assert_int_equal(r->nheaders, 5);
		assert_string_equal(r->headers[0].name, "content-type");
		assert_string_equal(r->headers[0].value, "application/json");
		assert_string_equal(http_header_get(r, "x-dup"), "one");
		assert_string_equal(r->headers[2].value, "two");
		assert_string_equal(http_header_get(r, "empty"), "");
		assert_int_equal(r->content_length, 3);
		assert_int_equal(r->body.len, 3);
		assert_memory_equal(r->body.data, "abc", 3);
		assert_int_equal(r->method, HTTP_M_PUT);
		done(&p, r);
	}
}

static void test_chunked(void **state)
{
	struct reqparser p;
	struct hooks h = {0};
	init(&p, &h, 1024);
	struct http_request *r = parse1(&p, "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
					    "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n"
					    "X-Trailer: x\r\n\r\n");
	assert_int_equal(r->body.len, 11);
	assert_memory_equal(r->body.data, "hello world", 11);
	assert_int_equal(r->content_length, 0);
	assert_null(http_header_get(r, "x-trailer"));
	assert_false(r->body_too_large);
	done(&p, r);
}

static void test_pipelined(void **state)
{
	struct reqparser p;
	struct hooks h = {0};
	init(&p, &h, 1024);
	const char *s = "GET /one HTTP/1.1\r\n\r\n"
			"PUT /two HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"
			"GET /thr";
	size_t len = strlen(s), off = 0;
	assert_int_equal(feed(&p, s, len, &off), RP_MESSAGE);
	assert_int_equal(off, strlen("GET /one HTTP/1.1\r\n\r\n"));
	struct http_request *r = reqparser_take(&p);
	assert_string_equal(r->path, "/one");
	reqparser_recycle(&p, r);
	assert_int_equal(feed(&p, s, len, &off), RP_MESSAGE);
	r = reqparser_take(&p);
	assert_string_equal(r->path, "/two");
	assert_memory_equal(r->body.data, "hi", 2);
	/* The spare request is reused for the next message. */
	struct http_request *second = r;
	reqparser_recycle(&p, r);
	assert_int_equal(feed(&p, s, len, &off), RP_NEED_MORE);
	assert_int_equal(off, len);
	const char *rest = "ee HTTP/1.1\r\n\r\n";
	off = 0;
	assert_int_equal(feed(&p, rest, strlen(rest), &off), RP_MESSAGE);
	r = reqparser_take(&p);
	assert_ptr_equal(r, second);
	assert_string_equal(r->path, "/three");
	assert_int_equal(r->body.len, 0);
	assert_int_equal(r->nheaders, 0);
	done(&p, r);
}

static void test_keep_alive(void **state)
{
	static const struct {
		const char *req;
		bool keep;
	} cases[] = {
	    {"GET / HTTP/1.1\r\n\r\n", true},
	    {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false},
	    {"GET / HTTP/1.0\r\n\r\n", false},
	    {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct reqparser p;
		struct hooks h = {0};
		init(&p, &h, 1024);
		struct http_request *r = parse1(&p, cases[i].req);
		assert_int_equal(r->keep_alive, cases[i].keep);
		assert_int_equal(p.discard, !cases[i].keep);
		done(&p, r);
	}
}

static void test_expect_continue(void **state)
{
	struct reqparser p;
	struct hooks h = {0};
	init(&p, &h, 1024);
	const char *head = "PUT /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
	size_t off = 0;
	assert_int_equal(feed(&p, head, strlen(head), &off), RP_NEED_MORE);
	assert_int_equal(h.continues, 1);
	off = 0;
	assert_int_equal(feed(&p, "hello", 5, &off), RP_MESSAGE);
	struct http_request *r = reqparser_take(&p);
	assert_memory_equal(r->body.data, "hello", 5);
	reqparser_recycle(&p, r);
	/* No body: nothing to continue. */
	r = parse1(&p, "PUT /e HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(h.continues, 1);
	done(&p, r);

	/* A body over the limit is refused without "100 Continue". */
	init(&p, &h, 4);
	r = parse1(&p, "PUT /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
	assert_true(r->body_too_large);
	assert_int_equal(h.continues, 1);
	done(&p, r);

	const char *odd = "PUT /e HTTP/1.1\r\nExpect: something\r\n\r\n";
	assert_int_equal(parse_error(odd, strlen(odd)), 417);
	/* HTTP/1.0 ignores Expect. */
	init(&p, &h, 1024);
	r = parse1(&p, "GET /e HTTP/1.0\r\nExpect: something\r\n\r\n");
	done(&p, r);
}

static void test_header_too_large(void **state)
{
	size_t n = 81 * 1024;
	char *s = malloc(n + 64);
	strcpy(s, "GET / HTTP/1.1\r\nX-Big: ");
	size_t len = strlen(s);
	memset(s + len, 'a', n);
	memcpy(s + len + n, "\r\n\r\n", 4);
	assert_int_equal(parse_error(s, len + n + 4), 431);
	/* A long URL counts too. */
	memcpy(s, "GET /", 5);
	memset(s + 5, 'b', n);
	memcpy(s + 5 + n, " HTTP/1.1\r\n\r\n", 13);
	assert_int_equal(parse_error(s, 5 + n + 13), 431);
	free(s);
}

static void test_body_too_large(void **state)
{
	struct reqparser p;
	struct hooks h = {.set_max = 4};
	init(&p, &h, 1024);
	/* Known up front: the message ends with its head; the body is not read. */
	const char *s = "PUT /b HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789";
	size_t off = 0;
	assert_int_equal(feed(&p, s, strlen(s), &off), RP_MESSAGE);
	assert_int_equal(off, strlen(s) - 10);
	struct http_request *r = reqparser_take(&p);
	assert_true(r->body_too_large);
	assert_int_equal(r->max_body, 4);
	assert_int_equal(r->body.len, 0);
	assert_int_equal(r->content_length, 10);
	assert_true(p.discard);
	done(&p, r);

	/* Discovered while reading chunks. */
	init(&p, &h, 1024);
	s = "PUT /b HTTP/1.1\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n";
	off = 0;
	assert_int_equal(feed(&p, s, strlen(s), &off), RP_MESSAGE);
	r = reqparser_take(&p);
	assert_true(r->body_too_large);
	assert_int_equal(r->body.len, 0);
	assert_true(p.discard);
	done(&p, r);

	/* Exactly at the limit is fine. */
	init(&p, &h, 1024);
	r = parse1(&p, "PUT /b HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd");
	assert_false(r->body_too_large);
	done(&p, r);
}

static void test_garbage(void **state)
{
	static const char tls[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
	assert_int_equal(parse_error(tls, sizeof(tls) - 1), 400);
	const char *bad[] = {
	    "HELLO\r\n\r\n",
	    "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
	    "GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
	    "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	    "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
	    "GET / HTTP/1.1\r\nBad(: x\r\n\r\n",
	    "GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n",
	    "GET foo HTTP/1.1\r\n\r\n",
	    "CONNECT example.com:443 HTTP/1.1\r\n\r\n",
	    "GET / HTTP/1.1\r\n\r\nGARBAGE\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_error(bad[i], strlen(bad[i])), 400);
	}
}

static void test_target_forms(void **state)
{
	struct reqparser p;
	struct hooks h = {0};
	init(&p, &h, 1024);
	struct http_request *r = parse1(&p, "GET http://h:8500/v1/x?y=1 HTTP/1.1\r\n\r\n");
	assert_string_equal(r->path, "/v1/x");
	assert_string_equal(r->query, "y=1");
	reqparser_recycle(&p, r);
	r = parse1(&p, "OPTIONS * HTTP/1.1\r\n\r\n");
	assert_string_equal(r->path, "*");
	assert_int_equal(r->method, HTTP_M_OPTIONS);
	reqparser_recycle(&p, r);
	r = parse1(&p, "GET /a?b=1#frag HTTP/1.1\r\n\r\n");
	assert_string_equal(r->path, "/a");
	assert_string_equal(r->query, "b=1#frag");
	reqparser_recycle(&p, r);
	r = parse1(&p, "GET http://h:8500 HTTP/1.1\r\n\r\n");
	assert_string_equal(r->path, "/");
	done(&p, r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_simple_get),	     cmocka_unit_test(test_methods),
	    cmocka_unit_test(test_path_escapes),     cmocka_unit_test(test_query),
	    cmocka_unit_test(test_url_unescape),     cmocka_unit_test(test_headers),
	    cmocka_unit_test(test_chunked),	     cmocka_unit_test(test_pipelined),
	    cmocka_unit_test(test_keep_alive),	     cmocka_unit_test(test_expect_continue),
	    cmocka_unit_test(test_header_too_large), cmocka_unit_test(test_body_too_large),
	    cmocka_unit_test(test_garbage),	     cmocka_unit_test(test_target_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
