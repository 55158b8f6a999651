/*
 * Deterministic gossip simulation: N memberlist cores in one process on a fake
 * clock and a fake network, in the style of canonical raft's test fixture.
 * Used by the gossip unit tests and by bench/gossip.c (header-only because the
 * build links each tests/unit/<folder>/test_*.c alone with its folder library).
 *
 * Model:
 *   - time is a 64-bit ms counter that jumps from event to event; a priority
 *     queue (binary heap ordered by time, then by insertion order) holds packet
 *     deliveries, stream requests and replies, and each node's single timer
 *     (memberlist_next_deadline, re-armed after every call into the node);
 *   - UDP packets take a latency drawn uniformly from [lat_min, lat_max] and are
 *     lost with probability loss (uniform, independent);
 *   - the stream channel (TCP) is reliable: same latency, never lost; a request
 *     to a killed node fails after one latency (connection refused); a request
 *     across a partition gets no answer (the core times it out);
 *   - partitions: each node has a group; nothing crosses groups;
 *   - kill: the node stops silently (its core is freed); restart: a fresh core
 *     (incarnation 1) at the same address; slow: every packet and stream message
 *     reaching the node is processed slow_ms late while its own timers run on
 *     time (a member whose receive path is backed up: it answers late and
 *     hears answers late);
 *   - all randomness comes from one seeded splitmix64 stream for the network and
 *     one per node for its core, so a run is a pure function of its seed.
 *
 * Observers: on_event sees every membership notification of every node with
 * the simulated time; on_user every user broadcast delivery (return true when
 * new, like serf's dedupe, to have it gossiped on). A layer above the core
 * plugs in through on_local_state / on_merge_state (the push-pull user blob)
 * and after_step (its own timers and deferred calls; test_serf_sim.c).
 */
#ifndef CAIRN_TESTS_GOSSIP_SIM_H
#define CAIRN_TESTS_GOSSIP_SIM_H

#include "base/alloc.h"
#include "gossip/memberlist.h"
#include "gossip/wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_FN static __attribute__((unused))

enum sim_ev_kind { SIM_PACKET, SIM_STREAM_REQ, SIM_STREAM_REPLY, SIM_TIMER };

struct sim_ev {
	uint64_t at;   /* ms */
	uint64_t seq;  /* insertion order: ties run first-in first-out */
	uint8_t kind;  /* enum sim_ev_kind */
	int to, from;  /* node indexes */
	uint64_t id;   /* timer generation, or stream request id */
	uint32_t life; /* SIM_STREAM_REPLY: the requester's life when it asked */
	uint8_t *data; /* owned; NULL for timers and failed replies */
	size_t len;
};

struct sim;

struct sim_node {
	struct sim *sim;
	int idx;
	char name[32];
	struct gaddr addr;
	struct memberlist *ml; /* NULL while killed */
	uint64_t rng;	       /* the core's random stream */
	uint64_t slow_ms;      /* processing delay (0: healthy) */
	int group;	       /* partition group */
	uint32_t life;	       /* restarts, to drop replies meant for an old core */
	uint64_t armed_at;     /* time of the live timer event, 0 if none */
	uint64_t timer_gen;
	uint64_t bytes_out; /* UDP + stream bytes this node put on the wire */
};

struct sim {
	uint64_t now;
	uint64_t rng;
	struct sim_ev *heap;
	size_t nheap, heapcap;
	uint64_t seq;
	struct sim_node *nodes;
	int n;
	struct memberlist_config cfg; /* template; name/addr filled per node */
	double loss;		      /* UDP loss probability */
	uint64_t lat_min, lat_max;    /* one-way latency, ms */
	uint64_t packets, lost;	      /* counters */
	void *user;
	void (*on_event)(struct sim *s, int observer, enum memberlist_event ev,
			 const struct memberlist_node *n);
	bool (*on_user)(struct sim *s, int observer, const uint8_t *data, size_t len);
	/* Optional, for a layer above the core (the serf tests): the push-pull
	 * user blob of node i, and a call after every event node i handled,
	 * outside the core (so it may call memberlist_* functions; the node's
	 * timer is re-armed after it). */
	void (*on_local_state)(struct sim *s, int node, bool join, struct buf *out);
	void (*on_merge_state)(struct sim *s, int node, const uint8_t *data, size_t len, bool join);
	void (*after_step)(struct sim *s, int node);
};

/* ---- randomness ---- */

static inline uint64_t sim_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline double sim_unit(struct sim *s)
{
	return (double)(sim_splitmix(&s->rng) >> 11) / 9007199254740992.0;
}

static inline uint64_t sim_latency(struct sim *s)
{
	uint64_t span = s->lat_max - s->lat_min + 1;
	return s->lat_min + sim_splitmix(&s->rng) % span;
}

