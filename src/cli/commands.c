/*
 * The command table: one row per command, as data. Adding a command is adding a row
 * here and a file exporting its main, usage and flags (cli/commands.h).
 *
 * Synopses are Consul's, since `consul -h` lists them. Rows whose usage is NULL are
 * commands owned by other subsystems that print their own -h (agent, validate).
 * Only implemented commands are listed: a Consul command missing here falls into the
 * "unknown command" path (root usage, exit 127) rather than pretending to work.
 */
#include "cli/cli.h"
#include "cli/commands.h"

#include "agent/agent.h"
#include "cli/catalog_commands.h"
#include "cli/tls.h"
#include "config/config.h"

static const struct cli_cmd commands[] = {
    /* name, synopsis, main, usage, flags, hidden */
    {"agent", "Runs a Consul agent", agent_main, NULL, NULL, false},
    {"catalog", "Interact with the catalog", NULL, catalog_usage, NULL, false},
    {"catalog datacenters", "Lists all known datacenters", catalog_datacenters_main,
     catalog_datacenters_usage, catalog_datacenters_flags, false},
    {"catalog nodes", "Lists all nodes in the given datacenter", catalog_nodes_main,
     catalog_nodes_usage, catalog_nodes_flags, false},
    {"catalog services", "Lists all registered services in a datacenter", catalog_services_main,
     catalog_services_usage, catalog_services_flags, false},
    {"event", "Fire a new event", event_main, event_usage, event_flags, false},
    {"force-leave", "Forces a member of the cluster to enter the \"left\" state", force_leave_main,
     force_leave_usage, force_leave_flags, false},
    {"debug", "Records a debugging archive for operators", debug_main, debug_usage, debug_flags,
     false},
    {"exec", "Executes a command on Consul nodes", exec_main, exec_usage, exec_flags, false},
    {"info", "Provides debugging information for operators.", info_main, info_usage, info_flags,
     false},
    {"join", "Tell Consul agent to join cluster", join_main, join_usage, join_flags, false},
    {"keygen", "Generates a new encryption key", keygen_main, keygen_usage, keygen_flags, false},
    {"keyring", "Manages gossip layer encryption keys", keyring_main, keyring_usage, keyring_flags,
     false},
    {"kv", "Interact with the key-value store", NULL, kv_usage, NULL, false},
    {"kv delete", "Removes data from the KV store", kv_delete_main, kv_delete_usage,
     kv_delete_flags, false},
    {"kv export", "Exports a tree from the KV store as JSON", kv_export_main, kv_export_usage,
     kv_export_flags, false},
    {"kv get", "Retrieves or lists data from the KV store", kv_get_main, kv_get_usage, kv_get_flags,
     false},
    {"kv import", "Imports a tree stored as JSON to the KV store", kv_import_main, kv_import_usage,
     kv_import_flags, false},
    {"kv put", "Sets or updates data in the KV store", kv_put_main, kv_put_usage, kv_put_flags,
     false},
    {"leave", "Gracefully leaves the Consul cluster and shuts down", leave_main, leave_usage,
     leave_flags, false},
    {"lock", "Execute a command holding a lock", lock_main, lock_usage, lock_flags, false},
    {"maint", "Controls node or service maintenance mode", maint_main, maint_usage, maint_flags,
     false},
    {"members", "Lists the members of a Consul cluster", members_main, members_usage, members_flags,
     false},
    {"monitor", "Stream logs from a Consul agent", monitor_main, monitor_usage, monitor_flags,
     false},
    {"operator", "Provides cluster-level tools for Consul operators", NULL, operator_usage, NULL,
     false},
    {"operator autopilot", "Provides tools for modifying Autopilot configuration", NULL,
     operator_autopilot_usage, NULL, false},
    {"operator autopilot get-config", "Display the current Autopilot configuration",
     operator_autopilot_get_config_main, operator_autopilot_get_config_usage,
     operator_autopilot_get_config_flags, false},
    {"operator autopilot set-config", "Modify the current Autopilot configuration",
     operator_autopilot_set_config_main, operator_autopilot_set_config_usage,
     operator_autopilot_set_config_flags, false},
    {"operator autopilot state", "Display the current Autopilot State",
     operator_autopilot_state_main, operator_autopilot_state_usage, operator_autopilot_state_flags,
     false},
    {"operator raft", "Provides cluster-level tools for Consul operators", NULL,
     operator_raft_usage, NULL, false},
    {"operator raft list-peers", "Display the current Raft peer configuration",
     operator_raft_list_peers_main, operator_raft_list_peers_usage, operator_raft_list_peers_flags,
     false},
    {"operator raft remove-peer", "Remove a Consul server from the Raft configuration",
     operator_raft_remove_peer_main, operator_raft_remove_peer_usage,
     operator_raft_remove_peer_flags, false},
    {"operator raft transfer-leader", "Transfer raft leadership to another node",
     operator_raft_transfer_leader_main, operator_raft_transfer_leader_usage,
     operator_raft_transfer_leader_flags, false},
    {"reload", "Triggers the agent to reload configuration files", reload_main, reload_usage,
     reload_flags, false},
    {"rtt", "Estimates network round trip time between nodes", rtt_main, rtt_usage, rtt_flags,
     false},
    {"services", "Interact with services", NULL, services_usage, NULL, false},
    {"services deregister", "Deregister services with the local agent", services_deregister_main,
     services_deregister_usage, services_deregister_flags, false},
    {"services register", "Register services with the local agent", services_register_main,
     services_register_usage, services_register_flags, false},
    {"snapshot", "Saves and inspects snapshots of Consul server state", NULL, snapshot_usage, NULL,
     false},
    {"snapshot inspect", "Displays information about a Consul snapshot file", snapshot_inspect_main,
     snapshot_inspect_usage, snapshot_inspect_flags, false},
    {"snapshot restore", "Restores snapshot of Consul server state", snapshot_restore_main,
     snapshot_restore_usage, snapshot_restore_flags, false},
    {"snapshot save", "Saves snapshot of Consul server state", snapshot_save_main,
     snapshot_save_usage, snapshot_save_flags, false},
    {"validate", "Validate config files/directories", config_validate_main, NULL, NULL, false},
    {"version", "Prints the Consul version", version_main, version_usage, version_flags, false},
    {"tls", "Builtin helpers for creating CAs and certificates", NULL, tls_usage, NULL, false},
    {"tls ca", "Helpers for CAs", NULL, tls_ca_usage, NULL, false},
    {"tls ca create", "Create a new consul CA", tls_ca_create_main, tls_ca_create_usage,
     tls_ca_create_flags, false},
    {"tls cert", "Helpers for certificates", NULL, tls_cert_usage, NULL, false},
    {"tls cert create", "Create a new certificate", tls_cert_create_main, tls_cert_create_usage,
     tls_cert_create_flags, false},
    {"watch", "Watch for changes in Consul", watch_main, watch_usage, watch_flags, false},
};

int cli_main(int argc, char **argv)
{
	return cli_run(commands, sizeof(commands) / sizeof(commands[0]), argc, argv);
}
