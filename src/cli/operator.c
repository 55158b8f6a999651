/*
 * `consul operator raft ...`: the Raft configuration through the Operator
 * Raft HTTP API (api/operator_raft.c), with Consul's output.
 *
 *   list-peers        GET /v1/operator/raft/configuration, one row per
 *                     server, columnized as Consul: Node, ID, Address, State
 *                     (leader/follower), Voter, RaftProtocol, Commit Index
 *                     (the server's LastIndex) and Trails Leader By ("-" for
 *                     the leader, else "N commits"); -stale asks any server
 *   remove-peer       DELETE /v1/operator/raft/peer with -id or -address
 *                     (exactly one): "Removed peer with id \"X\""
 *   transfer-leader   POST /v1/operator/raft/transfer-leader [-id]:
 *                     "Success" (errors: Consul's "Error transfering
 *                     leadership: Failed to transfer leadership ...", typo kept)
 *
 * Errors print Consul's "Error ...: <the API's error>" and exit 1. The
 * "operator" and "operator raft" groups only print their usage.
 */
#include "cli/catalog_commands.h"
#include "cli/catalog_format.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/kv.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

struct raft_opts {
	const char *id;
	const char *address;
	struct httpc_flags http;
};

const char operator_usage[] =
    "\nUsage: consul operator <subcommand> [options]\n"
    "\n"
    "  Provides cluster-level tools for Consul operators, such as interacting with\n"
    "  the Raft subsystem. NOTE: Use this command with extreme caution, as improper\n"
    "  use could lead to a Consul outage and even loss of data.\n"
    "\n"
    "  If ACLs are enabled then a token with operator privileges may be required in\n"
    "  order to use this command. Requests are forwarded internally to the leader\n"
    "  if required, so this can be run from any Consul node in a cluster.\n"
    "\n"
    "  Run consul operator <subcommand> with no arguments for help on that\n"
    "  subcommand.\n";

const char operator_raft_usage[] =
    "\nUsage: consul operator raft <subcommand> [options]\n"
    "\n"
    "  The Raft operator command is used to interact with Consul's Raft subsystem. The\n"
    "  command can be used to verify Raft peers or in rare cases to recover quorum by\n"
    "  removing invalid peers.\n";

const char operator_raft_list_peers_usage[] = "\nUsage: consul operator raft list-peers [options]\n"
					      "\n"
					      "  Displays the current Raft peer configuration.\n";

const char operator_raft_remove_peer_usage[] =
    "\nUsage: consul operator raft remove-peer [options]\n"
    "\n"
    "  Remove the Consul server with given -address from the Raft configuration.\n"
    "\n"
    "  There are rare cases where a peer may be left behind in the Raft quorum even\n"
    "  though the server is no longer present and known to the cluster. This command\n"
    "  can be used to remove the failed server so that it is no longer affects the Raft\n"
    "  quorum. If the server still shows in the output of the \"consul members\" command,\n"
    "  it is preferable to clean up by simply running \"consul force-leave\" instead of\n"
    "  this command.\n";

const char operator_raft_transfer_leader_usage[] =
    "\nUsage: consul operator raft transfer-leader [options]\n"
    "\n"
    "  Transfer raft leadership to another node.\n";

#define O struct raft_opts
const struct flag_def operator_raft_list_peers_flags[] = {
    HTTPC_CLIENT_FLAGS(O, http),
    HTTPC_SERVER_FLAGS(O, http),
    FLAG_END,
};

const struct flag_def operator_raft_remove_peer_flags[] = {
    FLAG_DEF("address", FLAG_STRING, O, address,
	     "The address to remove from the Raft configuration.", NULL),
    FLAG_DEF("id", FLAG_STRING, O, id, "The ID to remove from the Raft configuration.", NULL),
    HTTPC_CLIENT_FLAGS(O, http),
    HTTPC_SERVER_FLAGS(O, http),
    FLAG_END,
};

