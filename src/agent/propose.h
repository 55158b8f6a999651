/*
 * Where this agent's own catalog writes (anti-entropy, reconciliation) go:
 * straight into Raft on the leader, otherwise over server RPC (RPC_APPLY) to
 * the leader (servers know it from Raft) or to a server chosen from LAN
 * gossip (client agents), with local_propose_fn's contract
 * (consensus_apply's): the callback gets the apply status and a result with
 * the index and errors (no result items cross RPC). A server that is not the
 * leader answers with the leader's address, and the write is sent there
 * once. Loop thread only.
 */
#ifndef CAIRN_AGENT_PROPOSE_H
#define CAIRN_AGENT_PROPOSE_H

#include "base/buf.h"
#include "config/config.h"
#include "consensus/consensus.h"
#include "gossip/pool.h"

struct rpc_client;

struct proposer {
	struct consensus *cons; /* NULL on client agents */
	struct rpc_client *rpc;
	struct gossip_pool *lan;
	const struct config *cfg;
};

/* local_propose_fn; ctx is a struct proposer. */
int agent_propose(void *ctx, const struct buf *cmd, consensus_apply_cb cb, void *data);

#endif
