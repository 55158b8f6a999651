/*
 * Unit tests: the serf layer on top of the memberlist core, N nodes in the
 * deterministic simulation (sim.h). Each simulated node gets a serf wired to
 * its core's hooks; broadcasts and reconnect joins the serf asks for are
 * queued and run after the core returns (sim's after_step), as a driver
 * does, and the serf timer is ticked there too.
 *
 * Scenarios: join convergence with every member's status; a tag update; a
 * kill is failed everywhere; a graceful leave is left everywhere, never
 * failed; force-leave of a failed member is left everywhere and prune
 * forgets it; force-leave of an alive member is refuted; a partitioned member
 * comes back through reconnect; reaping after the timeouts; a late joiner
 * learns who left through push-pull; user events delivered exactly once,
 * and not replayed to a node that joined ignoring old events.
 * SERF_SIM_SEED=k in the environment runs every scenario on other seeds.
 */
#include "sim.h"

#include "base/err.h"
#include "gossip/serf_int.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define MAXN 12
#define NEV  8 /* user events ev0..ev7 */

struct world;

struct slot {
	struct world *w;
	int i;
	uint64_t rng;
	struct buf pending; /* queued broadcasts: [u16 len][bytes]... */
	bool reconnect;
	struct gaddr reconnect_to;
};

struct world {
	struct sim sim;
	struct serf_config cfg;
	struct serf *sf[MAXN];
	struct slot slots[MAXN];
	int ev[MAXN][MAXN][SERF_EV_REAP + 1]; /* observer, subject, event */
	int got[MAXN][NEV];		      /* user event deliveries */
};

static int node_index(const char *name)
{
	return atoi(name + 1);
}

/* ---- the serf env ---- */

static uint64_t w_rand(void *ud)
{
	return sim_splitmix(&((struct slot *)ud)->rng);
}

static int w_broadcast(void *ud, const uint8_t *data, size_t len)
{
	struct slot *sl = ud;
	uint8_t h[2] = {(uint8_t)(len >> 8), (uint8_t)len};
	buf_append(&sl->pending, h, 2);
	buf_append(&sl->pending, data, len);
	return 0;
}

static void w_reconnect(void *ud, const struct gaddr *addr, const char *name)
{
	struct slot *sl = ud;
	sl->reconnect = true;
	sl->reconnect_to = *addr;
}

static void w_member(void *ud, enum serf_event_type t, const struct serf_member *m)
{
	struct slot *sl = ud;
	int subj = node_index(m->name);
	if (subj >= 0 && subj < MAXN)
		sl->w->ev[sl->i][subj][t]++;
}

static void w_user(void *ud, const struct event *e)
{
	struct slot *sl = ud;
	int k = atoi(e->name + 2);
	if (k >= 0 && k < NEV)
		sl->w->got[sl->i][k]++;
}

/* ---- the sim's hooks ---- */

static void h_event(struct sim *s, int obs, enum memberlist_event ev,
		    const struct memberlist_node *n)
{
	struct world *w = s->user;
	if (w->sf[obs])
		serf_on_notify(w->sf[obs], s->now, ev, n);
}

static bool h_user(struct sim *s, int obs, const uint8_t *data, size_t len)
{
	struct world *w = s->user;
	return w->sf[obs] && serf_on_user_msg(w->sf[obs], s->now, data, len);
}

static void h_local(struct sim *s, int i, bool join, struct buf *out)
{
	struct world *w = s->user;
	if (w->sf[i])
		serf_local_state(w->sf[i], join, out);
}

static void h_merge(struct sim *s, int i, const uint8_t *data, size_t len, bool join)
{
	struct world *w = s->user;
	if (w->sf[i])
		serf_merge_state(w->sf[i], s->now, data, len, join);
}

