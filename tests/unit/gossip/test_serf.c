/*
 * Unit tests: one serf object driven by hand (no network): the core's
 * notifications and the statuses they produce, intents (kept for unknown
 * members, dedupe, old stamps, refutation of a leave about ourselves),
 * force-leave and prune, user events and their clock, ignoring old events on
 * join, the push-pull blob, and the reconnect and reap timers. The whole
 * cluster in the simulation is test_serf_sim.c.
 */
#include "gossip/serf_int.h"

#include "base/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* What the env saw. */
struct rec {
	uint64_t rng;
	int events[SERF_EV_REAP + 1];
	char last_name[GOSSIP_NAME_MAX + 1];
	enum serf_status last_status;
	struct buf bcast[16]; /* broadcasts, in order */
	int nbcast;
	int user_events;
	uint64_t last_user_ltime;
	int reconnects;
	char reconnect_name[GOSSIP_NAME_MAX + 1];
};

static uint64_t r_rand(void *ud)
{
	struct rec *r = ud;
	return r->rng++;
}

static int r_broadcast(void *ud, const uint8_t *data, size_t len)
{
	struct rec *r = ud;
	assert_true(r->nbcast < 16);
	buf_append(&r->bcast[r->nbcast++], data, len);
	return 0;
}

static void r_reconnect(void *ud, const struct gaddr *addr, const char *name)
{
	struct rec *r = ud;
	r->reconnects++;
	snprintf(r->reconnect_name, sizeof(r->reconnect_name), "%s", name);
}

static void r_member(void *ud, enum serf_event_type t, const struct serf_member *m)
{
	struct rec *r = ud;
	r->events[t]++;
	snprintf(r->last_name, sizeof(r->last_name), "%s", m->name);
	r->last_status = m->status;
}

static void r_user(void *ud, const struct event *e)
{
	struct rec *r = ud;
	r->user_events++;
	r->last_user_ltime = e->ltime;
}

static struct serf *mk(struct rec *r, const struct serf_config *cfg)
{
	memset(r, 0, sizeof(*r));
	struct serf_env env = {r, r_rand, r_broadcast, r_reconnect, r_member, r_user};
	struct serf_config def;
	serf_config_default(&def);
	return serf_new(cfg ? cfg : &def, &env, "self", 1000);
}

static void done(struct serf *s, struct rec *r)
{
	serf_free(s);
	for (int i = 0; i < 16; i++)
		buf_free(&r->bcast[i]);
}

static void reset(struct rec *r)
{
	memset(r->events, 0, sizeof(r->events));
	for (int i = 0; i < r->nbcast; i++)
		buf_reset(&r->bcast[i]);
	r->nbcast = 0;
}

static struct memberlist_node node(const char *name, int ip)
{
	struct memberlist_node n = {.name = name, .state = GSTATE_ALIVE};
	n.addr.family = 4;
	n.addr.ip[0] = 10;
	n.addr.ip[3] = (uint8_t)ip;
	n.addr.port = 8301;
	return n;
}

static void notify(struct serf *s, uint64_t now, enum memberlist_event ev, const char *name)
{
	struct memberlist_node n = node(name, name[strlen(name) - 1]);
	serf_on_notify(s, now, ev, &n);
}

static bool intent(struct serf *s, uint64_t now, uint8_t kind, const char *name, uint64_t lt,
		   bool prune)
{
	struct serf_intent in = {.kind = kind, .prune = prune, .ltime = lt};
	snprintf(in.name, sizeof(in.name), "%s", name);
	uint8_t b[SERF_INTENT_MAX];
	size_t len;
	assert_int_equal(serf_intent_encode(&in, b, sizeof(b), &len), 0);
	return serf_on_user_msg(s, now, b, len);
}

static enum serf_status status(const struct serf *s, const char *name)
{
	const struct serf_member *m = serf_find(s, name);
	return m ? m->status : SERF_NONE;
}

