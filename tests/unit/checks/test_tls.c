/*
 * HTTPS checks against a Python TLS server with a throw-away self-signed
 * certificate for "check.test": verification failure, tls_skip_verify, and
 * tls_server_name (the SNI the server sees changes; the Host header and the
 * address connected to do not). Skipped without /usr/bin/python3 or openssl.
 */
#include "harness.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char server_py[] =
    "import ssl, sys, http.server\n"
    "seen = {'sni': ''}\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        b = ('sni=%s host=%s' % (seen['sni'], self.headers.get('Host'))).encode()\n"
    "        self.send_response(200)\n"
    "        self.send_header('Content-Length', str(len(b)))\n"
    "        self.end_headers()\n"
    "        self.wfile.write(b)\n"
    "    def log_message(self, *a):\n"
    "        pass\n"
    "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
    "ctx.load_cert_chain(sys.argv[1], sys.argv[2])\n"
    "def cb(s, name, c):\n"
    "    seen['sni'] = name or ''\n"
    "ctx.sni_callback = cb\n"
    "srv = http.server.HTTPServer(('127.0.0.1', 0), H)\n"
    "srv.socket = ctx.wrap_socket(srv.socket, server_side=True)\n"
    "print(srv.server_address[1], flush=True)\n"
    "srv.serve_forever()\n";

struct fixture {
	struct env env;
	struct check c;
	struct rec r;
	pid_t pid;
	int port, out;
	char dir[64];
	bool made_dir; /* dir exists and is ours to remove */
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	*state = f;
	strcpy(f->dir, "/tmp/cairn-tls-XXXXXX");
	if (access("/usr/bin/python3", X_OK) != 0 || !mkdtemp(f->dir))
		return 0;
	f->made_dir = true;
	char cmd[512], cert[128], key[128];
	snprintf(cert, sizeof(cert), "%s/cert.pem", f->dir);
	snprintf(key, sizeof(key), "%s/key.pem", f->dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 1 "
		 "-subj /CN=check.test -addext subjectAltName=DNS:check.test >/dev/null 2>&1",
		 key, cert);
	if (system(cmd) != 0)
		return 0;
	int out[2];
	assert_int_equal(pipe(out), 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	char *argv[] = {"/usr/bin/python3", "-c", (char *)server_py, cert, key, NULL};
	assert_int_equal(posix_spawn(&f->pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	char line[32] = "";
	ssize_t n = read(out[0], line, sizeof(line) - 1);
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
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (f->made_dir)
		(void)!system(cmd);
	free(f);
	return 0;
}

static void run(struct fixture *f, const char *extra)
{
	if (f->pid <= 0)
		skip();
	assert_true(f->port > 0);
	char json[512];
	snprintf(json, sizeof(json), "{\"http\":\"https://127.0.0.1:%d/\",\"interval\":\"10s\"%s}",
		 f->port, extra);
	f->r = (struct rec){0};
	assert_int_equal(start_check(&f->env, &f->c, &f->r, json), 0);
	assert_true(run_until_updates(&f->env.loop, &f->r, 1, 10000));
}

static void test_verify_fails(void **state)
{
	struct fixture *f = *state;
	run(f, "");
	assert_int_equal(f->r.status, CHECK_CRITICAL);
	char want[128];
	snprintf(want, sizeof(want),
		 "Get \"https://127.0.0.1:%d/\": tls: failed to verify certificate: ", f->port);
	assert_memory_equal(buf_cstr(&f->r.output), want, strlen(want));
	stop_check(&f->env, &f->c, &f->r);
}

static void test_skip_verify(void **state)
{
	struct fixture *f = *state;
	run(f, ",\"tls_skip_verify\":true");
	assert_int_equal(f->r.status, CHECK_PASSING);
	char want[160];
	snprintf(want, sizeof(want),
		 "HTTP GET https://127.0.0.1:%d/: 200 OK Output: sni= host=127.0.0.1:%d", f->port,
		 f->port);
	assert_string_equal(buf_cstr(&f->r.output), want);
	stop_check(&f->env, &f->c, &f->r);
}

static void test_server_name(void **state)
{
	struct fixture *f = *state;
	run(f, ",\"tls_skip_verify\":true,\"tls_server_name\":\"check.test\"");
	assert_int_equal(f->r.status, CHECK_PASSING);
	char want[160];
	snprintf(want, sizeof(want),
		 "HTTP GET https://127.0.0.1:%d/: 200 OK Output: sni=check.test host=127.0.0.1:%d",
		 f->port, f->port);
	assert_string_equal(buf_cstr(&f->r.output), want);
	stop_check(&f->env, &f->c, &f->r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_verify_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_skip_verify, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_server_name, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
