/*
 * SWIM failure detection (Das, Gupta, Motivala: SWIM, DSN 2002) with the
 * Lifeguard refinements, as memberlist runs it. One probe at a time:
 *
 *   t0                      ping the next member in the (shuffled) probe order;
 *                           if it is suspect, the suspect message rides along
 *                           (Lifeguard's buddy system: it learns at once and refutes)
 *   t0 + probe_timeout      no ack: ask indirect_checks random alive members to
 *                           ping it for us (they answer nack if it stays silent),
 *                           and try a ping over the reliable stream channel
 *   t0 + interval*(h+1)     still no ack from any path: suspect the member, and
 *                           raise our health score h by the nacks that did not
 *                           come (a missing nack means the problem may be ours)
 *
 * Any ack (direct, relayed, or over the stream) ends the probe as a success and
 * lowers h. The next probe starts probe_interval after the last one started, or
 * at once if the previous probe ran longer. A relay (we were asked to probe for
 * someone) waits 80% of probe_timeout for the target's ack, then sends the nack.
 * Relays are a small array; entries are removed when answered or timed out.
 */
#include "gossip/internal.h"

#include "base/alloc.h"

#include <string.h>

static void ping_msg(struct memberlist *ml, uint32_t seq, const char *node, struct gmsg *m)
{
	memset(&m->u.ping, 0, sizeof(m->u.ping));
	m->type = GMSG_PING;
	m->u.ping.seq = seq;
	name_copy(m->u.ping.node, node);
	m->u.ping.source = ml->cfg.addr;
	name_copy(m->u.ping.source_node, ml->cfg.name);
}

void probe_ack_msg(struct memberlist *ml, uint32_t seq, struct gmsg *out)
{
	out->type = GMSG_ACK;
	out->u.ack.seq = seq;
	out->u.ack.payload_len = 0;
	if (ml->env.ack_payload)
		out->u.ack.payload_len = (uint8_t)ml->env.ack_payload(
		    ml->env.ud, out->u.ack.payload, GOSSIP_PAYLOAD_MAX);
}

static bool alive_ok(struct memberlist *ml, struct mnode *n)
{
	return n->pub.state == GSTATE_ALIVE;
}

/* Next member to probe: round-robin over nodes[]; at the end of a pass drop
 * long-dead members and reshuffle. */
static struct mnode *next_target(struct memberlist *ml, uint64_t now)
{
	for (size_t tries = 0; tries <= ml->nnodes; tries++) {
		if (ml->probe_index >= ml->nnodes) {
			st_reap(ml, now);
			st_shuffle(ml);
			ml->probe_index = 0;
		}
		struct mnode *n = ml->nodes[ml->probe_index++];
		if (n == ml->self ||
		    !(n->pub.state == GSTATE_ALIVE || n->pub.state == GSTATE_SUSPECT))
			continue;
		return n;
	}
	return NULL;
}

static void start_probe(struct memberlist *ml, uint64_t now)
{
	struct mnode *t = next_target(ml, now);
	if (!t)
		return;
	struct probe *p = &ml->probe;
	memset(p, 0, sizeof(*p));
	p->active = true;
	name_copy(p->target, t->name);
	p->seq = ++ml->seq;
	p->sent = now;
	p->timeout_at = now + ml->cfg.probe_timeout;
	p->deadline = now + aw_scale(ml, ml->cfg.probe_interval);
	ml->stats.probes++;

	struct gmsg m;
	ping_msg(ml, p->seq, t->name, &m);
	buf_reset(&ml->out);
	gwire_packet_begin(&ml->out);
	gwire_put_msg(&ml->out, &m);
	if (t->pub.state == GSTATE_SUSPECT) {
		m.type = GMSG_SUSPECT;
		m.u.suspect.incarnation = t->pub.incarnation;
		name_copy(m.u.suspect.node, t->name);
		name_copy(m.u.suspect.from, ml->cfg.name);
		gwire_put_msg(&ml->out, &m);
	}
	bq_fill(ml, &ml->out, ml->cfg.packet_budget);
	ml_send(ml, &t->pub.addr, &ml->out);
}

static void end_probe(struct memberlist *ml, bool ok)
{
	ml->probe.active = false;
	if (ok)
		aw_apply(ml, -1);
}

static void go_indirect(struct memberlist *ml, uint64_t now)
{
	struct probe *p = &ml->probe;
	struct mnode *t = st_find(ml, p->target);
	p->indirect_sent = true;
	if (!t || !(t->pub.state == GSTATE_ALIVE || t->pub.state == GSTATE_SUSPECT)) {
		end_probe(ml, false); /* declared dead or reaped meanwhile: nothing to do */
		return;
	}
	struct mnode *k[16];
	int want = ml->cfg.indirect_checks < 16 ? ml->cfg.indirect_checks : 16;
	size_t n = ml_pick(ml, want, k, t->name, alive_ok);
	struct gmsg m;
	memset(&m.u.indirect, 0, sizeof(m.u.indirect));
	m.type = GMSG_INDIRECT_PING;
	m.u.indirect.seq = p->seq;
	m.u.indirect.target = t->pub.addr;
	name_copy(m.u.indirect.node, t->name);
	m.u.indirect.want_nack = true;
	m.u.indirect.source = ml->cfg.addr;
	name_copy(m.u.indirect.source_node, ml->cfg.name);
	for (size_t i = 0; i < n; i++)
		ml_send_msg(ml, &k[i]->pub.addr, &m);
	p->expected_nacks = (int)n;
	ml->stats.indirect_probes++;

	/* the stream fallback: a reliable channel gets through where UDP is lossy */
	struct gmsg ping;
	ping_msg(ml, p->seq, t->name, &ping);
	ml_stream_send(ml, now, SREQ_PING, &t->pub.addr, p->seq, &ping, p->deadline);
}