static void test_notify_statuses(void **state)
{
	(void)state;
	struct rec r;
	struct serf *s = mk(&r, NULL);
	assert_non_null(s);
	assert_null(serf_new(&(struct serf_config){0}, &(struct serf_env){0}, "", 0));
	/* self from the start, address unknown until the core reports it */
	assert_int_equal(serf_count(s), 1);
	assert_int_equal(status(s, "self"), SERF_ALIVE);
	assert_int_equal(serf_find(s, "self")->addr.family, 0);
	notify(s, 1000, MEMBERLIST_JOIN, "self");
	assert_int_equal(serf_find(s, "self")->addr.family, 4);
	assert_int_equal(r.events[SERF_EV_JOIN], 1);

	/* tags decode from meta; bad meta leaves them empty */
	struct tags t = TAGS_INIT;
	tags_set(&t, "role", "consul");
	uint8_t meta[TAGS_META_MAX];
	size_t mlen;
	assert_int_equal(tags_encode(&t, meta, sizeof(meta), &mlen, NULL), 0);
	struct memberlist_node n = node("n1", 1);
	n.meta = meta;
	n.meta_len = (uint16_t)mlen;
	serf_on_notify(s, 2000, MEMBERLIST_JOIN, &n);
	assert_int_equal(status(s, "n1"), SERF_ALIVE);
	assert_string_equal(tags_get(&serf_find(s, "n1")->tags, "role"), "consul");
	assert_int_equal(r.events[SERF_EV_JOIN], 2);
	n.meta = (const uint8_t *)"junk";
	n.meta_len = 4;
	n.addr.ip[3] = 99;
	serf_on_notify(s, 2100, MEMBERLIST_UPDATE, &n);
	assert_int_equal(r.events[SERF_EV_UPDATE], 1);
	assert_int_equal(serf_find(s, "n1")->tags.n, 0);
	assert_int_equal(serf_find(s, "n1")->addr.ip[3], 99);
	tags_free(&t);

	/* suspect/alive are the core's business */
	notify(s, 2200, MEMBERLIST_SUSPECT, "n1");
	notify(s, 2300, MEMBERLIST_ALIVE, "n1");
	assert_int_equal(status(s, "n1"), SERF_ALIVE);
	/* fail -> failed; reap keeps it; back -> alive */
	notify(s, 3000, MEMBERLIST_FAIL, "n1");
	assert_int_equal(status(s, "n1"), SERF_FAILED);
	assert_true(serf_find(s, "n1")->since == 3000);
	assert_int_equal(r.events[SERF_EV_FAILED], 1);
	notify(s, 3500, MEMBERLIST_REAP, "n1");
	assert_int_equal(status(s, "n1"), SERF_FAILED);
	notify(s, 4000, MEMBERLIST_JOIN, "n1");
	assert_int_equal(status(s, "n1"), SERF_ALIVE);
	assert_int_equal(r.events[SERF_EV_JOIN], 3);
	/* leave -> left; a later fail changes nothing */
	notify(s, 5000, MEMBERLIST_LEAVE, "n1");
	assert_int_equal(status(s, "n1"), SERF_LEFT);
	assert_int_equal(r.events[SERF_EV_LEAVE], 1);
	notify(s, 5100, MEMBERLIST_FAIL, "n1");
	assert_int_equal(status(s, "n1"), SERF_LEFT);
	assert_int_equal(r.events[SERF_EV_FAILED], 1);
	/* unknown members in non-join notifications are ignored */
	notify(s, 5200, MEMBERLIST_FAIL, "n7");
	assert_null(serf_find(s, "n7"));
	/* name order, counts, names of statuses */
	notify(s, 6000, MEMBERLIST_JOIN, "a2");
	assert_string_equal(serf_at(s, 0)->name, "a2");
	assert_string_equal(serf_at(s, 1)->name, "n1");
	assert_string_equal(serf_at(s, 2)->name, "self");
	assert_null(serf_at(s, 3));
	assert_int_equal(serf_num_alive(s), 2);
	assert_string_equal(serf_status_name(SERF_LEFT), "left");
	assert_string_equal(serf_status_name(SERF_LEAVING), "leaving");
	assert_string_equal(serf_status_name((enum serf_status)42), "none");
	done(s, &r);
}

