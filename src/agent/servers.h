/*
 * Servers finding each other: bootstrap_expect and the Raft configuration
 * following the servers seen on LAN gossip (Consul's maybeBootstrap and the
 * leader's server reconciliation).
 *
 * Model.
 *   - A server learns the other servers of its datacenter from their gossip
 *     tags (role "consul", dc, id, port): its Raft ID is derived from the
 *     node ID (consensus_server_id), its Raft address is the member's IP and
 *     the port tag.
 *   - bootstrap_expect N > 1 on a pristine server: Raft is set up but not
 *     started. Once N servers (itself included) are alive in gossip, it asks
 *     each of the others for its Raft peers (GET /v1/status/peers over server
 *     RPC). If none has any, every one of them bootstraps the same
 *     configuration (all N as voters; the same set gives the same
 *     configuration, so several bootstrapping at once form one cluster). If
 *     any has peers, a cluster exists: it starts without bootstrapping and
 *     waits to be added. A server whose expect tag differs is logged.
 *   - On the leader, after member events and every reconcile round, one change
 *     at a time: an alive server missing from the configuration is added as a
 *     non-voter, and promoted to voter once it has been alive for autopilot's
 *     server_stabilization_time (10 s by default; libraft catches it up before
 *     the promotion commits); a server that left is removed; a failed one is
 *     removed by autopilot's cleanup_dead_servers when the voters left keep a
 *     healthy majority and min_quorum.
 * Loop thread only.
 */
#ifndef CAIRN_AGENT_SERVERS_H
#define CAIRN_AGENT_SERVERS_H

#include "config/config.h"
#include "consensus/consensus.h"
#include "gossip/pool.h"

#include <uv.h>

#include <stdbool.h>

struct rpc_client;

/* A server as gossip shows it. */
struct server {
	uint64_t id;
	char address[96]; /* Raft and RPC: ip:port */
	char name[GOSSIP_NAME_MAX + 1];
	enum serf_status status;
	bool bootstrap; /* it bootstrapped itself (tag) */
	uint64_t since; /* ms (uv_now) of its last gossip status change */
};

struct servers {
	uv_loop_t *loop;
	struct consensus *cons;
	struct gossip_pool *lan;
	const struct config *cfg;
	struct rpc_client *rpc; /* for the peers check (NULL: skip it) */
	uv_timer_t timer;
	bool started, closing;
	bool asking;	      /* peers check in flight */
	int asked;	      /* servers the last peers check asked */
	int answers;	      /* of them, those that answered */
	int pending;	      /* answers still expected */
	bool has_peers;	      /* a cluster without us exists: start empty */
	bool join_bootstrap;  /* another server bootstrapped us in: bootstrap peers */
	struct server *peers; /* that configuration */
	size_t npeers;
};

void servers_start(struct servers *s, uv_loop_t *loop, struct consensus *cons,
		   struct gossip_pool *lan, const struct config *cfg, struct rpc_client *rpc);
/* Members changed, or leadership: re-evaluate soon. */
void servers_poke(struct servers *s);
void servers_close(struct servers *s);

#endif