/* Outside the core: flush serf's broadcasts, run its timer, reconnect. */
static void flush(struct world *w, int i)
{
	struct slot *sl = &w->slots[i];
	struct memberlist *ml = w->sim.nodes[i].ml;
	size_t off = 0;
	while (ml && off + 2 <= sl->pending.len) {
		const uint8_t *p = (const uint8_t *)sl->pending.data + off;
		size_t len = (size_t)p[0] << 8 | p[1];
		memberlist_broadcast_user(ml, p + 2, len);
		off += 2 + len;
	}
	buf_reset(&sl->pending);
	if (w->sf[i] && w->sim.now >= serf_next_deadline(w->sf[i]))
		serf_tick(w->sf[i], w->sim.now);
	if (sl->reconnect && ml) {
		sl->reconnect = false;
		memberlist_join(ml, w->sim.now, &sl->reconnect_to, 1);
	}
}

/* sim_step re-arms the node's timer after this. */
static void h_after(struct sim *s, int i)
{
	flush(s->user, i);
}

/* The same from the test's own calls. */
static void kick(struct world *w, int i)
{
	flush(w, i);
	sim_arm(&w->sim.nodes[i]);
}

/* ---- setup ---- */

static void start_serf(struct world *w, int i)
{
	struct slot *sl = &w->slots[i];
	sl->w = w;
	sl->i = i;
	sl->rng = 77 + (uint64_t)i;
	struct serf_env env = {sl, w_rand, w_broadcast, w_reconnect, w_member, w_user};
	w->sf[i] = serf_new(&w->cfg, &env, w->sim.nodes[i].name, w->sim.now);
	assert_non_null(w->sf[i]);
}

static void stop_serf(struct world *w, int i)
{
	serf_free(w->sf[i]);
	w->sf[i] = NULL;
	buf_reset(&w->slots[i].pending);
	w->slots[i].reconnect = false;
}

/* Kill node i (core and serf), as kill -9. */
static void kill_node(struct world *w, int i)
{
	sim_kill(&w->sim, i);
	stop_serf(w, i);
}

static const struct serf_member *view(const struct world *w, int obs, int subj)
{
	return w->sf[obs] ? serf_find(w->sf[obs], w->sim.nodes[subj].name) : NULL;
}

/* Every running node (other than target, below among when set) sees target
 * with status st (or, with st == SERF_NONE, does not list it). */
struct want {
	int target;
	enum serf_status st;
	int among;
};

static bool all_see(struct sim *s, void *arg)
{
	struct world *w = s->user;
	const struct want *a = arg;
	for (int i = 0; i < (a->among ? a->among : s->n); i++) {
		if (i == a->target || !w->sf[i])
			continue;
		const struct serf_member *m = view(w, i, a->target);
		if (a->st == SERF_NONE ? m != NULL : !m || m->status != a->st)
			return false;
	}
	return true;
}

/* Every running serf lists exactly the running nodes in `among`, all alive. */
static bool converged(struct sim *s, void *arg)
{
	struct world *w = s->user;
	int among = arg ? *(int *)arg : s->n;
	for (int i = 0; i < among; i++) {
		if (!w->sf[i])
			continue;
		for (int j = 0; j < among; j++) {
			const struct serf_member *m = view(w, i, j);
			if (w->sf[j] && (!m || m->status != SERF_ALIVE))
				return false;
		}
	}
	return true;
}

static struct world *setup(int n, uint64_t seed, const struct serf_config *cfg, int join_upto)
{
	struct world *w = calloc(1, sizeof(*w));
	const char *shift = getenv("SERF_SIM_SEED"); /* shake the scenarios by hand */
	if (shift)
		seed += strtoull(shift, NULL, 10) * 1000;
	sim_init(&w->sim, n, seed, NULL);
	if (cfg)
		w->cfg = *cfg;
	else
		serf_config_default(&w->cfg);
	w->sim.user = w;
	w->sim.on_event = h_event;
	w->sim.on_user = h_user;
	w->sim.on_local_state = h_local;
	w->sim.on_merge_state = h_merge;
	w->sim.after_step = h_after;
	for (int i = 0; i < n; i++) {
		start_serf(w, i);
		/* the cores started before their serfs: report self as a driver would */
		serf_on_notify(w->sf[i], 0, MEMBERLIST_JOIN, memberlist_local(w->sim.nodes[i].ml));
	}
	/* past time 0 first: sim_arm takes armed_at 0 for "none", so a second
	 * arm of a node due at 0 (sim_join) would livelock on stale timers */
	sim_run_until(&w->sim, 1);
	for (int i = 1; i < join_upto; i++)
		sim_join(&w->sim, i, 0);
	/* gossip converges in a second or two; a member that missed every copy
	 * of someone's alive learns it at a push-pull (30 s) */
	assert_true(sim_run_while_not(&w->sim, w->sim.now + 120000, 100, converged, &join_upto));
	return w;
}

