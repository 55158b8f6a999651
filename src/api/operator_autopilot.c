/*
 * Consul's Autopilot endpoints, answered by the leader (API_FWD_LEADER):
 *
 *   GET /v1/operator/autopilot/configuration   the applied configuration
 *       (consensus_autopilot): CleanupDeadServers, LastContactThreshold,
 *       MaxTrailingLogs, MinQuorum, ServerStabilizationTime,
 *       RedundancyZoneTag, DisableUpgradeMigration, UpgradeVersionTag,
 *       CreateIndex, ModifyIndex. Durations as Go prints them ("200ms").
 *   PUT /v1/operator/autopilot/configuration[?cas=N]   replace it through Raft
 *       (CMD_AUTOPILOT_SET); as Consul, a field missing from the body takes
 *       its zero value; the answer is true, or false when ?cas did not match.
 *   GET /v1/operator/autopilot/health   {"Healthy","FailureTolerance",
 *       "Servers":[...]} with 429 when the cluster is not healthy, as Consul.
 *   GET /v1/operator/autopilot/state    Consul 1.9's richer view: servers by
 *       ID with Status leader/voter/non-voter, Leader, Voters.
 *
 * Health is computed on the leader from its Raft view and LAN gossip, the
 * rules of Consul's autopilot: a server is healthy when its gossip status is
 * alive, it answered the leader within the election timeout (libraft's
 * recent-contact flag; followers report no contact time of their own here,
 * so LastContact is the time since the leader last sent to it), and its log
 * trails the leader's by at most MaxTrailingLogs. FailureTolerance is the
 * healthy voters beyond a quorum. StableSince is when this leader first saw the
 * server healthy in its current streak (kept in a small table in this file,
 * loop thread only; a new leader starts counting afresh).
 */
#include "api/operator_int.h"

#include "base/alloc.h"
#include "base/duration.h"
#include "base/err.h"
#include "base/json_get.h"
#include "consensus/cmd.h"
#include "consensus/kvops.h"
#include "gossip/tags.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- configuration ---- */

static void put_duration(struct jsonw *j, const char *key, uint64_t ns)
{
	struct buf b = BUF_INIT;
	duration_format(&b, (int64_t)ns);
	jsonw_kstr(j, key, buf_cstr(&b));
	buf_free(&b);
}

static void config_get(struct api *a, struct http_request *req)
{
	struct autopilot_config c;
	consensus_autopilot(a->cons, &c);
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_obj_open(&j);
	jsonw_kbool(&j, "CleanupDeadServers", c.cleanup_dead_servers);
	put_duration(&j, "LastContactThreshold", c.last_contact_threshold_ns);
	jsonw_kuint(&j, "MaxTrailingLogs", c.max_trailing_logs);
	jsonw_kuint(&j, "MinQuorum", c.min_quorum);
	put_duration(&j, "ServerStabilizationTime", c.server_stabilization_time_ns);
	jsonw_kstr(&j, "RedundancyZoneTag", c.redundancy_zone_tag);
	jsonw_kbool(&j, "DisableUpgradeMigration", c.disable_upgrade_migration);
	jsonw_kstr(&j, "UpgradeVersionTag", c.upgrade_version_tag);
	jsonw_kuint(&j, "CreateIndex", c.create_index);
	jsonw_kuint(&j, "ModifyIndex", c.modify_index);
	jsonw_obj_close(&j);
	api_json_end(req, &j);
	http_reply(req);
}

/* A duration field: a Go duration string or a number of nanoseconds. */
static int get_duration(json_t *o, const char *key, uint64_t *out, struct buf *why)
{
	json_t *v = json_object_get(o, key);
	int64_t ns = 0;
	if (!v || json_is_null(v))
		ns = 0;
	else if (json_is_integer(v))
		ns = json_integer_value(v);
	else if (!json_is_string(v) || duration_parse(json_string_value(v), false, &ns) < 0) {
		buf_printf(why, "invalid duration for %s", key);
		return -1;
	}
	if (ns < 0) {
		buf_printf(why, "%s must not be negative", key);
		return -1;
	}
	*out = (uint64_t)ns;
	return 0;
}

