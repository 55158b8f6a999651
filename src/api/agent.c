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

static void write_stats(struct api *a, struct jsonw *j)
{
	char tmp[32];
	jsonw_key(j, "Stats");
	jsonw_obj_open(j);
	jsonw_key(j, "agent");
	jsonw_obj_open(j);
	jsonw_kstr(j, "check_monitors", "0");
	jsonw_kstr(j, "services", "0");
	jsonw_obj_close(j);
	if (a->cons) {
		struct consensus_stats st;
		consensus_get_stats(a->cons, &st);
		jsonw_key(j, "raft");
		jsonw_obj_open(j);
		snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)st.applied_index);
		jsonw_kstr(j, "applied_index", tmp);
		snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)st.commit_index);
		jsonw_kstr(j, "commit_index", tmp);
		snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)st.last_log_index);
		jsonw_kstr(j, "last_log_index", tmp);
		snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)st.last_snapshot_index);
		jsonw_kstr(j, "last_snapshot_index", tmp);
		snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)st.num_peers);
		jsonw_kstr(j, "num_peers", tmp);
		jsonw_kstr(j, "state", st.state);
		snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)st.term);
		jsonw_kstr(j, "term", tmp);
		jsonw_obj_close(j);
	}
	jsonw_key(j, "runtime");
	jsonw_obj_open(j);
	jsonw_kstr(j, "arch", "amd64");
	jsonw_kstr(j, "os", "linux");
	jsonw_kstr(j, "version", "cairn " CAIRN_VERSION);
	jsonw_obj_close(j);
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
	write_stats(a, &j);
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
