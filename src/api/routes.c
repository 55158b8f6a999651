/*
 * The route table: every HTTP endpoint is one row (pattern, methods, handler).
 * Adding an endpoint is adding a row here and a handler in its family's file.
 * Dispatch answers 404 (empty body, as Consul) for unknown paths and 405 with an
 * Allow header for a known path and a wrong method.
 */
#include "api/api.h"

#include "base/log.h"
#include "base/metrics.h"

#include <string.h>

#define GET	 (1u << HTTP_M_GET | 1u << HTTP_M_HEAD)
#define PUT	 (1u << HTTP_M_PUT)
#define PUT_POST (1u << HTTP_M_PUT | 1u << HTTP_M_POST)
/* python-consul 0.7.1 (Debian's) sends GET to these agent writes, as Consul
 * before 1.0 allowed; accepting both keeps the seeds' scripts working */
#define PUT_OR_GET (1u << HTTP_M_PUT | 1u << HTTP_M_GET)
#define KV_METHODS (GET | PUT | 1u << HTTP_M_DELETE)
/* where a request is answered (forward.c) */
#define L API_FWD_LEADER
#define S API_FWD_SERVER

static const struct http_route routes[] = {
    {"/", false, GET, api_index, 0},
    {"/v1/kv/", true, KV_METHODS, api_kv, L},
    {"/v1/txn", false, PUT, api_txn, L},
    {"/v1/status/leader", false, GET, api_status_leader, S},
    {"/v1/status/peers", false, GET, api_status_peers, S},
    {"/v1/agent/self", false, GET, api_agent_self, 0},
    {"/v1/agent/version", false, GET, api_agent_version, 0},
    {"/v1/agent/reload", false, PUT, api_agent_reload, 0},
    {"/v1/agent/metrics", false, GET, api_agent_metrics, 0},
    {"/v1/agent/monitor", false, GET, api_agent_monitor, 0},
    {"/v1/agent/services", false, GET, api_agent_services, 0},
    {"/v1/agent/service/", true, GET, api_agent_service, 0},
    {"/v1/agent/checks", false, GET, api_agent_checks, 0},
    {"/v1/agent/health/service/id/", true, GET, api_agent_health_id, 0},
    {"/v1/agent/health/service/name/", true, GET, api_agent_health_name, 0},
    {"/v1/agent/service/register", false, PUT, api_agent_service_register, 0},
    {"/v1/agent/service/deregister/", true, PUT_OR_GET, api_agent_service_deregister, 0},
    {"/v1/agent/service/maintenance/", true, PUT, api_agent_service_maintenance, 0},
    {"/v1/agent/check/register", false, PUT, api_agent_check_register, 0},
    {"/v1/agent/check/deregister/", true, PUT_OR_GET, api_agent_check_deregister, 0},
    {"/v1/agent/check/pass/", true, PUT_OR_GET, api_agent_check_pass, 0},
    {"/v1/agent/check/warn/", true, PUT_OR_GET, api_agent_check_warn, 0},
    {"/v1/agent/check/fail/", true, PUT_OR_GET, api_agent_check_fail, 0},
    {"/v1/agent/check/update/", true, PUT, api_agent_check_update, 0},
    {"/v1/agent/maintenance", false, PUT, api_agent_maintenance, 0},
    {"/v1/agent/members", false, GET, api_agent_members, 0},
    {"/v1/agent/join/", true, PUT, api_agent_join, 0},
    {"/v1/agent/leave", false, PUT, api_agent_leave, 0},
    {"/v1/agent/force-leave/", true, PUT, api_agent_force_leave, 0},
    {"/v1/event/fire/", true, PUT, api_event_fire, 0},
    {"/v1/event/list", false, GET, api_event_list, 0},
    {"/v1/coordinate/datacenters", false, GET, api_coordinate_datacenters, S},
    {"/v1/coordinate/nodes", false, GET, api_coordinate_nodes, 0},
    {"/v1/coordinate/node/", true, GET, api_coordinate_node, 0},
    {"/v1/catalog/register", false, PUT, api_catalog_register, L},
    {"/v1/catalog/deregister", false, PUT, api_catalog_deregister, L},
    {"/v1/catalog/datacenters", false, GET, api_catalog_datacenters, S},
    {"/v1/catalog/nodes", false, GET, api_catalog_nodes, L},
    {"/v1/catalog/services", false, GET, api_catalog_services, L},
    {"/v1/catalog/service/", true, GET, api_catalog_service, L},
    {"/v1/catalog/node/", true, GET, api_catalog_node, L},
    {"/v1/catalog/node-services/", true, GET, api_catalog_node_services, L},
    {"/v1/internal/ui/services", false, GET, api_internal_ui_services, L},
    {"/v1/internal/ui/nodes", false, GET, api_internal_ui_nodes, L},
    {"/v1/internal/ui/node/", true, GET, api_internal_ui_node, L},
    {"/v1/health/node/", true, GET, api_health_node, L},
    {"/v1/health/checks/", true, GET, api_health_checks, L},
    {"/v1/health/service/", true, GET, api_health_service, L},
    {"/v1/health/state/", true, GET, api_health_state, L},
    {"/v1/session/create", false, PUT, api_session_create, L},
    {"/v1/session/destroy/", true, PUT, api_session_destroy, L},
    {"/v1/session/renew/", true, PUT, api_session_renew, L},
    {"/v1/session/info/", true, GET, api_session_info, L},
    {"/v1/session/node/", true, GET, api_session_node, L},
    {"/v1/session/list", false, GET, api_session_list, L},
    {"/v1/query", false, GET | 1u << HTTP_M_POST, api_query, L},
    {"/v1/query/", true, KV_METHODS, api_query_id, L},
    {"/v1/internal/prepared-query/execute-remote", false, PUT, api_query_execute_remote, L},
    {"/v1/snapshot", false, GET | PUT, api_snapshot, L},
    {"/v1/operator/keyring", false, KV_METHODS | 1u << HTTP_M_POST, api_operator_keyring, 0},
    {"/v1/operator/raft/configuration", false, GET, api_operator_raft_configuration, L},
    {"/v1/operator/raft/peer", false, 1u << HTTP_M_DELETE, api_operator_raft_peer, L},
    {"/v1/operator/raft/transfer-leader", false, 1u << HTTP_M_POST, api_operator_raft_transfer, L},
    {"/v1/operator/autopilot/configuration", false, GET | PUT, api_operator_autopilot_config, L},
    {"/v1/operator/autopilot/health", false, GET, api_operator_autopilot_health, L},
    {"/v1/operator/autopilot/state", false, GET, api_operator_autopilot_state, L},
};

