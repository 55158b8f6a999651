/*
 * Unit tests: the libuv gossip driver (transport.h) on real sockets. Five
 * transports share one loop in this process, each on its own 127.0.0.x
 * address with a free port (TCP bound at port 0 to find one, then UDP+TCP on
 * it; retried on EADDRINUSE), with LAN tuning scaled down ~10x so a test takes
 * a second or two. Conditions are polled with generous deadlines, never slept
 * for, so a loaded machine only makes the tests slower.
 *
 * Scenarios: join through one and converge; an abrupt close is detected as a
 * failure; a graceful leave is seen as left; the same with a keyring on all;
 * a node with the wrong key, or none, cannot join and stays unseen; garbage
 * datagrams and streams are dropped. Each test ends by
 * closing the loop with no handle left.
 */
#include "gossip/transport.h"

#include "base/err.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#define N	  5
#define MAXNODES  (N + 1)
#define KEY_GOOD  "cg8StVXbQJ0gPvMd9o7yrg=="
#define KEY_WRONG "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s="
#define DEADLINE  15000 /* ms for any one condition; CI machines are slow */

struct node {
	struct gossip_transport t;
	char name[16];
	char ip[32];
	uint16_t port;
	bool running; /* started and not closed */
	bool closed;  /* close callback ran */
	int join_calls, joined, join_err;
	int leave_calls, leave_err;
	int events[MEMBERLIST_REAP + 1]; /* hooks.notify, by kind */
	int user_msgs;			 /* hooks.user_msg deliveries */
};

static uv_loop_t loop;
static struct node nodes[MAXNODES];
static uv_timer_t poll_timer;

static struct node *node_of(struct gossip_transport *t)
{
	return (struct node *)((char *)t - offsetof(struct node, t));
}

static void on_closed(struct gossip_transport *t)
{
	node_of(t)->closed = true;
}

static void on_join(struct gossip_transport *t, int joined, int err, void *data)
{
	struct node *n = node_of(t);
	n->join_calls++;
	n->joined = joined;
	n->join_err = err;
}

static void on_leave(struct gossip_transport *t, int err)
{
	struct node *n = node_of(t);
	n->leave_calls++;
	n->leave_err = err;
}

static void hook_notify(void *ud, enum memberlist_event ev, const struct memberlist_node *m)
{
	((struct node *)ud)->events[ev]++;
}

static bool hook_user(void *ud, const uint8_t *data, size_t len)
{
	struct node *n = ud;
	if (len != 5 || memcmp(data, "hello", 5) != 0 || n->user_msgs)
		return false;
	n->user_msgs++;
	return true; /* new: the core gossips it on */
}

static void poll_tick(uv_timer_t *h)
{
}

/* Runs the loop until cond() holds or DEADLINE ms pass; returns cond(). */
static bool run_until(bool (*cond)(void *), void *arg)
{
	uint64_t end = uv_now(&loop) + DEADLINE;
	while (!cond(arg)) {
		if (uv_now(&loop) >= end)
			return false;
		uv_run(&loop, UV_RUN_ONCE);
		uv_update_time(&loop);
	}
	return true;
}

static bool elapsed(void *arg)
{
	return uv_now(&loop) >= *(uint64_t *)arg;
}

static void run_for(uint64_t ms)
{
	uint64_t end = uv_now(&loop) + ms;
	uv_run(&loop, UV_RUN_NOWAIT);
	while (!elapsed(&end))
		uv_run(&loop, UV_RUN_ONCE), uv_update_time(&loop);
}

