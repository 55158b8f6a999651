/*
 * Unit tests: the memberlist core in the deterministic simulation (sim.h):
 * join convergence, failure detection, refutation, leave vs fail, restart and
 * rejoin, meta updates, user broadcasts, and determinism itself.
 * Lossy/slow/partition scenarios are in test_memberlist_faults.c.
 */
#include "sim.h"

#include "base/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

/* What the observers saw, per (observer, subject) and event kind. */
#define MAXN 32
struct seen {
	int count[MAXN][MAXN][MEMBERLIST_REAP + 1];
	uint64_t first[MAXN][MAXN][MEMBERLIST_REAP + 1];
	bool got_user[MAXN];
	int user_deliveries;
	uint64_t trace; /* hash of every event, for determinism */
};

static int node_index(const char *name)
{
	return atoi(name + 1);
}

static void record(struct sim *s, int obs, enum memberlist_event ev,
		   const struct memberlist_node *n)
{
	struct seen *w = s->user;
	int subj = node_index(n->name);
	if (subj < MAXN && obs < MAXN) {
		if (!w->count[obs][subj][ev]++)
			w->first[obs][subj][ev] = s->now;
	}
	w->trace = (w->trace ^ ((uint64_t)s->now << 20 ^ (uint64_t)obs << 10 ^ (uint64_t)subj << 3 ^
				(uint64_t)ev)) *
		   1099511628211ull;
}

static bool dedupe_user(struct sim *s, int obs, const uint8_t *data, size_t len)
{
	struct seen *w = s->user;
	if (w->got_user[obs])
		return false;
	w->got_user[obs] = true;
	w->user_deliveries++;
	return true;
}

static void setup(struct sim *s, struct seen *w, int n, uint64_t seed)
{
	memset(w, 0, sizeof(*w));
	sim_init(s, n, seed, NULL);
	s->user = w;
	s->on_event = record;
	s->on_user = dedupe_user;
	sim_join_all(s, 0);
	assert_true(sim_run_while_not(s, s->now + 10000, 100, sim_converged, NULL));
}

static void test_join_converges(void **state)
{
	(void)state;
	struct sim s;
	struct seen *w = calloc(1, sizeof(*w));
	setup(&s, w, 24, 1);
	/* everyone got a JOIN for everyone else, exactly once */
	for (int i = 0; i < 24; i++)
		for (int j = 0; j < 24; j++)
			if (i != j)
				assert_int_equal(w->count[i][j][MEMBERLIST_JOIN], 1);
	/* the quiet cluster stays converged, with nobody suspected */
	sim_run_for(&s, 60000);
	assert_true(sim_converged(&s, NULL));
	for (int i = 0; i < 24; i++)
		assert_int_equal(memberlist_stats(s.nodes[i].ml)->suspicions, 0);
	sim_free(&s);
	free(w);
}

struct dead_arg {
	int target, st;
};

static bool all_see(struct sim *s, void *arg)
{
	struct dead_arg *a = arg;
	return sim_count_view(s, a->target, a->st) ==
	       sim_running(s) - (s->nodes[a->target].ml != NULL);
}

static void test_failure_detection(void **state)
{
	(void)state;
	struct sim s;
	struct seen *w = calloc(1, sizeof(*w));
	setup(&s, w, 24, 2);
	uint64_t t0 = s.now;
	sim_kill(&s, 7);
	struct dead_arg a = {7, GSTATE_DEAD};
	assert_true(sim_run_while_not(&s, t0 + 60000, 50, all_see, &a));
	/* suspicion min at N=24 is 4*log10(24)*1s = 5.5s, max 33s; with
	 * confirmations from several probers everyone should know well before max */
	uint64_t took = s.now - t0;
	assert_true(took < 33000);
	for (int i = 0; i < 24; i++)
		if (i != 7)
			assert_int_equal(w->count[i][7][MEMBERLIST_FAIL], 1);
	/* no one else was declared dead */
	for (int i = 0; i < 24; i++)
		for (int j = 0; j < 24; j++)
			if (j != 7)
				assert_int_equal(w->count[i][j][MEMBERLIST_FAIL], 0);
	/* 30s later (plus a probe pass) the dead member is reaped everywhere */
	sim_run_for(&s, 40000);
	for (int i = 0; i < 24; i++)
		if (i != 7) {
			assert_null(memberlist_find(s.nodes[i].ml, "n0007"));
			assert_int_equal(w->count[i][7][MEMBERLIST_REAP], 1);
		}
	sim_free(&s);
	free(w);
}

static void test_refutation(void **state)
{
	(void)state;
	struct sim s;
	struct seen *w = calloc(1, sizeof(*w));
	setup(&s, w, 12, 3);
	uint32_t inc = memberlist_local(s.nodes[3].ml)->incarnation;
	/* node 2 is told (falsely) that node 3 is suspect */
	struct gmsg m = {.type = GMSG_SUSPECT};
	m.u.suspect.incarnation = inc;
	strcpy(m.u.suspect.node, "n0003");
	strcpy(m.u.suspect.from, "n0001");
	struct buf b = BUF_INIT;
	gwire_packet_begin(&b);
	gwire_put_msg(&b, &m);
	memberlist_recv_packet(s.nodes[2].ml, s.now, &s.nodes[1].addr, (uint8_t *)b.data, b.len);
	buf_free(&b);
	sim_arm(&s.nodes[2]);
	assert_int_equal(sim_view(&s, 2, 3), GSTATE_SUSPECT);
	sim_run_for(&s, 5000);
	/* node 3 refuted: higher incarnation, everyone sees it alive, nobody failed it */
	assert_true(memberlist_local(s.nodes[3].ml)->incarnation > inc);
	assert_true(memberlist_stats(s.nodes[3].ml)->refutes >= 1);
	assert_true(sim_converged(&s, NULL));
	for (int i = 0; i < 12; i++) {
		assert_int_equal(w->count[i][3][MEMBERLIST_FAIL], 0);
		if (i != 3)
			assert_int_equal(memberlist_find(s.nodes[i].ml, "n0003")->incarnation,
					 memberlist_local(s.nodes[3].ml)->incarnation);
	}
	assert_int_equal(w->count[2][3][MEMBERLIST_ALIVE], 1);
	/* being suspected raised node 3's Lifeguard health score */
	sim_free(&s);
	free(w);
}

