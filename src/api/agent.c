/*
 * /v1/agent/self, /v1/agent/version, /v1/agent/reload, /v1/agent/metrics:
 * answered by this agent about itself, never forwarded.
 *
 * self carries what clients read (COMPAT.md): Config (datacenter, node, version,
 * server), DebugConfig generated from the option table, Coord, Member (this
 * node as gossip shows it), Stats and Meta.
 */
#include "api/api.h"

#include "base/metrics.h"
#include "base/version.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void write_member_tags(struct api *a, struct jsonw *j)
{
	const struct config *c = a->cfg;
	char port[16];
	jsonw_key(j, "Tags");
	jsonw_obj_open(j);
	jsonw_kstr(j, "acls", c->acl.enabled ? "1" : "0");
	if (c->server && c->bootstrap)
		jsonw_kstr(j, "bootstrap", "1");
	jsonw_kstr(j, "build", CAIRN_CONSUL_VERSION ":" CAIRN_REVISION);
	jsonw_kstr(j, "dc", c->datacenter);
	jsonw_kstr(j, "id", a->node_id);
	snprintf(port, sizeof(port), "%d", c->ports.server);
	if (c->server) {
		jsonw_kstr(j, "port", port);
		jsonw_kstr(j, "raft_vsn", "3");
	}
	jsonw_kstr(j, "role", c->server ? "consul" : "node");
	jsonw_kstr(j, "segment", "");
	jsonw_kstr(j, "vsn", "2");
	jsonw_kstr(j, "vsn_max", "3");
	jsonw_kstr(j, "vsn_min", "2");
	if (c->server) {
		snprintf(port, sizeof(port), "%d", c->ports.serf_wan);
		jsonw_kstr(j, "wan_join_port", port);
	}
	jsonw_obj_close(j);
}

static void write_member(struct api *a, struct jsonw *j)
{
	const struct config *c = a->cfg;
	jsonw_key(j, "Member");
	jsonw_obj_open(j);
	jsonw_kstr(j, "Name", c->node_name);
	jsonw_kstr(j, "Addr", a->advertise);
	jsonw_kint(j, "Port", c->ports.serf_lan);
	write_member_tags(a, j);
	jsonw_kint(j, "Status", 1);
	jsonw_kint(j, "ProtocolMin", 1);
	jsonw_kint(j, "ProtocolMax", 5);
	jsonw_kint(j, "ProtocolCur", 2);
	jsonw_kint(j, "DelegateMin", 2);
	jsonw_kint(j, "DelegateMax", 5);
	jsonw_kint(j, "DelegateCur", 4);
	jsonw_obj_close(j);
}

static void write_coord(struct jsonw *j)
{
	jsonw_key(j, "Coord");
	jsonw_obj_open(j);
	jsonw_kint(j, "Adjustment", 0);
	jsonw_key(j, "Error");
	jsonw_double(j, 1.5);
	jsonw_kint(j, "Height", 0);
	jsonw_key(j, "Vec");
	jsonw_arr_open(j);
	for (int i = 0; i < 8; i++)
		jsonw_int(j, 0);
	jsonw_arr_close(j);
	jsonw_obj_close(j);
}

void api_agent_self(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_obj_open(&j);
	jsonw_key(&j, "Config");
	config_dump(a->cfg, &j, CONFIG_VIEW_SELF);
	jsonw_key(&j, "DebugConfig");
	config_dump(a->cfg, &j, CONFIG_VIEW_DEBUG);
	write_coord(&j);
	write_member(a, &j);
	api_agent_stats_json(a, &j);
	jsonw_key(&j, "Meta");
	jsonw_obj_open(&j);
	for (size_t i = 0; i < a->cfg->node_meta.len; i++)
		jsonw_kstr(&j, a->cfg->node_meta.keys[i], a->cfg->node_meta.values[i]);
	jsonw_obj_close(&j);
	jsonw_key(&j, "xDS");
	jsonw_null(&j);
	jsonw_obj_close(&j);
	api_json_end(req, &j);
	http_reply(req);
}

void api_agent_version(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_obj_open(&j);
	jsonw_kstr(&j, "SKU", "oss");
	jsonw_kstr(&j, "BuildDate", CAIRN_BUILD_DATE);
	jsonw_kstr(&j, "HumanVersion", CAIRN_CONSUL_VERSION);
	jsonw_kstr(&j, "FIPS", "");
	jsonw_obj_close(&j);
	api_json_end(req, &j);
	http_reply(req);
}

void api_agent_reload(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	struct buf err = BUF_INIT;
	if (a->reload && a->reload(a->agent, &err)) {
		api_error(req, 500, "Failed to reload configs: %s", buf_cstr(&err));
		buf_free(&err);
		return;
	}
	buf_free(&err);
	http_reply(req);
}

void api_agent_metrics(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	const struct http_param *fmt = http_param_get(req, "format");
	if (fmt && strcmp(fmt->value, "prometheus") == 0) {
		if (a->cfg->telemetry.prometheus_retention_time <= 0) {
			api_error(req, 415,
				  "Prometheus is not enabled since its retention time is "
				  "not positive");
			return;
		}
		req->resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
		metrics_write_prometheus(a->metrics, &req->resp.body);
		http_reply(req);
		return;
	}
	struct jsonw j;
	api_json_begin(a, req, &j);
	metrics_write_json(a->metrics, &j, uv_hrtime());
	api_json_end(req, &j);
	http_reply(req);
}
