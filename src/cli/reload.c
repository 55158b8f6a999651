/*
 * `consul reload`: ask the local agent to reload its configuration files
 * (PUT /v1/agent/reload), as SIGHUP does. Prints "Configuration reload triggered".
 */
#include "cli/catalog_commands.h"
#include "cli/cli.h"
#include "cli/kv.h"

struct reload_opts {
	struct httpc_flags http;
};

const char reload_usage[] =
    "\nUsage: consul reload\n"
    "\n"
    "  Causes the agent to reload configurations. This can be used instead\n"
    "  of sending the SIGHUP signal to the agent.\n";

const struct flag_def reload_flags[] = {
    HTTPC_CLIENT_FLAGS(struct reload_opts, http),
    FLAG_END,
};

int reload_main(int argc, char **argv)
{
	struct reload_opts o = {0};
	int rest;
	if (flags_parse(reload_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	struct httpc c;
	if (kv_client(&c, &o.http) < 0)
		return 1;
	struct httpc_req r;
	httpc_req_init(&r, "PUT", "/v1/agent/reload", false);
	struct buf err = BUF_INIT;
	int rc = 0;
	if (catcli_write(&c, &r, &err) < 0) {
		cli_error("Error reloading: %s", buf_cstr(&err));
		rc = 1;
	} else {
		cli_info("Configuration reload triggered");
	}
	buf_free(&err);
	httpc_free(&c);
	return rc;
}
