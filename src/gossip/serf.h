/*
 * serf: the member layer of one gossip pool, above the SWIM core (what
 * Consul's serf library adds to memberlist). It turns the core's raw
 * membership changes into the member list that `consul members` prints and
 * the catalog reconciles, and carries user events.
 *
 * Model.
 *   - A member has a status: alive, leaving (it announced a leave), left
 *     (gone gracefully or forced out), failed (the core declared it dead
 *     without a leave). A member the core drops (MEMBERLIST_REAP) stays
 *     here: failed members for reconnect_timeout (they may come back),
 *     left members for tombstone_timeout (so a late rumour of them alive
 *     cannot resurrect them). Then serf reaps them (SERF_EV_REAP).
 *   - Intents. Leave and join intents are user broadcasts stamped with the
 *     member Lamport clock: a leave intent makes an alive member "leaving"
 *     (and the core's later dead/left makes it "left"), a failed member
 *     "left" at once (force-leave), and with prune removes it. A join
 *     intent with a newer stamp cancels an older leave intent. Each member
 *     remembers the stamp of the last intent applied to it (status_ltime);
 *     older intents are ignored. Intents for members not seen yet are kept
 *     for recent_intent_timeout, as serf does, and applied when they join.
 *   - Reconnect. Every reconnect_interval one random failed member is tried
 *     again (env.reconnect: the driver push-pulls with its address).
 *   - User events (events.h): serf_user_event stamps an event with the
 *     event clock, delivers it locally and broadcasts it; arriving events
 *     are de-duplicated (event_dedupe) and delivered once through
 *     env.user_event. Their broadcast bytes start with EVENT_WIRE_KIND.
 *   - Push-pull carries our clocks and every member's stamp (serf's
 *     messagePushPull): left and leaving members' are merged as leave
 *     intents (so a node that joins late learns who left, and a member that
 *     missed a leave intent about itself hears it and refutes it), the
 *     others' as join intents (so a member that missed a refutation stops
 *     listing the other leaving); and the last few user events, for members
 *     that missed their gossip (not delivered to a node joining with
 *     serf_ignore_old_events).
 *
 * Intent wire form (user broadcasts), big-endian:
 *
 *     offset size field
 *     0      1    kind: SERF_WIRE_JOIN ('J') or SERF_WIRE_LEAVE ('L')
 *     1      1    version (SERF_WIRE_VERSION = 1)
 *     2      1    flags: bit 0 prune (leave only); other bits must be 0
 *     3      8    Lamport time (member clock)
 *     11     1    name length n (1..GOSSIP_NAME_MAX)
 *     12     n    node name
 *
 * Push-pull blob (serf_local_state), big-endian:
 *
 *     0      1    kind SERF_WIRE_STATE ('S')
 *     1      1    version 1
 *     2      8    member clock
 *     10     8    event clock
 *     18     4    count of left or leaving members L
 *     22     ...  L times: 8 status ltime, 1 name length n, n name bytes
 *     ...    4    count of the other members with a status ltime J
 *     ...    ...  J times: 8 status ltime, 1 name length n, n name bytes
 *     ...    4    count of recent user events E
 *     ...    ...  E times: 2 length m (1..EVENT_WIRE_MAX), m bytes: the
 *                 event's broadcast (events.h, first byte EVENT_WIRE_KIND)
 *
 * Decoders are strict (known kind and version, zero reserved bits, lengths
 * that add up) and fuzzed (tests/fuzz/fuzz_gossip_serf.c).
 *
 * Pure and deterministic like memberlist.h: no I/O, no clock, no randomness
 * of its own (env). Single-threaded. Callbacks run synchronously from
 * serf_* calls and must not call serf_* functions that change state.
 *
 * API (what a driver does):
 *   s = serf_new(&cfg, &env, self_name, now);
 *   forward the core's hooks: serf_on_notify, serf_on_user_msg,
 *   serf_local_state, serf_merge_state (struct gossip_hooks);
 *   arm a timer at serf_next_deadline and call serf_tick;
 *   serf_leave before memberlist leave; serf_force_leave; serf_user_event;
 *   serf_count/serf_at/serf_find for the member list.
 */
