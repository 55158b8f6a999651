/*
 * The Raft FSM: applies committed commands to the store (internal to consensus).
 *
 * libraft calls apply for every committed command entry, in log order, on every
 * server, on the loop thread. The index of the entry is raft_last_applied() + 1
 * (barriers and configuration entries advance it without an apply call).
 *
 * Results: libraft hands the apply result only to the proposer's callback, and
 * drops it on followers. So the FSM keeps the latest result itself
 * (fsm->last_result) and frees it at the next apply unless the proposer's
 * callback claimed it first with fsm_take_result (it runs right after apply).
 *
 * Snapshots use libraft's FSM version 3: snapshot() freezes the store on the
 * loop (reference copies only), snapshot_async() encodes the frozen view in the
 * thread pool, snapshot_finalize() frees both on the loop. restore() replaces the
 * store with a decoded snapshot.
 */
#ifndef CAIRN_CONSENSUS_FSM_H
#define CAIRN_CONSENSUS_FSM_H

#include "consensus/kvops.h"
#include "state/store.h"

#include <raft.h>

struct fsm {
	struct raft_fsm raft_fsm; /* handed to raft_init; data points here */
	struct raft *raft;	  /* to read the applied index */
	struct store *store;
	struct txn_result *last_result; /* unclaimed result of the latest apply */
	struct store_frozen *frozen;	/* snapshot in progress */
	uint64_t applies;
	uint64_t snapshots;
};

/*
 * Log entry framing. libraft 0.15 writes entries padded to 8 bytes but its loader
 * misreads a segment after an entry whose length is not a multiple of 8 (it
 * truncates the rest as corrupt on restart), so every entry cairn writes is
 *
 *   offset size  field
 *   0      4     command length N, little-endian
 *   4      N     the command (cmd.h)
 *   4+N    0..7  zero padding to a multiple of 8
 *
 * fsm_frame allocates the framed copy with raft_malloc (ownership passes to
 * raft_apply); fsm_unframe finds the command inside a framed entry.
 */
int fsm_frame(const void *cmd, size_t len, struct raft_buffer *out);
int fsm_unframe(const struct raft_buffer *in, const void **cmd, size_t *len);

void fsm_init(struct fsm *f, struct store *store, struct raft *raft);
void fsm_close(struct fsm *f);
/* Claim the result of the apply that just ran (NULL if none). Caller frees it
 * with txn_result_free + free. */
struct txn_result *fsm_take_result(struct fsm *f, void *result);

#endif
