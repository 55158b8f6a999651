/*
 * memberlist: the pure membership core of the gossip layer (SWIM with the
 * Lifeguard extensions, with memberlist's and Consul's semantics). It owns the
 * member table, failure detection, dissemination and state exchange for one
 * pool (LAN or WAN); the serf layer above (user events, tags, Lamport clocks,
 * reconnecting failed members) and the libuv driver below are not here.
 *
 * Pure and deterministic: the core never does I/O, never reads a clock and
 * never draws randomness on its own. Everything goes through struct
 * memberlist_env, so the same code runs under libuv and under the in-process
 * simulation (tests/unit/gossip/sim.h) that runs simulated minutes in ms.
 * Single-threaded: call every function from the thread that owns the object.
 *
 * API (what a driver does):
 *
 *   ml = memberlist_new(&cfg, &env, meta, len);   cfg from memberlist_config_lan/wan
 *   arm one timer at memberlist_next_deadline(ml); when it fires call
 *   memberlist_tick(ml, now) and re-arm. Re-arm also after every other call
 *   into the core (incoming packets move deadlines).
 *
 *   UDP datagram in        memberlist_recv_packet(ml, &from, bytes, len)
 *   UDP datagram out       env.send_packet(ud, &to, bytes, len)
 *   TCP request in         memberlist_recv_stream(ml, &from, frame, len, &reply)
 *                          then write reply (may be empty: close without answer).
 *                          Frames are delimited with gwire_stream_need (wire.h).
 *   TCP request out        env.send_stream(ud, id, &to, frame, len): connect,
 *                          write, read one reply frame, and later call
 *                          memberlist_stream_done(ml, id, reply, len), or with
 *                          reply NULL on any failure. Late or duplicate replies
 *                          are ignored (the core times requests out itself).
 *
 *   memberlist_join(ml, addrs, n)   push-pull with each address (async; results
 *                                   through env.join_done)
 *   memberlist_leave(ml)            broadcast "left"; the driver then waits until
 *                                   memberlist_leave_sent() or leave_drain_time,
 *                                   and frees the object
 *   memberlist_set_meta, memberlist_broadcast_user, memberlist_find, ...
 *
 * Objects: memberlist_new allocates; memberlist_free releases everything
 * (pending stream requests are forgotten; the driver drops their replies).
 */
#ifndef CAIRN_GOSSIP_MEMBERLIST_H
#define CAIRN_GOSSIP_MEMBERLIST_H

#include "base/buf.h"
#include "gossip/msg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEMBERLIST_NEVER UINT64_MAX

struct memberlist;

/* Tuning for one pool; all times in milliseconds. */
struct memberlist_config {
	char name[GOSSIP_NAME_MAX + 1];	  /* this node's unique name */
	struct gaddr addr;		  /* advertised address (UDP and TCP) */
	uint8_t vsn[6];			  /* protocol min/max/cur, delegate min/max/cur */
	uint64_t probe_interval;	  /* between failure-detection probes (LAN 1s) */
	uint64_t probe_timeout;		  /* direct ack wait before indirect probes (LAN 500ms) */
	uint64_t gossip_interval;	  /* between gossip rounds (LAN 200ms) */
	uint64_t push_pull_interval;	  /* between full state syncs, 0 = off (LAN 30s) */
	uint64_t gossip_to_the_dead_time; /* dead members still gossiped to, then reaped (30s) */
	uint64_t stream_timeout;	  /* TCP request deadline (LAN 10s) */
	int gossip_nodes;		  /* members per gossip round (LAN 3) */
	int indirect_checks;		  /* k members asked to probe for us (3) */
	int retransmit_mult;		  /* broadcast sent mult*ceil(log10(N+1)) times (4) */
	int suspicion_mult;		  /* min suspicion = mult*log10(N)*probe_interval (LAN 4) */
	int suspicion_max_timeout_mult;	  /* max suspicion = this * min (6) */
	int awareness_max;		  /* Lifeguard health multiplier cap (8) */
	size_t packet_budget;		  /* UDP payload bytes per packet, after crypto (1400) */
};

/* Consul's gossip_lan / gossip_wan defaults (memberlist DefaultLAN/WANConfig). */
void memberlist_config_lan(struct memberlist_config *c);
void memberlist_config_wan(struct memberlist_config *c);

/* A member as the core sees it (read-only for callers; valid until the next
 * call into the core). */
struct memberlist_node {
	const char *name;
	struct gaddr addr;
	uint32_t incarnation;
	enum gstate state;
	uint8_t vsn[6];
	uint16_t meta_len;
	const uint8_t *meta;   /* meta_len bytes (serf tags), NULL when empty */
	uint64_t state_change; /* ms of the last state change */
};

enum memberlist_event {
	MEMBERLIST_JOIN,    /* new member, or a dead/left member alive again */
	MEMBERLIST_UPDATE,  /* an alive member's meta or address changed */
	MEMBERLIST_SUSPECT, /* alive -> suspect (serf ignores it; tests and metrics use it) */
	MEMBERLIST_ALIVE,   /* suspect -> alive (refuted) */
	MEMBERLIST_FAIL,    /* declared dead */
	MEMBERLIST_LEAVE,   /* left gracefully */
	MEMBERLIST_REAP,    /* dead/left member dropped after gossip_to_the_dead_time */
};

