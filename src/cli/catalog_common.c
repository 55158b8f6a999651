/*
 * The "catalog" and "services" command groups (their help texts) and the HTTP helpers
 * their subcommands, maint and reload share (see catalog_commands.h): one blocking
 * request through cli/httpc, Go api's error for a status other than 200, JSON decoding
 * of read bodies with jansson. Runs in the CLI process; nothing here outlives a call.
 */
#include "cli/catalog_commands.h"

#include "cli/cli.h"

const char catalog_usage[] =
    "\nUsage: consul catalog <subcommand> [options] [args]\n"
    "\n"
    "  This command has subcommands for interacting with Consul's catalog. The\n"
    "  catalog should not be confused with the agent, although the APIs and\n"
    "  responses may be similar.\n"
    "\n"
    "  Here are some simple examples, and more detailed examples are available\n"
    "  in the subcommands or the documentation.\n"
    "\n"
    "  List all datacenters:\n"
    "\n"
    "      $ consul catalog datacenters\n"
    "\n"
    "  List all nodes:\n"
    "\n"
    "      $ consul catalog nodes\n"
    "\n"
    "  List all services:\n"
    "\n"
    "      $ consul catalog services\n"
    "\n"
    "  For more examples, ask for subcommand help or view the documentation.\n";

const char services_usage[] =
    "\nUsage: consul services <subcommand> [options] [args]\n"
    "\n"
    "  This command has subcommands for interacting with services. The subcommands\n"
    "  default to working with services registered with the local agent. Please see\n"
    "  the \"consul catalog\" command for interacting with the entire catalog.\n"
    "\n"
    "  For more examples, ask for subcommand help or view the documentation.\n";

int catcli_get_json(const struct httpc *c, const struct httpc_req *r, json_t **out, struct buf *err)
{
	struct httpc_resp resp;
	*out = NULL;
	if (httpc_do(c, r, &resp, err) < 0)
		return -1;
	int rc = 0;
	if (resp.status != 200) {
		httpc_status_error(err, &resp, true);
		rc = -1;
	} else {
		json_error_t je;
		*out = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len,
				  JSON_DECODE_ANY, &je);
		if (!*out) {
			buf_puts(err, je.text);
			rc = -1;
		}
	}
	httpc_resp_free(&resp);
	return rc;
}

int catcli_write(const struct httpc *c, const struct httpc_req *r, struct buf *err)
{
	struct httpc_resp resp;
	if (httpc_do(c, r, &resp, err) < 0)
		return -1;
	int rc = 0;
	if (resp.status != 200) {
		httpc_status_error(err, &resp, true);
		rc = -1;
	}
	httpc_resp_free(&resp);
	return rc;
}

void catcli_req_add(struct httpc_req *r, const char *name, const char *value)
{
	if (r->nparams < HTTPC_MAX_PARAMS)
		r->params[r->nparams++] = (struct httpc_param){name, value};
}

int catcli_no_args(int nargs)
{
	if (nargs <= 0)
		return 0;
	cli_error("Too many arguments (expected 0, got %d)", nargs);
	return -1;
}
