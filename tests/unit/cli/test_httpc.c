/*
 * Unit tests for the CLI's HTTP client pieces that need no server: configuration from
 * CONSUL_* variables and flags (every CONSUL_HTTP_ADDR form), URL building as Go
 * prints it, and the response parser fed whole, byte by byte, chunked, and broken.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/httpc.h"

static const char *const env_vars[] = {
    "CONSUL_HTTP_ADDR",	      "CONSUL_HTTP_TOKEN", "CONSUL_HTTP_TOKEN_FILE",
    "CONSUL_HTTP_SSL",	      "CONSUL_HTTP_AUTH",  "CONSUL_CACERT",
    "CONSUL_TLS_SERVER_NAME", "CONSUL_NAMESPACE",  "CONSUL_HTTP_SSL_VERIFY",
};

static int clear_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
		unsetenv(env_vars[i]);
	return 0;
}

/* Resolve CONSUL_HTTP_ADDR=addr; returns the httpc_init result. */
static int with_addr(struct httpc *c, const char *addr, struct buf *err)
{
	if (addr)
		setenv("CONSUL_HTTP_ADDR", addr, 1);
	return httpc_init(c, NULL, err);
}

static void test_default_addr(void **state)
{
	(void)state;
	struct httpc c;
	struct buf err = BUF_INIT;
	assert_int_equal(with_addr(&c, NULL, &err), 0);
	assert_string_equal(c.scheme, "http");
	assert_string_equal(c.address, "127.0.0.1:8500");
	assert_false(c.unix_socket);
	httpc_free(&c);
	buf_free(&err);
}