static void test_intents(void **state)
{
	(void)state;
	struct rec r;
	struct serf *s = mk(&r, NULL);
	/* an unknown member's intent is kept: new once, then a duplicate */
	assert_true(intent(s, 1000, SERF_WIRE_LEAVE, "x", 5, false));
	assert_false(intent(s, 1000, SERF_WIRE_LEAVE, "x", 5, false));
	assert_false(intent(s, 1000, SERF_WIRE_JOIN, "x", 4, false));
	assert_true(serf_member_clock(s) == 6);
	/* it joins: the kept leave makes it leaving */
	notify(s, 2000, MEMBERLIST_JOIN, "x");
	assert_int_equal(status(s, "x"), SERF_LEAVING);
	assert_true(serf_find(s, "x")->status_ltime == 5);
	assert_int_equal(r.events[SERF_EV_JOIN], 1);
	/* a newer join cancels it; older or equal intents are ignored */
	assert_true(intent(s, 2100, SERF_WIRE_JOIN, "x", 6, false));
	assert_int_equal(status(s, "x"), SERF_ALIVE);
	assert_false(intent(s, 2100, SERF_WIRE_JOIN, "x", 6, false));
	assert_false(intent(s, 2100, SERF_WIRE_LEAVE, "x", 6, false));
	assert_int_equal(status(s, "x"), SERF_ALIVE);
	/* a leave for an alive member: leaving; the core's fail then means left */
	assert_true(intent(s, 2200, SERF_WIRE_LEAVE, "x", 8, false));
	assert_int_equal(status(s, "x"), SERF_LEAVING);
	notify(s, 2300, MEMBERLIST_FAIL, "x");
	assert_int_equal(status(s, "x"), SERF_LEFT);
	assert_int_equal(r.events[SERF_EV_LEAVE], 1);
	assert_int_equal(r.events[SERF_EV_FAILED], 0);
	/* a kept join only raises the stamp */
	assert_true(intent(s, 2400, SERF_WIRE_JOIN, "y", 20, false));
	notify(s, 2500, MEMBERLIST_JOIN, "y");
	assert_int_equal(status(s, "y"), SERF_ALIVE);
	assert_true(serf_find(s, "y")->status_ltime == 20);
	/* kept intents expire after recent_intent_timeout (on the reap timer) */
	assert_true(intent(s, 3000, SERF_WIRE_LEAVE, "z", 30, false));
	serf_tick(s, 3000 + 5 * 60 * 1000 + 1);
	notify(s, 400000, MEMBERLIST_JOIN, "z");
	assert_int_equal(status(s, "z"), SERF_ALIVE);
	/* garbage and other kinds are not ours to spread */
	assert_false(serf_on_user_msg(s, 1, (const uint8_t *)"", 0));
	assert_false(serf_on_user_msg(s, 1, (const uint8_t *)"Qxyz", 4));
	assert_false(serf_on_user_msg(s, 1, (const uint8_t *)"Lxyz", 4));
	assert_false(serf_on_user_msg(s, 1, (const uint8_t *)"Exyz", 4));
	done(s, &r);
}

static void test_refute(void **state)
{
	(void)state;
	struct rec r;
	struct serf *s = mk(&r, NULL);
	/* a leave about us while we run: refuted by a newer join, not spread */
	assert_false(intent(s, 1000, SERF_WIRE_LEAVE, "self", 10, false));
	assert_int_equal(status(s, "self"), SERF_ALIVE);
	assert_int_equal(r.nbcast, 1);
	struct serf_intent j;
	assert_int_equal(serf_intent_decode((const uint8_t *)r.bcast[0].data, r.bcast[0].len, &j),
			 0);
	assert_int_equal(j.kind, SERF_WIRE_JOIN);
	assert_string_equal(j.name, "self");
	assert_true(j.ltime == 11);
	assert_true(serf_find(s, "self")->status_ltime == 11);
	assert_true(serf_member_clock(s) == 12);
	/* our own leave: leaving, the core's leave then left */
	reset(&r);
	assert_int_equal(serf_leave(s, 2000), 0);
	assert_int_equal(status(s, "self"), SERF_LEAVING);
	assert_int_equal(r.nbcast, 1);
	struct serf_intent l;
	assert_int_equal(serf_intent_decode((const uint8_t *)r.bcast[0].data, r.bcast[0].len, &l),
			 0);
	assert_int_equal(l.kind, SERF_WIRE_LEAVE);
	assert_true(l.ltime == 12);
	assert_int_equal(serf_leave(s, 2000), 0); /* once */
	assert_int_equal(r.nbcast, 1);
	/* now a leave about us is no longer refuted */
	assert_true(intent(s, 2100, SERF_WIRE_LEAVE, "self", 40, false));
	assert_int_equal(r.nbcast, 1);
	notify(s, 2200, MEMBERLIST_LEAVE, "self");
	assert_int_equal(status(s, "self"), SERF_LEFT);
	/* self is never reaped */
	serf_tick(s, UINT64_MAX / 2);
	assert_non_null(serf_find(s, "self"));
	done(s, &r);
}

