/*
 * serf (serf.h): the object, the member table, what the core's notifications
 * do to it, the reconnect and reap timers, and the queries. Intents, user
 * messages and push-pull are serf_intent.c; the codecs serf_wire.c.
 *
 * Member table: an array of pointers sorted by name (binary search; serf_at
 * walks it in name order). A member is allocated once and freed when serf
 * reaps it, so a pointer stays valid across other members' changes; the
 * header only promises "until the next call that changes state".
 *
 * Self is listed from serf_new on, alive, with an empty address and no tags.
 * The core reports its own node as a JOIN from memberlist_new (and as UPDATE
 * after memberlist_set_meta); that fills the address, tags and versions and,
 * as in serf, fires SERF_EV_JOIN for ourselves. A driver that creates the
 * serf before the core (as it should) therefore sees self complete at once.
 *
 * The core's notifications (serf's handleNodeJoin/Leave/Update):
 *   JOIN    new member -> alive, or failed/left back -> alive; either way a
 *           kept leave intent newer than its status stamp makes it leaving
 *           (a kept join intent only raises the stamp). SERF_EV_JOIN.
 *   UPDATE  address, tags, versions. SERF_EV_UPDATE.
 *   FAIL    alive -> failed (SERF_EV_FAILED), leaving -> left (SERF_EV_LEAVE)
 *   LEAVE   alive or leaving -> left (SERF_EV_LEAVE)
 *   REAP    nothing: the core forgot it, serf keeps it (reconnect, tombstone)
 *   SUSPECT, ALIVE: nothing (suspicion is the core's business)
 * A member that becomes left while a prune is pending is forgotten at once.
 *
 * Timers. Every reconnect_interval, when members are failed, one of them
 * (uniformly at random, env.rand64) is handed to env.reconnect. (serf also
 * skips a round with probability 1 - failed/alive; we always try, which
 * matters only for clusters with many failed members.) Every reap_interval,
 * failed members older than reconnect_timeout and left members older than
 * tombstone_timeout are forgotten (SERF_EV_REAP), and kept intents older than
 * recent_intent_timeout are dropped. A zero interval turns a timer off.
 */
#include "gossip/serf_int.h"

#include "base/alloc.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>

void serf_config_default(struct serf_config *c)
{
	c->reconnect_interval = 30 * 1000;
	c->reconnect_timeout = 72ull * 3600 * 1000;
	c->tombstone_timeout = 24ull * 3600 * 1000;
	c->reap_interval = 15 * 1000;
	c->recent_intent_timeout = 5 * 60 * 1000;
}

const char *serf_status_name(enum serf_status st)
{
	static const char *const names[] = {
	    [SERF_NONE] = "none", [SERF_ALIVE] = "alive",   [SERF_LEAVING] = "leaving",
	    [SERF_LEFT] = "left", [SERF_FAILED] = "failed",
	};
	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "none";
}

/* ---- member table ---- */

struct smember *sm_find(const struct serf *s, const char *name, size_t *pos)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->members[mid]->pub.name, name);
		if (c == 0) {
			if (pos)
				*pos = mid;
			return s->members[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (pos)
		*pos = lo;
	return NULL;
}

static struct smember *sm_add(struct serf *s, const char *name, uint64_t now)
{
	size_t pos;
	struct smember *m = sm_find(s, name, &pos);
	if (m)
		return m;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->members = xrealloc(s->members, s->cap * sizeof(*s->members));
	}
	m = xcalloc(1, sizeof(*m));
	size_t len = strnlen(name, GOSSIP_NAME_MAX);
	memcpy(m->pub.name, name, len);
	tags_init(&m->pub.tags);
	m->pub.status = SERF_ALIVE;
	m->pub.since = now;
	memmove(s->members + pos + 1, s->members + pos, (s->n - pos) * sizeof(*s->members));
	s->members[pos] = m;
	s->n++;
	return m;
}

