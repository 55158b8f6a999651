/*
 * Unit tests: the memberlist core under faults in the simulation (sim.h):
 * a slow-but-alive member under 10% packet loss is never declared dead
 * (Lifeguard's point), and a partition heals (each half first declares the
 * other dead, then a serf-style reconnect loop rejoins them).
 */
#include "sim.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define MAXN 32
struct faults {
	int fails, suspects, alive_again;
	/* serf's view for the reconnect loop: members it saw fail and not rejoin */
	bool failed[MAXN][MAXN];
};

static void record(struct sim *s, int obs, enum memberlist_event ev,
		   const struct memberlist_node *n)
{
	struct faults *f = s->user;
	int subj = atoi(n->name + 1);
	switch (ev) {
	case MEMBERLIST_FAIL:
		f->fails++;
		f->failed[obs][subj] = true;
		break;
	case MEMBERLIST_SUSPECT:
		f->suspects++;
		break;
	case MEMBERLIST_ALIVE:
		f->alive_again++;
		break;
	case MEMBERLIST_JOIN:
		f->failed[obs][subj] = false;
		break;
	default:
		break;
	}
}

static void start(struct sim *s, struct faults *f, int n, uint64_t seed)
{
	memset(f, 0, sizeof(*f));
	sim_init(s, n, seed, NULL);
	s->user = f;
	s->on_event = record;
	sim_join_all(s, 0);
	assert_true(sim_run_while_not(s, s->now + 10000, 100, sim_converged, NULL));
}

/* A member that answers 700ms late (past probe_timeout, within the probe
 * interval) in a 10%-loss network for 5 simulated minutes: it gets suspected
 * now and then (when its late ack is lost, the relays time out and so does
 * the stream fallback), and refutes every time; nobody is ever declared dead.
 * The slow member itself hears acks late, so its health score rises. */
static void test_slow_member_lossy_no_false_positive(void **state)
{
	(void)state;
	struct sim s;
	struct faults *f = calloc(1, sizeof(*f));
	start(&s, f, 24, 11);
	s.loss = 0.10;
	s.nodes[5].slow_ms = 700;
	int max_score = 0;
	for (int t = 0; t < 300; t++) {
		sim_run_for(&s, 1000);
		int sc = memberlist_health_score(s.nodes[5].ml);
		max_score = sc > max_score ? sc : max_score;
	}
	assert_int_equal(f->fails, 0);
	assert_true(f->suspects > 0); /* the scenario did exercise suspicion */
	assert_true(memberlist_stats(s.nodes[5].ml)->refutes > 0);
	assert_true(max_score > 0);
	assert_true(sim_converged(&s, NULL));
	sim_free(&s);
	free(f);
}

/* The same loss without the slow member, for 5 minutes: no deaths either. */
static void test_lossy_no_false_positive(void **state)
{
	(void)state;
	struct sim s;
	struct faults *f = calloc(1, sizeof(*f));
	start(&s, f, 24, 12);
	s.loss = 0.10;
	sim_run_for(&s, 300000);
	assert_int_equal(f->fails, 0);
	assert_true(sim_converged(&s, NULL));
	sim_free(&s);
	free(f);
}

static bool halves_see_dead(struct sim *s, void *arg)
{
	int half = s->n / 2;
	for (int i = 0; i < s->n; i++)
		for (int j = 0; j < s->n; j++) {
			if ((i < half) == (j < half))
				continue;
			int v = sim_view(s, i, j);
			if (v != GSTATE_DEAD && v != -1)
				return false;
		}
	return true;
}

/* serf's reconnect: every interval each node tries to join one member it
 * saw fail (serf: reconnect_interval 30s, one random failed member). */
static void reconnect_round(struct sim *s, struct faults *f)
{
	for (int i = 0; i < s->n; i++) {
		int cand[MAXN], nc = 0;
		for (int j = 0; j < s->n; j++)
			if (f->failed[i][j])
				cand[nc++] = j;
		if (nc)
			sim_join(s, i, cand[sim_splitmix(&s->rng) % (uint64_t)nc]);
	}
}

static void test_partition_heals(void **state)
{
	(void)state;
	struct sim s;
	struct faults *f = calloc(1, sizeof(*f));
	start(&s, f, 12, 13);
	for (int i = 6; i < 12; i++)
		s.nodes[i].group = 1;
	assert_true(sim_run_while_not(&s, s.now + 90000, 100, halves_see_dead, NULL));
	/* each half still sees its own side alive */
	for (int i = 0; i < 12; i++)
		for (int j = 0; j < 12; j++)
			if ((i < 6) == (j < 6))
				assert_int_equal(sim_view(&s, i, j), GSTATE_ALIVE);
	/* heal; without reconnects nothing would cross back once the dead are
	 * reaped (push-pull only picks live members), so run serf's loop */
	for (int i = 6; i < 12; i++)
		s.nodes[i].group = 0;
	bool ok = false;
	for (int round = 0; round < 12 && !ok; round++) {
		reconnect_round(&s, f);
		ok = sim_run_while_not(&s, s.now + 10000, 100, sim_converged, NULL);
	}
	assert_true(ok);
	sim_free(&s);
	free(f);
}

/* Partition healed only after both halves reaped each other: the reconnect
 * join then looks like a brand-new member to the other side. */
static void test_partition_heals_after_reap(void **state)
{
	(void)state;
	struct sim s;
	struct faults *f = calloc(1, sizeof(*f));
	start(&s, f, 10, 14);
	for (int i = 5; i < 10; i++)
		s.nodes[i].group = 1;
	sim_run_for(&s, 120000);
	for (int i = 0; i < 10; i++)
		assert_int_equal(memberlist_count(s.nodes[i].ml), 5);
	for (int i = 5; i < 10; i++)
		s.nodes[i].group = 0;
	bool ok = false;
	for (int round = 0; round < 12 && !ok; round++) {
		reconnect_round(&s, f);
		ok = sim_run_while_not(&s, s.now + 10000, 100, sim_converged, NULL);
	}
	assert_true(ok);
	sim_free(&s);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slow_member_lossy_no_false_positive),
	    cmocka_unit_test(test_lossy_no_false_positive),
	    cmocka_unit_test(test_partition_heals),
	    cmocka_unit_test(test_partition_heals_after_reap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