/* What the core needs from its host. Callbacks marked optional may be NULL.
 * The core may call back into nothing: callbacks must not call memberlist_*
 * functions that change state (queries are fine). */
struct memberlist_env {
	void *ud; /* passed to every callback */
	uint64_t (*rand64)(void *ud);
	/* Fire-and-forget datagram (lost packets are part of the model). */
	void (*send_packet)(void *ud, const struct gaddr *to, const uint8_t *data, size_t len);
	/* Reliable request; answer later with memberlist_stream_done(id). */
	void (*send_stream)(void *ud, uint64_t id, const struct gaddr *to, const uint8_t *data,
			    size_t len);
	/* Membership changes (optional). */
	void (*notify)(void *ud, enum memberlist_event ev, const struct memberlist_node *n);
	/* A user broadcast arrived (optional): return true if it was new to the
	 * serf layer, which makes the core gossip it on (serf dedupes). */
	bool (*user_msg)(void *ud, const uint8_t *data, size_t len);
	/* Push-pull user blob (optional): append ours / merge the peer's. */
	void (*local_state)(void *ud, bool join, struct buf *out);
	void (*merge_state)(void *ud, const uint8_t *data, size_t len, bool join);
	/* Ack payload (optional, e.g. our Vivaldi coordinate): returns bytes written. */
	size_t (*ack_payload)(void *ud, uint8_t *out, size_t cap);
	/* A direct probe was acked after rtt_ms, with the peer's payload (optional). */
	void (*ping_rtt)(void *ud, const struct memberlist_node *n, uint64_t rtt_ms,
			 const uint8_t *payload, size_t len);
	/* A join push-pull finished: err 0 or a negative code (optional). */
	void (*join_done)(void *ud, const struct gaddr *addr, int err);
};

/* Starts a pool with just this node (alive, incarnation 1) at time now. */
struct memberlist *memberlist_new(const struct memberlist_config *cfg,
				  const struct memberlist_env *env, uint64_t now,
				  const uint8_t *meta, size_t meta_len);
void memberlist_free(struct memberlist *ml);

/* Timers: the earliest time (ms) at which memberlist_tick has work, and the
 * tick itself (runs everything due at or before now). */
uint64_t memberlist_next_deadline(const struct memberlist *ml);
void memberlist_tick(struct memberlist *ml, uint64_t now);

/* Input. Malformed input is dropped (and counted), never trusted. */
void memberlist_recv_packet(struct memberlist *ml, uint64_t now, const struct gaddr *from,
			    const uint8_t *data, size_t len);
void memberlist_recv_stream(struct memberlist *ml, uint64_t now, const struct gaddr *from,
			    const uint8_t *data, size_t len, struct buf *reply);
void memberlist_stream_done(struct memberlist *ml, uint64_t now, uint64_t id, const uint8_t *reply,
			    size_t len);

/* Push-pull with each address (join). Returns the number of requests sent. */
int memberlist_join(struct memberlist *ml, uint64_t now, const struct gaddr *addrs, size_t n);
/* Graceful leave: broadcast our own "dead" (left), stop probing. */
void memberlist_leave(struct memberlist *ml, uint64_t now);
/* True once the leave message has gone out as many times as any broadcast
 * does (memberlist's Leave waits for the same), or nobody is left to tell. */
bool memberlist_leave_sent(const struct memberlist *ml);
/* New meta for this node: bumps the incarnation and gossips alive. */
int memberlist_set_meta(struct memberlist *ml, uint64_t now, const uint8_t *meta, size_t len);
/* Queue an opaque serf broadcast (1..GOSSIP_USER_MAX bytes). */
int memberlist_broadcast_user(struct memberlist *ml, const uint8_t *data, size_t len);

/* Queries. */
const struct memberlist_node *memberlist_local(const struct memberlist *ml);
const struct memberlist_node *memberlist_find(const struct memberlist *ml, const char *name);
size_t memberlist_count(const struct memberlist *ml); /* members in the table, self included */
const struct memberlist_node *memberlist_at(const struct memberlist *ml, size_t i);
size_t memberlist_num_alive(const struct memberlist *ml); /* alive or suspect, self included */
int memberlist_health_score(const struct memberlist *ml); /* Lifeguard awareness, 0 = healthy */
size_t memberlist_queue_len(const struct memberlist *ml); /* broadcasts waiting */

/* Counters for tests, metrics and the benchmark. */
struct memberlist_stats {
	uint64_t packets_sent, packet_bytes_sent;
	uint64_t streams_sent, stream_bytes_sent;
	uint64_t bad_packets; /* dropped as malformed */
	uint64_t probes, probe_failures, indirect_probes, tcp_fallback_ok;
	uint64_t refutes;
	uint64_t suspicions; /* alive -> suspect transitions of others */
};
const struct memberlist_stats *memberlist_stats(const struct memberlist *ml);

#endif