static void test_addr_forms(void **state)
{
	(void)state;
	static const struct {
		const char *env, *scheme, *address, *prefix;
		bool unix_socket;
	} cases[] = {
	    {"10.0.0.1:8500", "http", "10.0.0.1:8500", "", false},
	    {"http://10.0.0.1:8500", "http", "10.0.0.1:8500", "", false},
	    {"https://consul.example:8501", "https", "consul.example:8501", "", false},
	    {"https://proxy:443/consul", "https", "proxy:443", "/consul", false},
	    {"unix:///var/run/consul.sock", "http", "/var/run/consul.sock", "", true},
	    {"[::1]:8500", "http", "[::1]:8500", "", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct httpc c;
		struct buf err = BUF_INIT;
		assert_int_equal(with_addr(&c, cases[i].env, &err), 0);
		assert_string_equal(c.scheme, cases[i].scheme);
		assert_string_equal(c.address, cases[i].address);
		assert_string_equal(c.path_prefix, cases[i].prefix);
		assert_int_equal(c.unix_socket, cases[i].unix_socket);
		httpc_free(&c);
		buf_free(&err);
	}
}

static void test_ssl_env_and_bad_scheme(void **state)
{
	(void)state;
	struct httpc c;
	struct buf err = BUF_INIT;
	setenv("CONSUL_HTTP_SSL", "true", 1);
	assert_int_equal(with_addr(&c, "http://127.0.0.1:8501", &err), 0);
	assert_string_equal(c.scheme, "https"); /* http:// never turns TLS off */
	httpc_free(&c);
	unsetenv("CONSUL_HTTP_SSL");
	assert_int_equal(with_addr(&c, "ftp://x", &err), -1);
	assert_string_equal(err.data, "Unknown protocol scheme: ftp");
	buf_free(&err);
}

static void test_flags_override_env(void **state)
{
	(void)state;
	setenv("CONSUL_HTTP_TOKEN", "envtok", 1);
	setenv("CONSUL_NAMESPACE", "envns", 1);
	struct httpc_flags f = {
	    .http_addr = "127.0.0.2:9500", .token = "flagtok", .datacenter = "dc2", .stale = true};
	struct httpc c;
	struct buf err = BUF_INIT;
	assert_int_equal(httpc_init(&c, &f, &err), 0);
	assert_string_equal(c.address, "127.0.0.2:9500");
	assert_string_equal(c.token, "flagtok");
	assert_string_equal(c.ns, "envns");
	assert_string_equal(c.datacenter, "dc2");
	assert_true(c.stale);
	httpc_free(&c);
	buf_free(&err);
}

static void test_token_file(void **state)
{
	(void)state;
	char path[] = "/tmp/cairn-token-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "  secret\n", 9), 9);
	close(fd);
	/* a token file wins over any token, even a -token flag (as in Consul) */
	setenv("CONSUL_HTTP_TOKEN_FILE", path, 1);
	struct httpc_flags f = {.token = "flagtok"};
	struct httpc c;
	struct buf err = BUF_INIT;
	assert_int_equal(httpc_init(&c, &f, &err), 0);
	assert_string_equal(c.token, "secret");
	httpc_free(&c);
	unlink(path);
	assert_int_equal(httpc_init(&c, &f, &err), -1);
	assert_non_null(strstr(err.data, "Error loading token file: open /tmp/cairn-token-"));
	assert_non_null(strstr(err.data, ": no such file or directory"));
	buf_free(&err);
}

static void test_url(void **state)
{
	(void)state;
	struct httpc_flags f = {.datacenter = "dc 1", .stale = true};
	struct httpc c;
	struct buf err = BUF_INIT, url = BUF_INIT;
	setenv("CONSUL_HTTP_ADDR", "https://proxy:8501/consul", 1);
	assert_int_equal(httpc_init(&c, &f, &err), 0);
	struct httpc_req r;
	httpc_req_init(&r, "GET", "/v1/kv/a b?c#d%e/ü", true);
	httpc_req_param(&r, "separator", "/");
	httpc_req_param(&r, "keys", "");
	httpc_url(&c, &r, &url);
	assert_string_equal(url.data, "https://proxy:8501/consul/v1/kv/a%20b%3Fc%23d%25e/%C3%BC"
				      "?dc=dc+1&keys=&separator=%2F&stale=");
	/* stale applies to reads only */
	buf_reset(&url);
	httpc_req_init(&r, "PUT", "/v1/kv/x", false);
	httpc_url(&c, &r, &url);
	assert_string_equal(url.data, "https://proxy:8501/consul/v1/kv/x?dc=dc+1");
	httpc_free(&c);
	/* a unix socket path appears escaped as Go's url package prints the host */
	buf_reset(&url);
	setenv("CONSUL_HTTP_ADDR", "unix:///tmp/c.sock", 1);
	assert_int_equal(httpc_init(&c, NULL, &err), 0);
	httpc_url(&c, &r, &url);
	assert_string_equal(url.data, "http://%2Ftmp%2Fc.sock/v1/kv/x");
	httpc_free(&c);
	buf_free(&url);
	buf_free(&err);
}

static void test_connect_refused(void **state)
{
	(void)state;
	struct httpc c;
	struct buf err = BUF_INIT;
	setenv("CONSUL_HTTP_ADDR", "127.0.0.1:1", 1);
	assert_int_equal(httpc_init(&c, NULL, &err), 0);
	struct httpc_req r;
	struct httpc_resp resp;
	httpc_req_init(&r, "GET", "/v1/kv/foo", true);
	assert_int_equal(httpc_do(&c, &r, &resp, &err), -1);
	assert_string_equal(err.data, "Get \"http://127.0.0.1:1/v1/kv/foo\": dial tcp 127.0.0.1:1: "
				      "connect: connection refused");
	httpc_free(&c);
	buf_free(&err);
}

/* Feed text to a parser in pieces of step bytes; returns the final result. */
static int feed(const char *text, size_t step, struct httpc_resp *resp, struct httpc_parser *p)
{
	struct buf in = BUF_INIT;
	size_t len = strlen(text);
	int rc = 0;
	memset(resp, 0, sizeof(*resp));
	httpc_parser_init(p, false);
	for (size_t off = 0; off < len && rc == 0; off += step) {
		buf_append(&in, text + off, len - off < step ? len - off : step);
		rc = httpc_parser_feed(p, &in, resp);
	}
	if (rc == 0)
		rc = httpc_parser_finish(p, &in, resp);
	buf_free(&in);
	return rc;
}

static void test_parse_content_length(void **state)
{
	(void)state;
	const char *text = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			   "X-Consul-Index: 42\r\nContent-Length: 4\r\n\r\ntrue";
	for (size_t step = 1; step <= strlen(text); step += 7) {
		struct httpc_resp r;
		struct httpc_parser p;
		assert_int_equal(feed(text, step, &r, &p), 1);
		assert_int_equal(r.status, 200);
		assert_string_equal(httpc_resp_header(&r, "x-consul-index"), "42");
		assert_int_equal(r.body.len, 4);
		assert_string_equal(r.body.data, "true");
		httpc_resp_free(&r);
	}
}

static void test_parse_chunked(void **state)
{
	(void)state;
	const char *text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			   "5;ext=1\r\n[\"a\",\r\nA\r\n\"b/\",\"cde\"\r\n1\r\n]\r\n"
			   "0\r\nX-Trailer: t\r\n\r\n";
	for (size_t step = 1; step <= 8; step++) {
		struct httpc_resp r;
		struct httpc_parser p;
		assert_int_equal(feed(text, step, &r, &p), 1);
		assert_string_equal(r.body.data, "[\"a\",\"b/\",\"cde\"]");
		httpc_resp_free(&r);
	}
}

static void test_parse_misc(void **state)
{
	(void)state;
	struct httpc_resp r;
	struct httpc_parser p;
	/* an interim 100 Continue is skipped */
	assert_int_equal(feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\n"
			      "Content-Length: 0\r\n\r\n",
			      3, &r, &p),
			 1);
	assert_int_equal(r.status, 404);
	assert_int_equal(r.body.len, 0);
	httpc_resp_free(&r);
	/* no framing: the body runs to the end of the connection; bare LF accepted */
	assert_int_equal(feed("HTTP/1.0 200 OK\nServer: x\n\nhello", 4, &r, &p), 1);
	assert_string_equal(r.body.data, "hello");
	httpc_resp_free(&r);
	/* 204 has no body even with a Content-Length */
	assert_int_equal(feed("HTTP/1.1 204 No Content\r\n\r\n", 5, &r, &p), 1);
	httpc_resp_free(&r);
}

