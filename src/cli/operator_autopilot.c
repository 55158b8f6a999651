/*
 * `consul operator autopilot get-config | set-config | state`: the Autopilot
 * HTTP API (api/operator_autopilot.c) with Consul's output.
 *
 *   get-config   "Name = value" lines in Consul's order, tags quoted
 *   set-config   reads the configuration, changes only the flags given and
 *                writes it back with ?cas=<ModifyIndex>: "Configuration
 *                updated!", or "Configuration could not be atomically updated,
 *                please try again" when someone else changed it meanwhile.
 *                A boolean flag counts as given when it appears on the command
 *                line in any of Go's forms (-f, --f, -f=v, --f=v).
 *   state        the /v1/operator/autopilot/state view as indented text
 *
 * Errors print "Error ...: <the API's error>" and exit 1.
 */
#include "cli/catalog_commands.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/kv.h"

#include "base/duration.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct autopilot_opts {
	bool cleanup_dead_servers; /* applied only when given (given()) */
	bool disable_upgrade_migration;
	int64_t last_contact_threshold; /* ns; -1: unchanged */
	int64_t server_stabilization_time;
	const char *max_trailing_logs; /* decimal; NULL: unchanged */
	const char *min_quorum;
	const char *redundancy_zone_tag;
	const char *upgrade_version_tag;
	struct httpc_flags http;
};

const char operator_autopilot_usage[] =
    "\nUsage: consul operator autopilot <subcommand> [options]\n"
    "\n"
    "  The Autopilot operator command is used to interact with Consul's Autopilot\n"
    "  subsystem. The command can be used to view or modify the current configuration.\n";

const char operator_autopilot_get_config_usage[] =
    "\nUsage: consul operator autopilot get-config [options]\n"
    "\n"
    "  Displays the current Autopilot configuration.\n";

const char operator_autopilot_set_config_usage[] =
    "\nUsage: consul operator autopilot set-config [options]\n"
    "\n"
    "  Modifies the current Autopilot configuration.\n";

const char operator_autopilot_state_usage[] = "\nUsage: consul operator autopilot state [options]\n"
					      "\n"
					      "  Displays the current Autopilot state.\n";

#define O struct autopilot_opts
const struct flag_def operator_autopilot_get_config_flags[] = {
    HTTPC_CLIENT_FLAGS(O, http),
    HTTPC_SERVER_FLAGS(O, http),
    FLAG_END,
};

const struct flag_def operator_autopilot_set_config_flags[] = {
    FLAG_DEF("cleanup-dead-servers", FLAG_BOOL, O, cleanup_dead_servers,
	     "Controls whether Consul will automatically remove dead servers when new ones "
	     "are successfully added. Must be one of `true|false`.",
	     NULL),
    FLAG_DEF("disable-upgrade-migration", FLAG_BOOL, O, disable_upgrade_migration,
	     "(Enterprise-only) Controls whether Consul will avoid promoting new servers "
	     "until it can perform a migration. Must be one of `true|false`.",
	     NULL),
    FLAG_DEF("last-contact-threshold", FLAG_DURATION, O, last_contact_threshold,
	     "Controls the maximum amount of time a server can go without contact from the "
	     "leader before being considered unhealthy. Must be a duration value such as "
	     "`200ms`.",
	     NULL),
    FLAG_DEF("max-trailing-logs", FLAG_STRING, O, max_trailing_logs,
	     "Controls the maximum number of log entries that a server can trail the leader "
	     "by before being considered unhealthy.",
	     NULL),
    FLAG_DEF("min-quorum", FLAG_STRING, O, min_quorum,
	     "Sets the minimum number of servers required in a cluster before autopilot can "
	     "prune dead servers.",
	     NULL),
    FLAG_DEF("redundancy-zone-tag", FLAG_STRING, O, redundancy_zone_tag,
	     "(Enterprise-only) Controls the node_meta tag name used for separating servers "
	     "into different redundancy zones.",
	     NULL),
    FLAG_DEF("server-stabilization-time", FLAG_DURATION, O, server_stabilization_time,
	     "Controls the minimum amount of time a server must be stable in the 'healthy' "
	     "state before being added to the cluster. Only takes effect if all servers are "
	     "running Raft protocol version 3 or higher. Must be a duration value such as "
	     "`10s`.",
	     NULL),
    FLAG_DEF("upgrade-version-tag", FLAG_STRING, O, upgrade_version_tag,
	     "(Enterprise-only) The node_meta tag to use for version info when performing "
	     "upgrade migrations. If left blank, the Consul version will be used.",
	     NULL),
    HTTPC_CLIENT_FLAGS(O, http),
    HTTPC_SERVER_FLAGS(O, http),
    FLAG_END,
};

