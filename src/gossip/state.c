/*
 * The member table and the SWIM state machine (alive / suspect / dead / left),
 * with memberlist's rules:
 *
 *   - Incarnation numbers order what is said about a member. Only the member
 *     itself raises its incarnation (refutation, meta change); alive wins over
 *     suspect/dead only with a higher incarnation, suspect and dead apply at an
 *     incarnation >= the known one.
 *   - A member that hears itself suspected or declared dead refutes: it moves
 *     its incarnation past the accusation and gossips alive (and its Lifeguard
 *     health score rises: being suspected hints that we are the slow one).
 *   - dead with from == node means the member left gracefully (LEFT).
 *   - Dead and left members stay in the table (and are still gossiped to, so a
 *     wrongly declared member can learn of it and refute) for
 *     gossip_to_the_dead_time, then are dropped at the end of a probe pass.
 *   - A push-pull merge never kills directly: remote dead/suspect become local
 *     suspicion, remote left propagates, remote alive applies as gossip would.
 *
 * Storage: nodes[] is the probe order (shuffled each pass, new members inserted
 * at a random position); a power-of-two open-addressing hash finds a member by
 * name; members under suspicion are also listed in susps[] so timers are found
 * without scanning the table. Members are freed when reaped or with the object.
 */
#include "gossip/internal.h"

#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>

/* ---- table ---- */

static uint64_t hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

static void hash_insert(struct memberlist *ml, struct mnode *n)
{
	size_t mask = ml->hcap - 1, i = hash_name(n->name) & mask;
	while (ml->hash[i])
		i = (i + 1) & mask;
	ml->hash[i] = n;
}

static void hash_grow(struct memberlist *ml)
{
	struct mnode **old = ml->hash;
	size_t oldcap = ml->hcap;
	ml->hcap = oldcap ? oldcap * 2 : 16;
	ml->hash = xcalloc(ml->hcap, sizeof(*ml->hash));
	for (size_t i = 0; i < oldcap; i++)
		if (old[i])
			hash_insert(ml, old[i]);
	free(old);
}

/* Linear-probing delete with backward shift (no tombstones). */
static void hash_remove(struct memberlist *ml, struct mnode *n)
{
	size_t mask = ml->hcap - 1, i = hash_name(n->name) & mask;
	while (ml->hash[i] != n)
		i = (i + 1) & mask;
	ml->hash[i] = NULL;
	for (size_t j = (i + 1) & mask; ml->hash[j]; j = (j + 1) & mask) {
		size_t home = hash_name(ml->hash[j]->name) & mask;
		/* move j back to i if its home is not within (i, j] cyclically */
		bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!between) {
			ml->hash[i] = ml->hash[j];
			ml->hash[j] = NULL;
			i = j;
		}
	}
}

