/*
 * TCP and UDP checks against sockets on 127.0.0.1: up, down (refused),
 * names with several addresses, bad addresses, timeouts, UDP replies,
 * ICMP port-unreachable and silence.
 */
#include "harness.h"

#include <sys/socket.h>
#include <unistd.h>

struct fixture {
	struct env env;
	struct check c;
	struct rec r;
	uv_tcp_t listener;
	uv_udp_t udp;
	int accepted;
	bool tcp_on, udp_on, udp_echo;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	env_init(&f->env, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (f->tcp_on)
		uv_close((uv_handle_t *)&f->listener, NULL);
	if (f->udp_on)
		uv_close((uv_handle_t *)&f->udp, NULL);
	run_for(&f->env.loop, 10);
	env_fini(&f->env);
	free(f);
	return 0;
}

static void on_accept(uv_stream_t *l, int status)
{
	struct fixture *f = l->data;
	uv_tcp_t *t = xmalloc(sizeof(*t));
	uv_tcp_init(l->loop, t);
	if (uv_accept(l, (uv_stream_t *)t) == 0)
		f->accepted++;
	uv_close((uv_handle_t *)t, (uv_close_cb)free);
}

static int listen_tcp(struct fixture *f)
{
	int port = tcp_listen(&f->env.loop, &f->listener, 0, on_accept);
	f->listener.data = f;
	f->tcp_on = true;
	return port;
}

static void run_check(struct fixture *f, const char *json)
{
	assert_int_equal(start_check(&f->env, &f->c, &f->r, json), 0);
	assert_true(run_until_updates(&f->env.loop, &f->r, 1, 5000));
}

static void test_tcp_up(void **state)
{
	struct fixture *f = *state;
	int port = listen_tcp(f);
	char json[128], want[128];
	snprintf(json, sizeof(json), "{\"tcp\":\"127.0.0.1:%d\",\"interval\":\"10s\"}", port);
	run_check(f, json);
	assert_int_equal(f->r.status, CHECK_PASSING);
	snprintf(want, sizeof(want), "TCP connect 127.0.0.1:%d: Success", port);
	assert_string_equal(buf_cstr(&f->r.output), want);
	stop_check(&f->env, &f->c, &f->r);
}

static void test_tcp_down(void **state)
{
	struct fixture *f = *state;
	int port = closed_port(&f->env.loop);
	char json[128], want[128];
	snprintf(json, sizeof(json), "{\"tcp\":\"127.0.0.1:%d\",\"interval\":\"10s\"}", port);
	run_check(f, json);
	assert_int_equal(f->r.status, CHECK_CRITICAL);
	snprintf(want, sizeof(want), "dial tcp 127.0.0.1:%d: connect: connection refused", port);
	assert_string_equal(buf_cstr(&f->r.output), want);
	stop_check(&f->env, &f->c, &f->r);
}

/* "localhost" may resolve to ::1 first: the IPv4 listener is found next. */
static void test_tcp_name(void **state)
{
	struct fixture *f = *state;
	int port = listen_tcp(f);
	char json[128], want[128];
	snprintf(json, sizeof(json), "{\"tcp\":\"localhost:%d\",\"interval\":\"10s\"}", port);
	run_check(f, json);
	assert_int_equal(f->r.status, CHECK_PASSING);
	snprintf(want, sizeof(want), "TCP connect localhost:%d: Success", port);
	assert_string_equal(buf_cstr(&f->r.output), want);
	stop_check(&f->env, &f->c, &f->r);
}

static void test_tcp_bad_addresses(void **state)
{
	struct fixture *f = *state;
	run_check(f, "{\"tcp\":\"nocolon\",\"interval\":\"10s\"}");
	assert_string_equal(buf_cstr(&f->r.output),
			    "dial tcp: address nocolon: missing port in address");
	stop_check(&f->env, &f->c, &f->r);
	f->r = (struct rec){0};
	run_check(f, "{\"tcp\":\"no-such-host.invalid:80\",\"interval\":\"10s\"}");
	assert_int_equal(f->r.status, CHECK_CRITICAL);
	const char *prefix = "dial tcp: lookup no-such-host.invalid: ";
	assert_memory_equal(buf_cstr(&f->r.output), prefix, strlen(prefix));
	stop_check(&f->env, &f->c, &f->r);
}

/* A listener whose accept queue is full drops SYNs: connects hang. */
static void test_tcp_timeout_full_backlog(void **state)
{
	struct fixture *f = *state;
	int lfd = socket(AF_INET, SOCK_STREAM, 0), fill[4];
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	uv_ip4_addr("127.0.0.1", 0, &sa);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 0), 0);
	getsockname(lfd, (struct sockaddr *)&sa, &len);
	for (int i = 0; i < 4; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fill[i], (struct sockaddr *)&sa, sizeof(sa));
	}
	run_for(&f->env.loop, 50);
	char json[160], want[128];
	int port = ntohs(sa.sin_port);
	snprintf(json, sizeof(json),
		 "{\"tcp\":\"127.0.0.1:%d\",\"interval\":\"10s\",\"timeout\":\"300ms\"}", port);
	uint64_t t0 = uv_now(&f->env.loop);
	run_check(f, json);
	uint64_t took = uv_now(&f->env.loop) - t0;
	for (int i = 0; i < 4; i++)
		close(fill[i]);
	close(lfd);
	if (f->r.status == CHECK_PASSING) { /* a kernel that still completed it */
		stop_check(&f->env, &f->c, &f->r);
		skip();
	}
	assert_true(took >= 250 && took < 2000);
	snprintf(want, sizeof(want), "dial tcp 127.0.0.1:%d: i/o timeout", port);
	assert_string_equal(buf_cstr(&f->r.output), want);
	stop_check(&f->env, &f->c, &f->r);
}

