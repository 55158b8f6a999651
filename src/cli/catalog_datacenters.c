/*
 * `consul catalog datacenters`: one datacenter per line, from /v1/catalog/datacenters.
 */
#include "cli/catalog_commands.h"
#include "cli/cli.h"
#include "cli/kv.h"

struct catalog_datacenters_opts {
	struct httpc_flags http;
};

const char catalog_datacenters_usage[] =
    "\nUsage: consul catalog datacenters [options]\n"
    "\n"
    "  Retrieves the list of all known datacenters. This datacenters are sorted in\n"
    "  ascending order based on the estimated median round trip time from the servers\n"
    "  in this datacenter to the servers in the other datacenters.\n"
    "\n"
    "  To retrieve the list of datacenters:\n"
    "\n"
    "      $ consul catalog datacenters\n"
    "\n"
    "  For a full list of options and examples, please see the Consul documentation.\n";

#define O struct catalog_datacenters_opts
const struct flag_def catalog_datacenters_flags[] = {
    HTTPC_CLIENT_FLAGS(O, http),
    HTTPC_SERVER_FLAGS(O, http),
    FLAG_END,
};
#undef O

int catalog_datacenters_main(int argc, char **argv)
{
	struct catalog_datacenters_opts o = {0};
	int rest;
	if (flags_parse(catalog_datacenters_flags, &o, argc, argv, 1, &rest) < 0 ||
	    catcli_no_args(argc - rest) < 0)
		return 1;
	struct httpc c;
	if (kv_client(&c, &o.http) < 0)
		return 1;
	struct httpc_req r;
	httpc_req_init(&r, "GET", "/v1/catalog/datacenters", true);
	json_t *dcs;
	struct buf err = BUF_INIT;
	int rc = catcli_get_json(&c, &r, &dcs, &err) < 0 ? 1 : 0;
	if (rc)
		cli_error("Error listing datacenters: %s", buf_cstr(&err));
	for (size_t i = 0; i < json_array_size(dcs); i++) {
		const char *dc = json_string_value(json_array_get(dcs, i));
		cli_info("%s", dc ? dc : "");
	}
	json_decref(dcs);
	buf_free(&err);
	httpc_free(&c);
	return rc;
}