static void teardown(struct world *w)
{
	for (int i = 0; i < w->sim.n; i++) {
		serf_free(w->sf[i]);
		buf_free(&w->slots[i].pending);
	}
	sim_free(&w->sim);
	free(w);
}

/* Graceful leave of node i: serf first, then the core; then stop it. */
static void leave_node(struct world *w, int i)
{
	assert_int_equal(serf_leave(w->sf[i], w->sim.now), 0);
	kick(w, i); /* the intent goes ahead of the core's left */
	memberlist_leave(w->sim.nodes[i].ml, w->sim.now);
	sim_arm(&w->sim.nodes[i]);
	for (int t = 0; t < 100 && !memberlist_leave_sent(w->sim.nodes[i].ml); t++)
		sim_run_for(&w->sim, 50);
	assert_true(memberlist_leave_sent(w->sim.nodes[i].ml));
	sim_run_for(&w->sim, 500); /* the drain */
	kill_node(w, i);
}

static uint64_t fire(struct world *w, int from, int k)
{
	struct event e;
	uint8_t id[16] = {(uint8_t)k, (uint8_t)from, 0xee};
	char name[8];
	snprintf(name, sizeof(name), "ev%d", k);
	event_set(&e, id, name, "payload", 7, NULL, NULL, NULL);
	e.version = EVENT_VERSION;
	assert_int_equal(serf_user_event(w->sf[from], &e), 0);
	uint64_t ltime = e.ltime;
	event_free(&e);
	kick(w, from);
	return ltime;
}

/* ---- tests ---- */

/* Everyone has n0003's role=consul tag. */
static bool all_tagged(struct sim *s, void *arg)
{
	struct world *w = s->user;
	for (int i = 0; i < s->n; i++) {
		const char *role = tags_get(&view(w, i, 3)->tags, "role");
		if (!role || strcmp(role, "consul") != 0)
			return false;
	}
	return true;
}

static void test_join_statuses(void **state)
{
	(void)state;
	struct world *w = setup(8, 1, NULL, 8);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(serf_count(w->sf[i]), 8);
		assert_int_equal(serf_num_alive(w->sf[i]), 8);
		for (size_t k = 0; k < 8; k++) {
			const struct serf_member *m = serf_at(w->sf[i], k);
			assert_string_equal(m->name, w->sim.nodes[k].name); /* name order */
			assert_int_equal(m->status, SERF_ALIVE);
			assert_true(gaddr_equal(&m->addr, &w->sim.nodes[k].addr));
			if ((int)k != i)
				assert_int_equal(w->ev[i][k][SERF_EV_JOIN], 1);
		}
	}
	/* a tag change reaches everyone as an update */
	struct tags t = TAGS_INIT;
	tags_set(&t, "role", "consul");
	uint8_t meta[TAGS_META_MAX];
	size_t len;
	assert_int_equal(tags_encode(&t, meta, sizeof(meta), &len, NULL), 0);
	tags_free(&t);
	memberlist_set_meta(w->sim.nodes[3].ml, w->sim.now, meta, len);
	sim_arm(&w->sim.nodes[3]);
	/* gossip, or a push-pull for a member that missed every copy */
	assert_true(sim_run_while_not(&w->sim, w->sim.now + 120000, 100, all_tagged, NULL));
	for (int i = 0; i < 8; i++) {
		const char *role = tags_get(&view(w, i, 3)->tags, "role");
		assert_non_null(role);
		assert_string_equal(role, "consul");
		assert_int_equal(w->ev[i][3][SERF_EV_UPDATE], 1);
	}
	teardown(w);
}

