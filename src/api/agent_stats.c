/*
 * The "Stats" object of /v1/agent/self: a map of sections, each a map of
 * strings, which `consul info` prints sorted (cli/info.c). Consul fills it from
 * its subsystems' Stats() methods; the sections and keys here are Consul's:
 *
 *   agent     check_monitors (script checks), check_ttls, checks, services
 *   build     prerelease, revision, version, version_metadata
 *   consul    servers: acl, bootstrap, known_datacenters, leader, leader_addr,
 *             server; clients: acl, known_servers, server
 *   raft      servers only: libraft's indexes and role, hashicorp/raft's
 *             protocol and snapshot version keys (fixed values)
 *   runtime   arch, cpu_count, max_procs, os, version ("cairn X"; no goroutines)
 *   serf_lan  the gossip pools' counts and clocks (members, failed, left,
 *   serf_wan  member and event Lamport times, Lifeguard's health score, the
 *             broadcast queue as intent_queue, Vivaldi resets, encrypted);
 *             serf_wan is shown by servers only
 *
 * Every value is a string, as in Consul. Loop thread, no state of its own.
 */
#include "api/api.h"

#include "base/version.h"
#include "gossip/pool.h"
#include "local/local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void kv_u64(struct jsonw *j, const char *key, uint64_t v)
{
	char tmp[24];
	snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
	jsonw_kstr(j, key, tmp);
}

static void write_agent(struct api *a, struct jsonw *j)
{
	const struct local_check **checks = NULL;
	const struct local_service **services = NULL;
	size_t nchecks = a->local ? local_checks(a->local, &checks) : 0;
	size_t nservices = a->local ? local_services(a->local, &services) : 0;
	uint64_t scripts = 0, ttls = 0;
	for (size_t i = 0; i < nchecks; i++) {
		if (strcmp(checks[i]->type, "script") == 0)
			scripts++;
		else if (strcmp(checks[i]->type, "ttl") == 0)
			ttls++;
	}
	free(checks);
	free(services);
	jsonw_key(j, "agent");
	jsonw_obj_open(j);
	kv_u64(j, "check_monitors", scripts);
	kv_u64(j, "check_ttls", ttls);
	kv_u64(j, "checks", nchecks);
	kv_u64(j, "services", nservices);
	jsonw_obj_close(j);
}

static void write_build(struct jsonw *j)
{
	jsonw_key(j, "build");
	jsonw_obj_open(j);
	jsonw_kstr(j, "prerelease", "");
	jsonw_kstr(j, "revision", CAIRN_REVISION);
	jsonw_kstr(j, "version", CAIRN_CONSUL_VERSION);
	jsonw_kstr(j, "version_metadata", "");
	jsonw_obj_close(j);
}

static void write_consul(struct api *a, struct jsonw *j)
{
	const struct config *c = a->cfg;
	jsonw_key(j, "consul");
	jsonw_obj_open(j);
	jsonw_kstr(j, "acl", c->acl.enabled ? "enabled" : "disabled");
	if (a->cons) {
		jsonw_kstr(j, "bootstrap", c->bootstrap ? "true" : "false");
		jsonw_kstr(j, "known_datacenters", "1");
		jsonw_kstr(j, "leader", consensus_is_leader(a->cons) ? "true" : "false");
		jsonw_kstr(j, "leader_addr", consensus_leader_address(a->cons));
		jsonw_kstr(j, "server", "true");
	} else {
		jsonw_kstr(j, "known_servers", "0");
		jsonw_kstr(j, "server", "false");
	}
	jsonw_obj_close(j);
}