static void allow_header(struct http_request *req, unsigned methods)
{
	/* Consul lists OPTIONS first, then the endpoint's methods (HEAD implied by GET) */
	static const struct {
		enum http_method m;
		const char *name;
	} order[] = {{HTTP_M_GET, "GET"},
		     {HTTP_M_PUT, "PUT"},
		     {HTTP_M_POST, "POST"},
		     {HTTP_M_DELETE, "DELETE"},
		     {HTTP_M_PATCH, "PATCH"}};
	struct buf b = BUF_INIT;
	buf_puts(&b, "OPTIONS");
	for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (methods & (1u << order[i].m))
			buf_printf(&b, ",%s", order[i].name);
	http_resp_header(req, "Allow", buf_cstr(&b));
	buf_free(&b);
}

/* Control characters in a path are refused before any endpoint sees them: they
 * cannot be part of a key that round-trips through logs, the CLI and DNS. */
static bool path_ok(const char *path)
{
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

void api_dispatch(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	metrics_count(a->metrics, M_HTTP_REQUESTS, 1);
	if (!path_ok(req->path)) {
		req->resp.status = 400;
		req->resp.content_type = "text/plain; charset=utf-8";
		http_reply(req);
		return;
	}
	switch (http_route_match(routes, sizeof(routes) / sizeof(routes[0]), req)) {
	case ROUTE_OK:
		break;
	case ROUTE_NOT_FOUND:
		if (api_ui_try(a, req)) /* the web UI (ui_serve.c) */
			return;
		if (strncmp(req->path, "/v1/", 4) == 0)
			api_error(req, 404,
				  "Invalid URL path: not a recognized HTTP API endpoint\n");
		else
			api_error(req, 404,
				  "Invalid URL path: if attempting to use the HTTP API, "
				  "ensure the path starts with '/v1/'\n");
		return;
	case ROUTE_BAD_METHOD:
		allow_header(req, req->route->methods);
		if (req->method == HTTP_M_OPTIONS) {
			http_reply(req);
			return;
		}
		api_error(req, 405, "method %s not allowed", req->method_name);
		return;
	}
	if (req->body_too_large) {
		if (strncmp(req->path, "/v1/kv/", 7) == 0)
			api_error(req, 413,
				  "Request body(%llu bytes) too large, max size: %zu bytes. See "
				  "https://developer.hashicorp.com/docs/agent/config/"
				  "config-files#kv_max_value_size.",
				  (unsigned long long)req->content_length, req->max_body);
		else
			api_error(req, 413,
				  "Request body(%llu bytes) too large, max size: %zu bytes. See "
				  "https://developer.hashicorp.com/docs/agent/config/"
				  "config-files#txn_max_req_len.",
				  (unsigned long long)req->content_length, req->max_body);
		return;
	}
	if (api_forward(a, req, req->route->flags))
		return;
	req->route->handler(a, req);
}

/* Bodies are bounded before they are read: KV values by kv_max_value_size, the
 * transaction endpoint by txn_max_req_len, everything else by the server's limit. */
void api_on_headers(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (strncmp(req->path, "/v1/kv/", 7) == 0)
		req->max_body = a->cfg->kv_max_value_size;
	else if (strcmp(req->path, "/v1/txn") == 0)
		req->max_body = a->cfg->txn_max_req_len;
	else if (strcmp(req->path, "/v1/snapshot") == 0 && req->method == HTTP_M_PUT)
		req->max_body = API_SNAPSHOT_MAX_BODY;
}

void api_index(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (a->cfg->ui) {
		/* content_path "/": the UI itself answers at the root */
		if (strcmp(a->cfg->ui_content_path, "/") == 0 && api_ui_try(a, req))
			return;
		req->resp.status = 301;
		http_resp_header(req, "Location", a->cfg->ui_content_path);
		req->resp.content_type = "text/html; charset=utf-8";
		buf_printf(&req->resp.body, "<a href=\"%s\">Moved Permanently</a>.\n\n",
			   a->cfg->ui_content_path);
		http_reply(req);
		return;
	}
	req->resp.content_type = "text/plain; charset=utf-8";
	buf_puts(&req->resp.body,
		 "Consul Agent: UI disabled. To enable, set ui_config.enabled=true "
		 "in the agent configuration and restart.");
	http_reply(req);
}
