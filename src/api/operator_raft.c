/*
 * Consul's Operator Raft endpoints, answered by the leader (routes flagged
 * API_FWD_LEADER; a configuration read with ?stale by any server):
 *
 *   GET    /v1/operator/raft/configuration   the Raft configuration:
 *          {"Servers":[{"ID","Node","Address","Leader","ProtocolVersion":"3",
 *          "Voter","LastIndex"}],"Index"}; ID and Node come from LAN gossip
 *          (operator_int.h; Node "(unknown)" when no member maps to it, as
 *          Consul); LastIndex is the last entry known to be in that
 *          server's log (the leader's own last index for itself), shown only
 *          by the leader, as Consul shows it only when autopilot knows it.
 *   DELETE /v1/operator/raft/peer?id=|?address=   remove a server (one
 *          configuration change at a time; the reply waits for the commit).
 *   POST   /v1/operator/raft/transfer-leader[?id=]   hand leadership to a
 *          voter (the most up-to-date one without ?id); {"Success":true}.
 *
 * Errors are Consul's texts with 400 for a bad request and 500 otherwise.
 * Replies to the two writes are sent from the consensus callback; the
 * request stays with the server until then (as write.c).
 */
#include "api/operator_int.h"

#include "base/alloc.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>

static bool is_leader(const struct api *a, const char *address)
{
	const char *lead = consensus_leader_address(a->cons);
	return lead && *lead && strcmp(lead, address) == 0;
}

static void configuration(struct api *a, struct http_request *req)
{
	const struct consensus_member *ms;
	size_t n = consensus_configuration(a->cons, &ms);
	bool leader = consensus_is_leader(a->cons);
	struct consensus_stats st;
	consensus_get_stats(a->cons, &st);
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_obj_open(&j);
	jsonw_key(&j, "Servers");
	jsonw_arr_open(&j);
	for (size_t i = 0; i < n; i++) {
		if (ms[i].role == CONSENSUS_SPARE)
			continue; /* being added: not part of the configuration yet */
		const struct serf_member *m = op_member(a, ms[i].id);
		struct buf id = BUF_INIT;
		op_server_id(a, ms[i].id, &id);
		jsonw_obj_open(&j);
		jsonw_kstr(&j, "ID", buf_cstr(&id));
		jsonw_kstr(&j, "Node", m ? m->name : "(unknown)");
		jsonw_kstr(&j, "Address", ms[i].address);
		jsonw_kbool(&j, "Leader", is_leader(a, ms[i].address));
		jsonw_kstr(&j, "ProtocolVersion", "3");
		jsonw_kbool(&j, "Voter", ms[i].role == CONSENSUS_VOTER);
		struct consensus_progress p;
		if (leader && consensus_progress(a->cons, ms[i].id, &p) == 0)
			jsonw_kuint(&j, "LastIndex", p.match_index);
		jsonw_obj_close(&j);
		buf_free(&id);
	}
	jsonw_arr_close(&j);
	jsonw_kuint(&j, "Index", st.last_log_index);
	jsonw_obj_close(&j);
	api_json_end(req, &j);
	http_reply(req);
}

void api_operator_raft_configuration(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (!api_local_dc(a, req) || !api_raft_here(a, req))
		return;
	if (!consensus_known_leader(a->cons) && !api_has(req, "stale")) {
		api_error(req, 500, "No cluster leader");
		return;
	}
	configuration(a, req);
}

/* ---- remove-peer ---- */

static void removed(void *data, int status)
{
	struct http_request *req = data;
	if (status) {
		api_error_code(req, status);
		return;
	}
	http_reply(req);
}

void api_operator_raft_peer(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (!api_local_dc(a, req))
		return;
	const struct http_param *id = http_param_get(req, "id");
	const struct http_param *addr = http_param_get(req, "address");
	bool by_id = id && id->value[0];
	if (!by_id && !(addr && addr->value[0])) {
		api_error(req, 400,
			  "Must specify either ?id with the server's ID or ?address with "
			  "IP:port of peer to remove");
		return;
	}
	if (!api_raft_here(a, req))
		return;
	const char *text = by_id ? id->value : addr->value;
	uint64_t rid = op_find_server(a, text, !by_id);
	if (!rid) {
		api_error(req, 500, "%s \"%s\" was not found in the Raft configuration",
			  by_id ? "id" : "address", text);
		return;
	}
	int rv = consensus_remove_server(a->cons, rid, removed, req);
	if (rv == CAIRN_E_BUSY)
		api_error(req, 500, "a configuration change is already in progress");
	else if (rv)
		api_error_code(req, rv);
}

/* ---- transfer-leader ---- */

static void transferred(void *data, int status)
{
	struct http_request *req = data;
	if (status) {
		api_error(req, 500, "failed to transfer leadership: %s", cairn_strerror(status));
		return;
	}
	struct jsonw j;
	struct api *a = req->ctx;
	api_json_begin(a, req, &j);
	jsonw_obj_open(&j);
	jsonw_kbool(&j, "Success", true);
	jsonw_obj_close(&j);
	api_json_end(req, &j);
	http_reply(req);
}

void api_operator_raft_transfer(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (!api_local_dc(a, req) || !api_raft_here(a, req))
		return;
	const struct http_param *id = http_param_get(req, "id");
	uint64_t rid = 0;
	if (id && id->value[0]) {
		rid = op_find_server(a, id->value, false);
		if (!rid) {
			api_error(req, 500, "id \"%s\" was not found in the Raft configuration",
				  id->value);
			return;
		}
	}
	req->ctx = a;
	int rv = consensus_transfer(a->cons, rid, transferred, req);
	if (rv == CAIRN_E_NOTFOUND)
		api_error(req, 500, "cannot transfer leadership: no other voter is available");
	else if (rv == CAIRN_E_BUSY)
		api_error(req, 500, "a configuration change is already in progress");
	else if (rv)
		api_error_code(req, rv);
}
