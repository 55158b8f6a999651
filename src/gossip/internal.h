/*
 * Private types of the memberlist core, shared by its files:
 *   memberlist.c  object, config defaults, packet dispatch, timers, gossip rounds
 *   state.c       the member table and the alive/suspect/dead state machine
 *   suspicion.c   Lifeguard suspicion timeouts with confirmations
 *   probe.c       SWIM probing: ping, indirect ping, nack, TCP fallback
 *   broadcast.c   the transmit-limited broadcast queue
 *   pushpull.c    push-pull state exchange and join over the stream channel
 *   awareness.c   Lifeguard local health
 * Everything here runs on the owner's thread; "now" is always the caller's ms.
 */
#ifndef CAIRN_GOSSIP_INTERNAL_H
#define CAIRN_GOSSIP_INTERNAL_H

#include "gossip/memberlist.h"
#include "gossip/wire.h"

#include <string.h>

struct bitem;

/* A suspicion timer (suspicion.c): starts at max, shrinks toward min as
 * independent members confirm. */
struct suspicion {
	uint64_t start;	   /* ms when it began */
	uint64_t deadline; /* ms when the member is declared dead */
	uint64_t min, max; /* timeout bounds, ms */
	int k;		   /* confirmations that drive the timeout to min */
	int n;		   /* confirmations seen */
	int nfrom;	   /* names in from[] */
	char **from;	   /* who accused (the first accuser and each confirmer) */
};

/* One member. pub is what callers see; pub.name points at name. */
struct mnode {
	struct memberlist_node pub;
	uint8_t *meta;		/* owned, meta_len bytes */
	struct suspicion *susp; /* while suspect */
	struct bitem *bc;	/* queued broadcast about this member, if any */
	uint32_t idx;		/* position in ml->nodes */
	uint32_t sidx;		/* position in ml->susps while suspect */
	char name[];		/* NUL-terminated, allocated to fit */
};

/* A queued broadcast (broadcast.c): one framed packet part. */
struct bitem {
	struct bitem *prev, *next; /* within its transmit-count tier */
	struct mnode *node;	   /* member it is about (invalidation key), NULL for user */
	int transmits;
	uint16_t len;
	uint8_t data[]; /* [type][len][body] */
};

/* A relayed indirect probe: we pinged target for origin (probe.c). */
struct relay {
	uint32_t seq;	     /* our ping's seq */
	uint32_t origin_seq; /* the requester's seq */
	struct gaddr origin; /* where to send ack / nack */
	bool want_nack;
	uint64_t deadline;
};

/* What a pending stream request is for (pushpull.c, probe.c). */
enum sreq_kind { SREQ_PUSH_PULL, SREQ_JOIN, SREQ_PING };

struct sreq {
	uint64_t id;
	enum sreq_kind kind;
	struct gaddr to;
	uint32_t seq; /* SREQ_PING: the probe's seq */
	uint64_t deadline;
};

/* The probe in progress (probe.c). */
struct probe {
	bool active;
	char target[GOSSIP_NAME_MAX + 1];
	uint32_t seq;
	uint64_t sent;	     /* ms the direct ping went out */
	uint64_t timeout_at; /* direct ack deadline: then indirect + TCP */
	uint64_t deadline;   /* end of the (scaled) probe interval: then suspect */
	bool indirect_sent;
	int expected_nacks;
	int nacks;
	bool acked;
};

struct memberlist {
	struct memberlist_config cfg;
	struct memberlist_env env;
	struct memberlist_stats stats;
	uint64_t now; /* ms of the current call (set by every entry point) */

	/* member table (state.c) */
	struct mnode **nodes; /* probe order; nodes[i]->idx == i */
	size_t nnodes, cap;
	struct mnode **hash; /* open addressing by name, size hcap (power of 2) */
	size_t hcap;
	struct mnode *self;
	size_t nalive; /* alive or suspect (self included) */
	uint32_t incarnation;
	bool leaving;
	struct mnode **susps; /* members with a suspicion timer */
	size_t nsusp, suspcap;

	/* probing */
	size_t probe_index;
	uint64_t next_probe;
	struct probe probe;
	uint32_t seq;
	struct relay *relays;
	size_t nrelays, relcap;
	int awareness;

	/* dissemination */
	uint64_t next_gossip;
	struct bitem **tiers; /* list heads by transmit count */
	int ntiers;
	size_t qlen;
	uint32_t lencnt[256]; /* queued parts by length (< 256): bq_fill stops early */
	bool leave_done;      /* our leave message reached its transmit limit */
	bool leave_queued;