static void test_leave_vs_fail(void **state)
{
	(void)state;
	struct sim s;
	struct seen *w = calloc(1, sizeof(*w));
	setup(&s, w, 12, 4);
	memberlist_leave(s.nodes[2].ml, s.now);
	sim_arm(&s.nodes[2]);
	sim_kill(&s, 5);
	/* the driver waits until the leave went out (bounded by leave_drain_time) */
	uint64_t t0 = s.now;
	while (!memberlist_leave_sent(s.nodes[2].ml) && s.now < t0 + 5000)
		sim_run_for(&s, 10);
	assert_true(memberlist_leave_sent(s.nodes[2].ml));
	sim_run_for(&s, 1000);
	sim_kill(&s, 2);
	struct dead_arg a = {5, GSTATE_DEAD};
	assert_true(sim_run_while_not(&s, t0 + 30000, 50, all_see, &a));
	for (int i = 0; i < 12; i++) {
		if (i == 2 || i == 5)
			continue;
		assert_int_equal(w->count[i][2][MEMBERLIST_LEAVE], 1);
		assert_int_equal(w->count[i][2][MEMBERLIST_FAIL], 0);
		assert_int_equal(w->count[i][5][MEMBERLIST_FAIL], 1);
		assert_int_equal(w->count[i][5][MEMBERLIST_LEAVE], 0);
		/* a leave is known within a couple of seconds; no suspicion needed */
		assert_true(w->first[i][2][MEMBERLIST_LEAVE] - t0 < 3000);
		assert_int_equal(w->count[i][2][MEMBERLIST_SUSPECT], 0);
	}
	sim_free(&s);
	free(w);
}

static void test_restart_rejoin(void **state)
{
	(void)state;
	struct sim s;
	struct seen *w = calloc(1, sizeof(*w));
	setup(&s, w, 10, 5);
	sim_kill(&s, 4);
	struct dead_arg a = {4, GSTATE_DEAD};
	assert_true(sim_run_while_not(&s, s.now + 60000, 50, all_see, &a));
	/* back before the dead member is reaped: the join reply tells the new core
	 * it is dead at some incarnation, so it refutes past it */
	sim_restart(&s, 4, 0);
	assert_true(sim_run_while_not(&s, s.now + 10000, 50, sim_converged, NULL));
	for (int i = 0; i < 10; i++)
		if (i != 4)
			assert_int_equal(w->count[i][4][MEMBERLIST_JOIN], 2);
	assert_true(memberlist_local(s.nodes[4].ml)->incarnation > 1);
	/* and after it was reaped everywhere, it simply joins as new */
	sim_kill(&s, 4);
	assert_true(sim_run_while_not(&s, s.now + 60000, 50, all_see, &a));
	sim_run_for(&s, 40000);
	sim_restart(&s, 4, 1);
	assert_true(sim_run_while_not(&s, s.now + 10000, 50, sim_converged, NULL));
	sim_free(&s);
	free(w);
}

static void test_meta_and_user(void **state)
{
	(void)state;
	struct sim s;
	struct seen *w = calloc(1, sizeof(*w));
	setup(&s, w, 16, 6);
	assert_int_equal(
	    memberlist_set_meta(s.nodes[1].ml, s.now, (const uint8_t *)"role=server", 11), 0);
	sim_arm(&s.nodes[1]);
	assert_int_equal(memberlist_broadcast_user(s.nodes[3].ml, (const uint8_t *)"hello", 5), 0);
	w->got_user[3] = true; /* the sender's serf layer already has it */
	w->user_deliveries = 1;
	sim_arm(&s.nodes[3]);
	sim_run_for(&s, 5000);
	for (int i = 0; i < 16; i++) {
		const struct memberlist_node *n = memberlist_find(s.nodes[i].ml, "n0001");
		assert_int_equal(n->meta_len, 11);
		assert_memory_equal(n->meta, "role=server", 11);
		if (i != 1)
			assert_int_equal(w->count[i][1][MEMBERLIST_UPDATE], 1);
		assert_true(w->got_user[i]);
	}
	assert_int_equal(w->user_deliveries, 16);
	assert_int_equal(memberlist_broadcast_user(s.nodes[3].ml, NULL, 0), CAIRN_E_TOOBIG);
	sim_free(&s);
	free(w);
}

static uint64_t run_trace(uint64_t seed)
{
	struct sim s;
	struct seen *w = calloc(1, sizeof(*w));
	setup(&s, w, 12, seed);
	s.loss = 0.05;
	sim_kill(&s, 3);
	sim_run_for(&s, 40000);
	uint64_t h = w->trace ^ s.packets ^ s.lost << 32;
	sim_free(&s);
	free(w);
	return h;
}

static void test_deterministic(void **state)
{
	(void)state;
	assert_true(run_trace(42) == run_trace(42));
	assert_true(run_trace(42) != run_trace(43));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_join_converges), cmocka_unit_test(test_failure_detection),
	    cmocka_unit_test(test_refutation),	   cmocka_unit_test(test_leave_vs_fail),
	    cmocka_unit_test(test_restart_rejoin), cmocka_unit_test(test_meta_and_user),
	    cmocka_unit_test(test_deterministic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