static int get_count(json_t *o, const char *key, uint64_t *out, struct buf *why)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		buf_printf(why, "%s must be a non-negative number", key);
		return -1;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_flag(json_t *o, const char *key, bool *out, struct buf *why)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		buf_printf(why, "%s must be a boolean", key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

static int get_tag(json_t *o, const char *key, char *out, size_t cap, struct buf *why)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) >= cap) {
		buf_printf(why, "%s must be a string shorter than %zu bytes", key, cap);
		return -1;
	}
	for (const char *p = json_string_value(v); *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			buf_printf(why, "%s must not hold control characters", key);
			return -1;
		}
	}
	strcpy(out, json_string_value(v));
	return 0;
}

static int parse_config(const struct buf *body, struct autopilot_config *c, struct buf *why)
{
	memset(c, 0, sizeof(*c));
	json_error_t jerr;
	json_t *o = json_loadb(body->data ? body->data : "", body->len, 0, &jerr);
	if (!o || !json_is_object(o)) {
		buf_printf(why, "%s", o ? "body must be a JSON object" : jerr.text);
		json_decref(o);
		return -1;
	}
	int rc =
	    get_flag(o, "CleanupDeadServers", &c->cleanup_dead_servers, why) ||
		    get_duration(o, "LastContactThreshold", &c->last_contact_threshold_ns, why) ||
		    get_count(o, "MaxTrailingLogs", &c->max_trailing_logs, why) ||
		    get_count(o, "MinQuorum", &c->min_quorum, why) ||
		    get_duration(o, "ServerStabilizationTime", &c->server_stabilization_time_ns,
				 why) ||
		    get_tag(o, "RedundancyZoneTag", c->redundancy_zone_tag,
			    sizeof(c->redundancy_zone_tag), why) ||
		    get_flag(o, "DisableUpgradeMigration", &c->disable_upgrade_migration, why) ||
		    get_tag(o, "UpgradeVersionTag", c->upgrade_version_tag,
			    sizeof(c->upgrade_version_tag), why)
		? -1
		: 0;
	json_decref(o);
	return rc;
}

static void config_set_done(struct api *a, struct http_request *req, int status,
			    const struct txn_result *res)
{
	if (status) {
		api_error_code(req, status);
		return;
	}
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_bool(&j, !(res && res->nerrors));
	api_json_end(req, &j);
	http_reply(req);
}

static void config_set(struct api *a, struct http_request *req)
{
	struct cmd c = {.type = CMD_AUTOPILOT_SET};
	struct buf why = BUF_INIT;
	if (parse_config(&req->body, &c.u.autopilot.conf, &why) < 0) {
		api_error(req, 400, "Error parsing autopilot config: %s", buf_cstr(&why));
		buf_free(&why);
		return;
	}
	buf_free(&why);
	bool present = false;
	if (api_uint_param(req, "cas", &c.u.autopilot.cas_index, &present) < 0)
		return;
	c.u.autopilot.cas = present;
	struct buf enc = BUF_INIT;
	cmd_encode(&c, &enc);
	api_write(a, req, &enc, config_set_done);
	buf_free(&enc);
}

void api_operator_autopilot_config(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (!api_local_dc(a, req) || !api_raft_here(a, req))
		return;
	if (req->method == HTTP_M_PUT)
		config_set(a, req);
	else
		config_get(a, req);
}

/* ---- health ---- */

#define MAX_STABLE 64

/* When this leader first saw each server healthy (0: not healthy now). */
static struct {
	uint64_t id;
	time_t since;
} stable[MAX_STABLE];

