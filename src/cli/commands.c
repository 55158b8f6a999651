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
#include "config/config.h"

static const struct cli_cmd commands[] = {
    /* name, synopsis, main, usage, flags, hidden */
    {"agent", "Runs a Consul agent", agent_main, NULL, NULL, false},
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
    {"validate", "Validate config files/directories", config_validate_main, NULL, NULL, false},
    {"version", "Prints the Consul version", version_main, version_usage, version_flags, false},
};

int cli_main(int argc, char **argv)
{
	return cli_run(commands, sizeof(commands) / sizeof(commands[0]), argc, argv);
}
