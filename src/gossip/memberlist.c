/*
 * The memberlist object: configuration defaults, input dispatch, the timer
 * multiplexer behind memberlist_next_deadline/memberlist_tick, gossip rounds,
 * pending stream requests, leave, meta and user broadcasts. The protocol
 * itself lives in state.c, probe.c, suspicion.c, broadcast.c and pushpull.c
 * (see internal.h for the map and memberlist.h for the driver's view).
 *
 * Gossip round (every gossip_interval): up to gossip_nodes random members that
 * are alive, suspect, or dead for less than gossip_to_the_dead_time (so the
 * wrongly dead can still learn it and refute) each get one packet filled from
 * the broadcast queue; with an empty queue nothing is sent.
 *
 * Every timer is a plain deadline field; next_deadline is their minimum, so a
 * driver needs a single uv_timer and the simulation a single event per node.
 */
#include "gossip/internal.h"

#include "base/alloc.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>

void memberlist_config_lan(struct memberlist_config *c)
{
	memset(c, 0, sizeof(*c));
	static const uint8_t vsn[6] = {1, 5, 2,
				       2, 5, 4}; /* memberlist 1..5 cur 2; serf 2..5 cur 4 */
	memcpy(c->vsn, vsn, 6);
	c->probe_interval = 1000;
	c->probe_timeout = 500;
	c->gossip_interval = 200;
	c->push_pull_interval = 30000;
	c->gossip_to_the_dead_time = 30000;
	c->stream_timeout = 10000;
	c->gossip_nodes = 3;
	c->indirect_checks = 3;
	c->retransmit_mult = 4;
	c->suspicion_mult = 4;
	c->suspicion_max_timeout_mult = 6;
	c->awareness_max = 8;
	c->packet_budget = GOSSIP_UDP_MAX;
}

void memberlist_config_wan(struct memberlist_config *c)
{
	memberlist_config_lan(c);
	c->probe_interval = 5000;
	c->probe_timeout = 3000;
	c->gossip_interval = 500;
	c->push_pull_interval = 60000;
	c->gossip_to_the_dead_time = 60000;
	c->stream_timeout = 30000;
	c->gossip_nodes = 4;
	c->suspicion_mult = 6;
}

/* ---- helpers shared by the core's files ---- */

uint64_t ml_rand(struct memberlist *ml, uint64_t n)
{
	return n ? ml->env.rand64(ml->env.ud) % n : 0;
}

void ml_notify(struct memberlist *ml, enum memberlist_event ev, struct mnode *n)
{
	if (ml->env.notify)
		ml->env.notify(ml->env.ud, ev, &n->pub);
}

void ml_send(struct memberlist *ml, const struct gaddr *to, struct buf *pkt)
{
	ml->stats.packets_sent++;
	ml->stats.packet_bytes_sent += pkt->len;
	ml->env.send_packet(ml->env.ud, to, (const uint8_t *)pkt->data, pkt->len);
}

/* One message plus whatever broadcasts fit, to one address. */
void ml_send_msg(struct memberlist *ml, const struct gaddr *to, const struct gmsg *m)
{
	buf_reset(&ml->out);
	gwire_packet_begin(&ml->out);
	gwire_put_msg(&ml->out, m);
	bq_fill(ml, &ml->out, ml->cfg.packet_budget);
	ml_send(ml, to, &ml->out);
}

/* Up to k distinct random members passing ok, never self or exclude. */
size_t ml_pick(struct memberlist *ml, int k, struct mnode **out, const char *exclude,
	       bool (*ok)(struct memberlist *ml, struct mnode *n))
{
	size_t got = 0;
	for (size_t tries = 0; tries < 3 * ml->nnodes && got < (size_t)k; tries++) {
		struct mnode *n = ml->nodes[ml_rand(ml, ml->nnodes)];
		if (n == ml->self || (exclude && strcmp(n->name, exclude) == 0) || !ok(ml, n))
			continue;
		bool dup = false;
		for (size_t i = 0; i < got; i++)
			dup |= out[i] == n;
		if (!dup)
			out[got++] = n;
	}
	return got;
}

uint64_t ml_stream_send_raw(struct memberlist *ml, uint64_t now, enum sreq_kind kind,
			    const struct gaddr *to, uint32_t seq, const struct buf *frame,
			    uint64_t deadline)
{
	if (ml->nsreqs == ml->sreqcap) {
		ml->sreqcap = ml->sreqcap ? ml->sreqcap * 2 : 8;
		ml->sreqs = xrealloc(ml->sreqs, ml->sreqcap * sizeof(*ml->sreqs));
	}
	struct sreq *r = &ml->sreqs[ml->nsreqs++];
	r->id = ++ml->next_sreq_id;
	r->kind = kind;
	r->to = *to;
	r->seq = seq;
	r->deadline = deadline;
	ml->stats.streams_sent++;
	ml->stats.stream_bytes_sent += frame->len;
	uint64_t id = r->id;
	ml->env.send_stream(ml->env.ud, id, to, (const uint8_t *)frame->data, frame->len);
	return id;
}

