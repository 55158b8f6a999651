/*
 * gRPC health checks and H2PING checks against a real gRPC server: a small
 * Python program using Debian's python3-grpcio (no generated code: the
 * Health/Check method takes and returns raw protobuf bytes). Services:
 * "" and "good" SERVING, "bad" NOT_SERVING, "unknown" UNKNOWN, "missing"
 * fails with NOT_FOUND. Skipped when python3-grpcio is not installed.
 */
#include "harness.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char server_py[] =
    "import sys, grpc\n"
    "from concurrent import futures\n"
    "STATES = {'': 1, 'good': 1, 'bad': 2, 'unknown': 0}\n"
    "def check(req, ctx):\n"
    "    svc = ''\n"
    "    if len(req) > 2 and req[0] == 0x0a:\n"
    "        svc = req[2:2 + req[1]].decode()\n"
    "    if svc == 'missing':\n"
    "        ctx.abort(grpc.StatusCode.NOT_FOUND, 'unknown service')\n"
    "    st = STATES.get(svc, 1)\n"
    "    return bytes([0x08, st]) if st else b''\n"
    "h = grpc.method_handlers_generic_handler('grpc.health.v1.Health', {'Check':\n"
    "    grpc.unary_unary_rpc_method_handler(check)})\n"
    "s = grpc.server(futures.ThreadPoolExecutor(max_workers=2))\n"
    "s.add_generic_rpc_handlers((h,))\n"
    "port = s.add_insecure_port('127.0.0.1:0')\n"
    "s.start()\n"
    "print(port, flush=True)\n"
    "s.wait_for_termination()\n";

struct fixture {
	struct env env;
	struct check c;
	struct rec r;
	pid_t pid;
	int port;
	int out; /* the server's stdout, open until teardown (else it dies of EPIPE) */
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	*state = f;
	if (access("/usr/bin/python3", X_OK) != 0 ||
	    system("/usr/bin/python3 -c 'import grpc' 2>/dev/null") != 0)
		return 0; /* the tests skip */
	int out[2];
	assert_int_equal(pipe(out), 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	char *argv[] = {"/usr/bin/python3", "-c", (char *)server_py, NULL};
	assert_int_equal(posix_spawn(&f->pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	char line[32] = "";
	ssize_t n = read(out[0], line, sizeof(line) - 1); /* blocks until the server is up */
	f->out = out[0];
	f->port = n > 0 ? atoi(line) : 0;
	env_init(&f->env, NULL);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (f->pid > 0) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
		close(f->out);
		env_fini(&f->env);
	}
	free(f);
	return 0;
}

static void need_server(struct fixture *f)
{
	if (f->pid <= 0)
		skip();
	assert_true(f->port > 0);
}

static void run(struct fixture *f, const char *fmt, ...)
{
	char json[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(json, sizeof(json), fmt, ap);
	va_end(ap);
	f->r = (struct rec){0};
	assert_int_equal(start_check(&f->env, &f->c, &f->r, json), 0);
	assert_true(run_until_updates(&f->env.loop, &f->r, 1, 10000));
}

static void expect(struct fixture *f, enum check_status st, const char *fmt, ...)
{
	char want[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	assert_string_equal(buf_cstr(&f->r.output), want);
	assert_int_equal(f->r.status, st);
	stop_check(&f->env, &f->c, &f->r);
}

static void test_grpc_serving(void **state)
{
	struct fixture *f = *state;
	need_server(f);
	run(f, "{\"grpc\":\"127.0.0.1:%d\",\"interval\":\"10s\"}", f->port);
	expect(f, CHECK_PASSING, "gRPC check 127.0.0.1:%d: success", f->port);
	run(f, "{\"grpc\":\"127.0.0.1:%d/good\",\"interval\":\"10s\"}", f->port);
	expect(f, CHECK_PASSING, "gRPC check 127.0.0.1:%d/good: success", f->port);
}

static void test_grpc_not_serving(void **state)
{
	struct fixture *f = *state;
	need_server(f);
	run(f, "{\"grpc\":\"127.0.0.1:%d/bad\",\"interval\":\"10s\",\"status\":\"passing\"}",
	    f->port);
	expect(f, CHECK_CRITICAL, "gRPC 127.0.0.1:%d/bad serving status: NOT_SERVING", f->port);
	run(f, "{\"grpc\":\"127.0.0.1:%d/unknown\",\"interval\":\"10s\"}", f->port);
	expect(f, CHECK_CRITICAL, "gRPC 127.0.0.1:%d/unknown serving status: UNKNOWN", f->port);
	run(f, "{\"grpc\":\"127.0.0.1:%d/missing\",\"interval\":\"10s\"}", f->port);
	expect(f, CHECK_CRITICAL, "rpc error: code = NotFound desc = unknown service");
}

static void test_grpc_refused(void **state)
{
	struct fixture *f = *state;
	need_server(f);
	int port = closed_port(&f->env.loop);
	run(f, "{\"grpc\":\"127.0.0.1:%d\",\"interval\":\"10s\"}", port);
	expect(f, CHECK_CRITICAL,
	       "rpc error: code = Unavailable desc = connection error: desc = \"transport: Error "
	       "while dialing: dial tcp 127.0.0.1:%d: connect: connection refused\"",
	       port);
}

static void test_h2ping(void **state)
{
	struct fixture *f = *state;
	need_server(f);
	run(f, "{\"h2ping\":\"127.0.0.1:%d\",\"h2ping_use_tls\":false,\"interval\":\"10s\"}",
	    f->port);
	expect(f, CHECK_PASSING, "HTTP2 ping was successful");
	int port = closed_port(&f->env.loop);
	run(f, "{\"h2ping\":\"127.0.0.1:%d\",\"h2ping_use_tls\":false,\"interval\":\"10s\"}", port);
	expect(f, CHECK_CRITICAL,
	       "Failed to dial to 127.0.0.1:%d: dial tcp 127.0.0.1:%d: connect: connection refused",
	       port, port);
}

/* An HTTP/1.1-only server fails the HTTP/2 preface. */
static void test_h2ping_http1_server(void **state)
{
	struct fixture *f = *state;
	need_server(f);
	struct hsrv srv;
	hsrv_start(&srv, &f->env.loop);
	run(f, "{\"h2ping\":\"127.0.0.1:%d\",\"h2ping_use_tls\":false,\"interval\":\"10s\"}",
	    srv.port);
	assert_int_equal(f->r.status, CHECK_CRITICAL);
	assert_memory_equal(buf_cstr(&f->r.output), "HTTP2 ping failed: ", 19);
	stop_check(&f->env, &f->c, &f->r);
	hsrv_stop(&srv, &f->env.loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_grpc_serving, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_grpc_not_serving, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_grpc_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_h2ping, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_h2ping_http1_server, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