struct mnode *st_find(const struct memberlist *ml, const char *name)
{
	if (!ml->hcap)
		return NULL;
	size_t mask = ml->hcap - 1, i = hash_name(name) & mask;
	for (struct mnode *n; (n = ml->hash[i]); i = (i + 1) & mask)
		if (strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

/* A new member (state DEAD until told otherwise, incarnation 0), at a random
 * position of the probe order so a newcomer is probed within one pass. */
struct mnode *st_add(struct memberlist *ml, const char *name)
{
	size_t len = strnlen(name, GOSSIP_NAME_MAX);
	struct mnode *n = xcalloc(1, sizeof(*n) + len + 1);
	memcpy(n->name, name, len);
	n->pub.name = n->name;
	n->pub.state = GSTATE_DEAD;
	if ((ml->nnodes + 1) * 2 > ml->hcap)
		hash_grow(ml);
	hash_insert(ml, n);
	if (ml->nnodes == ml->cap) {
		ml->cap = ml->cap ? ml->cap * 2 : 16;
		ml->nodes = xrealloc(ml->nodes, ml->cap * sizeof(*ml->nodes));
	}
	size_t at = (size_t)ml_rand(ml, ml->nnodes + 1), last = ml->nnodes++;
	ml->nodes[last] = n; /* for at == last */
	ml->nodes[last] = ml->nodes[at];
	ml->nodes[last]->idx = last;
	ml->nodes[at] = n;
	n->idx = at;
	return n;
}

static void free_node(struct mnode *n)
{
	susp_free(n->susp);
	free(n->meta);
	free(n);
}

void st_free_all(struct memberlist *ml)
{
	for (size_t i = 0; i < ml->nnodes; i++)
		free_node(ml->nodes[i]);
	free(ml->nodes);
	free(ml->hash);
	free(ml->susps);
}

void st_member_to_msg(const struct mnode *n, struct gmember *out)
{
	name_copy(out->name, n->name);
	out->addr = n->pub.addr;
	out->incarnation = n->pub.incarnation;
	out->state = n->pub.state;
	memcpy(out->vsn, n->pub.vsn, 6);
	out->meta_len = n->pub.meta_len;
	if (n->pub.meta_len)
		memcpy(out->meta, n->meta, n->pub.meta_len);
}

static bool is_live(enum gstate s)
{
	return s == GSTATE_ALIVE || s == GSTATE_SUSPECT;
}

static void set_state(struct memberlist *ml, struct mnode *n, enum gstate st, uint64_t now)
{
	if (is_live(n->pub.state) && !is_live(st))
		ml->nalive--;
	else if (!is_live(n->pub.state) && is_live(st))
		ml->nalive++;
	if (n->pub.state != st)
		n->pub.state_change = now;
	n->pub.state = st;
}

static void clear_suspicion(struct memberlist *ml, struct mnode *n)
{
	if (!n->susp)
		return;
	susp_free(n->susp);
	n->susp = NULL;
	struct mnode *last = ml->susps[--ml->nsusp];
	ml->susps[n->sidx] = last;
	last->sidx = n->sidx;
}

static void set_meta(struct mnode *n, const uint8_t *meta, uint16_t len)
{
	free(n->meta);
	n->meta = len ? xmemdup(meta, len) : NULL;
	n->pub.meta = n->meta;
	n->pub.meta_len = len;
}

/* ---- state machine ---- */

static void queue_alive(struct memberlist *ml, struct mnode *n)
{
	struct gmsg m;
	m.type = GMSG_ALIVE;
	st_member_to_msg(n, &m.u.alive);
	m.u.alive.state = GSTATE_ALIVE;
	bq_queue(ml, n, &m);
}

static void queue_accuse(struct memberlist *ml, struct mnode *n, enum gmsg_type t,
			 const struct gmsg_accuse *a)
{
	struct gmsg m;
	m.type = t;
	m.u.suspect = *a;
	bq_queue(ml, n, &m);
}

void st_refute(struct memberlist *ml, uint32_t accused)
{
	uint32_t inc = ml->incarnation + 1;
	if (accused >= inc)
		inc = accused + 1;
	ml->incarnation = inc;
	ml->self->pub.incarnation = inc;
	queue_alive(ml, ml->self);
	aw_apply(ml, 1);
	ml->stats.refutes++;
}

/* Someone accuses an incarnation of ours we already refuted: it missed the
 * refutation. Gossip our alive again (same incarnation, fresh transmit count)
 * unless it is still queued. Not in memberlist; it closes the window in which
 * one member that lost every copy of a refutation lets its timer run out. */
static void reannounce(struct memberlist *ml)
{
	if (ml->self->bc && ml->self->bc->data[0] == GMSG_ALIVE && ml->self->bc->transmits == 0)
		return;
	queue_alive(ml, ml->self);
}

void st_alive(struct memberlist *ml, uint64_t now, const struct gmember *a, bool bootstrap)
{
	struct mnode *n = st_find(ml, a->name);
	bool fresh = false, local = n == ml->self;
	if (local && ml->leaving)
		return;
	if (!n) {
		n = st_add(ml, a->name);
		n->pub.addr = a->addr;
		fresh = true;
	} else if (!gaddr_equal(&n->pub.addr, &a->addr)) {
		/* a live member keeps its address (name conflict); a dead or left
		 * one may come back from a new address at the same incarnation */
		if (is_live(n->pub.state) || local)
			return;
	} else if (!local && a->incarnation <= n->pub.incarnation) {
		return;
	}
	if (!fresh && !local && a->incarnation < n->pub.incarnation)
		return;
	if (local && !bootstrap) {
		if (a->incarnation < n->pub.incarnation)
			return;
		if (a->incarnation == n->pub.incarnation && a->meta_len == n->pub.meta_len &&
		    memcmp(a->meta, n->meta ? n->meta : (const uint8_t *)"", a->meta_len) == 0 &&
		    memcmp(a->vsn, n->pub.vsn, 6) == 0)
			return;
		st_refute(ml, a->incarnation);
		return;
	}
	enum gstate old = n->pub.state;
	bool changed =
	    !fresh && (a->meta_len != n->pub.meta_len ||
		       memcmp(a->meta, n->meta ? n->meta : (const uint8_t *)"", a->meta_len) != 0 ||
		       !gaddr_equal(&n->pub.addr, &a->addr));
	clear_suspicion(ml, n);
	n->pub.addr = a->addr;
	n->pub.incarnation = a->incarnation;
	memcpy(n->pub.vsn, a->vsn, 6);
	set_meta(n, a->meta, a->meta_len);
	set_state(ml, n, GSTATE_ALIVE, now);
	queue_alive(ml, n);
	if (fresh || old == GSTATE_DEAD || old == GSTATE_LEFT)
		ml_notify(ml, MEMBERLIST_JOIN, n);
	else if (old == GSTATE_SUSPECT)
		ml_notify(ml, MEMBERLIST_ALIVE, n);
	else if (changed)
		ml_notify(ml, MEMBERLIST_UPDATE, n);
}

void st_suspect(struct memberlist *ml, uint64_t now, const struct gmsg_accuse *s)
{
	struct mnode *n = st_find(ml, s->node);
	if (!n)
		return;
	if (s->incarnation < n->pub.incarnation) {
		if (n == ml->self && !ml->leaving)
			reannounce(ml);
		return;
	}
	if (n->susp && s->incarnation > n->pub.incarnation) {
		/* the member was alive at a newer incarnation since we began to
		 * suspect it (we missed its refutation): this is a new suspicion */
		clear_suspicion(ml, n);
		n->pub.state = GSTATE_ALIVE;
	}
	if (n->susp) {
		/* Lifeguard: an independent confirmation shortens the timer, and
		 * is worth passing on so others' timers shrink too */
		if (susp_confirm(n->susp, s->from))
			queue_accuse(ml, n, GMSG_SUSPECT, s);
		return;
	}
	if (n->pub.state != GSTATE_ALIVE)
		return;
	if (n == ml->self) {
		st_refute(ml, s->incarnation);
		return;
	}
	queue_accuse(ml, n, GMSG_SUSPECT, s);
	n->pub.incarnation = s->incarnation;
	set_state(ml, n, GSTATE_SUSPECT, now);
	int k = ml->cfg.suspicion_mult - 2;
	if ((int)ml->nnodes - 2 < k)
		k = 0;
	uint64_t min = susp_min_timeout(ml->cfg.suspicion_mult, ml->nnodes, ml->cfg.probe_interval);
	uint64_t max = min * (uint64_t)ml->cfg.suspicion_max_timeout_mult;
	n->susp = susp_new(s->from, k < 0 ? 0 : k, min, max, now);
	if (ml->nsusp == ml->suspcap) {
		ml->suspcap = ml->suspcap ? ml->suspcap * 2 : 8;
		ml->susps = xrealloc(ml->susps, ml->suspcap * sizeof(*ml->susps));
	}
	n->sidx = ml->nsusp;
	ml->susps[ml->nsusp++] = n;
	ml->stats.suspicions++;
	ml_notify(ml, MEMBERLIST_SUSPECT, n);
}

void st_dead(struct memberlist *ml, uint64_t now, const struct gmsg_accuse *d)
{
	struct mnode *n = st_find(ml, d->node);
	if (!n)
		return;
	if (n == ml->self && d->incarnation < n->pub.incarnation && !ml->leaving) {
		reannounce(ml);
		return;
	}
	if (d->incarnation < n->pub.incarnation || !is_live(n->pub.state))
		return;
	if (n == ml->self && !ml->leaving) {
		st_refute(ml, d->incarnation);
		return;
	}
	queue_accuse(ml, n, GMSG_DEAD, d);
	n->pub.incarnation = d->incarnation;
	clear_suspicion(ml, n);
	bool left = strcmp(d->node, d->from) == 0;
	set_state(ml, n, left ? GSTATE_LEFT : GSTATE_DEAD, now);
	ml_notify(ml, left ? MEMBERLIST_LEAVE : MEMBERLIST_FAIL, n);
}

void st_suspicion_timeouts(struct memberlist *ml, uint64_t now)
{
	for (size_t i = 0; i < ml->nsusp;) {
		struct mnode *n = ml->susps[i];
		if (n->susp->deadline > now) {
			i++;
			continue;
		}
		struct gmsg_accuse d = {.incarnation = n->pub.incarnation};
		name_copy(d.node, n->name);
		name_copy(d.from, ml->self->name);
		st_dead(ml, now, &d); /* removes n from susps[i] */
		if (i < ml->nsusp && ml->susps[i] == n) {
			clear_suspicion(ml, n); /* cannot happen; never spin */
		}
	}
}

uint64_t st_next_suspicion(const struct memberlist *ml)
{
	uint64_t t = MEMBERLIST_NEVER;
	for (size_t i = 0; i < ml->nsusp; i++)
		if (ml->susps[i]->susp->deadline < t)
			t = ml->susps[i]->susp->deadline;
	return t;
}

void st_reap(struct memberlist *ml, uint64_t now)
{
	size_t j = 0;
	for (size_t i = 0; i < ml->nnodes; i++) {
		struct mnode *n = ml->nodes[i];
		if (n != ml->self && !is_live(n->pub.state) &&
		    now - n->pub.state_change > ml->cfg.gossip_to_the_dead_time) {
			ml_notify(ml, MEMBERLIST_REAP, n);
			hash_remove(ml, n);
			bq_detach(ml, n);
			free_node(n);
			continue;
		}
		n->idx = j;
		ml->nodes[j++] = n;
	}
	ml->nnodes = j;
}

void st_shuffle(struct memberlist *ml)
{
	for (size_t i = ml->nnodes; i > 1; i--) {
		size_t j = (size_t)ml_rand(ml, i);
		struct mnode *t = ml->nodes[i - 1];
		ml->nodes[i - 1] = ml->nodes[j];
		ml->nodes[j] = t;
		ml->nodes[i - 1]->idx = i - 1;
		ml->nodes[j]->idx = j;
	}
}

void st_merge(struct memberlist *ml, uint64_t now, const struct gmsg_push_pull *pp)
{
	for (uint32_t i = 0; i < pp->nmembers; i++) {
		const struct gmember *m = &pp->members[i];
		struct gmsg_accuse a = {.incarnation = m->incarnation};
		name_copy(a.node, m->name);
		switch (m->state) {
		case GSTATE_ALIVE:
			st_alive(ml, now, m, false);
			break;
		case GSTATE_LEFT:
			name_copy(a.from, m->name);
			st_dead(ml, now, &a);
			break;
		case GSTATE_DEAD:
		case GSTATE_SUSPECT:
			name_copy(a.from, ml->self->name);
			st_suspect(ml, now, &a);
			break;
		}
	}
}

/* ---- queries ---- */

const struct memberlist_node *memberlist_local(const struct memberlist *ml)
{
	return &ml->self->pub;
}

const struct memberlist_node *memberlist_find(const struct memberlist *ml, const char *name)
{
	struct mnode *n = st_find(ml, name);
	return n ? &n->pub : NULL;
}

size_t memberlist_count(const struct memberlist *ml)
{
	return ml->nnodes;
}

const struct memberlist_node *memberlist_at(const struct memberlist *ml, size_t i)
{
	return i < ml->nnodes ? &ml->nodes[i]->pub : NULL;
}

size_t memberlist_num_alive(const struct memberlist *ml)
{
	return ml->nalive;
}