static void test_parse_errors(void **state)
{
	(void)state;
	struct httpc_resp r;
	struct httpc_parser p;
	assert_int_equal(feed("", 1, &r, &p), -1);
	assert_string_equal(p.err, "EOF");
	httpc_resp_free(&r);
	assert_int_equal(feed("garbage\r\n", 1, &r, &p), -1);
	assert_string_equal(p.err, "net/http: HTTP/1.x transport connection broken: malformed "
				   "HTTP response \"garbage\"");
	httpc_resp_free(&r);
	assert_int_equal(feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", 3, &r, &p), -1);
	assert_string_equal(p.err, "unexpected EOF");
	httpc_resp_free(&r);
	assert_int_equal(
	    feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 2, &r, &p), -1);
	httpc_resp_free(&r);
	assert_int_equal(feed("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 2, &r, &p), -1);
	httpc_resp_free(&r);
}

static void test_status_error(void **state)
{
	(void)state;
	struct httpc_resp r = {.status = 500};
	buf_puts(&r.body, "  No cluster leader\n");
	struct buf err = BUF_INIT;
	httpc_status_error(&err, &r, true);
	assert_string_equal(err.data, "Unexpected response code: 500 (No cluster leader)");
	buf_reset(&err);
	httpc_status_error(&err, &r, false);
	assert_string_equal(err.data, "Unexpected response code: 500");
	buf_free(&err);
	httpc_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_default_addr, clear_env),
	    cmocka_unit_test_setup(test_addr_forms, clear_env),
	    cmocka_unit_test_setup(test_ssl_env_and_bad_scheme, clear_env),
	    cmocka_unit_test_setup(test_flags_override_env, clear_env),
	    cmocka_unit_test_setup(test_token_file, clear_env),
	    cmocka_unit_test_setup(test_url, clear_env),
	    cmocka_unit_test_setup(test_connect_refused, clear_env),
	    cmocka_unit_test(test_parse_content_length),
	    cmocka_unit_test(test_parse_chunked),
	    cmocka_unit_test(test_parse_misc),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_status_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