/* A port that is free for TCP on ip right now (UDP is checked by start). */
static uint16_t free_port(const char *ip)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	inet_pton(AF_INET, ip, &sa.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t sl = sizeof(sa);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static bool is_closed(void *arg)
{
	return ((struct node *)arg)->closed;
}

static void stop(struct node *n)
{
	if (!n->running)
		return;
	n->running = false;
	gossip_transport_close(&n->t, on_closed);
	assert_true(run_until(is_closed, n));
}

static void start(int i, int addr_base, struct keyring *kr)
{
	struct node *n = &nodes[i];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "n%d", i);
	snprintf(n->ip, sizeof(n->ip), "127.0.0.%d", addr_base + i);
	for (int tries = 0;; tries++) {
		struct gossip_transport_config cfg;
		gossip_transport_config_default(&cfg);
		cfg.bind_ip = n->ip;
		cfg.port = n->port = free_port(n->ip);
		cfg.node_name = n->name;
		cfg.meta = (const uint8_t *)"m";
		cfg.meta_len = 1;
		cfg.keyring = kr;
		cfg.hooks.ud = n;
		cfg.hooks.notify = hook_notify;
		cfg.hooks.user_msg = hook_user;
		cfg.ml.probe_interval = 100;
		cfg.ml.probe_timeout = 50;
		cfg.ml.gossip_interval = 20;
		cfg.ml.push_pull_interval = 2000;
		cfg.ml.gossip_to_the_dead_time = 60000; /* no reaping during a test */
		cfg.ml.stream_timeout = 2000;
		cfg.ml.suspicion_max_timeout_mult = 2;
		int rc = gossip_transport_start(&n->t, &loop, &cfg);
		n->running = true;
		if (rc == 0)
			return;
		stop(n);
		n->closed = false;
		assert_int_equal(rc, UV_EADDRINUSE);
		assert_true(tries < 20);
	}
}

static void join_through(int i, int target)
{
	struct gaddr a;
	char s[48];
	snprintf(s, sizeof(s), "%s:%u", nodes[target].ip, nodes[target].port);
	assert_int_equal(gossip_addr_parse(s, 0, &a), 0);
	assert_int_equal(gossip_transport_join(&nodes[i].t, &a, 1, on_join, NULL), 0);
}

static bool joins_answered(void *arg)
{
	int upto = *(int *)arg;
	for (int i = 1; i < upto; i++)
		if (nodes[i].join_calls == 0)
			return false;
	return true;
}

static bool join_called(void *arg)
{
	return ((struct node *)arg)->join_calls > 0;
}

static bool converged(void *arg)
{
	int upto = *(int *)arg;
	for (int i = 0; i < upto; i++)
		if (!nodes[i].running ||
		    memberlist_num_alive(gossip_transport_core(&nodes[i].t)) != (size_t)upto)
			return false;
	return true;
}

/* Every running node but subject sees subject in state st. */
struct seen_as {
	int subject;
	enum gstate st;
};

static bool all_see(void *arg)
{
	struct seen_as *w = arg;
	for (int i = 0; i < N; i++) {
		if (i == w->subject || !nodes[i].running)
			continue;
		const struct memberlist_node *m =
		    gossip_transport_find(&nodes[i].t, nodes[w->subject].name);
		if (!m || m->state != w->st)
			return false;
	}
	return true;
}

static bool all_got_user(void *arg)
{
	for (int i = 1; i < N; i++)
		if (nodes[i].user_msgs == 0)
			return false;
	return true;
}

static bool left(void *arg)
{
	return ((struct node *)arg)->leave_calls > 0;
}

static void cluster_up(int addr_base, struct keyring *kr)
{
	assert_int_equal(uv_loop_init(&loop), 0);
	uv_timer_init(&loop, &poll_timer);
	uv_timer_start(&poll_timer, poll_tick, 10, 10); /* bounds each uv_run ONCE */
	for (int i = 0; i < N; i++)
		start(i, addr_base, kr);
	for (int i = 1; i < N; i++)
		join_through(i, 0);
	int upto = N;
	assert_true(run_until(joins_answered, &upto));
	for (int i = 1; i < N; i++) {
		assert_int_equal(nodes[i].joined, 1);
		assert_int_equal(nodes[i].join_err, 0);
	}
	assert_true(run_until(converged, &upto));
}

