/*
 * `consul join`, `consul leave` and `consul force-leave`: the gossip
 * membership commands, each one agent API call.
 *
 *   join [-wan] ADDRESS...   PUT /v1/agent/join/<addr> for each address;
 *                            "Successfully joined cluster by contacting N nodes."
 *                            or, when none worked, "Failed to join any nodes." (exit 1)
 *   leave                    PUT /v1/agent/leave; "Graceful leave complete"
 *   force-leave [-prune] [-wan] NODE
 *                            PUT /v1/agent/force-leave/<node>; silent on success
 */
#include "cli/catalog_commands.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/kv.h"

#include <stdio.h>

struct join_opts {
	bool wan;
	struct httpc_flags http;
};

const char join_usage[] =
    "\nUsage: consul join [options] address ...\n"
    "\n"
    "  Tells a running Consul agent (with \"consul agent\") to join the cluster\n"
    "  by specifying at least one existing member.\n";

const struct flag_def join_flags[] = {
    FLAG_DEF("wan", FLAG_BOOL, struct join_opts, wan,
	     "Joins a server to another server in the WAN pool.", NULL),
    HTTPC_CLIENT_FLAGS(struct join_opts, http),
    FLAG_END,
};

/* One PUT with an optional flag parameter; 0 or -1 with err. */
static int put(const struct httpc_flags *f, const char *path, const char *flag, struct buf *err)
{
	struct httpc c;
	if (kv_client(&c, f) < 0)
		return -2; /* kv_client printed why */
	struct httpc_req r;
	httpc_req_init(&r, "PUT", path, false);
	if (flag)
		httpc_req_param(&r, flag, "1");
	int rc = catcli_write(&c, &r, err);
	httpc_free(&c);
	return rc;
}

int join_main(int argc, char **argv)
{
	struct join_opts o = {0};
	int rest;
	if (flags_parse(join_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	if (rest >= argc) {
		cli_error("At least one address to join must be specified.");
		cli_error("%s", join_usage);
		return 1;
	}
	int joins = 0;
	for (int i = rest; i < argc; i++) {
		struct buf path = BUF_INIT, err = BUF_INIT;
		buf_printf(&path, "/v1/agent/join/%s", argv[i]);
		int rc = put(&o.http, buf_cstr(&path), o.wan ? "wan" : NULL, &err);
		if (rc == -2) {
			buf_free(&path);
			buf_free(&err);
			return 1;
		}
		if (rc < 0)
			cli_error("Error joining address '%s': %s", argv[i], buf_cstr(&err));
		else
			joins++;
		buf_free(&path);
		buf_free(&err);
	}
	if (joins == 0) {
		cli_error("Failed to join any nodes.");
		return 1;
	}
	cli_info("Successfully joined cluster by contacting %d nodes.", joins);
	return 0;
}

struct leave_opts {
	struct httpc_flags http;
};

const char leave_usage[] =
    "\nUsage: consul leave [options]\n"
    "\n"
    "  Causes the agent to gracefully leave the Consul cluster and shutdown.\n";

const struct flag_def leave_flags[] = {
    HTTPC_CLIENT_FLAGS(struct leave_opts, http),
    FLAG_END,
};

int leave_main(int argc, char **argv)
{
	struct leave_opts o = {0};
	int rest;
	if (flags_parse(leave_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	if (rest < argc) {
		cli_error("Error! Too many arguments");
		cli_error("%s", leave_usage);
		return 1;
	}
	struct buf err = BUF_INIT;
	int rc = put(&o.http, "/v1/agent/leave", NULL, &err);
	if (rc == -1)
		cli_error("Error leaving: %s", buf_cstr(&err));
	else if (rc == 0)
		cli_info("Graceful leave complete");
	buf_free(&err);
	return rc == 0 ? 0 : 1;
}

struct force_leave_opts {
	bool prune;
	bool wan;
	struct httpc_flags http;
};

const char force_leave_usage[] =
    "\nUsage: consul force-leave [options] name\n"
    "\n"
    "  Forces a member of a Consul cluster to enter the \"left\" state. Note\n"
    "  that if the member is still actually alive, it will eventually rejoin\n"
    "  the cluster. This command is most useful for cleaning out \"failed\" nodes\n"
    "  that are never coming back. If you do not force leave a failed node,\n"
    "  Consul will attempt to reconnect to those failed nodes for some period of\n"
    "  time before eventually reaping them.\n";

const struct flag_def force_leave_flags[] = {
    FLAG_DEF("prune", FLAG_BOOL, struct force_leave_opts, prune,
	     "Remove agent forcibly from list of members", NULL),
    FLAG_DEF("wan", FLAG_BOOL, struct force_leave_opts, wan,
	     "Exclusively leave the agent from the WAN serf pool.", NULL),
    HTTPC_CLIENT_FLAGS(struct force_leave_opts, http),
    FLAG_END,
};

int force_leave_main(int argc, char **argv)
{
	struct force_leave_opts o = {0};
	int rest;
	if (flags_parse(force_leave_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	if (argc - rest != 1) {
		cli_error("A single node name must be specified to force leave.");
		cli_error("%s", force_leave_usage);
		return 1;
	}
	struct buf path = BUF_INIT, err = BUF_INIT;
	buf_printf(&path, "/v1/agent/force-leave/%s", argv[rest]);
	int rc = put(&o.http, buf_cstr(&path), o.prune ? "prune" : o.wan ? "wan" : NULL, &err);
	if (rc == -1)
		cli_error("Error force leaving: %s", buf_cstr(&err));
	buf_free(&path);
	buf_free(&err);
	return rc == 0 ? 0 : 1;
}
