/*
 * Forwarding HTTP API requests to the server that must answer them, over
 * server RPC (rpc/client.h, RPC_HTTP): DESIGN.md's "client -> server ->
 * leader" path.
 *
 * Policy, by route flag (routes.c):
 *   API_FWD_LEADER  the cluster's state: catalog, health, KV, sessions, txn,
 *                   snapshot. A client agent sends it to a server; a server
 *                   that is not the leader sends it to the leader, except a
 *                   read with ?stale, and a catalog or health read while
 *                   discovery_max_stale allows it (api_discovery_stale), which
 *                   it answers from its own store.
 *   API_FWD_SERVER  answered by any server (status): a client sends it to a
 *                   server, a server answers it.
 *   (neither)       the agent's own (the agent endpoints, events, coordinates).
 * The forwarded request is the original one, byte for byte as a client would
 * send it, plus "X-Cairn-Forwarded: <hops>" and "X-Cairn-Node: <the agent the
 * client asked>" (what "this agent" means for a session's default node or
 * ?near=_agent: api_origin_node); the target runs it through its
 * own HTTP API, so validation, consistency modes and blocking queries behave
 * as if the client had asked the target directly, and the target's status,
 * headers (X-Consul-Index, X-Consul-KnownLeader...) and body come back as
 * they are. A request is forwarded at most twice (client -> server ->
 * leader); past that it is answered where it is.
 *
 * Client agents pick a random alive server of their datacenter from LAN
 * gossip (role "consul", its RPC port from the "port" tag) and, when the
 * connection fails, another one, until rpc_hold_timeout (7 s) has passed;
 * with no server known they answer Consul's "No known Consul servers".
 *
 * Other datacenters. A request whose ?dc names another datacenter goes, on a
 * client, to one of its servers as above; a server sends it to a random alive
 * server of that datacenter from the WAN pool (again trying another when the
 * connection fails), or answers Consul's "No path to datacenter" when the WAN
 * pool knows none. There the dc is its own, so it is answered (or sent on to
 * its leader) as a local request. A catalog register or deregister whose
 * body names another Datacenter goes the same way from the leader that
 * decoded it (api_forward_dc): hence up to four hops.
 */
#include "api/api.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "gossip/servers.h"
#include "rpc/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HOPS_HEADER "x-cairn-forwarded"
#define NODE_HEADER "x-cairn-node" /* the agent the client asked */
/* client -> server -> leader -> another datacenter's server -> its leader (a body
 * naming the datacenter is only seen by the leader that decodes it) */
#define MAX_HOPS    4
#define HOLD_MS	    7000	     /* rpc_hold_timeout */
#define PLAIN_MS    30000	     /* a request that does not block */
#define BLOCKING_MS (11 * 60 * 1000) /* the longest blocking query and its jitter */
#define MAX_SERVERS 64

struct fwd {
	struct api *a;
	struct http_request *req;
	struct rpc_call *call;
	struct buf raw; /* the request to send */
	bool to_leader;
	const struct gossip_pool *pool; /* where servers are picked from, with dc */
	char dc[64];
	uint64_t deadline; /* uv_now until which another server may be tried */
	char tried[8][96]; /* servers that failed (clients) */
	int ntried;
};

static int hops(const struct http_request *req)
{
	const char *h = http_header_get(req, HOPS_HEADER);
	return h ? atoi(h) : 0;
}

static bool hop_by_hop(const char *name)
{
	static const char *const skip[] = {"connection",     "keep-alive", "transfer-encoding",
					   "content-length", "expect",	   "te",
					   "upgrade",	     HOPS_HEADER,  NODE_HEADER};
	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (strcmp(name, skip[i]) == 0)
			return true;
	return false;
}

const char *api_origin_node(const struct api *a, const struct http_request *req)
{
	const char *h = http_header_get(req, NODE_HEADER);
	return h && *h ? h : a->cfg->node_name;
}

static void serialize(const struct api *a, const struct http_request *req, struct buf *out)
{
	buf_printf(out, "%s %s%s%s HTTP/1.1\r\n", req->method_name, req->raw_path,
		   req->query[0] ? "?" : "", req->query);
	for (size_t i = 0; i < req->nheaders; i++)
		if (!hop_by_hop(req->headers[i].name))
			buf_printf(out, "%s: %s\r\n", req->headers[i].name, req->headers[i].value);
	buf_printf(out, "X-Cairn-Forwarded: %d\r\nX-Cairn-Node: %s\r\nContent-Length: %zu\r\n\r\n",
		   hops(req) + 1, api_origin_node(a, req), req->body.len);
	buf_append(out, req->body.data, req->body.len);
}