#ifndef CAIRN_GOSSIP_SERF_H
#define CAIRN_GOSSIP_SERF_H

#include "base/buf.h"
#include "gossip/events.h"
#include "gossip/lamport.h"
#include "gossip/memberlist.h"
#include "gossip/msg.h"
#include "gossip/tags.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERF_WIRE_JOIN	  0x4a /* 'J' */
#define SERF_WIRE_LEAVE	  0x4c /* 'L' */
#define SERF_WIRE_STATE	  0x53 /* 'S' */
#define SERF_WIRE_VERSION 1
#define SERF_INTENT_MAX	  (12 + GOSSIP_NAME_MAX)

enum serf_status {
	SERF_NONE = 0, /* serf's StatusNone: not used for listed members */
	SERF_ALIVE,
	SERF_LEAVING,
	SERF_LEFT,
	SERF_FAILED,
};

/* "none", "alive", "leaving", "left", "failed" (Consul's member status
 * strings; /v1/agent/members reports the number, members prints these). */
const char *serf_status_name(enum serf_status st);

struct serf_member {
	char name[GOSSIP_NAME_MAX + 1];
	struct gaddr addr;
	struct tags tags; /* decoded meta; empty when it did not decode */
	uint8_t vsn[6];	  /* protocol min/max/cur, delegate min/max/cur */
	enum serf_status status;
	uint64_t status_ltime; /* stamp of the last intent applied */
	uint64_t since;	       /* ms of the last status change (reap clocks) */
};

enum serf_event_type {
	SERF_EV_JOIN,	/* member-join: new, or back from failed/left */
	SERF_EV_LEAVE,	/* member-leave: now left */
	SERF_EV_FAILED, /* member-failed */
	SERF_EV_UPDATE, /* member-update: tags or address changed */
	SERF_EV_REAP,	/* member-reap: forgotten */
};

/* All times in milliseconds. */
struct serf_config {
	uint64_t reconnect_interval;	/* 30 s */
	uint64_t reconnect_timeout;	/* 72 h: failed members are reaped after */
	uint64_t tombstone_timeout;	/* 24 h: left members are reaped after */
	uint64_t reap_interval;		/* 15 s */
	uint64_t recent_intent_timeout; /* 5 min */
};
void serf_config_default(struct serf_config *c);

struct serf_env {
	void *ud;
	uint64_t (*rand64)(void *ud);
	/* Gossip these bytes (memberlist_broadcast_user); 0 or an error. */
	int (*broadcast)(void *ud, const uint8_t *data, size_t len);
	/* Try a failed member again: push-pull with addr (optional). */
	void (*reconnect)(void *ud, const struct gaddr *addr, const char *name);
	/* Member changes (optional); m is valid during the call. */
	void (*member_event)(void *ud, enum serf_event_type t, const struct serf_member *m);
	/* A user event, new to us, ours included (optional). */
	void (*user_event)(void *ud, const struct event *e);
};

struct serf;

struct serf *serf_new(const struct serf_config *cfg, const struct serf_env *env,
		      const char *self_name, uint64_t now);
void serf_free(struct serf *s);

/* The core's hooks (memberlist_env meanings). */
void serf_on_notify(struct serf *s, uint64_t now, enum memberlist_event ev,
		    const struct memberlist_node *n);
/* True when the message was new (the core then gossips it on). */
bool serf_on_user_msg(struct serf *s, uint64_t now, const uint8_t *data, size_t len);
void serf_local_state(struct serf *s, bool join, struct buf *out);
void serf_merge_state(struct serf *s, uint64_t now, const uint8_t *data, size_t len, bool join);

/* Timers: reconnect and reap. */
uint64_t serf_next_deadline(const struct serf *s);
void serf_tick(struct serf *s, uint64_t now);

/* Our graceful leave: broadcast a leave intent for ourselves (the driver
 * then leaves the core). */
