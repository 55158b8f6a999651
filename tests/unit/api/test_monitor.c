/*
 * The monitor endpoint's backpressure (api/monitor.c) over a real socket: a
 * client that stops reading makes the agent drop lines instead of buffering
 * them without bound, and the next line that fits is preceded by Consul's
 * "Monitor dropped N logs during monitor request" note. Also: the sink is
 * removed when the client leaves (a later log line reaches nobody).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/api.h"
#include "base/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void dispatch(void *ctx, struct http_request *req)
{
	(void)ctx;
	api_agent_monitor(NULL, req);
}

static void closed(void *arg)
{
	*(bool *)arg = true;
}

static void pump(uv_loop_t *loop, int n)
{
	for (int i = 0; i < n; i++)
		uv_run(loop, UV_RUN_NOWAIT);
}

/* Read what is available (up to ~ms milliseconds of quiet), pumping the loop. */
static void drain(uv_loop_t *loop, int fd, struct buf *in, int ms)
{
	int quiet = 0;
	while (quiet < ms) {
		char tmp[65536];
		ssize_t n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT);
		if (n > 0) {
			buf_append(in, tmp, (size_t)n);
			quiet = 0;
		} else {
			quiet++;
			usleep(1000);
		}
		pump(loop, 2);
	}
}

static void test_drops_and_notes(void **state)
{
	(void)state;
	uv_loop_t loop;
	uv_loop_init(&loop);
	log_setup(LOG_OFF, false); /* nothing on stdout: only the sink sees lines */
	static const char *addrs[] = {"127.0.0.1", NULL};
	struct http_server_config cfg = {.addrs = addrs, .dispatch = dispatch};
	struct http_server *srv;
	struct buf err = BUF_INIT;
	assert_int_equal(http_server_start(&loop, &cfg, &srv, &err), 0);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int small = 4096;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(http_server_port(srv))};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	const char get[] = "GET /v1/agent/monitor?loglevel=info HTTP/1.1\r\n\r\n";
	assert_int_equal(send(fd, get, sizeof(get) - 1, 0), (ssize_t)(sizeof(get) - 1));
	pump(&loop, 50);
	usleep(20000);
	pump(&loop, 50);

	/* 20 MB of lines at a client that does not read */
	char pad[200];
	memset(pad, 'p', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	for (int i = 0; i < 100000; i++) {
		log_info("test", "line %d %s", i, pad);
		if (i % 1000 == 0)
			pump(&loop, 1);
	}
	struct buf in = BUF_INIT;
	drain(&loop, fd, &in, 200);
	assert_true(in.len < 4 * 1024 * 1024); /* bounded, not 20 MB */
	assert_null(strstr(buf_cstr(&in), "Monitor dropped"));
	log_info("test", "after the storm");
	drain(&loop, fd, &in, 100);
	const char *note = strstr(buf_cstr(&in), "Monitor dropped ");
	assert_non_null(note);
	const char *after = strstr(buf_cstr(&in), "after the storm");
	assert_non_null(after);
	assert_true(note < after);
	assert_non_null(strstr(note, " logs during monitor request\n"));

	/* the client leaves: the sink goes, later lines reach nobody */
	close(fd);
	pump(&loop, 50);
	usleep(20000);
	pump(&loop, 50);
	assert_int_equal(http_server_conn_count(srv), 0);
	log_info("test", "nobody listens");
	bool done = false;
	http_server_close(srv, closed, &done);
	while (!done)
		uv_run(&loop, UV_RUN_ONCE);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	buf_free(&in);
	buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_drops_and_notes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