static void test_force_leave_prune(void **state)
{
	(void)state;
	struct rec r;
	struct serf *s = mk(&r, NULL);
	assert_int_equal(serf_force_leave(s, 1000, "nobody", false), CAIRN_E_NOTFOUND);
	notify(s, 1000, MEMBERLIST_JOIN, "f1");
	notify(s, 1000, MEMBERLIST_JOIN, "f2");
	notify(s, 1000, MEMBERLIST_JOIN, "a3");
	notify(s, 2000, MEMBERLIST_FAIL, "f1");
	notify(s, 2000, MEMBERLIST_FAIL, "f2");
	reset(&r);
	/* failed -> left, broadcast */
	assert_int_equal(serf_force_leave(s, 3000, "f1", false), 0);
	assert_int_equal(status(s, "f1"), SERF_LEFT);
	assert_int_equal(r.events[SERF_EV_LEAVE], 1);
	assert_int_equal(r.nbcast, 1);
	/* prune of a left member: forgotten */
	assert_int_equal(serf_force_leave(s, 3100, "f1", true), 0);
	assert_null(serf_find(s, "f1"));
	assert_int_equal(r.events[SERF_EV_REAP], 1);
	/* prune of a failed member: left, then forgotten */
	assert_int_equal(serf_force_leave(s, 3200, "f2", true), 0);
	assert_null(serf_find(s, "f2"));
	assert_int_equal(r.events[SERF_EV_LEAVE], 2);
	assert_int_equal(r.events[SERF_EV_REAP], 2);
	struct serf_intent in;
	assert_int_equal(serf_intent_decode((const uint8_t *)r.bcast[2].data, r.bcast[2].len, &in),
			 0);
	assert_true(in.prune);
	/* an alive member: leaving (it refutes, or it goes: prune once left) */
	assert_int_equal(serf_force_leave(s, 3300, "a3", true), 0);
	assert_int_equal(status(s, "a3"), SERF_LEAVING);
	notify(s, 3400, MEMBERLIST_FAIL, "a3");
	assert_null(serf_find(s, "a3"));
	assert_int_equal(r.events[SERF_EV_REAP], 3);
	done(s, &r);
}

static void encode_event(struct event *e, uint8_t tag, uint64_t ltime, struct buf *out)
{
	uint8_t id[16] = {tag};
	event_set(e, id, "deploy", "x", 1, NULL, NULL, NULL);
	e->version = EVENT_VERSION;
	e->ltime = ltime;
	assert_int_equal(event_encode(e, out, NULL), 0);
}

static void test_user_events(void **state)
{
	(void)state;
	struct rec r;
	struct serf *s = mk(&r, NULL);
	struct event e;
	struct buf b = BUF_INIT;
	/* firing stamps the current clock, then increments; delivered once */
	encode_event(&e, 1, 999, &b);
	assert_int_equal(serf_user_event(s, &e), 0);
	assert_true(e.ltime == 1); /* clocks start at 1, as serf's */
	assert_true(serf_event_clock(s) == 2);
	assert_int_equal(r.user_events, 1);
	assert_int_equal(r.nbcast, 1);
	assert_false(serf_on_user_msg(s, 1, (const uint8_t *)r.bcast[0].data, r.bcast[0].len));
	assert_int_equal(r.user_events, 1);
	event_free(&e);
	/* a peer's event: new once */
	buf_reset(&b);
	encode_event(&e, 2, 5, &b);
	assert_true(serf_on_user_msg(s, 1, (const uint8_t *)b.data, b.len));
	assert_false(serf_on_user_msg(s, 1, (const uint8_t *)b.data, b.len));
	assert_int_equal(r.user_events, 2);
	assert_true(r.last_user_ltime == 5);
	assert_true(serf_event_clock(s) == 6);
	event_free(&e);
	/* too large: refused, clock unchanged */
	char big[700];
	memset(big, 'p', sizeof(big));
	uint8_t id[16] = {3};
	event_set(&e, id, "big", big, sizeof(big), NULL, NULL, NULL);
	assert_int_equal(serf_user_event(s, &e), CAIRN_E_TOOBIG);
	assert_true(serf_event_clock(s) == 6);
	event_free(&e);
	/* a restart's clocks only move forward */
	serf_restore_clocks(s, 50, 3);
	assert_true(serf_member_clock(s) == 51);
	assert_true(serf_event_clock(s) == 6);
	buf_free(&b);
	done(s, &r);
}

