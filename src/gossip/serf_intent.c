/*
 * serf (serf.h): what travels between serf layers. Join and leave intents,
 * user events, the push-pull blob, and the local actions that originate
 * them (leave, force-leave, firing an event).
 *
 * Intents (serf's handleNodeJoinIntent / handleNodeLeaveIntent). Every
 * intent's stamp is witnessed on the member clock first. Then:
 *   - unknown member: keep the newest intent per name (recent intents), to
 *     apply when it joins; new when it is newer than the kept one;
 *   - stamp <= the member's status_ltime: old, ignored;
 *   - join: stamp recorded; leaving -> alive (the leave was older);
 *   - leave for ourselves while we are not leaving: someone force-left us,
 *     or a peer remembers an older leave of ours. Refute with a join intent
 *     stamped with our (now newer) clock, and do not pass the leave on;
 *   - leave otherwise: stamp recorded; alive -> leaving, failed -> left
 *     (SERF_EV_LEAVE; this is force-leave); with prune a left or failed
 *     member is forgotten at once (SERF_EV_REAP) and a leaving one as soon as
 *     it is left.
 * "New" (return true, the core gossips it on) means the intent changed our
 * state or our kept intents: dedupe is by (name, stamp), which covers
 * (kind, name, ltime) since one name never gets two intents at one stamp.
 *
 * Stamps we originate are the member clock's current time, which is then
 * witnessed (so it moves one past), as serf does.
 *
 * Joining. serf broadcasts a join intent for itself after a join, stamped
 * after merging the peer's clock: that cancels any leave intent of ours that
 * members still keep from an earlier life. The core tells us a join only
 * through its hooks: local_state(join=true) is our join request going out,
 * and the next merge_state(join=true) is its answer (the receiving side of
 * someone else's join also merges with join=true, but without our request
 * pending). That merge also applies serf_ignore_old_events (serf's
 * eventJoinIgnore): events stamped before the peer's event clock are not
 * delivered.
 *
 * Push-pull carries every member's stamp, as serf's messagePushPull
 * (StatusLTimes, LeftMembers): the members whose last intent was a leave
 * (left, and leaving too) are merged as leave intents, the others as join
 * intents. Gossip may miss a member (a broadcast goes out a few times only):
 * a force-left member that never heard its leave intent refutes it at its
 * next push-pull, and a member that missed the refutation gets the newer
 * join stamp there, instead of listing the other "leaving" forever.
 *
 * User events: first byte EVENT_WIRE_KIND; event_decode, then
 * event_dedupe_offer on the event clock; EVENT_NEW is delivered once. The
 * last SERF_RECENT_EVENTS accepted events also ride in push-pull (serf's
 * messagePushPull carries its event buffer): a member that missed every
 * gossiped copy gets them at its next exchange. On a join that ignores old
 * events the minimum is set first, so they are not replayed to it.
 */
#include "gossip/serf_int.h"

#include "base/alloc.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>

/* Kept intents are bounded so a hostile push-pull cannot grow them forever. */
#define INTENTS_MAX GOSSIP_PP_MAX_MEMBERS

/* ---- kept intents ---- */