static void udp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	static char mem[512];
	*b = uv_buf_init(mem, sizeof(mem));
}

static void udp_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
		     unsigned flags)
{
	struct fixture *f = u->data;
	if (n < 0 || !from || !f->udp_echo)
		return;
	uv_udp_try_send(u, &(uv_buf_t){.base = "pong", .len = 4}, 1, from);
}

/* A UDP socket on 127.0.0.1; echo: answer every datagram. */
static int bind_udp(struct fixture *f, bool echo)
{
	struct sockaddr_in sa;
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	uv_ip4_addr("127.0.0.1", 0, &sa);
	uv_udp_init(&f->env.loop, &f->udp);
	f->udp.data = f;
	f->udp_on = true;
	f->udp_echo = echo;
	assert_int_equal(uv_udp_bind(&f->udp, (struct sockaddr *)&sa, 0), 0);
	if (echo)
		uv_udp_recv_start(&f->udp, udp_alloc, udp_recv);
	uv_udp_getsockname(&f->udp, (struct sockaddr *)&ss, &len);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void test_udp_reply(void **state)
{
	struct fixture *f = *state;
	int port = bind_udp(f, true);
	char json[128], want[128];
	snprintf(json, sizeof(json), "{\"udp\":\"127.0.0.1:%d\",\"interval\":\"10s\"}", port);
	uint64_t t0 = uv_now(&f->env.loop);
	run_check(f, json);
	assert_true(uv_now(&f->env.loop) - t0 < 2000); /* the reply, not the timeout */
	assert_int_equal(f->r.status, CHECK_PASSING);
	snprintf(want, sizeof(want), "UDP connect 127.0.0.1:%d: Success", port);
	assert_string_equal(buf_cstr(&f->r.output), want);
	stop_check(&f->env, &f->c, &f->r);
}

static void test_udp_refused(void **state)
{
	struct fixture *f = *state;
	int port = bind_udp(f, false);
	uv_close((uv_handle_t *)&f->udp, NULL); /* nothing listens on port now */
	f->udp_on = false;
	run_for(&f->env.loop, 5);
	char json[128], want[64];
	snprintf(json, sizeof(json), "{\"udp\":\"127.0.0.1:%d\",\"interval\":\"10s\"}", port);
	run_check(f, json);
	assert_int_equal(f->r.status, CHECK_CRITICAL);
	const char *out = buf_cstr(&f->r.output);
	assert_memory_equal(out, "read udp 127.0.0.1:", 19);
	snprintf(want, sizeof(want), "->127.0.0.1:%d: read: connection refused", port);
	assert_non_null(strstr(out, want));
	stop_check(&f->env, &f->c, &f->r);
}

static void test_udp_silent(void **state)
{
	struct fixture *f = *state;
	int port = bind_udp(f, false);
	char json[160];
	snprintf(json, sizeof(json),
		 "{\"udp\":\"127.0.0.1:%d\",\"interval\":\"10s\",\"timeout\":\"200ms\"}", port);
	uint64_t t0 = uv_now(&f->env.loop);
	run_check(f, json);
	assert_true(uv_now(&f->env.loop) - t0 >= 150);
	assert_int_equal(f->r.status, CHECK_PASSING);
	stop_check(&f->env, &f->c, &f->r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_tcp_up, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tcp_down, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tcp_name, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tcp_bad_addresses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tcp_timeout_full_backlog, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_udp_reply, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_udp_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_udp_silent, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