static void blob(struct buf *out, uint64_t clock, uint64_t eclock, const char *left, uint64_t lt)
{
	buf_reset(out);
	serf_state_begin(out, clock, eclock);
	size_t sec = serf_state_section(out);
	if (left)
		serf_state_add(out, sec, lt, left);
	serf_state_section(out);
	serf_state_section(out);
}

static void test_ignore_old_on_join(void **state)
{
	(void)state;
	struct rec r;
	struct serf *s = mk(&r, NULL);
	struct event e;
	struct buf b = BUF_INIT, ev = BUF_INIT;
	encode_event(&e, 1, 2, &ev);
	event_free(&e);
	assert_true(serf_on_user_msg(s, 1, (const uint8_t *)ev.data, ev.len)); /* clock 3 */
	serf_ignore_old_events(s);
	buf_reset(&ev);
	encode_event(&e, 2, 2, &ev);
	event_free(&e);
	assert_false(serf_on_user_msg(s, 1, (const uint8_t *)ev.data, ev.len));
	/* our join goes out, its answer sets the minimum to the peer's clock */
	serf_local_state(s, true, &b);
	blob(&b, 40, 10, NULL, 0);
	reset(&r);
	serf_merge_state(s, 1, (const uint8_t *)b.data, b.len, true);
	assert_true(serf_event_clock(s) == 10);
	assert_true(serf_member_clock(s) == 41);
	assert_true(s->dedupe.min_time == 10);
	buf_reset(&ev);
	encode_event(&e, 3, 9, &ev);
	event_free(&e);
	assert_false(serf_on_user_msg(s, 1, (const uint8_t *)ev.data, ev.len));
	buf_reset(&ev);
	encode_event(&e, 4, 10, &ev);
	event_free(&e);
	assert_true(serf_on_user_msg(s, 1, (const uint8_t *)ev.data, ev.len));
	/* and a join intent for us, stamped after the peer's clock */
	assert_int_equal(r.nbcast, 1);
	struct serf_intent j;
	assert_int_equal(serf_intent_decode((const uint8_t *)r.bcast[0].data, r.bcast[0].len, &j),
			 0);
	assert_int_equal(j.kind, SERF_WIRE_JOIN);
	assert_true(j.ltime == 40);
	/* a later merge with join set (someone joining us) changes neither */
	blob(&b, 80, 70, NULL, 0);
	serf_merge_state(s, 1, (const uint8_t *)b.data, b.len, true);
	assert_int_equal(r.nbcast, 1);
	assert_true(s->dedupe.min_time == 10);
	buf_free(&b);
	buf_free(&ev);
	done(s, &r);
}

static void test_push_pull_state(void **state)
{
	(void)state;
	struct rec r;
	struct serf *s = mk(&r, NULL);
	struct buf b = BUF_INIT;
	notify(s, 1000, MEMBERLIST_JOIN, "l1");
	notify(s, 1000, MEMBERLIST_JOIN, "f2");
	notify(s, 1000, MEMBERLIST_JOIN, "a3");
	assert_true(intent(s, 1000, SERF_WIRE_LEAVE, "l1", 7, false));
	notify(s, 1100, MEMBERLIST_LEAVE, "l1");
	notify(s, 1100, MEMBERLIST_FAIL, "f2");
	/* ours: clocks and the left members only */
	serf_local_state(s, false, &b);
	struct serf_state st;
	assert_int_equal(serf_state_decode((const uint8_t *)b.data, b.len, &st), 0);
	assert_true(st.clock == 8);
	assert_int_equal(st.left.n, 1);
	size_t cur = 0;
	uint64_t lt;
	char name[GOSSIP_NAME_MAX + 1];
	assert_true(serf_state_next(&st.left, &cur, &lt, name));
	assert_string_equal(name, "l1");
	assert_true(lt == 7);
	/* the others' stamps: only members that have one (a3 and f2 do not) */
	assert_int_equal(st.stamps.n, 0);
	assert_true(intent(s, 1200, SERF_WIRE_JOIN, "a3", 8, false));
	buf_reset(&b);
	serf_local_state(s, false, &b);
	assert_int_equal(serf_state_decode((const uint8_t *)b.data, b.len, &st), 0);
	cur = 0;
	assert_true(serf_state_next(&st.stamps, &cur, &lt, name));
	assert_string_equal(name, "a3");
	assert_true(lt == 8);
	assert_false(serf_state_next(&st.stamps, &cur, &lt, name));
	/* a peer's stamp for a member we list leaving: a newer join undoes it */
	assert_true(intent(s, 1300, SERF_WIRE_LEAVE, "a3", 9, false));
	assert_int_equal(status(s, "a3"), SERF_LEAVING);
	buf_reset(&b);
	serf_state_begin(&b, 0, 0);
	serf_state_section(&b);
	size_t sec = serf_state_section(&b);
	serf_state_add(&b, sec, 10, "a3");
	serf_state_section(&b);
	serf_merge_state(s, 1400, (const uint8_t *)b.data, b.len, false);
	assert_int_equal(status(s, "a3"), SERF_ALIVE);
	assert_true(serf_find(s, "a3")->status_ltime == 10);
	buf_reset(&b);
	/* a peer's: our failed member is left there, an unknown one is kept */
	blob(&b, 100, 0, "f2", 60);
	serf_merge_state(s, 2000, (const uint8_t *)b.data, b.len, false);
	assert_int_equal(status(s, "f2"), SERF_LEFT);
	assert_int_equal(r.events[SERF_EV_LEAVE], 2);
	assert_true(serf_member_clock(s) == 100);
	blob(&b, 0, 0, "ghost", 61);
	serf_merge_state(s, 2000, (const uint8_t *)b.data, b.len, false);
	assert_null(serf_find(s, "ghost"));
	notify(s, 2100, MEMBERLIST_JOIN, "ghost");
	assert_int_equal(status(s, "ghost"), SERF_LEAVING);
	/* a blob that does not decode changes nothing */
	blob(&b, 5000, 5000, "a3", 999);
	b.data[1] = 2;
	serf_merge_state(s, 2000, (const uint8_t *)b.data, b.len, false);
	assert_true(serf_member_clock(s) == 100);
	assert_int_equal(status(s, "a3"), SERF_ALIVE);
	buf_free(&b);
	done(s, &r);
}