uint64_t ml_stream_send(struct memberlist *ml, uint64_t now, enum sreq_kind kind,
			const struct gaddr *to, uint32_t seq, const struct gmsg *m,
			uint64_t deadline)
{
	struct buf b = BUF_INIT;
	gwire_stream_encode(&b, m);
	uint64_t id = ml_stream_send_raw(ml, now, kind, to, seq, &b, deadline);
	buf_free(&b);
	return id;
}

/* ---- object ---- */

struct memberlist *memberlist_new(const struct memberlist_config *cfg,
				  const struct memberlist_env *env, uint64_t now,
				  const uint8_t *meta, size_t meta_len)
{
	if (meta_len > GOSSIP_META_MAX || !cfg->name[0])
		return NULL;
	struct memberlist *ml = xcalloc(1, sizeof(*ml));
	ml->cfg = *cfg;
	ml->env = *env;
	ml->incarnation = 1;
	struct mnode *self = st_add(ml, cfg->name);
	ml->self = self;
	struct gmember a = {0};
	name_copy(a.name, cfg->name);
	a.addr = cfg->addr;
	a.incarnation = 1;
	memcpy(a.vsn, cfg->vsn, 6);
	a.meta_len = (uint16_t)meta_len;
	if (meta_len)
		memcpy(a.meta, meta, meta_len);
	/* bootstrap: self starts dead at incarnation 0, so this makes it alive */
	self->pub.addr = cfg->addr;
	st_alive(ml, now, &a, true);
	/* stagger the periodic work so nodes started together do not beat in step */
	ml->next_probe = now + ml_rand(ml, cfg->probe_interval);
	ml->next_gossip = now + ml_rand(ml, cfg->gossip_interval);
	ml->next_push_pull =
	    now + ml_rand(ml, cfg->push_pull_interval ? cfg->push_pull_interval : 1);
	return ml;
}

void memberlist_free(struct memberlist *ml)
{
	if (!ml)
		return;
	bq_free_all(ml);
	st_free_all(ml);
	free(ml->relays);
	free(ml->sreqs);
	buf_free(&ml->out);
	free(ml);
}

const struct memberlist_stats *memberlist_stats(const struct memberlist *ml)
{
	return &ml->stats;
}

/* ---- timers ---- */

static bool gossip_ok(struct memberlist *ml, struct mnode *n)
{
	switch (n->pub.state) {
	case GSTATE_ALIVE:
	case GSTATE_SUSPECT:
		return true;
	case GSTATE_DEAD:
		return ml->now - n->pub.state_change <= ml->cfg.gossip_to_the_dead_time;
	default:
		return false;
	}
}

static void gossip_round(struct memberlist *ml)
{
	struct mnode *k[16];
	int want = ml->cfg.gossip_nodes < 16 ? ml->cfg.gossip_nodes : 16;
	if (ml->qlen == 0)
		return;
	size_t n = ml_pick(ml, want, k, NULL, gossip_ok);
	for (size_t i = 0; i < n; i++) {
		buf_reset(&ml->out);
		gwire_packet_begin(&ml->out);
		if (bq_fill(ml, &ml->out, ml->cfg.packet_budget) == 0)
			return;
		ml_send(ml, &k[i]->pub.addr, &ml->out);
	}
}

static void sreq_timeouts(struct memberlist *ml, uint64_t now)
{
	for (size_t i = 0; i < ml->nsreqs;) {
		if (ml->sreqs[i].deadline > now) {
			i++;
			continue;
		}
		struct sreq r = ml->sreqs[i];
		ml->sreqs[i] = ml->sreqs[--ml->nsreqs];
		if (r.kind == SREQ_JOIN && ml->env.join_done)
			ml->env.join_done(ml->env.ud, &r.to, CAIRN_E_TIMEOUT);
	}
}

uint64_t memberlist_next_deadline(const struct memberlist *ml)
{
	uint64_t t = probe_deadline(ml);
	uint64_t s = st_next_suspicion(ml);
	if (s < t)
		t = s;
	if (ml->next_gossip < t)
		t = ml->next_gossip;
	if (ml->cfg.push_pull_interval && !ml->leaving && ml->next_push_pull < t)
		t = ml->next_push_pull;
	for (size_t i = 0; i < ml->nsreqs; i++)
		if (ml->sreqs[i].deadline < t)
			t = ml->sreqs[i].deadline;
	return t;
}

void memberlist_tick(struct memberlist *ml, uint64_t now)
{
	ml->now = now;
	st_suspicion_timeouts(ml, now);
	sreq_timeouts(ml, now);
	probe_tick(ml, now);
	if (now >= ml->next_gossip) {
		ml->next_gossip += ml->cfg.gossip_interval;
		if (ml->next_gossip <= now)
			ml->next_gossip = now + ml->cfg.gossip_interval;
		gossip_round(ml);
	}
	pp_tick(ml, now);
}

/* ---- input ---- */