static time_t stable_since(uint64_t id, bool healthy, time_t now)
{
	int free_slot = -1;
	for (int i = 0; i < MAX_STABLE; i++) {
		if (stable[i].id == id) {
			if (!healthy)
				stable[i].since = now;
			return stable[i].since;
		}
		if (!stable[i].id && free_slot < 0)
			free_slot = i;
	}
	if (free_slot >= 0) {
		stable[free_slot].id = id;
		stable[free_slot].since = now;
	}
	return now;
}

struct srv_health {
	uint64_t id;
	struct buf node_id;
	const char *name;
	const char *address;
	const char *serf_status;
	struct buf version;
	bool leader, voter, healthy;
	uint64_t last_contact_ms, last_term, last_index;
	time_t stable_since;
};

struct health {
	struct srv_health *s;
	size_t n;
	bool healthy;
	int64_t failure_tolerance;
	uint64_t leader_id;
};

static void health_compute(struct api *a, struct health *h)
{
	struct autopilot_config conf;
	consensus_autopilot(a->cons, &conf);
	struct consensus_stats st;
	consensus_get_stats(a->cons, &st);
	const struct consensus_member *ms;
	size_t n = consensus_configuration(a->cons, &ms);
	const char *lead = consensus_leader_address(a->cons);
	time_t now = time(NULL);
	memset(h, 0, sizeof(*h));
	h->s = xcalloc(n ? n : 1, sizeof(*h->s));
	h->healthy = true;
	size_t voters = 0, healthy_voters = 0;
	for (size_t i = 0; i < n; i++) {
		if (ms[i].role == CONSENSUS_SPARE)
			continue;
		struct srv_health *s = &h->s[h->n++];
		const struct serf_member *m = op_member(a, ms[i].id);
		s->id = ms[i].id;
		buf_init(&s->node_id);
		buf_init(&s->version);
		op_server_id(a, ms[i].id, &s->node_id);
		op_member_version(m, &s->version);
		s->name = m ? m->name : "";
		s->address = ms[i].address;
		s->serf_status = m ? serf_status_name(m->status) : "none";
		s->leader = lead && strcmp(lead, ms[i].address) == 0;
		s->voter = ms[i].role == CONSENSUS_VOTER;
		if (s->leader)
			h->leader_id = s->id;
		struct consensus_progress p = {0};
		bool known = consensus_progress(a->cons, ms[i].id, &p) == 0;
		s->last_index = p.match_index;
		s->last_term = known && p.recent ? st.term : 0;
		s->last_contact_ms = p.last_send_ms;
		bool trailing = st.last_log_index > p.match_index &&
				st.last_log_index - p.match_index > conf.max_trailing_logs;
		s->healthy = known && p.recent && m && m->status == SERF_ALIVE && !trailing;
		s->stable_since = stable_since(s->id, s->healthy, now);
		if (s->voter) {
			voters++;
			if (s->healthy)
				healthy_voters++;
		}
		if (!s->healthy)
			h->healthy = false;
	}
	int64_t quorum = (int64_t)voters / 2 + 1;
	h->failure_tolerance = (int64_t)healthy_voters - quorum;
	if (h->failure_tolerance < 0)
		h->failure_tolerance = 0;
}

static void health_free(struct health *h)
{
	for (size_t i = 0; i < h->n; i++) {
		buf_free(&h->s[i].node_id);
		buf_free(&h->s[i].version);
	}
	free(h->s);
}

static void put_time(struct jsonw *j, const char *key, time_t t)
{
	struct tm tm;
	char text[32];
	gmtime_r(&t, &tm);
	strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
	jsonw_kstr(j, key, text);
}

/* The fields health and state share, Consul's order. */
static void server_common(struct jsonw *j, const struct srv_health *s)
{
	jsonw_kstr(j, "ID", buf_cstr(&s->node_id));
	jsonw_kstr(j, "Name", s->name);
	jsonw_kstr(j, "Address", s->address);
}