static void test_kill_failed(void **state)
{
	(void)state;
	struct world *w = setup(8, 2, NULL, 8);
	kill_node(w, 5);
	struct want a = {5, SERF_FAILED, 0};
	assert_true(sim_run_while_not(&w->sim, w->sim.now + 60000, 100, all_see, &a));
	/* the core reaps it after 30 s; serf keeps it failed (reconnect) */
	sim_run_for(&w->sim, 40000);
	assert_true(all_see(&w->sim, &a));
	for (int i = 0; i < 8; i++) {
		if (i == 5)
			continue;
		assert_int_equal(w->ev[i][5][SERF_EV_FAILED], 1);
		assert_int_equal(w->ev[i][5][SERF_EV_LEAVE], 0);
		assert_int_equal(serf_num_alive(w->sf[i]), 7);
	}
	teardown(w);
}

static void test_graceful_leave(void **state)
{
	(void)state;
	struct world *w = setup(8, 3, NULL, 8);
	leave_node(w, 2);
	struct want a = {2, SERF_LEFT, 0};
	assert_true(sim_run_while_not(&w->sim, w->sim.now + 30000, 100, all_see, &a));
	sim_run_for(&w->sim, 40000);
	assert_true(all_see(&w->sim, &a));
	for (int i = 0; i < 8; i++) {
		if (i == 2)
			continue;
		assert_int_equal(w->ev[i][2][SERF_EV_LEAVE], 1);
		assert_int_equal(w->ev[i][2][SERF_EV_FAILED], 0);
	}
	teardown(w);
}

static void test_force_leave_failed_then_prune(void **state)
{
	(void)state;
	struct world *w = setup(8, 4, NULL, 8);
	kill_node(w, 6);
	struct want a = {6, SERF_FAILED, 0};
	assert_true(sim_run_while_not(&w->sim, w->sim.now + 60000, 100, all_see, &a));
	assert_int_equal(serf_force_leave(w->sf[0], w->sim.now, "n0006", false), 0);
	assert_int_equal(serf_force_leave(w->sf[0], w->sim.now, "n9999", false), CAIRN_E_NOTFOUND);
	kick(w, 0);
	a.st = SERF_LEFT;
	assert_true(sim_run_while_not(&w->sim, w->sim.now + 120000, 50, all_see, &a));
	for (int i = 0; i < 8; i++)
		if (i != 6)
			assert_int_equal(w->ev[i][6][SERF_EV_LEAVE], 1);
	/* prune: forgotten everywhere */
	assert_int_equal(serf_force_leave(w->sf[3], w->sim.now, "n0006", true), 0);
	kick(w, 3);
	a.st = SERF_NONE;
	assert_true(sim_run_while_not(&w->sim, w->sim.now + 120000, 50, all_see, &a));
	for (int i = 0; i < 8; i++)
		if (i != 6)
			assert_int_equal(w->ev[i][6][SERF_EV_REAP], 1);
	teardown(w);
}

static void test_force_leave_alive_refuted(void **state)
{
	(void)state;
	struct world *w = setup(8, 5, NULL, 8);
	assert_int_equal(serf_force_leave(w->sf[0], w->sim.now, "n0003", false), 0);
	uint64_t stamp = view(w, 0, 3)->status_ltime;
	assert_int_equal(view(w, 0, 3)->status, SERF_LEAVING);
	kick(w, 0);
	/* gossip reaches it, or (if every copy missed it) push-pull does */
	struct want a = {3, SERF_ALIVE, 0};
	assert_true(sim_run_while_not(&w->sim, w->sim.now + 120000, 100, all_see, &a));
	/* node 0 applied the leave, so it was the refuting join that undid it */
	assert_true(view(w, 0, 3)->status_ltime > stamp);
	assert_true(view(w, 3, 3)->status_ltime > stamp);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(view(w, i, 3)->status, SERF_ALIVE);
		assert_int_equal(w->ev[i][3][SERF_EV_LEAVE], 0);
		assert_int_equal(w->ev[i][3][SERF_EV_FAILED], 0);
	}
	teardown(w);
}

