/*
 * DNS answers another agent gives. A client agent's come from a server: the
 * query packet goes to a random alive server of its datacenter over RPC
 * (RPC_DNS), which answers it from its store as its own DNS interface would,
 * and the response packet comes back as it is (Consul's clients ask servers
 * too). Questions outside the domains stay with the client's own recursors.
 * A server sends a question naming another datacenter the same way to a
 * random alive server of that datacenter (the WAN pool), which answers it as
 * a local one; and a prepared-query question whose query kept nothing here
 * goes, with the query, to the datacenters it fails over to, in order, until
 * one answers with records (Consul's failover for DNS). Loop thread only.
 */
#ifndef CAIRN_AGENT_DNS_REMOTE_H
#define CAIRN_AGENT_DNS_REMOTE_H

#include "config/config.h"
#include "dns/server.h"
#include "gossip/pool.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rpc_client;
struct dns_view;
struct prepared_query;

struct dns_remote {
	struct rpc_client *rpc;
	struct gossip_pool *lan;
	struct gossip_pool *wan; /* servers only */
	const struct config *cfg;
	const struct dns_view *view; /* resolves a failing-over query's name */
};

/* Ask a server: of what->dc when this is a server, of our datacenter when it
 * is a client; with what->failover, the datacenters the prepared query q
 * names fails over to, in order (state/query_exec.h), each sent the query
 * with the question until one answers with records. done(tok, resp, len)
 * exactly once unless cancelled: the response; else what->fallback when it
 * has one; else resp NULL (no server answered, or for a failover none had
 * records). Returns a handle for
 * dns_remote_cancel, or NULL (done never called) when nothing could be
 * asked. */
void *dns_remote_ask(void *ctx, const struct dns_ask *what, const uint8_t *q, size_t n, bool tcp,
		     void (*done)(void *tok, const uint8_t *resp, size_t len), void *tok);
/* done will not be called (the DNS interface is closing). */
void dns_remote_cancel(void *handle);

/* dns_view.dc_known on servers (ctx: the WAN pool): the pool has servers of
 * dc, alive or not (one that exists but cannot be reached is SERVFAIL, as
 * Consul). */
bool dns_remote_dc_known(void *ctx, const char *dc);

/* The server side of RPC_DNS (rpc/server.h's hook; ctx: this struct): a
 * client agent's DNS question, answered from this server's store, by the
 * server of the other datacenter it names, or by the datacenters its
 * prepared query fails over to (then later, through rpc_server_dns_reply);
 * or another datacenter's failover, answered with the query it carries. */
int dns_remote_serve(void *ctx, const uint8_t *payload, size_t len, uint8_t *out, size_t *out_len,
		     void *token);

#endif