const struct flag_def operator_raft_transfer_leader_flags[] = {
    FLAG_DEF("id", FLAG_STRING, O, id, "The ID of the node to transfer leadership to.", NULL),
    HTTPC_CLIENT_FLAGS(O, http),
    HTTPC_SERVER_FLAGS(O, http),
    FLAG_END,
};
#undef O

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void peers_table(json_t *servers, struct buf *out)
{
	const char *D = CATALOG_DELIM;
	struct buf t = BUF_INIT;
	json_int_t lead_index = 0;
	size_t i;
	json_t *s;
	json_array_foreach(servers, i, s)
	{
		if (json_is_true(json_object_get(s, "Leader")))
			lead_index = json_integer_value(json_object_get(s, "LastIndex"));
	}
	buf_printf(&t,
		   "Node%sID%sAddress%sState%sVoter%sRaftProtocol%sCommit Index%sTrails "
		   "Leader By\n",
		   D, D, D, D, D, D, D);
	json_array_foreach(servers, i, s)
	{
		bool leader = json_is_true(json_object_get(s, "Leader"));
		json_int_t last = json_integer_value(json_object_get(s, "LastIndex"));
		const char *proto = str(s, "ProtocolVersion");
		buf_printf(&t, "%s%s%s%s%s%s%s%s%s%s%s%s%lld%s", str(s, "Node"), D, str(s, "ID"), D,
			   str(s, "Address"), D, leader ? "leader" : "follower", D,
			   json_is_true(json_object_get(s, "Voter")) ? "true" : "false", D,
			   *proto ? proto : "<=1", D, (long long)last, D);
		json_int_t behind = lead_index > last ? lead_index - last : 0;
		if (leader)
			buf_puts(&t, "-\n");
		else
			buf_printf(&t, "%lld commit%s\n", (long long)behind,
				   behind == 1 ? "" : "s");
	}
	catcli_columnize(out, t.data, t.len);
	buf_free(&t);
}

int operator_raft_list_peers_main(int argc, char **argv)
{
	struct raft_opts o = {0};
	int rest;
	if (flags_parse(operator_raft_list_peers_flags, &o, argc, argv, 1, &rest) < 0 ||
	    catcli_no_args(argc - rest) < 0)
		return 1;
	struct httpc c;
	if (kv_client(&c, &o.http) < 0)
		return 1;
	struct httpc_req r;
	httpc_req_init(&r, "GET", "/v1/operator/raft/configuration", true);
	json_t *conf = NULL;
	struct buf err = BUF_INIT, out = BUF_INIT;
	int rc = 1;
	if (catcli_get_json(&c, &r, &conf, &err) < 0) {
		cli_error("Failed to retrieve raft configuration: %s", buf_cstr(&err));
	} else {
		peers_table(json_object_get(conf, "Servers"), &out);
		cli_info("%s", buf_cstr(&out));
		rc = 0;
	}
	json_decref(conf);
	buf_free(&err);
	buf_free(&out);
	httpc_free(&c);
	return rc;
}

int operator_raft_remove_peer_main(int argc, char **argv)
{
	struct raft_opts o = {0};
	int rest;
	if (flags_parse(operator_raft_remove_peer_flags, &o, argc, argv, 1, &rest) < 0 ||
	    catcli_no_args(argc - rest) < 0)
		return 1;
	bool by_id = o.id && *o.id, by_addr = o.address && *o.address;
	if (by_id == by_addr) {
		cli_error("Error removing peer: %s", by_id ? "cannot give both an address and id"
							   : "an address or id is required for "
							     "the peer to remove");
		return 1;
	}
	struct httpc c;
	if (kv_client(&c, &o.http) < 0)
		return 1;
	struct httpc_req r;
	httpc_req_init(&r, "DELETE", "/v1/operator/raft/peer", false);
	httpc_req_param(&r, by_id ? "id" : "address", by_id ? o.id : o.address);
	struct buf err = BUF_INIT;
	int rc = 1;
	if (catcli_write(&c, &r, &err) < 0) {
		cli_error("Error removing peer: %s", buf_cstr(&err));
	} else {
		cli_info("Removed peer with %s \"%s\"", by_id ? "id" : "address",
			 by_id ? o.id : o.address);
		rc = 0;
	}
	buf_free(&err);
	httpc_free(&c);
	return rc;
}

int operator_raft_transfer_leader_main(int argc, char **argv)
{
	struct raft_opts o = {0};
	int rest;
	if (flags_parse(operator_raft_transfer_leader_flags, &o, argc, argv, 1, &rest) < 0 ||
	    catcli_no_args(argc - rest) < 0)
		return 1;
	struct httpc c;
	if (kv_client(&c, &o.http) < 0)
		return 1;
	struct httpc_req r;
	httpc_req_init(&r, "POST", "/v1/operator/raft/transfer-leader", false);
	if (o.id && *o.id)
		httpc_req_param(&r, "id", o.id);
	struct buf err = BUF_INIT;
	int rc = 1;
	if (catcli_write(&c, &r, &err) < 0) {
		cli_error("Error transfering leadership: Failed to transfer leadership %s",
			  buf_cstr(&err));
	} else {
		cli_info("Success");
		rc = 0;
	}
	buf_free(&err);
	httpc_free(&c);
	return rc;
}