/* ---- picking a server (client agents) ---- */

static bool tried(const struct fwd *f, const char *addr)
{
	for (int i = 0; i < f->ntried; i++)
		if (strcmp(f->tried[i], addr) == 0)
			return true;
	return false;
}

/* A random alive server of f's datacenter not tried yet; false if none. */
static bool pick_server(struct fwd *f, char *out, size_t cap)
{
	struct gossip_server sv[MAX_SERVERS];
	size_t n = gossip_servers(f->pool, f->dc, true, sv, MAX_SERVERS), k = 0;
	for (size_t i = 0; i < n; i++)
		if (!tried(f, sv[i].rpc))
			sv[k++] = sv[i];
	if (k == 0)
		return false;
	snprintf(out, cap, "%s", sv[random() % k].rpc);
	return true;
}

/* ---- the call ---- */

static void fwd_free(struct fwd *f)
{
	buf_free(&f->raw);
	free(f);
}

static void fwd_cancel(struct http_request *req)
{
	struct fwd *f = req->ctx;
	if (f->call)
		rpc_call_cancel(f->call);
	fwd_free(f);
}

static bool send_to(struct fwd *f, const char *addr);

static void answer(struct fwd *f, int status, const char *fmt, const char *arg)
{
	struct http_request *req = f->req;
	req->cancel = NULL;
	req->ctx = NULL;
	fwd_free(f);
	api_error(req, status, fmt, arg);
}

static void replied(void *data, int status, const struct rpc_frame *reply)
{
	struct fwd *f = data;
	struct http_request *req = f->req;
	f->call = NULL;
	if (status == CAIRN_E_IO && !f->to_leader && uv_now(f->a->loop) < f->deadline) {
		char addr[96];
		if (pick_server(f, addr, sizeof(addr)) && send_to(f, addr))
			return; /* another server */
	}
	if (status) {
		answer(f, 500, "rpc error: %s", cairn_strerror(status));
		return;
	}
	if (reply->type == RPC_ERROR) {
		int code;
		const char *msg;
		size_t mlen;
		rpc_error_decode(reply->payload, reply->len, &code, &msg, &mlen);
		answer(f, 500, "rpc error: %s", cairn_strerror(code));
		return;
	}
	struct rpc_http_reply r;
	if (reply->type != RPC_HTTP_REPLY ||
	    rpc_http_reply_decode(reply->payload, reply->len, &r)) {
		answer(f, 500, "rpc error: %s", "malformed reply");
		return;
	}
	req->cancel = NULL;
	req->ctx = NULL;
	fwd_free(f);
	req->resp.status = r.status;
	req->resp.content_type = ""; /* the relayed header lines carry it */
	buf_reset(&req->resp.headers);
	buf_append(&req->resp.headers, r.headers, r.hlen);
	buf_reset(&req->resp.body);
	buf_append(&req->resp.body, r.body, r.blen);
	http_reply(req);
}

static bool send_to(struct fwd *f, const char *addr)
{
	if (f->ntried < (int)(sizeof(f->tried) / sizeof(f->tried[0])))
		snprintf(f->tried[f->ntried++], sizeof(f->tried[0]), "%s", addr);
	uint64_t timeout = http_param_get(f->req, "index") ? BLOCKING_MS : PLAIN_MS;
	f->call = rpc_call(f->a->rpc, addr, RPC_HTTP, f->raw.data, f->raw.len, timeout, replied, f);
	return f->call != NULL;
}

/* ---- policy ---- */

bool api_discovery_stale(const struct api *a, const struct http_request *req)
{
	int64_t max = a->cfg->discovery_max_stale;
	if (max <= 0 || !a->cons || consensus_is_leader(a->cons) ||
	    !consensus_known_leader(a->cons) || api_has(req, "consistent") ||
	    (req->method != HTTP_M_GET && req->method != HTTP_M_HEAD) ||
	    (strncmp(req->path, "/v1/catalog/", 12) != 0 &&
	     strncmp(req->path, "/v1/health/", 11) != 0))
		return false;
	return consensus_last_contact_ms(a->cons) <= (uint64_t)(max / 1000000);
}