static void cluster_down(void)
{
	for (int i = 0; i < MAXNODES; i++)
		stop(&nodes[i]);
	uv_close((uv_handle_t *)&poll_timer, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_join_fail_leave(void **state)
{
	cluster_up(10, NULL);

	/* coordinates ride on the direct probes' acks */
	uint64_t updates = 0;
	for (int i = 0; i < N; i++)
		updates += nodes[i].t.stats.coord_updates;
	const struct memberlist_node *peer = gossip_transport_find(&nodes[0].t, "n1");
	assert_non_null(peer);
	assert_int_equal(peer->meta_len, 1);

	/* a user broadcast (serf events) reaches everyone through the hooks */
	assert_int_equal(gossip_transport_broadcast(&nodes[0].t, (const uint8_t *)"hello", 5), 0);
	assert_true(run_until(all_got_user, NULL));

	/* abrupt stop: no leave, the others must detect it */
	stop(&nodes[4]);
	struct seen_as dead = {4, GSTATE_DEAD};
	assert_true(run_until(all_see, &dead));

	/* graceful leave */
	assert_int_equal(gossip_transport_leave(&nodes[3].t, 2000, on_leave), 0);
	assert_true(run_until(left, &nodes[3]));
	assert_int_equal(nodes[3].leave_err, 0);
	stop(&nodes[3]);
	struct seen_as gone = {3, GSTATE_LEFT};
	assert_true(run_until(all_see, &gone));
	/* and the failed one stays failed, not left */
	struct seen_as still = {4, GSTATE_DEAD};
	assert_true(all_see(&still));

	for (int i = 0; i < N; i++)
		updates += nodes[i].t.stats.coord_updates;
	assert_true(updates > 0);
	for (int i = 0; i < 3; i++) {
		assert_true(nodes[i].events[MEMBERLIST_JOIN] >= N - 1);
		assert_true(nodes[i].events[MEMBERLIST_FAIL] >= 1);
		assert_int_equal(nodes[i].events[MEMBERLIST_LEAVE], 1);
	}
	cluster_down();
}

static void test_encrypted(void **state)
{
	struct keyring good, wrong;
	char err[KEYRING_ERR_MAX];
	keyring_init(&good);
	keyring_init(&wrong);
	assert_int_equal(keyring_install(&good, KEY_GOOD, err), 0);
	assert_int_equal(keyring_install(&wrong, KEY_WRONG, err), 0);

	cluster_up(30, &good);

	/* a sixth node with another key: its join is refused, nobody sees it */
	start(N, 30, &wrong);
	join_through(N, 0);
	int upto = N + 1;
	assert_true(run_until(joins_answered, &upto));
	assert_int_equal(nodes[N].joined, 0);
	assert_true(nodes[N].join_err != 0);
	run_for(300);
	for (int i = 0; i < N; i++)
		assert_null(gossip_transport_find(&nodes[i].t, nodes[N].name));
	assert_int_equal(memberlist_count(gossip_transport_core(&nodes[N].t)), 1);
	stop(&nodes[N]);

	/* and one without a key is refused too (verify_incoming) */
	start(N, 30, NULL);
	join_through(N, 0);
	assert_true(run_until(joins_answered, &upto));
	assert_int_equal(nodes[N].joined, 0);
	run_for(300);
	for (int i = 0; i < N; i++)
		assert_null(gossip_transport_find(&nodes[i].t, nodes[N].name));
	/* sealed packets must still fit the 1400-byte budget */
	assert_int_equal(nodes[0].t.mlcfg.packet_budget, GOSSIP_UDP_MAX - GCRYPT_OVERHEAD);
	assert_true(nodes[0].t.stats.udp_in > 0);
	assert_int_equal(nodes[0].t.stats.udp_dropped_crypto, 0);

	/* the keyed cluster still detects a failure */
	stop(&nodes[4]);
	struct seen_as dead = {4, GSTATE_DEAD};
	assert_true(run_until(all_see, &dead));

	cluster_down();
	keyring_free(&good);
	keyring_free(&wrong);
}

/* Garbage on both sockets must be dropped without disturbing the node. */
static void test_garbage(void **state)
{
	assert_int_equal(uv_loop_init(&loop), 0);
	uv_timer_init(&loop, &poll_timer);
	uv_timer_start(&poll_timer, poll_tick, 10, 10);
	start(0, 50, NULL);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(nodes[0].port)};
	inet_pton(AF_INET, nodes[0].ip, &sa.sin_addr);

	int u = socket(AF_INET, SOCK_DGRAM, 0);
	static const uint8_t junk[] = {1, 9, 0, 200, 1, 2, 3};
	sendto(u, junk, sizeof(junk), 0, (struct sockaddr *)&sa, sizeof(sa));
	close(u);
	/* a stream header announcing 64 MiB + 1, and one of pure junk */
	static const uint8_t big[] = {1, 8, 0x04, 0x00, 0x00, 0x01};
	int tcp1 = socket(AF_INET, SOCK_STREAM, 0);
	int tcp2 = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(tcp1, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(connect(tcp2, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(tcp1, big, sizeof(big)), (ssize_t)sizeof(big));
	assert_int_equal(write(tcp2, "GET / HTTP/1.0\r\n\r\n", 18), 18);
	run_for(200);
	close(tcp1);
	close(tcp2);
	run_for(50);
	assert_true(nodes[0].t.stats.streams_bad >= 2);
	assert_true(memberlist_stats(gossip_transport_core(&nodes[0].t))->bad_packets >= 1);
	assert_int_equal(memberlist_count(gossip_transport_core(&nodes[0].t)), 1);

	/* joining a port nobody listens on fails through the callback */
	struct gaddr nobody;
	char s[48];
	snprintf(s, sizeof(s), "127.0.0.51:%u", free_port("127.0.0.51"));
	assert_int_equal(gossip_addr_parse(s, 0, &nobody), 0);
	assert_int_equal(gossip_transport_join(&nodes[0].t, &nobody, 1, on_join, NULL), 0);
	assert_true(run_until(join_called, &nodes[0]));
	assert_int_equal(nodes[0].joined, 0);
	assert_true(nodes[0].join_err < 0);
	/* joining only ourselves sends nothing: an error, and no callback */
	struct gaddr self;
	snprintf(s, sizeof(s), "%s:%u", nodes[0].ip, nodes[0].port);
	assert_int_equal(gossip_addr_parse(s, 0, &self), 0);
	assert_int_equal(gossip_transport_join(&nodes[0].t, &self, 1, on_join, NULL),
			 CAIRN_E_INVAL);
	cluster_down();
}

static void test_addr_parse(void **state)
{
	struct gaddr a;
	assert_int_equal(gossip_addr_parse("10.1.2.3", 8301, &a), 0);
	assert_int_equal(a.family, 4);
	assert_int_equal(a.port, 8301);
	assert_int_equal(gossip_addr_parse("10.1.2.3:99", 8301, &a), 0);
	assert_int_equal(a.port, 99);
	assert_int_equal(gossip_addr_parse("[::1]:8302", 8301, &a), 0);
	assert_int_equal(a.family, 6);
	assert_int_equal(a.port, 8302);
	assert_int_equal(gossip_addr_parse("::1", 8301, &a), 0);
	assert_int_equal(a.family, 6);
	assert_int_equal(gossip_addr_parse("host.example:1", 8301, &a), CAIRN_E_INVAL);
	assert_int_equal(gossip_addr_parse("1.2.3.4:0", 8301, &a), CAIRN_E_INVAL);
	assert_int_equal(gossip_addr_parse("1.2.3.4:x", 8301, &a), CAIRN_E_INVAL);
	assert_int_equal(gossip_addr_parse("", 8301, &a), CAIRN_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr_parse),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_join_fail_leave),
	    cmocka_unit_test(test_encrypted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