static void count_status(struct serf *s, enum serf_status st, int delta)
{
	if (st == SERF_FAILED)
		s->nfailed += (size_t)delta;
	else if (st == SERF_LEFT)
		s->nleft += (size_t)delta;
}

void sm_set_status(struct serf *s, struct smember *m, enum serf_status st, uint64_t now)
{
	if (m->pub.status == st)
		return;
	count_status(s, m->pub.status, -1);
	count_status(s, st, 1);
	m->pub.status = st;
	m->pub.since = now;
}

void sm_emit(struct serf *s, enum serf_event_type t, struct smember *m)
{
	if (s->env.member_event)
		s->env.member_event(s->env.ud, t, &m->pub);
}

void sm_erase(struct serf *s, struct smember *m)
{
	size_t pos;
	if (m == s->self || sm_find(s, m->pub.name, &pos) != m)
		return;
	sm_emit(s, SERF_EV_REAP, m);
	count_status(s, m->pub.status, -1);
	memmove(s->members + pos, s->members + pos + 1, (s->n - pos - 1) * sizeof(*s->members));
	s->n--;
	tags_free(&m->pub.tags);
	free(m);
}

/* ---- object ---- */

struct serf *serf_new(const struct serf_config *cfg, const struct serf_env *env,
		      const char *self_name, uint64_t now)
{
	size_t len = strnlen(self_name, GOSSIP_NAME_MAX + 1);
	if (len == 0 || len > GOSSIP_NAME_MAX)
		return NULL;
	struct serf *s = xcalloc(1, sizeof(*s));
	s->cfg = *cfg;
	s->env = *env;
	/* clocks start at 1, as serf's: a stamp of 0 would never beat a
	 * member's initial status_ltime of 0 */
	lamport_init(&s->clock);
	lamport_init(&s->event_clock);
	lamport_increment(&s->clock);
	lamport_increment(&s->event_clock);
	event_dedupe_init(&s->dedupe);
	s->self = sm_add(s, self_name, now);
	s->next_reconnect = cfg->reconnect_interval ? now + cfg->reconnect_interval : SERF_NEVER;
	s->next_reap = cfg->reap_interval ? now + cfg->reap_interval : SERF_NEVER;
	return s;
}

void serf_free(struct serf *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		tags_free(&s->members[i]->pub.tags);
		free(s->members[i]);
	}
	free(s->members);
	free(s->intents);
	for (size_t i = 0; i < SERF_RECENT_EVENTS; i++)
		free(s->recent[i].data);
	event_dedupe_free(&s->dedupe);
	free(s);
}

/* ---- the core's notifications ---- */

static void take_node(struct smember *m, const struct memberlist_node *n)
{
	m->pub.addr = n->addr;
	memcpy(m->pub.vsn, n->vsn, sizeof(m->pub.vsn));
	if (!n->meta_len || tags_decode(n->meta, n->meta_len, &m->pub.tags) != 0)
		tags_free(&m->pub.tags);
}

static void on_join(struct serf *s, uint64_t now, const struct memberlist_node *n)
{
	struct smember *m = sm_add(s, n->name, now);
	take_node(m, n);
	if (m != s->self) {
		m->prune = false;
		sm_set_status(s, m, SERF_ALIVE, now);
		const struct sintent *it = intent_find(s, m->pub.name);
		if (it && it->ltime > m->pub.status_ltime) {
			m->pub.status_ltime = it->ltime;
			if (it->kind == SERF_WIRE_LEAVE)
				sm_set_status(s, m, SERF_LEAVING, now);
		}
	}
	sm_emit(s, SERF_EV_JOIN, m);
}

static void on_gone(struct serf *s, uint64_t now, struct smember *m, bool left)
{
	switch (m->pub.status) {
	case SERF_ALIVE:
		sm_set_status(s, m, left ? SERF_LEFT : SERF_FAILED, now);
		break;
	case SERF_LEAVING:
		sm_set_status(s, m, SERF_LEFT, now);
		break;
	default:
		return; /* failed or left already */
	}
	sm_emit(s, m->pub.status == SERF_LEFT ? SERF_EV_LEAVE : SERF_EV_FAILED, m);
	if (m->pub.status == SERF_LEFT && m->prune)
		sm_erase(s, m);
}

