/*
 * Outage recovery with raft/peers.json, as Consul documents it: with every
 * server stopped, an operator writes <data_dir>/raft/peers.json listing the
 * servers that remain,
 *
 *     [{"id": "<node ID>", "address": "10.0.0.1:8300", "non_voter": false}, ...]
 *
 * (Consul's Raft protocol 3 format), and starts them; each one forces that
 * configuration into its log before Raft starts (libraft's raft_recover) and
 * deletes the file, so a leader can be elected among them.
 */
#ifndef CAIRN_AGENT_PEERS_JSON_H
#define CAIRN_AGENT_PEERS_JSON_H

#include "base/buf.h"
#include "consensus/consensus.h"

#include <stddef.h>

struct peers_json {
	struct consensus_server *servers;
	char **addrs; /* owned strings behind servers[i].address */
	size_t n;
};

/* 0 with p->n == 0 when there is no file; 0 with the servers; -1 with a
 * message in err for a file that cannot be used (the agent then stops, as
 * Consul does). */
int peers_json_load(const char *raft_dir, struct peers_json *p, struct buf *err);
/* The recovery is in the log: remove the file. */
void peers_json_done(const char *raft_dir);
void peers_json_free(struct peers_json *p);

#endif
