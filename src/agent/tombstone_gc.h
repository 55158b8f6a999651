/*
 * Tombstone GC, a leader duty: KV deletes leave tombstones so blocking queries
 * see them; Consul reaps them after tombstone_ttl (15 min) in 30 s buckets. Every
 * 30 s the leader records the store index; once a record is older than the TTL
 * it proposes CMD_KV_REAP up to that index (through Raft, so every server reaps
 * the same tombstones). Followers keep no records. Loop thread.
 */
#ifndef CAIRN_AGENT_TOMBSTONE_GC_H
#define CAIRN_AGENT_TOMBSTONE_GC_H

#include "consensus/consensus.h"
#include "state/store.h"

#include <uv.h>

#define TOMBSTONE_TTL_MS	 (15 * 60 * 1000ULL)
#define TOMBSTONE_GRANULARITY_MS (30 * 1000ULL)
#define TOMBSTONE_SLOTS		 (TOMBSTONE_TTL_MS / TOMBSTONE_GRANULARITY_MS + 1)

struct tombstone_gc {
	uv_timer_t timer;
	struct store *store;
	struct consensus *cons;
	uint64_t ttl_ms;
	uint64_t slots_ms[TOMBSTONE_SLOTS];    /* when each record was taken */
	uint64_t slots_index[TOMBSTONE_SLOTS]; /* store index at that time */
	unsigned head, count;
	bool reaping; /* a reap command is in flight */
};

void tombstone_gc_start(struct tombstone_gc *gc, uv_loop_t *loop, struct store *store,
			struct consensus *cons, uint64_t ttl_ms);
void tombstone_gc_close(struct tombstone_gc *gc);

#endif