static struct sintent *intent_lookup(const struct serf *s, const char *name, size_t *pos)
{
	size_t lo = 0, hi = s->nintents;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->intents[mid].name, name);
		if (c == 0) {
			*pos = mid;
			return &s->intents[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return NULL;
}

const struct sintent *intent_find(const struct serf *s, const char *name)
{
	size_t pos;
	return intent_lookup(s, name, &pos);
}

static bool intent_keep(struct serf *s, uint64_t now, const struct serf_intent *in)
{
	size_t pos;
	struct sintent *it = intent_lookup(s, in->name, &pos);
	if (it && in->ltime <= it->ltime)
		return false;
	if (!it) {
		if (s->nintents == INTENTS_MAX)
			return false;
		if (s->nintents == s->intcap) {
			s->intcap = s->intcap ? s->intcap * 2 : 16;
			s->intents = xrealloc(s->intents, s->intcap * sizeof(*s->intents));
		}
		memmove(s->intents + pos + 1, s->intents + pos,
			(s->nintents - pos) * sizeof(*s->intents));
		s->nintents++;
		it = &s->intents[pos];
		memcpy(it->name, in->name, sizeof(it->name));
	}
	it->kind = in->kind;
	it->ltime = in->ltime;
	it->at = now;
	return true;
}

void intents_expire(struct serf *s, uint64_t now)
{
	size_t j = 0;
	for (size_t i = 0; i < s->nintents; i++)
		if (now - s->intents[i].at <= s->cfg.recent_intent_timeout)
			s->intents[j++] = s->intents[i];
	s->nintents = j;
}

/* ---- sending ---- */

static int send_intent(struct serf *s, const struct serf_intent *in)
{
	uint8_t b[SERF_INTENT_MAX];
	size_t len;
	int rc = serf_intent_encode(in, b, sizeof(b), &len);
	if (rc == 0 && s->env.broadcast)
		rc = s->env.broadcast(s->env.ud, b, len);
	return rc;
}

/* A stamp of ours: the current time, then witnessed (one past). */
static uint64_t stamp(struct serf *s)
{
	uint64_t t = lamport_time(&s->clock);
	lamport_witness(&s->clock, t);
	return t;
}

/* Broadcast a join intent for ourselves (refutation, end of a join). */
static void announce_join(struct serf *s)
{
	struct serf_intent j = {.kind = SERF_WIRE_JOIN};
	memcpy(j.name, s->self->pub.name, sizeof(j.name));
	j.ltime = stamp(s);
	s->self->pub.status_ltime = j.ltime;
	send_intent(s, &j);
}

/* ---- applying ---- */

static bool apply_leave(struct serf *s, uint64_t now, struct smember *m, bool prune)
{
	switch (m->pub.status) {
	case SERF_ALIVE:
		sm_set_status(s, m, SERF_LEAVING, now);
		m->prune = prune;
		return true;
	case SERF_LEAVING:
		m->prune |= prune;
		return true;
	case SERF_FAILED:
		sm_set_status(s, m, SERF_LEFT, now);
		sm_emit(s, SERF_EV_LEAVE, m);
		if (prune)
			sm_erase(s, m);
		return true;
	case SERF_LEFT:
		if (prune)
			sm_erase(s, m);
		return true;
	default:
		return false;
	}
}

bool intent_apply(struct serf *s, uint64_t now, const struct serf_intent *in)
{
	lamport_witness(&s->clock, in->ltime);
	struct smember *m = sm_find(s, in->name, NULL);
	if (!m)
		return intent_keep(s, now, in);
	if (in->ltime <= m->pub.status_ltime)
		return false;
	if (in->kind == SERF_WIRE_JOIN) {
		m->pub.status_ltime = in->ltime;
		if (m->pub.status == SERF_LEAVING) {
			sm_set_status(s, m, SERF_ALIVE, now);
			m->prune = false;
		}
		return true;
	}
	if (m == s->self && !s->leaving) {
		announce_join(s);
		return false;
	}
	m->pub.status_ltime = in->ltime;
	return apply_leave(s, now, m, in->prune);
}

/* ---- the core's hooks ---- */

/* Keep the bytes of an accepted event for push-pull. */
static void remember(struct serf *s, const uint8_t *data, size_t len)
{
	size_t i = s->recent_next;
	free(s->recent[i].data);
	s->recent[i].data = xmemdup(data, len);
	s->recent[i].len = len;
	s->recent_next = (i + 1) % SERF_RECENT_EVENTS;
}

static bool on_event(struct serf *s, const uint8_t *data, size_t len)
{
	struct event e;
	if (event_decode(data, len, &e) != 0)
		return false;
	bool fresh = event_dedupe_offer(&s->dedupe, &s->event_clock, e.ltime, e.id) == EVENT_NEW;
	if (fresh) {
		remember(s, data, len);
		if (s->env.user_event)
			s->env.user_event(s->env.ud, &e);
	}
	event_free(&e);
	return fresh;
}

bool serf_on_user_msg(struct serf *s, uint64_t now, const uint8_t *data, size_t len)
{
	struct serf_intent in;
	if (len == 0)
		return false;
	switch (data[0]) {
	case EVENT_WIRE_KIND:
		return on_event(s, data, len);
	case SERF_WIRE_JOIN:
	case SERF_WIRE_LEAVE:
		return serf_intent_decode(data, len, &in) == 0 && intent_apply(s, now, &in);
	default:
		return false; /* a kind we do not know (a newer peer's): not ours to spread */
	}
}

/* Room for one more entry of n bytes, with the sections still to come. */
static bool fits(const struct buf *out, size_t start, size_t n)
{
	return out->len - start + n + 8 <= GOSSIP_PP_USER_MAX;
}

void serf_local_state(struct serf *s, bool join, struct buf *out)
{
	if (join && !s->leaving)
		s->join_pending = true;
	size_t start = out->len;
	serf_state_begin(out, lamport_time(&s->clock), lamport_time(&s->event_clock));
	for (int pass = 0; pass < 2; pass++) {
		size_t sec = serf_state_section(out);
		for (size_t i = 0; i < s->n; i++) {
			const struct serf_member *m = &s->members[i]->pub;
			bool gone = m->status == SERF_LEFT || m->status == SERF_LEAVING;
			if (gone != (pass == 0) || (!gone && !m->status_ltime) ||
			    !fits(out, start, 9 + strlen(m->name)))
				continue;
			serf_state_add(out, sec, m->status_ltime, m->name);
		}
	}
	size_t sec = serf_state_section(out);
	for (size_t k = 0; k < SERF_RECENT_EVENTS; k++) {
		size_t i = (s->recent_next + k) % SERF_RECENT_EVENTS; /* oldest first */
		if (s->recent[i].data && fits(out, start, 2 + s->recent[i].len))
			serf_state_event(out, sec, s->recent[i].data, s->recent[i].len);
	}
}

void serf_merge_state(struct serf *s, uint64_t now, const uint8_t *data, size_t len, bool join)
{
	struct serf_state st;
	if (serf_state_decode(data, len, &st) != 0)
		return;
	/* one less: no message with the peer's current time has been sent yet */
	if (st.clock)
		lamport_witness(&s->clock, st.clock - 1);
	if (st.event_clock)
		lamport_witness(&s->event_clock, st.event_clock - 1);
	/* leaves first, then the others' stamps as join intents (serf's order) */
	struct serf_intent in = {.kind = SERF_WIRE_LEAVE};
	size_t cur = 0;
	while (serf_state_next(&st.left, &cur, &in.ltime, in.name))
		intent_apply(s, now, &in);
	in.kind = SERF_WIRE_JOIN;
	cur = 0;
	while (serf_state_next(&st.stamps, &cur, &in.ltime, in.name))
		intent_apply(s, now, &in);
	bool joined = join && s->join_pending;
	if (joined) {
		s->join_pending = false;
		if (s->ignore_old) {
			s->ignore_old = false;
			if (st.event_clock > s->dedupe.min_time)
				event_dedupe_set_min(&s->dedupe, st.event_clock);
		}
	}
	const uint8_t *ev;
	size_t evlen;
	cur = 0;
	while (serf_state_next_event(&st.events, &cur, &ev, &evlen))
		on_event(s, ev, evlen); /* delivered when new, not gossiped on (serf) */
	if (joined)
		announce_join(s);
}

/* ---- local actions ---- */

int serf_leave(struct serf *s, uint64_t now)
{
	if (s->leaving)
		return 0;
	s->leaving = true;
	s->join_pending = false;
	struct serf_intent in = {.kind = SERF_WIRE_LEAVE};
	memcpy(in.name, s->self->pub.name, sizeof(in.name));
	in.ltime = stamp(s);
	intent_apply(s, now, &in);
	return send_intent(s, &in);
}

int serf_force_leave(struct serf *s, uint64_t now, const char *name, bool prune)
{
	if (!sm_find(s, name, NULL))
		return CAIRN_E_NOTFOUND;
	struct serf_intent in = {.kind = SERF_WIRE_LEAVE, .prune = prune};
	size_t len = strnlen(name, GOSSIP_NAME_MAX);
	memcpy(in.name, name, len);
	in.ltime = stamp(s);
	intent_apply(s, now, &in);
	return send_intent(s, &in);
}

int serf_user_event(struct serf *s, struct event *e)
{
	e->ltime = lamport_time(&s->event_clock);
	struct buf b = BUF_INIT;
	int rc = event_encode(e, &b, NULL);
	if (rc == 0) {
		lamport_increment(&s->event_clock);
		/* remember it, so our own copy coming back is a duplicate */
		event_dedupe_offer(&s->dedupe, &s->event_clock, e->ltime, e->id);
		remember(s, (const uint8_t *)b.data, b.len);
		if (s->env.user_event)
			s->env.user_event(s->env.ud, e);
		if (s->env.broadcast)
			rc = s->env.broadcast(s->env.ud, (const uint8_t *)b.data, b.len);
	}
	buf_free(&b);
	return rc;
}

void serf_ignore_old_events(struct serf *s)
{
	uint64_t t = lamport_time(&s->event_clock);
	if (t > s->dedupe.min_time)
		event_dedupe_set_min(&s->dedupe, t);
	s->ignore_old = true;
}