static void handle(struct memberlist *ml, uint64_t now, const struct gaddr *from,
		   const struct gmsg *m, const uint8_t *part, size_t part_len)
{
	switch (m->type) {
	case GMSG_PING:
		probe_on_ping(ml, from, &m->u.ping);
		break;
	case GMSG_INDIRECT_PING:
		probe_on_indirect(ml, now, &m->u.indirect);
		break;
	case GMSG_ACK:
		probe_on_ack(ml, now, &m->u.ack);
		break;
	case GMSG_NACK:
		probe_on_nack(ml, &m->u.nack);
		break;
	case GMSG_SUSPECT:
		st_suspect(ml, now, &m->u.suspect);
		break;
	case GMSG_ALIVE:
		st_alive(ml, now, &m->u.alive, false);
		break;
	case GMSG_DEAD:
		st_dead(ml, now, &m->u.dead);
		break;
	case GMSG_USER:
		if (ml->env.user_msg && ml->env.user_msg(ml->env.ud, m->u.user.data, m->u.user.len))
			bq_queue_raw(ml, part, part_len);
		break;
	default:
		break;
	}
}

void memberlist_recv_packet(struct memberlist *ml, uint64_t now, const struct gaddr *from,
			    const uint8_t *data, size_t len)
{
	ml->now = now;
	if (gwire_packet_check(data, len) < 0) {
		ml->stats.bad_packets++;
		return;
	}
	struct gwire_iter it;
	struct gmsg m;
	gwire_iter_init(&it, data, len);
	for (;;) {
		size_t start = it.off;
		if (gwire_iter_next(&it, &m) != 1)
			break;
		handle(ml, now, from, &m, data + start, it.off - start);
	}
}

void memberlist_recv_stream(struct memberlist *ml, uint64_t now, const struct gaddr *from,
			    const uint8_t *data, size_t len, struct buf *reply)
{
	struct gmsg m;
	ml->now = now;
	if (gwire_stream_decode(data, len, &m) != 0) {
		ml->stats.bad_packets++;
		return;
	}
	if (m.type == GMSG_PING) {
		if (!m.u.ping.node[0] || strcmp(m.u.ping.node, ml->cfg.name) == 0) {
			struct gmsg ack;
			probe_ack_msg(ml, m.u.ping.seq, &ack);
			gwire_stream_encode(reply, &ack);
		}
	} else if (m.type == GMSG_PUSH_PULL) {
		pp_on_request(ml, now, &m, reply);
		gmsg_free(&m);
	}
}

void memberlist_stream_done(struct memberlist *ml, uint64_t now, uint64_t id, const uint8_t *reply,
			    size_t len)
{
	ml->now = now;
	size_t i = 0;
	while (i < ml->nsreqs && ml->sreqs[i].id != id)
		i++;
	if (i == ml->nsreqs)
		return; /* timed out already, or a duplicate */
	struct sreq r = ml->sreqs[i];
	ml->sreqs[i] = ml->sreqs[--ml->nsreqs];
	if (r.kind == SREQ_PING) {
		struct gmsg m;
		bool ok = reply && gwire_stream_decode(reply, len, &m) == 0 && m.type == GMSG_ACK &&
			  m.u.ack.seq == r.seq;
		if (reply && !ok && gwire_stream_decode(reply, len, &m) == 0)
			gmsg_free(&m);
		probe_on_stream_ack(ml, r.seq, ok);
		return;
	}
	pp_on_reply(ml, now, &r, reply, len);
}

/* ---- local changes ---- */

void memberlist_leave(struct memberlist *ml, uint64_t now)
{
	ml->now = now;
	if (ml->leaving)
		return;
	ml->leaving = true;
	ml->probe.active = false;
	struct gmsg_accuse d = {.incarnation = ml->incarnation};
	name_copy(d.node, ml->cfg.name);
	name_copy(d.from, ml->cfg.name);
	st_dead(ml, now, &d);
}

bool memberlist_leave_sent(const struct memberlist *ml)
{
	return ml->leaving && (ml->leave_done || ml->nalive == 0);
}

int memberlist_set_meta(struct memberlist *ml, uint64_t now, const uint8_t *meta, size_t len)
{
	ml->now = now;
	if (len > GOSSIP_META_MAX)
		return CAIRN_E_TOOBIG;
	if (ml->leaving)
		return CAIRN_E_SHUTDOWN;
	struct gmember a = {0};
	st_member_to_msg(ml->self, &a);
	a.incarnation = ++ml->incarnation;
	a.meta_len = (uint16_t)len;
	if (len)
		memcpy(a.meta, meta, len);
	st_alive(ml, now, &a, true);
	return 0;
}

int memberlist_broadcast_user(struct memberlist *ml, const uint8_t *data, size_t len)
{
	if (len == 0 || len > GOSSIP_USER_MAX)
		return CAIRN_E_TOOBIG;
	struct gmsg m = {.type = GMSG_USER};
	m.u.user.len = (uint16_t)len;
	memcpy(m.u.user.data, data, len);
	struct buf b = BUF_INIT;
	gwire_put_msg(&b, &m);
	bq_queue_raw(ml, (const uint8_t *)b.data, b.len);
	buf_free(&b);
	return 0;
}
