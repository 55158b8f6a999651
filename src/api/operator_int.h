/*
 * Private to the operator endpoints (operator_raft.c, operator_autopilot.c,
 * operator_common.c): naming Raft servers the way Consul does.
 *
 * Consul's Raft server ID is the node ID (a UUID); cairn's is a 64-bit number
 * derived from it (consensus_server_id). The operator
 * endpoints show the node ID and node name of each Raft server by finding the
 * LAN gossip member whose "id" tag maps to it; a server with no such member
 * (it left gossip) shows its Raft ID in hex and an empty name.
 */
#ifndef CAIRN_API_OPERATOR_INT_H
#define CAIRN_API_OPERATOR_INT_H

#include "api/api.h"
#include "gossip/serf.h"

#include <stdint.h>

/* The LAN member that is Raft server id, or NULL. */
const struct serf_member *op_member(const struct api *a, uint64_t id);
/* The ID to show for Raft server id: its member's node ID, else hex, into out. */
void op_server_id(const struct api *a, uint64_t id, struct buf *out);
/* Which configured server text names: a node ID (or a prefix-free hex Raft
 * ID) with by_address false, an "ip:port" with it true. 0 when none. */
uint64_t op_find_server(const struct api *a, const char *text, bool by_address);
/* Consul's version string of a member (its "build" tag up to ':'), into out. */
void op_member_version(const struct serf_member *m, struct buf *out);

#endif