static void health_json(struct jsonw *j, const struct health *h)
{
	jsonw_obj_open(j);
	jsonw_kbool(j, "Healthy", h->healthy);
	jsonw_kint(j, "FailureTolerance", h->failure_tolerance);
	jsonw_key(j, "Servers");
	jsonw_arr_open(j);
	for (size_t i = 0; i < h->n; i++) {
		const struct srv_health *s = &h->s[i];
		jsonw_obj_open(j);
		server_common(j, s);
		jsonw_kstr(j, "SerfStatus", s->serf_status);
		jsonw_kstr(j, "Version", buf_cstr(&s->version));
		jsonw_kbool(j, "Leader", s->leader);
		put_duration(j, "LastContact", s->last_contact_ms * 1000000ull);
		jsonw_kuint(j, "LastTerm", s->last_term);
		jsonw_kuint(j, "LastIndex", s->last_index);
		jsonw_kbool(j, "Healthy", s->healthy);
		jsonw_kbool(j, "Voter", s->voter);
		put_time(j, "StableSince", s->stable_since);
		jsonw_obj_close(j);
	}
	jsonw_arr_close(j);
	jsonw_obj_close(j);
}

static bool leader_only(struct api *a, struct http_request *req)
{
	if (!api_local_dc(a, req) || !api_raft_here(a, req))
		return false;
	if (!consensus_is_leader(a->cons)) {
		api_error(req, 500, "No cluster leader");
		return false;
	}
	return true;
}

void api_operator_autopilot_health(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (!leader_only(a, req))
		return;
	struct health h;
	health_compute(a, &h);
	struct jsonw j;
	api_json_begin(a, req, &j);
	health_json(&j, &h);
	api_json_end(req, &j);
	if (!h.healthy)
		req->resp.status = 429;
	health_free(&h);
	http_reply(req);
}

static void state_json(struct jsonw *j, const struct health *h)
{
	jsonw_obj_open(j);
	jsonw_kbool(j, "Healthy", h->healthy);
	jsonw_kint(j, "FailureTolerance", h->failure_tolerance);
	jsonw_kint(j, "OptimisticFailureTolerance", h->failure_tolerance);
	jsonw_key(j, "Servers");
	jsonw_obj_open(j);
	const char *leader = "";
	for (size_t i = 0; i < h->n; i++) {
		const struct srv_health *s = &h->s[i];
		if (s->leader)
			leader = buf_cstr(&s->node_id);
		jsonw_key(j, buf_cstr(&s->node_id));
		jsonw_obj_open(j);
		server_common(j, s);
		jsonw_kstr(j, "NodeStatus", s->serf_status);
		jsonw_kstr(j, "Version", buf_cstr(&s->version));
		put_duration(j, "LastContact", s->last_contact_ms * 1000000ull);
		jsonw_kuint(j, "LastTerm", s->last_term);
		jsonw_kuint(j, "LastIndex", s->last_index);
		jsonw_kbool(j, "Healthy", s->healthy);
		put_time(j, "StableSince", s->stable_since);
		jsonw_kbool(j, "ReadReplica", false);
		jsonw_kstr(j, "Status", s->leader ? "leader" : s->voter ? "voter" : "non-voter");
		jsonw_key(j, "Meta");
		jsonw_obj_open(j);
		jsonw_obj_close(j);
		jsonw_kstr(j, "NodeType", s->voter ? "voter" : "read-replica");
		jsonw_obj_close(j);
	}
	jsonw_obj_close(j);
	jsonw_kstr(j, "Leader", leader);
	jsonw_key(j, "Voters");
	jsonw_arr_open(j);
	for (size_t i = 0; i < h->n; i++)
		if (h->s[i].voter)
			jsonw_str(j, buf_cstr(&h->s[i].node_id));
	jsonw_arr_close(j);
	jsonw_obj_close(j);
}

void api_operator_autopilot_state(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (!leader_only(a, req))
		return;
	struct health h;
	health_compute(a, &h);
	struct jsonw j;
	api_json_begin(a, req, &j);
	state_json(&j, &h);
	api_json_end(req, &j);
	health_free(&h);
	http_reply(req);
}