static void fail_probe(struct memberlist *ml, uint64_t now)
{
	struct probe *p = &ml->probe;
	int delta = 0;
	if (p->expected_nacks > 0) {
		if (p->nacks < p->expected_nacks)
			delta = p->expected_nacks - p->nacks;
	} else {
		delta = 1;
	}
	ml->probe.active = false;
	aw_apply(ml, delta);
	ml->stats.probe_failures++;
	struct mnode *t = st_find(ml, p->target);
	if (!t)
		return;
	struct gmsg_accuse s = {.incarnation = t->pub.incarnation};
	name_copy(s.node, t->name);
	name_copy(s.from, ml->cfg.name);
	st_suspect(ml, now, &s);
}

static void remove_relay(struct memberlist *ml, size_t i)
{
	ml->relays[i] = ml->relays[--ml->nrelays];
}

void probe_tick(struct memberlist *ml, uint64_t now)
{
	for (size_t i = 0; i < ml->nrelays;) {
		struct relay *r = &ml->relays[i];
		if (r->deadline > now) {
			i++;
			continue;
		}
		if (r->want_nack) {
			struct gmsg m = {.type = GMSG_NACK};
			m.u.nack.seq = r->origin_seq;
			struct gaddr to = r->origin;
			remove_relay(ml, i);
			ml_send_msg(ml, &to, &m);
		} else {
			remove_relay(ml, i);
		}
	}
	struct probe *p = &ml->probe;
	if (p->active && !p->indirect_sent && now >= p->timeout_at)
		go_indirect(ml, now);
	if (p->active && now >= p->deadline)
		fail_probe(ml, now);
	if (!p->active && !ml->leaving && now >= ml->next_probe) {
		ml->next_probe = now + ml->cfg.probe_interval;
		start_probe(ml, now);
	}
}

uint64_t probe_deadline(const struct memberlist *ml)
{
	uint64_t t = MEMBERLIST_NEVER;
	const struct probe *p = &ml->probe;
	if (p->active) {
		t = p->deadline;
		if (!p->indirect_sent && p->timeout_at < t)
			t = p->timeout_at;
	} else if (!ml->leaving) {
		t = ml->next_probe;
	}
	for (size_t i = 0; i < ml->nrelays; i++)
		if (ml->relays[i].deadline < t)
			t = ml->relays[i].deadline;
	return t;
}

void probe_on_ping(struct memberlist *ml, const struct gaddr *from, const struct gmsg_ping *p)
{
	if (p->node[0] && strcmp(p->node, ml->cfg.name) != 0)
		return; /* meant for a member that used to live at this address */
	struct gmsg m;
	probe_ack_msg(ml, p->seq, &m);
	ml_send_msg(ml, p->source.family ? &p->source : from, &m);
}

void probe_on_indirect(struct memberlist *ml, uint64_t now, const struct gmsg_indirect_ping *p)
{
	if (ml->nrelays == ml->relcap) {
		if (ml->relcap >= 1024)
			return; /* bounded: a flood of requests cannot grow us */
		ml->relcap = ml->relcap ? ml->relcap * 2 : 8;
		ml->relays = xrealloc(ml->relays, ml->relcap * sizeof(*ml->relays));
	}
	struct relay *r = &ml->relays[ml->nrelays++];
	r->seq = ++ml->seq;
	r->origin_seq = p->seq;
	r->origin = p->source;
	r->want_nack = p->want_nack;
	/* Lifeguard sends the nack at 80% of the timeout so it reaches the
	 * prober before the prober's own deadline */
	r->deadline = now + ml->cfg.probe_timeout * 4 / 5;
	struct gmsg m;
	ping_msg(ml, r->seq, p->node, &m);
	ml_send_msg(ml, &p->target, &m);
}

void probe_on_ack(struct memberlist *ml, uint64_t now, const struct gmsg_ack *a)
{
	struct probe *p = &ml->probe;
	if (p->active && a->seq == p->seq) {
		struct mnode *t = st_find(ml, p->target);
		if (t && ml->env.ping_rtt && (!p->indirect_sent || a->payload_len))
			ml->env.ping_rtt(ml->env.ud, &t->pub, now - p->sent, a->payload,
					 a->payload_len);
		end_probe(ml, true);
		return;
	}
	for (size_t i = 0; i < ml->nrelays; i++) {
		if (ml->relays[i].seq != a->seq)
			continue;
		struct gmsg m = {.type = GMSG_ACK};
		m.u.ack.seq = ml->relays[i].origin_seq;
		m.u.ack.payload_len = 0;
		struct gaddr to = ml->relays[i].origin;
		remove_relay(ml, i);
		ml_send_msg(ml, &to, &m);
		return;
	}
}

void probe_on_nack(struct memberlist *ml, const struct gmsg_nack *n)
{
	if (ml->probe.active && n->seq == ml->probe.seq)
		ml->probe.nacks++;
}

void probe_on_stream_ack(struct memberlist *ml, uint32_t seq, bool ok)
{
	if (ok && ml->probe.active && ml->probe.seq == seq) {
		ml->stats.tcp_fallback_ok++;
		end_probe(ml, true);
	}
}
