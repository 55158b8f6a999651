/*
 * `consul catalog services [-node N] [-node-meta k=v]... [-tags]`: the service names of
 * /v1/catalog/services, or of the node's /v1/catalog/node/N with -node, sorted, with
 * their tags beside them under -tags (catalog_format.c). No match prints "No services
 * match the given query - try expanding your search." to stderr and exits 0, as Consul.
 */
#include "cli/catalog_commands.h"
#include "cli/catalog_format.h"
#include "cli/cli.h"
#include "cli/kv.h"

struct catalog_services_opts {
	const char *node;	      /* -node */
	struct flag_strings nodemeta; /* -node-meta, key=value */
	bool tags;		      /* -tags */
	struct httpc_flags http;
};

const char catalog_services_usage[] =
    "\nUsage: consul catalog services [options]\n"
    "\n"
    "  Retrieves the list services registered in a given datacenter. By default, the\n"
    "  datacenter of the local agent is queried.\n"
    "\n"
    "  To retrieve the list of services:\n"
    "\n"
    "      $ consul catalog services\n"
    "\n"
    "  To include the services' tags in the output:\n"
    "\n"
    "      $ consul catalog services -tags\n"
    "\n"
    "  To list services which run on a particular node:\n"
    "\n"
    "      $ consul catalog services -node=web\n"
    "\n"
    "  To filter services on node metadata:\n"
    "\n"
    "      $ consul catalog services -node-meta=\"foo=bar\"\n"
    "\n"
    "  For a full list of options and examples, please see the Consul documentation.\n";

#define O struct catalog_services_opts
const struct flag_def catalog_services_flags[] = {
    FLAG_DEF("node", FLAG_STRING, O, node, "Node `id or name` for which to list services.", NULL),
    FLAG_DEF("node-meta", FLAG_STRINGS, O, nodemeta,
	     "Metadata to filter nodes with the given `key=value` pairs. If specified, only "
	     "services running on nodes matching the given metadata will be returned. This flag "
	     "may be specified multiple times to filter on multiple sources of metadata.",
	     NULL),
    FLAG_DEF("tags", FLAG_BOOL, O, tags,
	     "Display each service's tags as a comma-separated list beside each service entry.",
	     NULL),
    HTTPC_CLIENT_FLAGS(O, http),
    HTTPC_SERVER_FLAGS(O, http),
    HTTPC_TENANCY_FLAGS(O, http),
    FLAG_END,
};
#undef O

/* GET the services (name -> tags) for the options; NULL after printing the error. */
static json_t *fetch(const struct httpc *c, const struct catalog_services_opts *o, json_t *meta)
{
	bool by_node = o->node && *o->node;
	struct buf path = BUF_INIT, err = BUF_INIT;
	json_t *pairs = json_array(), *body = NULL, *services = NULL;
	buf_printf(&path, by_node ? "/v1/catalog/node/%s" : "/v1/catalog/services", o->node);
	struct httpc_req r;
	httpc_req_init(&r, "GET", buf_cstr(&path), true);
	const char *k;
	json_t *v;
	json_object_foreach(meta, k, v)
	{
		json_t *p = json_sprintf("%s:%s", k, json_string_value(v));
		json_array_append_new(pairs, p);
		catcli_req_add(&r, "node-meta", json_string_value(p));
	}
	if (catcli_get_json(c, &r, &body, &err) < 0)
		cli_error(by_node ? "Error listing services for node: %s"
				  : "Error listing services: %s",
			  buf_cstr(&err));
	else if (by_node)
		services = catcli_node_services(body);
	else
		services = json_is_object(body) ? json_incref(body) : json_object();
	json_decref(body);
	json_decref(pairs);
	buf_free(&path);
	buf_free(&err);
	return services;
}

int catalog_services_main(int argc, char **argv)
{
	struct catalog_services_opts o = {0};
	json_t *meta = NULL, *services = NULL;
	struct httpc c;
	int rest, rc = 1;
	if (flags_parse(catalog_services_flags, &o, argc, argv, 1, &rest) < 0 ||
	    catcli_map_flag(catalog_services_flags, "node-meta", &o.nodemeta, &meta) < 0 ||
	    catcli_no_args(argc - rest) < 0)
		goto out;
	if (kv_client(&c, &o.http) < 0)
		goto out;
	services = fetch(&c, &o, meta);
	httpc_free(&c);
	if (!services)
		goto out;
	rc = 0;
	struct buf text = BUF_INIT;
	if (catcli_format_services(&text, services, o.tags) == 0)
		cli_error("No services match the given query - try expanding your search.");
	else
		cli_info("%s", buf_cstr(&text));
	buf_free(&text);
out:
	json_decref(services);
	json_decref(meta);
	flag_strings_free(&o.nodemeta);
	return rc;
}