const struct flag_def operator_autopilot_state_flags[] = {
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

static const char *yes(json_t *o, const char *k)
{
	return json_is_true(json_object_get(o, k)) ? "true" : "false";
}

static int client(struct httpc *c, int argc, char **argv, const struct flag_def *flags,
		  struct autopilot_opts *o)
{
	int rest;
	if (flags_parse(flags, o, argc, argv, 1, &rest) < 0 || catcli_no_args(argc - rest) < 0)
		return -1;
	return kv_client(c, &o->http);
}

static int get_config(struct httpc *c, json_t **conf, struct buf *err)
{
	struct httpc_req r;
	httpc_req_init(&r, "GET", "/v1/operator/autopilot/configuration", true);
	return catcli_get_json(c, &r, conf, err);
}

int operator_autopilot_get_config_main(int argc, char **argv)
{
	struct autopilot_opts o = {0};
	struct httpc c;
	if (client(&c, argc, argv, operator_autopilot_get_config_flags, &o) < 0)
		return 1;
	json_t *conf = NULL;
	struct buf err = BUF_INIT;
	int rc = 1;
	if (get_config(&c, &conf, &err) < 0) {
		cli_error("Error querying Autopilot configuration: %s", buf_cstr(&err));
	} else {
		cli_info("CleanupDeadServers = %s", yes(conf, "CleanupDeadServers"));
		cli_info("LastContactThreshold = %s", str(conf, "LastContactThreshold"));
		cli_info("MaxTrailingLogs = %lld",
			 (long long)json_integer_value(json_object_get(conf, "MaxTrailingLogs")));
		cli_info("MinQuorum = %lld",
			 (long long)json_integer_value(json_object_get(conf, "MinQuorum")));
		cli_info("ServerStabilizationTime = %s", str(conf, "ServerStabilizationTime"));
		cli_info("RedundancyZoneTag = \"%s\"", str(conf, "RedundancyZoneTag"));
		cli_info("DisableUpgradeMigration = %s", yes(conf, "DisableUpgradeMigration"));
		cli_info("UpgradeVersionTag = \"%s\"", str(conf, "UpgradeVersionTag"));
		rc = 0;
	}
	json_decref(conf);
	buf_free(&err);
	httpc_free(&c);
	return rc;
}

/* Whether flag name appears in argv (set-config takes no arguments, so every
 * word is a flag or a flag's value; "--" ends the flags). */
static bool given(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (argv[i][0] != '-')
			continue;
		const char *a = argv[i] + (argv[i][1] == '-' ? 2 : 1);
		if (strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == '='))
			return true;
	}
	return false;
}

/* Apply the flags that were given to conf; -1 with a message on a bad value. */
static int apply_flags(const struct autopilot_opts *o, int argc, char **argv, json_t *conf)
{
	const struct {
		const char *flag, *key;
		bool value;
	} bools[] = {
	    {"cleanup-dead-servers", "CleanupDeadServers", o->cleanup_dead_servers},
	    {"disable-upgrade-migration", "DisableUpgradeMigration", o->disable_upgrade_migration}};
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
		if (given(argc, argv, bools[i].flag))
			json_object_set_new(conf, bools[i].key, json_boolean(bools[i].value));
	const struct {
		const char *flag, *key, *value;
	} counts[] = {{"max-trailing-logs", "MaxTrailingLogs", o->max_trailing_logs},
		      {"min-quorum", "MinQuorum", o->min_quorum}};
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		if (!counts[i].value)
			continue;
		char *end;
		unsigned long long v = strtoull(counts[i].value, &end, 10);
		if (!*counts[i].value || *end || counts[i].value[0] == '-') {
			cli_error("invalid value \"%s\" for -%s", counts[i].value, counts[i].flag);
			return -1;
		}
		json_object_set_new(conf, counts[i].key, json_integer((json_int_t)v));
	}
	const struct {
		const char *key;
		int64_t ns;
	} durs[] = {{"LastContactThreshold", o->last_contact_threshold},
		    {"ServerStabilizationTime", o->server_stabilization_time}};
	for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
		if (durs[i].ns < 0)
			continue;
		struct buf b = BUF_INIT;
		duration_format(&b, durs[i].ns);
		json_object_set_new(conf, durs[i].key, json_string(buf_cstr(&b)));
		buf_free(&b);
	}
	if (o->redundancy_zone_tag)
		json_object_set_new(conf, "RedundancyZoneTag", json_string(o->redundancy_zone_tag));
	if (o->upgrade_version_tag)
		json_object_set_new(conf, "UpgradeVersionTag", json_string(o->upgrade_version_tag));
	return 0;
}