static void test_timers(void **state)
{
	(void)state;
	struct serf_config c = {.reconnect_interval = 1000,
				.reconnect_timeout = 10000,
				.tombstone_timeout = 20000,
				.reap_interval = 1000,
				.recent_intent_timeout = 5000};
	struct rec r;
	struct serf *s = mk(&r, &c);
	assert_true(serf_next_deadline(s) == 2000);
	notify(s, 1000, MEMBERLIST_JOIN, "f1");
	notify(s, 1000, MEMBERLIST_JOIN, "f2");
	notify(s, 1000, MEMBERLIST_JOIN, "l3");
	/* no failed member: no reconnect */
	serf_tick(s, 2000);
	assert_int_equal(r.reconnects, 0);
	assert_true(serf_next_deadline(s) == 3000);
	notify(s, 2000, MEMBERLIST_FAIL, "f1");
	notify(s, 2500, MEMBERLIST_FAIL, "f2");
	notify(s, 2000, MEMBERLIST_LEAVE, "l3");
	/* a random failed member: rand 0 -> f1, rand 1 -> f2 */
	serf_tick(s, 3000);
	assert_int_equal(r.reconnects, 1);
	assert_string_equal(r.reconnect_name, "f1");
	serf_tick(s, 4000);
	assert_int_equal(r.reconnects, 2);
	assert_string_equal(r.reconnect_name, "f2");
	/* reap: failed after reconnect_timeout, left after tombstone_timeout */
	serf_tick(s, 12000);
	assert_non_null(serf_find(s, "f1")); /* 10000 old: not yet past */
	serf_tick(s, 13000);
	assert_null(serf_find(s, "f1"));
	assert_null(serf_find(s, "f2"));
	assert_int_equal(r.events[SERF_EV_REAP], 2);
	serf_tick(s, 22000);
	assert_non_null(serf_find(s, "l3"));
	serf_tick(s, 23000);
	assert_null(serf_find(s, "l3"));
	assert_int_equal(r.events[SERF_EV_REAP], 3);
	int before = r.reconnects;
	serf_tick(s, 30000);
	assert_int_equal(r.reconnects, before);
	done(s, &r);
	/* zero intervals: no timers */
	struct serf_config off = {0};
	s = mk(&r, &off);
	assert_true(serf_next_deadline(s) == UINT64_MAX);
	done(s, &r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_notify_statuses), cmocka_unit_test(test_intents),
	    cmocka_unit_test(test_refute),	    cmocka_unit_test(test_force_leave_prune),
	    cmocka_unit_test(test_user_events),	    cmocka_unit_test(test_ignore_old_on_join),
	    cmocka_unit_test(test_push_pull_state), cmocka_unit_test(test_timers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
