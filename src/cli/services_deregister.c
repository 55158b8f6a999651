/*
 * `consul services deregister [options] [FILE...]`: deregister services from the local
 * agent (PUT /v1/agent/service/deregister/:id), named by -id or by the service
 * definitions in config files (their ID, else their name; definitions with neither are
 * skipped). Prints "Deregistered service: ID" for each, as Consul.
 */
#include "cli/catalog_commands.h"
#include "cli/catalog_format.h"
#include "cli/cli.h"
#include "cli/kv.h"

#include <stdlib.h>

struct services_deregister_opts {
	const char *id; /* -id */
	struct httpc_flags http;
};

const char services_deregister_usage[] =
    "\nUsage: consul services deregister [options] [FILE...]\n"
    "\n"
    "  Deregister one or more services that were previously registered with\n"
    "  the local agent.\n"
    "\n"
    "      $ consul services deregister web.json db.json\n"
    "\n"
    "  The -id flag may be used to deregister a single service by ID:\n"
    "\n"
    "      $ consul services deregister -id=web\n"
    "\n"
    "  Services are deregistered from the local agent catalog. This command must\n"
    "  be run against the same agent where the service was registered.\n";

#define O struct services_deregister_opts
const struct flag_def services_deregister_flags[] = {
    FLAG_DEF("id", FLAG_STRING, O, id, "ID to delete. This must not be set if arguments are given.",
	     NULL),
    HTTPC_CLIENT_FLAGS(O, http),
    HTTPC_SERVER_FLAGS(O, http),
    HTTPC_TENANCY_FLAGS(O, http),
    FLAG_END,
};
#undef O

static int deregister_one(const struct httpc *c, json_t *svc)
{
	const char *name = services_field(svc, "name");
	const char *id = services_field(svc, "id");
	if (!*id)
		id = name;
	if (!*id)
		return 0;
	struct buf path = BUF_INIT, err = BUF_INIT;
	buf_printf(&path, "/v1/agent/service/deregister/%s", id);
	struct httpc_req r;
	httpc_req_init(&r, "PUT", buf_cstr(&path), false);
	int rc = 0;
	if (catcli_write(c, &r, &err) < 0) {
		struct buf q = BUF_INIT;
		catcli_go_quote(&q, name);
		cli_error("Error deregistering service %s: %s", buf_cstr(&q), buf_cstr(&err));
		buf_free(&q);
		rc = 1;
	} else {
		cli_info("Deregistered service: %s", id);
	}
	buf_free(&path);
	buf_free(&err);
	return rc;
}

/* The services named by the arguments; NULL after printing the error. */
static json_t *services(const struct services_deregister_opts *o, char **files, int nfiles)
{
	bool has_id = o->id && *o->id;
	json_t *svcs = NULL;
	if (nfiles == 0 && !has_id) {
		cli_error("Service deregistration requires at least one argument or -id.");
	} else if (nfiles > 0 && has_id) {
		cli_error("Service deregistration requires arguments or -id, not both.");
	} else if (nfiles > 0) {
		struct buf err = BUF_INIT;
		if (services_from_files(files, nfiles, &svcs, &err) < 0)
			cli_error("Error: %s", buf_cstr(&err));
		buf_free(&err);
	} else {
		svcs = json_pack("[{s:s}]", "ID", o->id);
	}
	return svcs;
}

int services_deregister_main(int argc, char **argv)
{
	struct services_deregister_opts o = {0};
	int rest, rc = 1;
	struct httpc c;
	if (flags_parse(services_deregister_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	json_t *svcs = services(&o, argv + rest, argc - rest);
	if (svcs && kv_client(&c, &o.http) == 0) {
		rc = 0;
		for (size_t i = 0; rc == 0 && i < json_array_size(svcs); i++)
			rc = deregister_one(&c, json_array_get(svcs, i));
		httpc_free(&c);
	}
	json_decref(svcs);
	return rc;
}
