/*
 * HTTP checks against a scripted HTTP/1.1 server on 127.0.0.1: status
 * mapping (2xx/429/other), Consul's output text, timeouts, refused
 * connections, redirects on and off, request headers and body, output cap.
 */
#include "harness.h"

struct fixture {
	struct env env;
	struct hsrv srv;
	struct check c;
	struct rec r;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	env_init(&f->env, NULL);
	hsrv_start(&f->srv, &f->env.loop);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	hsrv_stop(&f->srv, &f->env.loop);
	env_fini(&f->env);
	free(f);
	return 0;
}

/* Run one HTTP check to its first report. extra: more JSON fields. */
static void run_http(struct fixture *f, const char *path, const char *extra)
{
	char json[1024];
	snprintf(json, sizeof(json),
		 "{\"http\":\"http://127.0.0.1:%d%s\",\"interval\":\"10s\"%s%s}", f->srv.port, path,
		 extra ? "," : "", extra ? extra : "");
	assert_int_equal(start_check(&f->env, &f->c, &f->r, json), 0);
	assert_true(run_until_updates(&f->env.loop, &f->r, 1, 5000));
}

static void expect_output(struct fixture *f, const char *fmt_path, const char *rest)
{
	char want[2048];
	snprintf(want, sizeof(want), "HTTP GET http://127.0.0.1:%d%s: %s", f->srv.port, fmt_path,
		 rest);
	assert_string_equal(buf_cstr(&f->r.output), want);
}

static void test_200_passing(void **state)
{
	struct fixture *f = *state;
	run_http(f, "/ok", NULL);
	assert_int_equal(f->r.status, CHECK_PASSING);
	expect_output(f, "/ok", "200 OK Output: hello");
	stop_check(&f->env, &f->c, &f->r);
}

static void test_429_warning(void **state)
{
	struct fixture *f = *state;
	run_http(f, "/busy", NULL);
	assert_int_equal(f->r.status, CHECK_WARNING);
	expect_output(f, "/busy", "429 Too Many Requests Output: slow down");
	stop_check(&f->env, &f->c, &f->r);
}

static void test_500_critical(void **state)
{
	struct fixture *f = *state;
	/* initial status passing, so the critical result is a visible change */
	run_http(f, "/err", "\"status\":\"passing\"");
	assert_int_equal(f->r.status, CHECK_CRITICAL);
	expect_output(f, "/err", "500 Internal Server Error Output: boom");
	stop_check(&f->env, &f->c, &f->r);
}

static void test_timeout(void **state)
{
	struct fixture *f = *state;
	uint64_t t0 = uv_now(&f->env.loop);
	run_http(f, "/slow", "\"timeout\":\"300ms\"");
	uint64_t took = uv_now(&f->env.loop) - t0;
	assert_true(took >= 250 && took < 3000);
	assert_int_equal(f->r.status, CHECK_CRITICAL);
	char want[256];
	snprintf(want, sizeof(want),
		 "Get \"http://127.0.0.1:%d/slow\": context deadline exceeded "
		 "(Client.Timeout exceeded while awaiting headers)",
		 f->srv.port);
	assert_string_equal(buf_cstr(&f->r.output), want);
	stop_check(&f->env, &f->c, &f->r);
}

static void test_refused(void **state)
{
	struct fixture *f = *state;
	int port = closed_port(&f->env.loop);
	char json[256], want[256];
	snprintf(json, sizeof(json), "{\"http\":\"http://127.0.0.1:%d/\",\"interval\":\"10s\"}",
		 port);
	assert_int_equal(start_check(&f->env, &f->c, &f->r, json), 0);
	assert_true(run_until_updates(&f->env.loop, &f->r, 1, 5000));
	snprintf(want, sizeof(want),
		 "Get \"http://127.0.0.1:%d/\": dial tcp 127.0.0.1:%d: connect: connection refused",
		 port, port);
	assert_string_equal(buf_cstr(&f->r.output), want);
	assert_int_equal(f->r.status, CHECK_CRITICAL);
	stop_check(&f->env, &f->c, &f->r);
}

