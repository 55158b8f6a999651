/*
 * The Consul servers a gossip pool knows: members whose tags say role
 * "consul", with their datacenter, node ID and RPC port (Consul's
 * metadata.IsConsulServer). Server discovery, forwarding and the leader's
 * Raft membership all start from this list; in the WAN pool it also says
 * which datacenters exist and how far away they are (gossip_datacenters).
 */
#ifndef CAIRN_GOSSIP_SERVERS_H
#define CAIRN_GOSSIP_SERVERS_H

#include "gossip/pool.h"

#include <stdbool.h>
#include <stddef.h>

struct gossip_server {
	const struct serf_member *m; /* valid until the pool changes */
	const char *id;		     /* node ID tag */
	bool bootstrap;		     /* bootstrap tag: it bootstrapped itself */
	char rpc[96];		     /* "ip:port" of its RPC (and Raft) listener */
};

/* Servers of datacenter dc (NULL: any), alive only when alive_only, in
 * member (name) order; returns how many were written (at most cap). */
size_t gossip_servers(const struct gossip_pool *p, const char *dc, bool alive_only,
		      struct gossip_server *out, size_t cap);

/* One of dc's alive servers at random: its RPC address in out; false when
 * gossip knows none. */
bool gossip_server_pick(const struct gossip_pool *p, const char *dc, char *out, size_t cap);

/* A datacenter with alive servers in a pool (the WAN pool) and its distance
 * from this agent: the median estimated round-trip time, in seconds, to its
 * servers, a server without a coordinate counting as infinitely far (Consul's
 * router.getDatacenterDistance). */
struct gossip_dc {
	char name[64];
	double rtt;
};

/* The datacenters of p's alive servers, nearest first, ties by name
 * (Consul's GetDatacentersByDistance: our own is first, at distance 0 or
 * close to it); returns how many were written (at most cap). */
size_t gossip_datacenters(const struct gossip_pool *p, struct gossip_dc *out, size_t cap);
/* The same without ours (local_dc): names only, nearest first (Consul's
 * GetOtherDatacentersByDistance). */
size_t gossip_other_datacenters(const struct gossip_pool *p, const char *local_dc, char (*out)[64],
				size_t cap);

#endif
