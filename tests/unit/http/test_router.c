/*
 * Unit tests of the route table matcher (src/http/router.c): exact rows over
 * prefix rows, the longest prefix, 405 versus 404, and the tail after a prefix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/http.h"

#include <string.h>

static void h_kv(void *ctx, struct http_request *req)
{
}
static void h_kv_put(void *ctx, struct http_request *req)
{
}
static void h_self(void *ctx, struct http_request *req)
{
}
static void h_agent(void *ctx, struct http_request *req)
{
}
static void h_service(void *ctx, struct http_request *req)
{
}
static void h_register(void *ctx, struct http_request *req)
{
}

static const struct http_route table[] = {
    {"/v1/kv/", true, 0, h_kv, 1},
    {"/v1/kv/", true, 0, h_kv_put, 2},
    {"/v1/agent/", true, 0, h_agent, 0},
    {"/v1/agent/self", false, 0, h_self, 0},
    {"/v1/agent/service/", true, 0, h_service, 0},
    {"/v1/agent/service/register", false, 0, h_register, 0},
    {"/v1/status/leader/", false, 0, h_self, 0}, /* trailing '/', not a prefix row */
};

static struct http_route rows[sizeof(table) / sizeof(table[0])];

static int setup(void **state)
{
	memcpy(rows, table, sizeof(rows));
	rows[0].methods = HTTP_METHODS(HTTP_M_GET, HTTP_M_DELETE);
	rows[1].methods = HTTP_METHODS(HTTP_M_PUT);
	rows[2].methods = HTTP_METHODS(HTTP_M_GET);
	rows[3].methods = HTTP_METHODS(HTTP_M_GET);
	rows[4].methods = HTTP_METHODS(HTTP_M_GET);
	rows[5].methods = HTTP_METHODS(HTTP_M_PUT);
	rows[6].methods = HTTP_METHODS(HTTP_M_GET);
	return 0;
}

static enum http_route_result match(enum http_method m, const char *path, struct http_request *req)
{
	memset(req, 0, sizeof(*req));
	req->method = m;
	req->path = (char *)path;
	return http_route_match(rows, sizeof(rows) / sizeof(rows[0]), req);
}

static void test_mask(void **state)
{
	assert_int_equal(HTTP_METHODS(HTTP_M_GET), 1u << HTTP_M_GET);
	assert_int_equal(HTTP_METHODS(HTTP_M_GET, HTTP_M_PUT, HTTP_M_OTHER),
			 (1u << HTTP_M_GET) | (1u << HTTP_M_PUT) | (1u << HTTP_M_OTHER));
}

static void test_exact_over_prefix(void **state)
{
	struct http_request req;
	assert_int_equal(match(HTTP_M_GET, "/v1/agent/self", &req), ROUTE_OK);
	assert_ptr_equal(req.route->handler, h_self);
	assert_string_equal(req.tail, "");
	/* An exact row does not match longer paths. */
	assert_int_equal(match(HTTP_M_GET, "/v1/agent/self/x", &req), ROUTE_OK);
	assert_ptr_equal(req.route->handler, h_agent);
	assert_string_equal(req.tail, "self/x");
}

static void test_longest_prefix(void **state)
{
	struct http_request req;
	assert_int_equal(match(HTTP_M_GET, "/v1/agent/service/web", &req), ROUTE_OK);
	assert_ptr_equal(req.route->handler, h_service);
	assert_string_equal(req.tail, "web");
	assert_int_equal(match(HTTP_M_GET, "/v1/agent/members", &req), ROUTE_OK);
	assert_ptr_equal(req.route->handler, h_agent);
	assert_string_equal(req.tail, "members");
	assert_int_equal(match(HTTP_M_GET, "/v1/kv/", &req), ROUTE_OK);
	assert_string_equal(req.tail, "");
}

static void test_method_rows(void **state)
{
	struct http_request req;
	assert_int_equal(match(HTTP_M_PUT, "/v1/kv/a/b", &req), ROUTE_OK);
	assert_ptr_equal(req.route->handler, h_kv_put);
	assert_string_equal(req.tail, "a/b");
	assert_int_equal(match(HTTP_M_DELETE, "/v1/kv/a", &req), ROUTE_OK);
	assert_ptr_equal(req.route->handler, h_kv);
	assert_int_equal(match(HTTP_M_PUT, "/v1/agent/service/register", &req), ROUTE_OK);
	assert_ptr_equal(req.route->handler, h_register);
	/* The longest matching prefix decides even when it does not allow the method. */
	assert_int_equal(match(HTTP_M_PUT, "/v1/agent/service/x", &req), ROUTE_BAD_METHOD);
}

static void test_bad_method(void **state)
{
	struct http_request req;
	assert_int_equal(match(HTTP_M_PUT, "/v1/agent/self", &req), ROUTE_BAD_METHOD);
	assert_ptr_equal(req.route->handler, h_self);
	assert_int_equal(match(HTTP_M_POST, "/v1/kv/x", &req), ROUTE_BAD_METHOD);
	assert_non_null(req.route);
	/* the path picks the exact row first, as Go's ServeMux: a 405, not a lookup
	 * of a service called "register" through the prefix row */
	assert_int_equal(match(HTTP_M_GET, "/v1/agent/service/register", &req), ROUTE_BAD_METHOD);
	assert_ptr_equal(req.route->handler, h_register);
}

static void test_not_found(void **state)
{
	struct http_request req;
	assert_int_equal(match(HTTP_M_GET, "/v2/kv/x", &req), ROUTE_NOT_FOUND);
	assert_null(req.route);
	assert_int_equal(match(HTTP_M_GET, "/v1/kv", &req), ROUTE_NOT_FOUND);
	assert_int_equal(match(HTTP_M_GET, "", &req), ROUTE_NOT_FOUND);
	assert_int_equal(match(HTTP_M_GET, "/v1/status/leader/x", &req), ROUTE_NOT_FOUND);
	assert_int_equal(match(HTTP_M_GET, "/v1/status/leader/", &req), ROUTE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mask),	   cmocka_unit_test(test_exact_over_prefix),
	    cmocka_unit_test(test_longest_prefix), cmocka_unit_test(test_method_rows),
	    cmocka_unit_test(test_bad_method),	   cmocka_unit_test(test_not_found),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