const char *api_other_dc(const struct api *a, const struct http_request *req)
{
	const struct http_param *dc = http_param_get(req, "dc");
	return dc && dc->value[0] && strcmp(dc->value, a->cfg->datacenter) != 0 ? dc->value : NULL;
}

/* Forward req by flags, to datacenter dc when not NULL (another one). */
static bool forward(struct api *a, struct http_request *req, unsigned flags, const char *dc)
{
	if (!(flags & (API_FWD_LEADER | API_FWD_SERVER)) || !a->rpc || hops(req) >= MAX_HOPS)
		return false;
	bool client = a->cons == NULL;
	const char *leader = NULL;
	if (!client && !dc) {
		if (flags & API_FWD_SERVER || consensus_is_leader(a->cons))
			return false;
		bool read = req->method == HTTP_M_GET || req->method == HTTP_M_HEAD;
		if (read && (http_param_get(req, "stale") || api_discovery_stale(a, req)))
			return false;
		leader = consensus_leader_address(a->cons);
		if (!*leader)
			return false; /* the handler answers "No cluster leader" */
	}
	if (!client && dc && !a->wan)
		return false; /* the handler answers "No path to datacenter" */
	struct fwd *f = xcalloc(1, sizeof(*f));
	f->a = a;
	f->req = req;
	f->to_leader = leader != NULL;
	f->pool = leader ? NULL : client ? a->lan : a->wan;
	snprintf(f->dc, sizeof(f->dc), "%s", client || !dc ? a->cfg->datacenter : dc);
	f->deadline = uv_now(a->loop) + HOLD_MS;
	serialize(a, req, &f->raw);
	req->ctx = f;
	req->cancel = fwd_cancel;
	char addr[96];
	if (!leader && !pick_server(f, addr, sizeof(addr))) {
		answer(f, 500, "%s", client ? "No known Consul servers" : "No path to datacenter");
		return true;
	}
	if (!send_to(f, leader ? leader : addr))
		answer(f, 500, "rpc error: %s", "cannot reach the server");
	return true;
}

bool api_forward(struct api *a, struct http_request *req, unsigned flags)
{
	return forward(a, req, flags, api_other_dc(a, req));
}

bool api_forward_dc(struct api *a, struct http_request *req, const char *dc, unsigned flags)
{
	return forward(a, req, flags, dc);
}

/* ---- requests of our own to another datacenter ---- */

struct api_dc_call {
	struct rpc_call *call;
	api_dc_done done;
	void *data;
};

static void dc_replied(void *data, int status, const struct rpc_frame *reply)
{
	struct api_dc_call *c = data;
	struct rpc_http_reply r;
	if (status == 0 && reply->type != RPC_HTTP_REPLY)
		status = CAIRN_E_IO; /* an RPC_ERROR frame */
	if (status == 0 && rpc_http_reply_decode(reply->payload, reply->len, &r))
		status = CAIRN_E_PARSE;
	c->done(c->data, status, status ? NULL : &r);
	free(c);
}

struct api_dc_call *api_dc_call(struct api *a, const struct http_request *origin, const char *dc,
				const char *method, const char *path, const void *body, size_t len,
				api_dc_done done, void *data)
{
	char addr[96];
	if (!a->wan || !a->rpc || !gossip_server_pick(a->wan, dc, addr, sizeof(addr)))
		return NULL;
	struct buf raw = BUF_INIT;
	buf_printf(&raw,
		   "%s %s HTTP/1.1\r\nHost: %s\r\nX-Cairn-Forwarded: %d\r\nX-Cairn-Node: "
		   "%s\r\nContent-Length: %zu\r\n\r\n",
		   method, path, addr, hops(origin) + 1, api_origin_node(a, origin), len);
	buf_append(&raw, body, len);
	struct api_dc_call *c = xmalloc(sizeof(*c));
	c->done = done;
	c->data = data;
	c->call = rpc_call(a->rpc, addr, RPC_HTTP, raw.data, raw.len, PLAIN_MS, dc_replied, c);
	buf_free(&raw);
	if (!c->call) {
		free(c);
		return NULL;
	}
	return c;
}

void api_dc_cancel(struct api_dc_call *c)
{
	rpc_call_cancel(c->call);
	free(c);
}
