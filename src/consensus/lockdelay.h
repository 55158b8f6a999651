/*
 * Lock-delay: after a session is invalidated, the keys it held cannot be
 * locked again until its LockDelay has passed (Consul's lockDelay map in the
 * state store, agent/consul/state/delay.go).
 *
 * Model. Wall-clock state, kept in memory beside the store, never in it and
 * never replicated: the FSM, on every server, reports each key released by an
 * invalidation (store_set_lock_delay_fn) and this map records key -> expiry at
 * the local time of apply. The leader consults it before proposing an acquire
 * (consensus_lock_delayed); a server that becomes leader has its own entries
 * from its own applies. Lost on restart (a replayed log re-arms delays at
 * replay time), as in Consul.
 *
 * Times are milliseconds of the caller's monotonic clock (uv_now). An array
 * scanned linearly, pruned of expired entries on every insert: it holds only
 * keys released within the last 60 s. Loop thread only.
 */
#ifndef CAIRN_CONSENSUS_LOCKDELAY_H
#define CAIRN_CONSENSUS_LOCKDELAY_H

#include <stddef.h>
#include <stdint.h>

struct lock_delay_entry {
	char *key;	   /* owned */
	uint64_t until_ms; /* no lock before this time */
};

struct lock_delay {
	struct lock_delay_entry *v; /* entries, unordered */
	size_t n, cap;		    /* used, allocated */
};

void lock_delay_init(struct lock_delay *d);
void lock_delay_free(struct lock_delay *d);
/* Record that key may not be locked for delay_ns from now_ms (a later expiry
 * wins over an earlier one). */
void lock_delay_set(struct lock_delay *d, const char *key, uint64_t now_ms, uint64_t delay_ns);
/* The expiry of key's delay when it is still running at now_ms, else 0. */
uint64_t lock_delay_until(const struct lock_delay *d, const char *key, uint64_t now_ms);

#endif
