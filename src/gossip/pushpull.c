/*
 * Push-pull: full state exchange over the reliable stream channel. Gossip
 * spreads news fast but can miss; a periodic exchange of the whole table with
 * one random live member repairs what was missed (anti-entropy), and the same
 * exchange is how a node joins: it sends its state to a known address and
 * merges the reply. The interval grows with the cluster beyond 32 members
 * (memberlist's pushPullScale: interval * (ceil(log2(N) - log2(32)) + 1)) so the
 * total load stays bounded.
 *
 * Each exchange also carries an opaque user blob (serf's Lamport clocks and
 * recent events) obtained from env.local_state and handed to env.merge_state.
 * The receiver answers with its state as it was before merging ours.
 * Requests are asynchronous: a pending entry (memberlist.c) remembers what a
 * stream id was for until the driver reports the reply or it times out.
 */
#include "gossip/internal.h"

#include "base/err.h"

#include <math.h>
#include <string.h>

uint64_t pp_scaled_interval(const struct memberlist *ml)
{
	size_t n = ml->nnodes;
	if (n <= 32)
		return ml->cfg.push_pull_interval;
	double mult = ceil(log2((double)n) - log2(32.0)) + 1.0;
	return (uint64_t)((double)ml->cfg.push_pull_interval * mult);
}

void pp_encode_local(struct memberlist *ml, bool join, struct buf *out)
{
	struct gmember m;
	size_t start = gwire_pp_begin(out, join, (uint32_t)ml->nnodes);
	for (size_t i = 0; i < ml->nnodes; i++) {
		st_member_to_msg(ml->nodes[i], &m);
		gwire_pp_member(out, &m);
	}
	struct buf user = BUF_INIT;
	if (ml->env.local_state)
		ml->env.local_state(ml->env.ud, join, &user);
	gwire_pp_end(out, start, (const uint8_t *)user.data, (uint32_t)user.len);
	buf_free(&user);
}

static bool live_ok(struct memberlist *ml, struct mnode *n)
{
	return n->pub.state == GSTATE_ALIVE;
}

void pp_tick(struct memberlist *ml, uint64_t now)
{
	if (!ml->cfg.push_pull_interval || now < ml->next_push_pull)
		return;
	ml->next_push_pull = now + pp_scaled_interval(ml);
	struct mnode *peer;
	if (ml->leaving || ml_pick(ml, 1, &peer, NULL, live_ok) != 1)
		return;
	struct buf b = BUF_INIT;
	pp_encode_local(ml, false, &b);
	ml_stream_send_raw(ml, now, SREQ_PUSH_PULL, &peer->pub.addr, 0, &b,
			   now + ml->cfg.stream_timeout);
	buf_free(&b);
}

static void merge(struct memberlist *ml, uint64_t now, const struct gmsg_push_pull *pp)
{
	st_merge(ml, now, pp);
	if (ml->env.merge_state && pp->user_len)
		ml->env.merge_state(ml->env.ud, pp->user, pp->user_len, pp->join);
}

void pp_on_request(struct memberlist *ml, uint64_t now, struct gmsg *m, struct buf *reply)
{
	pp_encode_local(ml, false, reply);
	merge(ml, now, &m->u.push_pull);
}

void pp_on_reply(struct memberlist *ml, uint64_t now, const struct sreq *r, const uint8_t *data,
		 size_t len)
{
	struct gmsg m;
	int err = 0;
	if (!data) {
		err = CAIRN_E_IO;
	} else if (gwire_stream_decode(data, len, &m) != 0) {
		ml->stats.bad_packets++;
		err = CAIRN_E_PARSE;
	} else if (m.type != GMSG_PUSH_PULL) {
		ml->stats.bad_packets++;
		err = CAIRN_E_PARSE;
	} else {
		/* a join's merge reports the reply as a join to the serf layer */
		m.u.push_pull.join = r->kind == SREQ_JOIN;
		merge(ml, now, &m.u.push_pull);
		gmsg_free(&m);
	}
	if (r->kind == SREQ_JOIN && ml->env.join_done)
		ml->env.join_done(ml->env.ud, &r->to, err);
}

int memberlist_join(struct memberlist *ml, uint64_t now, const struct gaddr *addrs, size_t n)
{
	int sent = 0;
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (gaddr_equal(&addrs[i], &ml->cfg.addr))
			continue;
		buf_reset(&b);
		pp_encode_local(ml, true, &b);
		ml_stream_send_raw(ml, now, SREQ_JOIN, &addrs[i], 0, &b,
				   now + ml->cfg.stream_timeout);
		sent++;
	}
	buf_free(&b);
	return sent;
}
