/*
 * The HTTP API: Consul's /v1 endpoints over the http/ server.
 *
 * Model. The route table (routes.c) maps method + path to one handler per
 * endpoint; each endpoint family lives in its own file (kv.c, txn.c, status.c,
 * agent.c, metrics.c). Handlers get the struct api (everything they may touch,
 * passed explicitly) and a request, and answer with http_reply, now or later.
 *
 * Reads go through api_read (read.c): Consul's consistency modes (default,
 * stale, consistent), the dc parameter, blocking queries (index, wait), and the
 * X-Consul-* headers. A read endpoint supplies a query function that writes the
 * response from the store and reports the index of what it read; api_read runs
 * it, and parks the request on store watchers while the index has not moved.
 *
 * Writes encode a command (consensus/cmd.h) and reply from the apply callback,
 * after the entry is committed and applied (api_write in write.c).
 *
 * All on the loop thread.
 */
#ifndef CAIRN_API_API_H
#define CAIRN_API_API_H

#include "base/buf.h"
#include "base/jsonw.h"
#include "config/config.h"
#include "consensus/consensus.h"
#include "http/http.h"
#include "state/store.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct metrics;
struct local_state;
struct session_ttl;
struct gossip_pool;
struct rpc_client;
struct event_ring;

struct api {
	uv_loop_t *loop;
	struct store *store;
	struct consensus *cons;	   /* the Raft node (servers) */
	struct local_state *local; /* this agent's services and checks */
	struct session_ttl *ttl;   /* the leader's session TTL timers (NULL: none) */
	const struct config *cfg;
	struct metrics *metrics;
	uint64_t start_ns;	   /* uv_hrtime() at start */
	const char *node_id;	   /* this agent's node ID */
	const char *advertise;	   /* this agent's LAN address */
	uint64_t blocked;	   /* requests parked in blocking queries now */
	struct gossip_pool *lan;   /* the LAN gossip pool */
	struct gossip_pool *wan;   /* the WAN pool (servers), NULL on clients */
	struct event_ring *events; /* user events for /v1/event/list */
	struct rpc_client *rpc;	   /* server RPC, for forwarding (forward.c) */
	/* hooks back into the agent */
	int (*reload)(void *agent, struct buf *err); /* 0, or -1 with err set */
	/* graceful leave then shutdown; done(data) once the leave went out */
	void (*leave)(void *agent, void (*done)(void *data), void *data);
	void *agent;
};

/* Route flags (struct http_route.flags): where a request must be answered
 * (forward.c). */
#define API_FWD_LEADER (1u << 0) /* cluster state: the leader (stale reads: any server) */
#define API_FWD_SERVER (1u << 1) /* any server */

/* The largest snapshot archive PUT /v1/snapshot accepts (snapshot.c): below
 * rpc/wire.h's RPC_FRAME_MAX, so a follower can forward it to the leader. */
#define API_SNAPSHOT_MAX_BODY (48u << 20)

/* Forward req when this agent must not answer it (forward.c); true when it
 * was taken (the reply comes later). */
bool api_forward(struct api *a, struct http_request *req, unsigned flags);
/* The datacenter ?dc names when it is not ours, else NULL. */
const char *api_other_dc(const struct api *a, const struct http_request *req);
/* The same for a request whose handler found it is for another datacenter
 * dc (a catalog register's body Datacenter; ?dc on an agent endpoint that a
 * server of dc answers): true when it was sent there. */
bool api_forward_dc(struct api *a, struct http_request *req, const char *dc, unsigned flags);
/* Send an HTTP request of our own (method, path with its query string, body)
 * to a random alive server of datacenter dc (the WAN pool) over server RPC,
 * counting it one hop further than origin; done gets 0 and the reply, or an
 * error code and NULL. Returns the call for api_dc_cancel, or NULL when no
 * server of dc is known or the call cannot start (done is then not called). */
struct rpc_http_reply;
struct api_dc_call;
typedef void (*api_dc_done)(void *data, int status, const struct rpc_http_reply *r);
struct api_dc_call *api_dc_call(struct api *a, const struct http_request *origin, const char *dc,
				const char *method, const char *path, const void *body, size_t len,
				api_dc_done done, void *data);