void serf_on_notify(struct serf *s, uint64_t now, enum memberlist_event ev,
		    const struct memberlist_node *n)
{
	struct smember *m = ev == MEMBERLIST_JOIN ? NULL : sm_find(s, n->name, NULL);
	switch (ev) {
	case MEMBERLIST_JOIN:
		on_join(s, now, n);
		break;
	case MEMBERLIST_UPDATE:
		if (m) {
			take_node(m, n);
			sm_emit(s, SERF_EV_UPDATE, m);
		}
		break;
	case MEMBERLIST_FAIL:
	case MEMBERLIST_LEAVE:
		if (m && (m != s->self || ev == MEMBERLIST_LEAVE))
			on_gone(s, now, m, ev == MEMBERLIST_LEAVE);
		break;
	case MEMBERLIST_REAP:
	case MEMBERLIST_SUSPECT:
	case MEMBERLIST_ALIVE:
		break;
	}
}

/* ---- timers ---- */

static void reconnect(struct serf *s)
{
	if (!s->nfailed || !s->env.reconnect)
		return;
	uint64_t k = s->env.rand64(s->env.ud) % s->nfailed;
	for (size_t i = 0; i < s->n; i++) {
		struct smember *m = s->members[i];
		if (m->pub.status == SERF_FAILED && k-- == 0) {
			/* serf reconnects without IgnoreOld: events from the other
			 * side of a partition are wanted; a join that ignored old
			 * events and never got an answer must not apply it here */
			s->ignore_old = false;
			s->env.reconnect(s->env.ud, &m->pub.addr, m->pub.name);
			return;
		}
	}
}

static void reap(struct serf *s, uint64_t now)
{
	for (size_t i = 0; i < s->n && (s->nfailed || s->nleft);) {
		struct smember *m = s->members[i];
		uint64_t age = now - m->pub.since;
		if ((m->pub.status == SERF_FAILED && age > s->cfg.reconnect_timeout) ||
		    (m->pub.status == SERF_LEFT && age > s->cfg.tombstone_timeout &&
		     m != s->self)) {
			sm_erase(s, m);
			continue;
		}
		i++;
	}
	intents_expire(s, now);
}

uint64_t serf_next_deadline(const struct serf *s)
{
	return s->next_reconnect < s->next_reap ? s->next_reconnect : s->next_reap;
}

void serf_tick(struct serf *s, uint64_t now)
{
	if (now >= s->next_reap) {
		s->next_reap = now + s->cfg.reap_interval;
		reap(s, now);
	}
	if (now >= s->next_reconnect) {
		s->next_reconnect = now + s->cfg.reconnect_interval;
		reconnect(s); /* last: env.reconnect may start a join */
	}
}

/* ---- queries ---- */

size_t serf_count(const struct serf *s)
{
	return s->n;
}

const struct serf_member *serf_at(const struct serf *s, size_t i)
{
	return i < s->n ? &s->members[i]->pub : NULL;
}

const struct serf_member *serf_find(const struct serf *s, const char *name)
{
	struct smember *m = sm_find(s, name, NULL);
	return m ? &m->pub : NULL;
}

size_t serf_num_alive(const struct serf *s)
{
	size_t c = 0;
	for (size_t i = 0; i < s->n; i++)
		c += s->members[i]->pub.status == SERF_ALIVE;
	return c;
}

void serf_restore_clocks(struct serf *s, uint64_t clock, uint64_t event_clock)
{
	/* the snapshot's times were current: witnessing them moves one past,
	 * which is harmless and never goes back */
	lamport_witness(&s->clock, clock);
	lamport_witness(&s->event_clock, event_clock);
}

uint64_t serf_member_clock(const struct serf *s)
{
	return lamport_time(&s->clock);
}

uint64_t serf_event_clock(const struct serf *s)
{
	return lamport_time(&s->event_clock);
}