static void test_redirect_followed(void **state)
{
	struct fixture *f = *state;
	run_http(f, "/redir", NULL);
	assert_int_equal(f->r.status, CHECK_PASSING);
	expect_output(f, "/redir", "200 OK Output: hello");
	assert_int_equal(f->srv.requests, 2);
	stop_check(&f->env, &f->c, &f->r);
}

static void test_redirect_disabled(void **state)
{
	struct fixture *f = *state;
	run_http(f, "/redir", "\"status\":\"passing\",\"disable_redirects\":true");
	assert_int_equal(f->r.status, CHECK_CRITICAL);
	expect_output(f, "/redir", "302 Found Output: ");
	assert_int_equal(f->srv.requests, 1);
	stop_check(&f->env, &f->c, &f->r);
}

static void test_redirect_loop(void **state)
{
	struct fixture *f = *state;
	run_http(f, "/loop", NULL);
	assert_int_equal(f->r.status, CHECK_CRITICAL);
	char want[256];
	snprintf(want, sizeof(want), "Get \"http://127.0.0.1:%d/loop\": stopped after 10 redirects",
		 f->srv.port);
	assert_string_equal(buf_cstr(&f->r.output), want);
	assert_int_equal(f->srv.requests, 11);
	stop_check(&f->env, &f->c, &f->r);
}

static void test_headers_and_body(void **state)
{
	struct fixture *f = *state;
	run_http(f, "/echo",
		 "\"method\":\"POST\",\"body\":\"payload\","
		 "\"header\":{\"X-Test\":[\"a\",\"b\"],\"Host\":[\"example.com\"]}");
	assert_int_equal(f->r.status, CHECK_PASSING);
	const char *req = buf_cstr(&f->srv.last);
	assert_non_null(strstr(req, "POST /echo HTTP/1.1\r\n"));
	assert_non_null(strstr(req, "\r\nX-Test: a\r\n"));
	assert_non_null(strstr(req, "\r\nX-Test: b\r\n"));
	assert_non_null(strstr(req, "\r\nHost: example.com\r\n"));
	assert_non_null(strstr(req, "\r\nUser-Agent: Consul Health Check\r\n"));
	assert_non_null(strstr(req, "\r\nAccept: text/plain, text/*, */*\r\n"));
	assert_non_null(strstr(req, "\r\nContent-Length: 7\r\n"));
	assert_null(strcasestr(req, "Content-Type"));
	assert_null(strcasestr(req, "Expect:"));
	assert_non_null(strstr(req, "\r\n\r\npayload"));
	/* Consul's output names the configured method */
	char want[64];
	snprintf(want, sizeof(want), "HTTP POST http://127.0.0.1:%d/echo: 200 OK", f->srv.port);
	assert_memory_equal(f->r.output.data, want, strlen(want));
	stop_check(&f->env, &f->c, &f->r);
}

static void test_redirect_307_keeps_body(void **state)
{
	struct fixture *f = *state;
	run_http(f, "/redir307", "\"method\":\"PUT\",\"body\":\"xyz\"");
	assert_int_equal(f->r.status, CHECK_PASSING);
	const char *req = buf_cstr(&f->srv.last);
	assert_non_null(strstr(req, "PUT /echo HTTP/1.1\r\n"));
	assert_non_null(strstr(req, "\r\n\r\nxyz"));
	stop_check(&f->env, &f->c, &f->r);
}

static void test_output_cap(void **state)
{
	struct fixture *f = *state;
	run_http(f, "/big", "\"output_max_size\":100");
	assert_int_equal(f->r.status, CHECK_PASSING);
	/* the last 100 bytes of the 10000-byte body, as Consul's circbuf keeps */
	const char *out = buf_cstr(&f->r.output);
	const char *body = strstr(out, "Output: ") + 8;
	assert_int_equal(strlen(body), 100);
	char tail[101];
	for (int i = 0; i < 100; i++)
		tail[i] = (char)('a' + (9900 + i) % 26);
	tail[100] = '\0';
	assert_string_equal(body, tail);
	stop_check(&f->env, &f->c, &f->r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_200_passing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_429_warning, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_500_critical, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_redirect_followed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_redirect_disabled, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_redirect_loop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_headers_and_body, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_redirect_307_keeps_body, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_output_cap, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
