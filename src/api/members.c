/*
 * Gossip membership endpoints (Consul's agent API):
 *
 *   GET /v1/agent/members[?wan]          the pool's members as serf sees them
 *   PUT /v1/agent/join/<address>[?wan]   join through one address
 *   PUT /v1/agent/leave                  graceful leave, then the agent stops
 *   PUT /v1/agent/force-leave/<node>[?prune]  a failed member becomes left
 *
 * Members JSON, one object per member in serf's order (by name):
 *   {"Name","Addr","Port","Tags":{...},"Status" (serf's number: 1 alive,
 *    2 leaving, 3 left, 4 failed),"ProtocolMin","ProtocolMax","ProtocolCur",
 *    "DelegateMin","DelegateMax","DelegateCur"}
 * ?wan selects the servers' WAN pool (members named "<node>.<dc>"); on a
 * client the WAN list is empty and WAN joins are refused, as Consul.
 */
#include "api/api.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "gossip/pool.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The pool a request names (?wan); NULL after answering an error. */
static struct gossip_pool *pick(struct api *a, struct http_request *req, bool list)
{
	if (!http_param_get(req, "wan")) {
		if (!a->lan)
			api_error(req, 500, "gossip is not running");
		return a->lan;
	}
	if (!a->wan && !list)
		api_error(req, 500, "Must be a server to join WAN cluster");
	return a->wan;
}

static void member_json(struct jsonw *w, const struct serf_member *m)
{
	char ip[INET6_ADDRSTRLEN] = "";
	if (m->addr.family == 4)
		inet_ntop(AF_INET, m->addr.ip, ip, sizeof(ip));
	else if (m->addr.family == 6)
		inet_ntop(AF_INET6, m->addr.ip, ip, sizeof(ip));
	jsonw_obj_open(w);
	jsonw_kstr(w, "Name", m->name);
	jsonw_kstr(w, "Addr", ip);
	jsonw_kuint(w, "Port", m->addr.port);
	jsonw_key(w, "Tags");
	jsonw_obj_open(w);
	for (size_t i = 0; i < m->tags.n; i++)
		jsonw_kstr(w, m->tags.items[i].key, m->tags.items[i].value);
	jsonw_obj_close(w);
	jsonw_kuint(w, "Status", (uint64_t)m->status);
	static const char *const vsn_keys[6] = {"ProtocolMin", "ProtocolMax", "ProtocolCur",
						"DelegateMin", "DelegateMax", "DelegateCur"};
	for (int i = 0; i < 6; i++)
		jsonw_kuint(w, vsn_keys[i], m->vsn[i]);
	jsonw_obj_close(w);
}

void api_agent_members(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	/* a client's WAN list is empty, as Consul's */
	struct gossip_pool *p = http_param_get(req, "wan") ? a->wan : a->lan;
	const struct serf *s = p ? gossip_pool_serf(p) : NULL;
	struct jsonw w;
	api_json_begin(a, req, &w);
	jsonw_arr_open(&w);
	for (size_t i = 0, n = s ? serf_count(s) : 0; i < n; i++)
		member_json(&w, serf_at(s, i));
	jsonw_arr_close(&w);
	api_json_end(req, &w);
	http_reply(req);
}

/* ---- replies that wait (join, leave) ----
 *
 * The request is parked in a slot the completion owns: when the client goes
 * away first, its cancel hook empties the slot and the completion just frees
 * it. */

static void slot_cancel(struct http_request *req)
{
	*(struct http_request **)req->ctx = NULL;
}

static struct http_request **slot_park(struct http_request *req)
{
	struct http_request **slot = xmalloc(sizeof(*slot));
	*slot = req;
	req->ctx = slot;
	req->cancel = slot_cancel;
	return slot;
}

/* The parked request (NULL if its client left); frees the slot. */
static struct http_request *slot_take(struct http_request **slot)
{
	struct http_request *req = *slot;
	free(slot);
	if (req) {
		req->cancel = NULL;
		req->ctx = NULL;
	}
	return req;
}

static void joined(struct gossip_pool *p, int n, const char *err, void *data)
{
	(void)p;
	struct http_request *req = slot_take(data);
	if (!req)
		return;
	if (n <= 0) {
		api_error(req, 500, "%s", err && *err ? err : "Failed to join");
		return;
	}
	http_reply(req);
}

void api_agent_join(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	const char *addr = req->tail;
	if (!addr || !*addr) {
		api_error(req, 400, "Missing address to join");
		return;
	}
	struct gossip_pool *p = pick(a, req, false);
	if (!p)
		return;
	struct http_request **slot = slot_park(req);
	if (gossip_pool_join(p, &addr, 1, true, joined, slot)) {
		slot_take(slot);
		api_error(req, 500, "Failed to join %s: the agent is leaving", addr);
	}
}

/* ---- leave, force-leave ---- */

static void leave_sent(void *data)
{
	struct http_request *req = slot_take(data);
	if (req)
		http_reply(req);
}

void api_agent_leave(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (!a->leave) {
		api_error(req, 500, "gossip is not running");
		return;
	}
	a->leave(a->agent, leave_sent, slot_park(req));
}

void api_agent_force_leave(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	const char *node = req->tail;
	if (!node || !*node) {
		api_error(req, 400, "Missing node name");
		return;
	}
	struct gossip_pool *p = pick(a, req, false);
	if (!p)
		return;
	bool prune = http_param_get(req, "prune") != NULL;
	int rc = gossip_pool_force_leave(p, node, prune);
	if (rc == CAIRN_E_NOTFOUND) {
		api_error(req, 500, "agent: No node found with name '%s'", node);
		return;
	}
	if (rc) {
		api_error(req, 500, "%s", cairn_strerror(rc));
		return;
	}
	log_info("agent", "Force leaving node: node=%s prune=%s", node, prune ? "true" : "false");
	http_reply(req);
}