int operator_autopilot_set_config_main(int argc, char **argv)
{
	struct autopilot_opts o = {.last_contact_threshold = -1, .server_stabilization_time = -1};
	struct httpc c;
	if (client(&c, argc, argv, operator_autopilot_set_config_flags, &o) < 0)
		return 1;
	json_t *conf = NULL;
	struct buf err = BUF_INIT;
	int rc = 1;
	if (get_config(&c, &conf, &err) < 0) {
		cli_error("Error querying Autopilot configuration: %s", buf_cstr(&err));
		goto out;
	}
	if (apply_flags(&o, argc, argv, conf) < 0)
		goto out;
	char cas[32];
	snprintf(cas, sizeof(cas), "%lld",
		 (long long)json_integer_value(json_object_get(conf, "ModifyIndex")));
	char *body = json_dumps(conf, JSON_COMPACT);
	struct httpc_req r;
	httpc_req_init(&r, "PUT", "/v1/operator/autopilot/configuration", false);
	httpc_req_param(&r, "cas", cas);
	r.body = body;
	r.body_len = strlen(body);
	json_t *ok = NULL;
	if (catcli_get_json(&c, &r, &ok, &err) < 0) {
		cli_error("Error setting Autopilot configuration: %s", buf_cstr(&err));
	} else if (json_is_true(ok)) {
		cli_info("Configuration updated!");
		rc = 0;
	} else {
		cli_info("Configuration could not be atomically updated, please try again");
	}
	json_decref(ok);
	free(body);
out:
	json_decref(conf);
	buf_free(&err);
	httpc_free(&c);
	return rc;
}

static void print_server(json_t *s)
{
	cli_info("   %s", str(s, "ID"));
	cli_info("      Name:            %s", str(s, "Name"));
	cli_info("      Address:         %s", str(s, "Address"));
	cli_info("      Version:         %s", str(s, "Version"));
	cli_info("      Status:          %s", str(s, "Status"));
	cli_info("      Node Type:       %s", str(s, "NodeType"));
	cli_info("      Node Status:     %s", str(s, "NodeStatus"));
	cli_info("      Healthy:         %s", yes(s, "Healthy"));
	cli_info("      Last Contact:    %s", str(s, "LastContact"));
	cli_info("      Last Term:       %lld",
		 (long long)json_integer_value(json_object_get(s, "LastTerm")));
	cli_info("      Last Index:      %lld",
		 (long long)json_integer_value(json_object_get(s, "LastIndex")));
}

int operator_autopilot_state_main(int argc, char **argv)
{
	struct autopilot_opts o = {0};
	struct httpc c;
	if (client(&c, argc, argv, operator_autopilot_state_flags, &o) < 0)
		return 1;
	struct httpc_req r;
	httpc_req_init(&r, "GET", "/v1/operator/autopilot/state", true);
	json_t *st = NULL;
	struct buf err = BUF_INIT;
	int rc = 1;
	if (catcli_get_json(&c, &r, &st, &err) < 0) {
		cli_error("Error querying Autopilot state: %s", buf_cstr(&err));
	} else {
		cli_info("Healthy:                      %s", yes(st, "Healthy"));
		cli_info("Failure Tolerance:            %lld",
			 (long long)json_integer_value(json_object_get(st, "FailureTolerance")));
		cli_info("Optimistic Failure Tolerance: %lld",
			 (long long)json_integer_value(
			     json_object_get(st, "OptimisticFailureTolerance")));
		cli_info("Leader:                       %s", str(st, "Leader"));
		cli_info("Voters:");
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(st, "Voters"), i, v)
		    cli_info("   %s", json_string_value(v) ? json_string_value(v) : "");
		cli_info("\nServers:");
		const char *k;
		json_object_foreach(json_object_get(st, "Servers"), k, v) print_server(v);
		rc = 0;
	}
	json_decref(st);
	buf_free(&err);
	httpc_free(&c);
	return rc;
}