/* ---- event queue ---- */

static inline bool sim_before(const struct sim_ev *a, const struct sim_ev *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

SIM_FN void sim_push(struct sim *s, struct sim_ev ev)
{
	if (s->nheap == s->heapcap) {
		s->heapcap = s->heapcap ? s->heapcap * 2 : 1024;
		s->heap = xrealloc(s->heap, s->heapcap * sizeof(*s->heap));
	}
	ev.seq = s->seq++;
	size_t i = s->nheap++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!sim_before(&ev, &s->heap[p]))
			break;
		s->heap[i] = s->heap[p];
		i = p;
	}
	s->heap[i] = ev;
}

SIM_FN struct sim_ev sim_pop(struct sim *s)
{
	struct sim_ev top = s->heap[0];
	struct sim_ev last = s->heap[--s->nheap];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && sim_before(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!sim_before(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->nheap)
		s->heap[i] = last;
	return top;
}

/* ---- addresses ---- */

static inline struct gaddr sim_addr(int i)
{
	struct gaddr a = {.family = 4, .port = 8301};
	a.ip[0] = 10;
	a.ip[1] = (uint8_t)(i >> 16);
	a.ip[2] = (uint8_t)(i >> 8);
	a.ip[3] = (uint8_t)i;
	return a;
}

static inline int sim_addr_node(const struct sim *s, const struct gaddr *a)
{
	int i = a->ip[1] << 16 | a->ip[2] << 8 | a->ip[3];
	return a->family == 4 && a->ip[0] == 10 && i < s->n ? i : -1;
}

/* ---- the env each core gets ---- */

SIM_FN void sim_arm(struct sim_node *nd)
{
	struct sim *s = nd->sim;
	if (!nd->ml)
		return;
	uint64_t d = memberlist_next_deadline(nd->ml);
	if (d == MEMBERLIST_NEVER)
		return;
	uint64_t at = d > s->now ? d : s->now;
	if (nd->armed_at && nd->armed_at == at)
		return;
	nd->armed_at = at;
	struct sim_ev ev = {.at = at, .kind = SIM_TIMER, .to = nd->idx, .id = ++nd->timer_gen};
	sim_push(s, ev);
}

static uint64_t sim_env_rand(void *ud)
{
	return sim_splitmix(&((struct sim_node *)ud)->rng);
}

static bool sim_link_up(struct sim *s, int a, int b)
{
	return s->nodes[a].group == s->nodes[b].group;
}

static void sim_env_send_packet(void *ud, const struct gaddr *to, const uint8_t *data, size_t len)
{
	struct sim_node *nd = ud;
	struct sim *s = nd->sim;
	int t = sim_addr_node(s, to);
	nd->bytes_out += len;
	s->packets++;
	if (t < 0 || !sim_link_up(s, nd->idx, t) || sim_unit(s) < s->loss) {
		s->lost++;
		return;
	}
	struct sim_ev ev = {.at = s->now + sim_latency(s) + s->nodes[t].slow_ms,
			    .kind = SIM_PACKET,
			    .to = t,
			    .from = nd->idx,
			    .data = xmemdup(data, len),
			    .len = len};
	sim_push(s, ev);
}

static void sim_env_send_stream(void *ud, uint64_t id, const struct gaddr *to, const uint8_t *data,
				size_t len)
{
	struct sim_node *nd = ud;
	struct sim *s = nd->sim;
	int t = sim_addr_node(s, to);
	nd->bytes_out += len;
	if (t < 0 || !sim_link_up(s, nd->idx, t))
		return; /* no answer: the core times out */
	struct sim_ev ev = {
	    .at = s->now + sim_latency(s), .to = t, .from = nd->idx, .id = id, .life = nd->life};
	if (!s->nodes[t].ml) { /* refused */
		ev.kind = SIM_STREAM_REPLY;
		ev.to = nd->idx;
		ev.from = t;
	} else {
		ev.kind = SIM_STREAM_REQ;
		ev.at += s->nodes[t].slow_ms;
		ev.data = xmemdup(data, len);
		ev.len = len;
	}
	sim_push(s, ev);
}

static void sim_env_notify(void *ud, enum memberlist_event ev, const struct memberlist_node *n)
{
	struct sim_node *nd = ud;
	if (nd->sim->on_event)
		nd->sim->on_event(nd->sim, nd->idx, ev, n);
}

static bool sim_env_user(void *ud, const uint8_t *data, size_t len)
{
	struct sim_node *nd = ud;
	return nd->sim->on_user ? nd->sim->on_user(nd->sim, nd->idx, data, len) : false;
}

static void sim_env_local_state(void *ud, bool join, struct buf *out)
{
	struct sim_node *nd = ud;
	if (nd->sim->on_local_state)
		nd->sim->on_local_state(nd->sim, nd->idx, join, out);
}

static void sim_env_merge_state(void *ud, const uint8_t *data, size_t len, bool join)
{
	struct sim_node *nd = ud;
	if (nd->sim->on_merge_state)
		nd->sim->on_merge_state(nd->sim, nd->idx, data, len, join);
}

/* ---- lifecycle ---- */

SIM_FN void sim_start_node(struct sim *s, int i)
{
	struct sim_node *nd = &s->nodes[i];
	struct memberlist_config c = s->cfg;
	snprintf(c.name, sizeof(c.name), "%s", nd->name);
	c.addr = nd->addr;
	struct memberlist_env env = {
	    .ud = nd,
	    .rand64 = sim_env_rand,
	    .send_packet = sim_env_send_packet,
	    .send_stream = sim_env_send_stream,
	    .notify = sim_env_notify,
	    .user_msg = sim_env_user,
	    .local_state = sim_env_local_state,
	    .merge_state = sim_env_merge_state,
	};
	nd->ml = memberlist_new(&c, &env, s->now, (const uint8_t *)"role=node", 9);
	nd->armed_at = 0;
	sim_arm(nd);
}

/* n nodes named n0000.., all started (alone) at time 0; LAN config by default. */
SIM_FN void sim_init(struct sim *s, int n, uint64_t seed, const struct memberlist_config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->rng = seed;
	s->n = n;
	s->lat_min = 1;
	s->lat_max = 5;
	if (cfg)
		s->cfg = *cfg;
	else
		memberlist_config_lan(&s->cfg);
	s->nodes = xcalloc((size_t)n, sizeof(*s->nodes));
	for (int i = 0; i < n; i++) {
		struct sim_node *nd = &s->nodes[i];
		nd->sim = s;
		nd->idx = i;
		snprintf(nd->name, sizeof(nd->name), "n%04d", i);
		nd->addr = sim_addr(i);
		nd->rng = seed * 1000003u + (uint64_t)i;
		sim_start_node(s, i);
	}
}

SIM_FN void sim_free(struct sim *s)
{
	for (int i = 0; i < s->n; i++)
		memberlist_free(s->nodes[i].ml);
	for (size_t i = 0; i < s->nheap; i++)
		free(s->heap[i].data);
	free(s->heap);
	free(s->nodes);
}

/* Stop node i silently (kill -9). */
SIM_FN void sim_kill(struct sim *s, int i)
{
	memberlist_free(s->nodes[i].ml);
	s->nodes[i].ml = NULL;
	s->nodes[i].life++;
}

/* Start a fresh core for node i (as after a restart) and join it to node via. */
SIM_FN void sim_restart(struct sim *s, int i, int via)
{
	if (s->nodes[i].ml)
		sim_kill(s, i);
	sim_start_node(s, i);
	if (via >= 0) {
		memberlist_join(s->nodes[i].ml, s->now, &s->nodes[via].addr, 1);
		sim_arm(&s->nodes[i]);
	}
}

SIM_FN void sim_join(struct sim *s, int i, int via)
{
	memberlist_join(s->nodes[i].ml, s->now, &s->nodes[via].addr, 1);
	sim_arm(&s->nodes[i]);
}

/* ---- running ---- */

SIM_FN void sim_step(struct sim *s)
{
	struct sim_ev ev = sim_pop(s);
	s->now = ev.at;
	struct sim_node *nd = &s->nodes[ev.to];
	switch (ev.kind) {
	case SIM_TIMER:
		if (ev.id != nd->timer_gen || !nd->ml)
			break;
		nd->armed_at = 0;
		memberlist_tick(nd->ml, s->now);
		break;
	case SIM_PACKET:
		if (nd->ml)
			memberlist_recv_packet(nd->ml, s->now, &s->nodes[ev.from].addr, ev.data,
					       ev.len);
		break;
	case SIM_STREAM_REQ: {
		struct sim_ev r = {.at = s->now + sim_latency(s),
				   .kind = SIM_STREAM_REPLY,
				   .to = ev.from,
				   .from = ev.to,
				   .id = ev.id,
				   .life = ev.life};
		if (nd->ml && sim_link_up(s, ev.to, ev.from)) {
			struct buf reply = BUF_INIT;
			memberlist_recv_stream(nd->ml, s->now, &s->nodes[ev.from].addr, ev.data,
					       ev.len, &reply);
			nd->bytes_out += reply.len;
			if (reply.len) {
				r.len = reply.len;
				r.data = (uint8_t *)buf_steal(&reply);
			}
			buf_free(&reply);
			r.at += s->nodes[ev.from].slow_ms;
			sim_push(s, r);
		} else if (!nd->ml) {
			sim_push(s, r);
		}
		break;
	}
	case SIM_STREAM_REPLY:
		if (nd->ml && ev.life == nd->life)
			memberlist_stream_done(nd->ml, s->now, ev.id, ev.data, ev.len);
		break;
	}
	free(ev.data);
	if (s->after_step && nd->ml)
		s->after_step(s, ev.to);
	sim_arm(nd);
}

/* Runs every event up to and including time t; the clock ends at t. */
SIM_FN void sim_run_until(struct sim *s, uint64_t t)
{
	while (s->nheap && s->heap[0].at <= t)
		sim_step(s);
	s->now = t;
}

SIM_FN void sim_run_for(struct sim *s, uint64_t ms)
{
	sim_run_until(s, s->now + ms);
}

/* Runs until pred holds (checked every `every` ms) or until deadline. */
SIM_FN bool sim_run_while_not(struct sim *s, uint64_t deadline, uint64_t every,
			      bool (*pred)(struct sim *s, void *arg), void *arg)
{
	while (s->now < deadline) {
		if (pred(s, arg))
			return true;
		uint64_t t = s->now + every;
		sim_run_until(s, t < deadline ? t : deadline);
	}
	return pred(s, arg);
}

/* ---- observations ---- */

/* State of node target in node observer's table (-1 if unknown or observer down). */
SIM_FN int sim_view(const struct sim *s, int observer, int target)
{
	const struct memberlist *ml = s->nodes[observer].ml;
	if (!ml)
		return -1;
	const struct memberlist_node *n = memberlist_find(ml, s->nodes[target].name);
	return n ? (int)n->state : -1;
}

/* How many running nodes other than target see target in state st. */
SIM_FN int sim_count_view(const struct sim *s, int target, int st)
{
	int c = 0;
	for (int i = 0; i < s->n; i++)
		if (i != target && s->nodes[i].ml && sim_view(s, i, target) == st)
			c++;
	return c;
}

SIM_FN int sim_running(const struct sim *s)
{
	int c = 0;
	for (int i = 0; i < s->n; i++)
		c += s->nodes[i].ml != NULL;
	return c;
}

/* Every running node sees every running node alive. */
SIM_FN bool sim_converged(struct sim *s, void *arg)
{
	for (int i = 0; i < s->n; i++) {
		if (!s->nodes[i].ml)
			continue;
		for (int j = 0; j < s->n; j++)
			if (s->nodes[j].ml && sim_view(s, i, j) != GSTATE_ALIVE)
				return false;
	}
	return true;
}

/* Join every node to node 0, spread over `spread` ms. */
SIM_FN void sim_join_all(struct sim *s, uint64_t spread)
{
	for (int i = 1; i < s->n; i++) {
		sim_run_until(s, s->now + (spread / (uint64_t)s->n));
		sim_join(s, i, 0);
	}
}

/* A converged cluster without the joins: feeds every running core one
 * push-pull request (as from node 0; node 0 gets it as from node 1) listing
 * all n members alive at incarnation 1 with the address, vsn and meta
 * sim_start_node gives them, i.e. the table a finished join leaves. Each core
 * merges it as it would any push-pull (JOIN notifications, alive broadcasts
 * queued); its reply is dropped. The frame is built once: O(n) bytes, versus
 * n joins through one seed that each carry the seed's whole table. */
SIM_FN void sim_preseed_all(struct sim *s)
{
	static const uint8_t meta[] = "role=node"; /* as sim_start_node */
	struct gmember m;
	struct buf f = BUF_INIT;
	size_t start = gwire_pp_begin(&f, false, (uint32_t)s->n);
	for (int i = 0; i < s->n; i++) {
		memset(&m, 0, sizeof(m));
		snprintf(m.name, sizeof(m.name), "%s", s->nodes[i].name);
		m.addr = s->nodes[i].addr;
		m.incarnation = 1;
		m.state = GSTATE_ALIVE;
		memcpy(m.vsn, s->cfg.vsn, 6);
		m.meta_len = (uint16_t)(sizeof(meta) - 1);
		memcpy(m.meta, meta, sizeof(meta) - 1);
		gwire_pp_member(&f, &m);
	}
	gwire_pp_end(&f, start, NULL, 0);
	for (int i = 0; i < s->n; i++) {
		struct sim_node *nd = &s->nodes[i];
		if (!nd->ml)
			continue;
		struct buf reply = BUF_INIT;
		memberlist_recv_stream(nd->ml, s->now, &s->nodes[i ? 0 : 1].addr,
				       (const uint8_t *)f.data + start, f.len - start, &reply);
		buf_free(&reply);
		/* a merge of alive members moves no deadline; and at time 0
		 * re-arming would queue a second timer (armed_at 0 reads as
		 * "none"), and two stale-chasing timers at t=0 never let the
		 * clock move */
		if (s->now)
			sim_arm(nd);
	}
	buf_free(&f);
}

#endif