int serf_leave(struct serf *s, uint64_t now);
/* Consul's force-leave: a failed member becomes left (prune: forgotten at
 * once); the intent is broadcast so every member does the same.
 * CAIRN_E_NOTFOUND for a name we do not know. */
int serf_force_leave(struct serf *s, uint64_t now, const char *name, bool prune);
/* Fire e: stamps e->ltime with the event clock, delivers it locally
 * (env.user_event) and broadcasts it. The caller validated it
 * (event_validate) and set its ID. CAIRN_E_TOOBIG from event_encode. */
int serf_user_event(struct serf *s, struct event *e);
/* serf's IgnoreOld on join: events stamped before the current event clock
 * are not delivered (Consul's join without -replay). Called before a join,
 * the join's answer also raises that minimum to the peer's event clock. */
void serf_ignore_old_events(struct serf *s);

/* Members, self included, in name order; pointers valid until the next
 * call that changes state. */
size_t serf_count(const struct serf *s);
const struct serf_member *serf_at(const struct serf *s, size_t i);
const struct serf_member *serf_find(const struct serf *s, const char *name);
size_t serf_num_alive(const struct serf *s);

uint64_t serf_member_clock(const struct serf *s);
/* Both clocks start at 1 (as serf's). After a restart, feed the snapshot's
 * clocks (serf_snapshot_replay) here, before joining: they are witnessed, so
 * the clocks only move forward. */
void serf_restore_clocks(struct serf *s, uint64_t clock, uint64_t event_clock);
uint64_t serf_event_clock(const struct serf *s);

/* Intent codec (serf_wire.c), exposed for tests and the fuzz target. */
struct serf_intent {
	uint8_t kind; /* SERF_WIRE_JOIN or SERF_WIRE_LEAVE */
	bool prune;
	uint64_t ltime;
	char name[GOSSIP_NAME_MAX + 1];
};
int serf_intent_encode(const struct serf_intent *in, uint8_t *out, size_t cap, size_t *len);
/* 0, CAIRN_E_VERSION (another kind/version) or CAIRN_E_PARSE. */
int serf_intent_decode(const uint8_t *p, size_t n, struct serf_intent *out);

/* ---- the rejoin snapshot (serf_snapshot.c; Consul's serf/local.snapshot) ----
 *
 * A text file of lines, appended as things happen and compacted when it
 * grows past SERF_SNAPSHOT_MAX bytes (rewritten to a temp file, fsynced,
 * renamed): "alive: <name> <ip:port>", "not-alive: <name>", "clock: <n>",
 * "event-clock: <n>", "leave", and "# ..." comments. Replay yields the
 * members alive at the end, the clocks, and whether the last thing we did
 * was a graceful leave (then rejoin is skipped unless rejoin_after_leave).
 * Unknown or malformed lines are skipped with a count (a crash may cut the
 * last line). */
#define SERF_SNAPSHOT_MAX (128u << 10)

struct serf_snapshot_replay {
	char (*names)[GOSSIP_NAME_MAX + 1]; /* alive members (us too if recorded: skip it) */
	struct gaddr *addrs;
	size_t n;
	uint64_t clock, event_clock;
	bool left;	/* ended with "leave" */
	size_t skipped; /* lines that did not parse */
};
void serf_snapshot_replay_free(struct serf_snapshot_replay *r);

struct serf_snapshot;
/* Replay path (missing file: empty replay) and open it for appending.
 * NULL with a message in err on an I/O error. */
struct serf_snapshot *serf_snapshot_open(const char *path, struct serf_snapshot_replay *replay,
					 struct buf *err);
void serf_snapshot_alive(struct serf_snapshot *ss, const char *name, const struct gaddr *addr);
void serf_snapshot_not_alive(struct serf_snapshot *ss, const char *name);
void serf_snapshot_clocks(struct serf_snapshot *ss, uint64_t clock, uint64_t event_clock);
void serf_snapshot_leave(struct serf_snapshot *ss); /* written and fsynced at once */
void serf_snapshot_close(struct serf_snapshot *ss);

#endif