void api_dc_cancel(struct api_dc_call *c);
/* The node a request speaks for: the agent the client sent it to, which is
 * this one unless it was forwarded. */
const char *api_origin_node(const struct api *a, const struct http_request *req);
/* discovery_max_stale: a catalog or health read without ?consistent that a
 * follower may answer from its own store, its last contact with the leader
 * being within the limit (Consul's stale discovery reads). */
bool api_discovery_stale(const struct api *a, const struct http_request *req);

/* http_server_config callbacks: dispatch through the route table. */
void api_dispatch(void *ctx, struct http_request *req);
void api_on_headers(void *ctx, struct http_request *req);

/* ---- Responses ---- */

/* A JSON writer over req->resp.body honouring ?pretty. */
void api_json_begin(struct api *a, struct http_request *req, struct jsonw *w);
/* Finish a JSON body (Consul ends pretty output with a newline). */
void api_json_end(struct http_request *req, struct jsonw *w);
/* Status and a text/plain message, then reply. */
void api_error(struct http_request *req, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Map a cairn error from consensus to Consul's status and message, then reply. */
void api_error_code(struct http_request *req, int err);
/* The outcome of a one-request command (catalog register/deregister, session
 * create/destroy): when Raft failed (status) or the store refused it (the
 * result's error, 500 with its text as Consul), answers the error and returns
 * true; false when the command succeeded and the caller replies. */
bool api_command_failed(struct http_request *req, int status, const struct txn_result *res);
/* true when ?name is present, whatever its value (Consul tests presence). */
bool api_has(const struct http_request *req, const char *name);
/* Parse ?name as an unsigned integer; 0 and *out untouched when absent, -1 on a
 * bad value (a 400 has then been sent). */
int api_uint_param(struct http_request *req, const char *name, uint64_t *out, bool *present);

/* Writes and reads name a datacenter with ?dc. A request for another one
 * whose route forwards was sent there before its handler ran (api_forward);
 * for the others (user events, coordinates) this sends it to a server of
 * that datacenter, which runs it as its own. Returns false when the request
 * was taken that way or answered 500 "No path to datacenter". */
bool api_local_dc(struct api *a, struct http_request *req);
/* Operator and snapshot endpoints need this agent's Raft node (a client agent
 * forwards them before they get here). Returns false after answering 500
 * "No known Consul servers". */
bool api_raft_here(struct api *a, struct http_request *req);

/* ---- Reads ---- */

/* Write the response for req from the store. When w is non-NULL the query is
 * about to block: register w on what you read. Return the HTTP status (200, 404)
 * and set *index (>= 1). */
typedef int (*api_query_fn)(struct api *a, struct http_request *req, struct watcher *w,
			    uint64_t *index);
/* What a query function returns when it took the request over (set req->ctx
 * and req->cancel, wrote nothing) and will reply itself. */
#define API_DEFERRED (-2)
void api_read(struct api *a, struct http_request *req, api_query_fn query);
/* The same for the agent's own data (user events): no consistency modes, no
 * ?dc (the caller checks it when the endpoint takes one), and the index is a
 * hash (Consul's event list), so a blocking read waits while the index
 * equals ?index rather than while it is not greater. */
void api_read_local(struct api *a, struct http_request *req, api_query_fn query);

/* ---- Writes ---- */

/* Called after the command committed (status 0, res set) or failed. Must reply. */
typedef void (*api_write_fn)(struct api *a, struct http_request *req, int status,
			     const struct txn_result *res);
/* Propose cmd and call done from the apply callback. */
void api_write(struct api *a, struct http_request *req, const struct buf *cmd, api_write_fn done);

/* ---- Endpoint handlers (one family per file) ---- */

void api_kv(void *ctx, struct http_request *req);
void api_txn(void *ctx, struct http_request *req);
void api_status_leader(void *ctx, struct http_request *req);
void api_status_peers(void *ctx, struct http_request *req);
void api_agent_self(void *ctx, struct http_request *req);
void api_agent_version(void *ctx, struct http_request *req);
void api_agent_reload(void *ctx, struct http_request *req);
void api_agent_metrics(void *ctx, struct http_request *req);
void api_agent_monitor(void *ctx, struct http_request *req);
void api_snapshot(void *ctx, struct http_request *req);
void api_index(void *ctx, struct http_request *req);
void api_agent_services(void *ctx, struct http_request *req);
void api_agent_service(void *ctx, struct http_request *req);
void api_agent_checks(void *ctx, struct http_request *req);
void api_agent_health_id(void *ctx, struct http_request *req);
void api_agent_health_name(void *ctx, struct http_request *req);
void api_agent_service_register(void *ctx, struct http_request *req);
void api_agent_service_deregister(void *ctx, struct http_request *req);
void api_agent_service_maintenance(void *ctx, struct http_request *req);
void api_agent_check_register(void *ctx, struct http_request *req);
void api_agent_check_deregister(void *ctx, struct http_request *req);
void api_agent_check_pass(void *ctx, struct http_request *req);
void api_agent_check_warn(void *ctx, struct http_request *req);
void api_agent_check_fail(void *ctx, struct http_request *req);
void api_agent_check_update(void *ctx, struct http_request *req);
void api_agent_maintenance(void *ctx, struct http_request *req);
void api_catalog_register(void *ctx, struct http_request *req);
void api_catalog_deregister(void *ctx, struct http_request *req);
void api_catalog_datacenters(void *ctx, struct http_request *req);
void api_catalog_nodes(void *ctx, struct http_request *req);
void api_catalog_services(void *ctx, struct http_request *req);
void api_catalog_service(void *ctx, struct http_request *req);
void api_catalog_node(void *ctx, struct http_request *req);
void api_catalog_node_services(void *ctx, struct http_request *req);
void api_health_node(void *ctx, struct http_request *req);
void api_health_checks(void *ctx, struct http_request *req);
void api_health_service(void *ctx, struct http_request *req);
void api_health_state(void *ctx, struct http_request *req);
void api_session_create(void *ctx, struct http_request *req);
void api_session_destroy(void *ctx, struct http_request *req);
void api_session_renew(void *ctx, struct http_request *req);
void api_session_info(void *ctx, struct http_request *req);
void api_session_node(void *ctx, struct http_request *req);
void api_session_list(void *ctx, struct http_request *req);
void api_query(void *ctx, struct http_request *req);	/* query.c: /v1/query */
void api_query_id(void *ctx, struct http_request *req); /* /v1/query/:id[/execute|/explain] */
/* PUT /v1/internal/prepared-query/execute-remote: another datacenter's
 * failover (query_run.c) */
void api_query_execute_remote(void *ctx, struct http_request *req);
void api_agent_members(void *ctx, struct http_request *req);
void api_agent_join(void *ctx, struct http_request *req);
void api_agent_leave(void *ctx, struct http_request *req);
void api_agent_force_leave(void *ctx, struct http_request *req);
void api_event_fire(void *ctx, struct http_request *req);
void api_event_list(void *ctx, struct http_request *req);
void api_coordinate_datacenters(void *ctx, struct http_request *req);
void api_coordinate_nodes(void *ctx, struct http_request *req);
void api_coordinate_node(void *ctx, struct http_request *req);
void api_operator_keyring(void *ctx, struct http_request *req); /* keyring.c */
/* operator_raft.c */
void api_operator_raft_configuration(void *ctx, struct http_request *req);
void api_operator_raft_peer(void *ctx, struct http_request *req);
void api_operator_raft_transfer(void *ctx, struct http_request *req);
/* operator_autopilot.c */
void api_operator_autopilot_config(void *ctx, struct http_request *req);
void api_operator_autopilot_health(void *ctx, struct http_request *req);
void api_operator_autopilot_state(void *ctx, struct http_request *req);

/* ui_internal.c: /v1/internal/ui/{services,nodes,node/:node} */
void api_internal_ui_services(void *ctx, struct http_request *req);
void api_internal_ui_nodes(void *ctx, struct http_request *req);
void api_internal_ui_node(void *ctx, struct http_request *req);
/* ui_serve.c: answer req from the embedded web UI when it is enabled and the
 * path is under ui_config.content_path; false when not (the caller answers). */
bool api_ui_try(struct api *a, struct http_request *req);

/* The "Stats" key and object of /v1/agent/self (agent_stats.c). */
void api_agent_stats_json(struct api *a, struct jsonw *j);

/* JSON of one KV entry in Consul's field order. */
void api_kv_entry_json(struct jsonw *w, const struct kv_entry *e, bool with_value);

#endif
