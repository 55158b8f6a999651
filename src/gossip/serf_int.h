/*
 * Private types of the serf layer (serf.h), shared by its files:
 *   serf.c         object, member table, the core's notifications, timers, queries
 *   serf_intent.c  join/leave intents, user messages, push-pull, leave, force-leave,
 *                  user events
 *   serf_wire.c    the intent and push-pull blob codecs
 * Everything runs on the owner's thread; "now" is always the caller's ms.
 */
#ifndef CAIRN_GOSSIP_SERF_INT_H
#define CAIRN_GOSSIP_SERF_INT_H

#include "gossip/serf.h"

#define SERF_NEVER UINT64_MAX
/* Events carried in push-pull (serf carries its whole event buffer; gossip
 * sends each broadcast a few times only, and this repairs the misses). */
#define SERF_RECENT_EVENTS 32

/* One member. pub is what serf_at/serf_find hand out. */
struct smember {
	struct serf_member pub;
	bool prune; /* a prune arrived while it was leaving: forget it once left */
};

/* An intent about a member we have not seen yet (serf's recentIntents): the
 * newest one per name, applied when the member joins, dropped after
 * recent_intent_timeout. */
struct sintent {
	char name[GOSSIP_NAME_MAX + 1];
	uint8_t kind;	/* SERF_WIRE_JOIN or SERF_WIRE_LEAVE */
	uint64_t ltime; /* its member-clock stamp */
	uint64_t at;	/* ms when it was kept (expiry) */
};

struct serf {
	struct serf_config cfg;
	struct serf_env env;
	struct smember *self; /* also in members[] */

	struct smember **members; /* sorted by name (strcmp), self included */
	size_t n, cap;
	size_t nfailed, nleft; /* members in those states (timers skip work at 0) */

	struct sintent *intents; /* sorted by name, one per name */
	size_t nintents, intcap;

	struct lamport clock;	    /* member clock (intents) */
	struct lamport event_clock; /* user events */
	struct event_dedupe dedupe; /* recent user events */
	struct {
		uint8_t *data; /* the event's broadcast bytes, owned; NULL: empty slot */
		size_t len;
	} recent[SERF_RECENT_EVENTS]; /* the last events we accepted (push-pull) */
	size_t recent_next;	      /* slot the next one goes to */

	bool leaving;	   /* serf_leave was called: no refutation, no rejoin intent */
	bool join_pending; /* we sent a join push-pull; its merge ends the join */
	bool ignore_old;   /* serf_ignore_old_events before that merge */

	uint64_t next_reconnect; /* SERF_NEVER when off */
	uint64_t next_reap;
};

/* serf.c */
struct smember *sm_find(const struct serf *s, const char *name, size_t *pos);
void sm_emit(struct serf *s, enum serf_event_type t, struct smember *m);
void sm_set_status(struct serf *s, struct smember *m, enum serf_status st, uint64_t now);
void sm_erase(struct serf *s, struct smember *m); /* SERF_EV_REAP, then freed */

/* serf_intent.c */
const struct sintent *intent_find(const struct serf *s, const char *name);
void intents_expire(struct serf *s, uint64_t now);
/* Apply an intent (from the network, push-pull or ourselves). True when it
 * was new information (worth gossiping on). */
bool intent_apply(struct serf *s, uint64_t now, const struct serf_intent *in);

/* serf_wire.c: the push-pull blob, built as the header then three sections
 * (left/leaving stamps, the other members' stamps, events), each a count
 * that serf_state_add / serf_state_event bump, then its entries. */
void serf_state_begin(struct buf *out, uint64_t clock, uint64_t event_clock);
size_t serf_state_section(struct buf *out); /* where its count is */
void serf_state_add(struct buf *out, size_t sec, uint64_t ltime, const char *name);
void serf_state_event(struct buf *out, size_t sec, const uint8_t *data, size_t len);

struct serf_span {
	const uint8_t *p; /* the section's entries (validated) */
	size_t len;	  /* their bytes */
	uint32_t n;	  /* their count */
};
struct serf_state {
	uint64_t clock, event_clock;
	struct serf_span left;	 /* left or leaving members: stamp, name */
	struct serf_span stamps; /* the others with a stamp: stamp, name */
	struct serf_span events; /* event broadcasts */
};
/* Strict: 0, CAIRN_E_VERSION or CAIRN_E_PARSE. Sections are then walked with
 * serf_state_next / serf_state_next_event (cursors start at 0). */
int serf_state_decode(const uint8_t *p, size_t n, struct serf_state *out);
bool serf_state_next(const struct serf_span *sp, size_t *cursor, uint64_t *ltime,
		     char name[GOSSIP_NAME_MAX + 1]);
bool serf_state_next_event(const struct serf_span *sp, size_t *cursor, const uint8_t **data,
			   size_t *len);

#endif