static void write_raft(struct api *a, struct jsonw *j)
{
	struct consensus_stats st;
	consensus_get_stats(a->cons, &st);
	char tmp[32];
	jsonw_key(j, "raft");
	jsonw_obj_open(j);
	kv_u64(j, "applied_index", st.applied_index);
	kv_u64(j, "commit_index", st.commit_index);
	jsonw_kstr(j, "fsm_pending", "0");
	if (consensus_is_leader(a->cons))
		snprintf(tmp, sizeof(tmp), "0");
	else if (!consensus_known_leader(a->cons))
		snprintf(tmp, sizeof(tmp), "never");
	else
		snprintf(tmp, sizeof(tmp), "%llums",
			 (unsigned long long)consensus_last_contact_ms(a->cons));
	jsonw_kstr(j, "last_contact", tmp);
	kv_u64(j, "last_log_index", st.last_log_index);
	kv_u64(j, "last_snapshot_index", st.last_snapshot_index);
	kv_u64(j, "num_peers", st.num_peers);
	jsonw_kstr(j, "protocol_version", "3");
	jsonw_kstr(j, "protocol_version_max", "3");
	jsonw_kstr(j, "protocol_version_min", "0");
	jsonw_kstr(j, "snapshot_version", "1");
	jsonw_kstr(j, "snapshot_version_max", "1");
	jsonw_kstr(j, "snapshot_version_min", "0");
	jsonw_kstr(j, "state", st.state);
	kv_u64(j, "term", st.term);
	jsonw_obj_close(j);
}

static void write_runtime(struct jsonw *j)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	jsonw_key(j, "runtime");
	jsonw_obj_open(j);
	jsonw_kstr(j, "arch", "amd64");
	kv_u64(j, "cpu_count", cpus > 0 ? (uint64_t)cpus : 1);
	kv_u64(j, "max_procs", cpus > 0 ? (uint64_t)cpus : 1);
	jsonw_kstr(j, "os", "linux");
	jsonw_kstr(j, "version", "cairn " CAIRN_VERSION);
	jsonw_obj_close(j);
}

static void kv_num(struct jsonw *j, const char *k, uint64_t v)
{
	char t[32];
	snprintf(t, sizeof(t), "%llu", (unsigned long long)v);
	jsonw_kstr(j, k, t);
}

/* serf's stats of one pool, as Consul names them (sorted). */
static void write_serf(struct jsonw *j, const char *name, const struct gossip_pool *p)
{
	const struct serf *s = gossip_pool_serf(p);
	uint64_t members = 0, failed = 0, left = 0;
	for (size_t i = 0, n = s ? serf_count(s) : 0; i < n; i++) {
		enum serf_status st = serf_at(s, i)->status;
		members++;
		failed += st == SERF_FAILED;
		left += st == SERF_LEFT;
	}
	const struct memberlist *ml = gossip_transport_core(&p->t);
	const struct vivaldi *v = gossip_pool_vivaldi(p);
	jsonw_key(j, name);
	jsonw_obj_open(j);
	kv_num(j, "coordinate_resets", v ? v->resets : 0);
	jsonw_kstr(j, "encrypted", keyring_primary(&p->keyring) ? "true" : "false");
	kv_num(j, "event_queue", 0);
	kv_num(j, "event_time", s ? serf_event_clock(s) : 0);
	kv_num(j, "failed", failed);
	kv_num(j, "health_score", ml ? (uint64_t)memberlist_health_score(ml) : 0);
	kv_num(j, "intent_queue", ml ? memberlist_queue_len(ml) : 0);
	kv_num(j, "left", left);
	kv_num(j, "member_time", s ? serf_member_clock(s) : 0);
	kv_num(j, "members", members);
	kv_num(j, "query_queue", 0);
	kv_num(j, "query_time", 1);
	jsonw_obj_close(j);
}

void api_agent_stats_json(struct api *a, struct jsonw *j)
{
	jsonw_key(j, "Stats");
	jsonw_obj_open(j);
	write_agent(a, j);
	write_build(j);
	write_consul(a, j);
	if (a->cons)
		write_raft(a, j);
	write_runtime(j);
	if (a->lan)
		write_serf(j, "serf_lan", a->lan);
	if (a->wan)
		write_serf(j, "serf_wan", a->wan);
	jsonw_obj_close(j);
}