static void test_reconnect_after_partition(void **state)
{
	(void)state;
	struct serf_config c;
	serf_config_default(&c);
	c.reconnect_interval = 5000;
	struct world *w = setup(6, 6, &c, 6);
	w->sim.nodes[4].group = 1;
	struct want a = {4, SERF_FAILED, 0};
	assert_true(sim_run_while_not(&w->sim, w->sim.now + 60000, 100, all_see, &a));
	/* long enough for the cores to forget each other */
	sim_run_for(&w->sim, 45000);
	assert_null(memberlist_find(w->sim.nodes[0].ml, "n0004"));
	assert_int_equal(view(w, 0, 4)->status, SERF_FAILED);
	w->sim.nodes[4].group = 0;
	assert_true(sim_run_while_not(&w->sim, w->sim.now + 60000, 100, converged, NULL));
	/* everyone saw n0004 fail and come back; n0004, alone with a Lifeguard
	 * health score at its worst, may not have got round to failing all */
	for (int i = 0; i < 6; i++)
		if (i != 4) {
			assert_int_equal(w->ev[i][4][SERF_EV_FAILED], 1);
			assert_int_equal(w->ev[i][4][SERF_EV_JOIN], 2);
			assert_int_equal(w->ev[4][i][SERF_EV_JOIN],
					 1 + w->ev[4][i][SERF_EV_FAILED]);
		}
	teardown(w);
}

/* Earliest and latest status change of subj among the running serfs. */
static void since_range(const struct world *w, int subj, uint64_t *lo, uint64_t *hi)
{
	*lo = UINT64_MAX;
	*hi = 0;
	for (int i = 0; i < w->sim.n; i++) {
		const struct serf_member *m = view(w, i, subj);
		if (!m)
			continue;
		*lo = m->since < *lo ? m->since : *lo;
		*hi = m->since > *hi ? m->since : *hi;
	}
}

static void test_reap_after_timeouts(void **state)
{
	(void)state;
	struct serf_config c;
	serf_config_default(&c);
	c.reconnect_timeout = 60000;
	c.tombstone_timeout = 120000;
	c.reap_interval = 5000;
	struct world *w = setup(6, 7, &c, 6);
	kill_node(w, 1);
	leave_node(w, 2);
	struct want f = {1, SERF_FAILED, 0}, l = {2, SERF_LEFT, 0};
	assert_true(sim_run_while_not(&w->sim, w->sim.now + 60000, 100, all_see, &f));
	assert_true(all_see(&w->sim, &l));
	uint64_t lo, hi;
	since_range(w, 1, &lo, &hi);
	/* failed reaped after reconnect_timeout (+ a reap interval at most) */
	sim_run_until(&w->sim, lo + 60000);
	assert_true(all_see(&w->sim, &f));
	sim_run_until(&w->sim, hi + 60000 + 5000 + 1);
	f.st = SERF_NONE;
	assert_true(all_see(&w->sim, &f));
	assert_true(all_see(&w->sim, &l)); /* left members last longer */
	since_range(w, 2, &lo, &hi);
	sim_run_until(&w->sim, lo + 120000);
	assert_true(all_see(&w->sim, &l));
	sim_run_until(&w->sim, hi + 120000 + 5000 + 1);
	l.st = SERF_NONE;
	assert_true(all_see(&w->sim, &l));
	for (int i = 3; i < 6; i++) {
		assert_int_equal(w->ev[i][1][SERF_EV_REAP], 1);
		assert_int_equal(w->ev[i][2][SERF_EV_REAP], 1);
	}
	teardown(w);
}