	/* push-pull */
	uint64_t next_push_pull;
	uint64_t next_sreq_id;
	struct sreq *sreqs;
	size_t nsreqs, sreqcap;

	struct buf out; /* scratch packet */
};

/* Bounded name copy into a GOSSIP_NAME_MAX + 1 array. */
static inline void name_copy(char *dst, const char *src)
{
	size_t n = strnlen(src, GOSSIP_NAME_MAX);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* memberlist.c */
uint64_t ml_rand(struct memberlist *ml, uint64_t n); /* uniform in [0, n) */
void ml_send(struct memberlist *ml, const struct gaddr *to, struct buf *pkt);
void ml_send_msg(struct memberlist *ml, const struct gaddr *to, const struct gmsg *m);
void ml_notify(struct memberlist *ml, enum memberlist_event ev, struct mnode *n);
size_t ml_pick(struct memberlist *ml, int k, struct mnode **out, const char *exclude,
	       bool (*ok)(struct memberlist *ml, struct mnode *n));
uint64_t ml_stream_send(struct memberlist *ml, uint64_t now, enum sreq_kind kind,
			const struct gaddr *to, uint32_t seq, const struct gmsg *m,
			uint64_t deadline);
uint64_t ml_stream_send_raw(struct memberlist *ml, uint64_t now, enum sreq_kind kind,
			    const struct gaddr *to, uint32_t seq, const struct buf *frame,
			    uint64_t deadline);

/* state.c */
struct mnode *st_find(const struct memberlist *ml, const char *name);
struct mnode *st_add(struct memberlist *ml, const char *name);
void st_member_to_msg(const struct mnode *n, struct gmember *out);
void st_alive(struct memberlist *ml, uint64_t now, const struct gmember *a, bool bootstrap);
void st_suspect(struct memberlist *ml, uint64_t now, const struct gmsg_accuse *s);
void st_dead(struct memberlist *ml, uint64_t now, const struct gmsg_accuse *d);
void st_refute(struct memberlist *ml, uint32_t accused);
void st_reap(struct memberlist *ml, uint64_t now);
void st_shuffle(struct memberlist *ml);
void st_merge(struct memberlist *ml, uint64_t now, const struct gmsg_push_pull *pp);
void st_free_all(struct memberlist *ml);
void st_suspicion_timeouts(struct memberlist *ml, uint64_t now);
uint64_t st_next_suspicion(const struct memberlist *ml);

/* suspicion.c */
uint64_t susp_min_timeout(int mult, size_t n, uint64_t interval);
struct suspicion *susp_new(const char *from, int k, uint64_t min, uint64_t max, uint64_t now);
bool susp_confirm(struct suspicion *s, const char *from);
void susp_free(struct suspicion *s);

/* probe.c */
void probe_tick(struct memberlist *ml, uint64_t now);
uint64_t probe_deadline(const struct memberlist *ml);
void probe_on_ping(struct memberlist *ml, const struct gaddr *from, const struct gmsg_ping *p);
void probe_on_indirect(struct memberlist *ml, uint64_t now, const struct gmsg_indirect_ping *p);
void probe_on_ack(struct memberlist *ml, uint64_t now, const struct gmsg_ack *a);
void probe_on_nack(struct memberlist *ml, const struct gmsg_nack *n);
void probe_on_stream_ack(struct memberlist *ml, uint32_t seq, bool ok);
void probe_ack_msg(struct memberlist *ml, uint32_t seq, struct gmsg *out);

/* broadcast.c */
void bq_queue(struct memberlist *ml, struct mnode *about, const struct gmsg *m);
void bq_queue_raw(struct memberlist *ml, const uint8_t *part, size_t len);
size_t bq_fill(struct memberlist *ml, struct buf *pkt, size_t budget);
int bq_limit(const struct memberlist *ml);
void bq_detach(struct memberlist *ml, struct mnode *n);
void bq_free_all(struct memberlist *ml);

/* pushpull.c */
void pp_tick(struct memberlist *ml, uint64_t now);
uint64_t pp_scaled_interval(const struct memberlist *ml);
void pp_encode_local(struct memberlist *ml, bool join, struct buf *out);
void pp_on_reply(struct memberlist *ml, uint64_t now, const struct sreq *r, const uint8_t *data,
		 size_t len);
void pp_on_request(struct memberlist *ml, uint64_t now, struct gmsg *m, struct buf *reply);

/* awareness.c */
void aw_apply(struct memberlist *ml, int delta);
uint64_t aw_scale(const struct memberlist *ml, uint64_t t);

#endif