static void test_late_joiner_learns_left(void **state)
{
	(void)state;
	struct world *w = setup(8, 8, NULL, 7); /* n0007 stays out */
	leave_node(w, 4);
	struct want a = {4, SERF_LEFT, 7};
	assert_true(sim_run_while_not(&w->sim, w->sim.now + 30000, 100, all_see, &a));
	sim_run_for(&w->sim, 5000);
	uint64_t stamp = view(w, 0, 4)->status_ltime;
	assert_true(stamp > 0);
	sim_join(&w->sim, 7, 0);
	sim_run_for(&w->sim, 3000);
	for (int j = 0; j < 8; j++)
		if (j != 4)
			assert_int_equal(view(w, 7, j)->status, SERF_ALIVE);
	/* its core never heard of n0004 alive; push-pull carried the leave */
	assert_null(view(w, 7, 4));
	assert_true(serf_member_clock(w->sf[7]) > stamp);
	const struct sintent *it = intent_find(w->sf[7], "n0004");
	assert_non_null(it);
	assert_int_equal(it->kind, SERF_WIRE_LEAVE);
	assert_true(it->ltime == stamp);
	/* so a late rumour of it alive cannot bring it back as alive */
	struct memberlist_node rumour = {.name = "n0004", .addr = w->sim.nodes[4].addr};
	serf_on_notify(w->sf[7], w->sim.now, MEMBERLIST_JOIN, &rumour);
	assert_int_equal(view(w, 7, 4)->status, SERF_LEAVING);
	teardown(w);
}

/* Nodes below n got every event in [from, to) at least once. */
struct got_arg {
	int n, from, to;
};

static bool all_got(struct sim *s, void *arg)
{
	struct world *w = s->user;
	const struct got_arg *g = arg;
	for (int i = 0; i < g->n; i++)
		for (int k = g->from; k < g->to; k++)
			if (!w->got[i][k])
				return false;
	return true;
}

static void test_user_events_once(void **state)
{
	(void)state;
	struct world *w = setup(8, 9, NULL, 7); /* n0007 joins later */
	fire(w, 0, 0);
	sim_run_for(&w->sim, 30);
	fire(w, 3, 1);
	fire(w, 5, 2);
	/* gossip, or for a member that missed every copy, push-pull */
	struct got_arg g = {7, 0, 3};
	assert_true(sim_run_while_not(&w->sim, w->sim.now + 120000, 100, all_got, &g));
	sim_run_for(&w->sim, 60000);
	for (int i = 0; i < 7; i++)
		for (int k = 0; k < 3; k++)
			assert_int_equal(w->got[i][k], 1);
	/* a fresh event still spreading when n0007 joins, ignoring old events */
	uint64_t lt3 = fire(w, 0, 3);
	sim_run_for(&w->sim, 50);
	serf_ignore_old_events(w->sf[7]);
	sim_join(&w->sim, 7, 0);
	sim_run_for(&w->sim, 90000); /* gossip and push-pulls carrying ev3 */
	assert_true(converged(&w->sim, NULL));
	assert_true(w->sf[7]->dedupe.min_time > lt3);
	for (int i = 0; i < 7; i++)
		assert_int_equal(w->got[i][3], 1);
	for (int k = 0; k < 4; k++)
		assert_int_equal(w->got[7][k], 0);
	/* events after the join reach it, once */
	fire(w, 2, 4);
	fire(w, 7, 5);
	struct got_arg g2 = {8, 4, 6};
	assert_true(sim_run_while_not(&w->sim, w->sim.now + 120000, 100, all_got, &g2));
	sim_run_for(&w->sim, 60000);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(w->got[i][4], 1);
		assert_int_equal(w->got[i][5], 1);
	}
	teardown(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_join_statuses),
	    cmocka_unit_test(test_kill_failed),
	    cmocka_unit_test(test_graceful_leave),
	    cmocka_unit_test(test_force_leave_failed_then_prune),
	    cmocka_unit_test(test_force_leave_alive_refuted),
	    cmocka_unit_test(test_reconnect_after_partition),
	    cmocka_unit_test(test_reap_after_timeouts),
	    cmocka_unit_test(test_late_joiner_learns_left),
	    cmocka_unit_test(test_user_events_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
