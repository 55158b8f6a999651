/*
 * `consul catalog nodes [-detailed] [-service S] [-node-meta k=v]... [-near N]
 * [-filter EXPR]`: the nodes of /v1/catalog/nodes, or of /v1/catalog/service/S with
 * -service, as Consul's columnized table (catalog_format.c). No match prints "No nodes
 * match the given query - try expanding your search." to stderr and exits 0, as Consul.
 * -filter takes the expression, @file or "-" for stdin.
 */
#include "cli/catalog_commands.h"
#include "cli/catalog_format.h"
#include "cli/cli.h"
#include "cli/kv.h"

struct catalog_nodes_opts {
	bool detailed;		      /* -detailed */
	const char *filter;	      /* -filter */
	const char *near;	      /* -near */
	struct flag_strings nodemeta; /* -node-meta, key=value */
	const char *service;	      /* -service */
	struct httpc_flags http;
};

const char catalog_nodes_usage[] =
    "\nUsage: consul catalog nodes [options]\n"
    "\n"
    "  Retrieves the list nodes registered in a given datacenter. By default, the\n"
    "  datacenter of the local agent is queried.\n"
    "\n"
    "  To retrieve the list of nodes:\n"
    "\n"
    "      $ consul catalog nodes\n"
    "\n"
    "  To print detailed information including full node IDs, tagged addresses, and\n"
    "  metadata information:\n"
    "\n"
    "      $ consul catalog nodes -detailed\n"
    "\n"
    "  To list nodes which are running a particular service:\n"
    "\n"
    "      $ consul catalog nodes -service=web\n"
    "\n"
    "  To filter by node metadata:\n"
    "\n"
    "      $ consul catalog nodes -node-meta=\"foo=bar\"\n"
    "\n"
    "  To sort nodes by estimated round-trip time from node-web:\n"
    "\n"
    "      $ consul catalog nodes -near=node-web\n"
    "\n"
    "  For a full list of options and examples, please see the Consul documentation.\n";

#define O struct catalog_nodes_opts
const struct flag_def catalog_nodes_flags[] = {
    FLAG_DEF("detailed", FLAG_BOOL, O, detailed,
	     "Output detailed information about the nodes including their addresses and "
	     "metadata.",
	     NULL),
    FLAG_DEF("filter", FLAG_STRING, O, filter, "Filter to use with the request", NULL),
    FLAG_DEF("near", FLAG_STRING, O, near,
	     "Node name to sort the node list in ascending order based on estimated round-trip "
	     "time from that node. Passing \"_agent\" will use this agent's node for sorting.",
	     NULL),
    FLAG_DEF("node-meta", FLAG_STRINGS, O, nodemeta,
	     "Metadata to filter nodes with the given `key=value` pairs. This flag may be "
	     "specified multiple times to filter on multiple sources of metadata.",
	     NULL),
    FLAG_DEF("service", FLAG_STRING, O, service,
	     "Service `id or name` to filter nodes. Only nodes which are providing the given "
	     "service will be returned.",
	     NULL),
    HTTPC_CLIENT_FLAGS(O, http),
    HTTPC_SERVER_FLAGS(O, http),
    {"partition", FLAG_STRING, offsetof(O, http.partition), HTTPC_USAGE_PARTITION, NULL, "value",
     FLAG_SECT_CMD},
    FLAG_END,
};
#undef O

/* The query parameters the Go api sends for QueryOptions{Near, NodeMeta, Filter}. The
 * "key:value" strings live in pairs until the request is sent. */
static void add_query(struct httpc_req *r, const struct catalog_nodes_opts *o, json_t *meta,
		      json_t *pairs)
{
	if (o->near && *o->near)
		httpc_req_param(r, "near", o->near);
	const char *k;
	json_t *v;
	json_object_foreach(meta, k, v)
	{
		json_t *p = json_sprintf("%s:%s", k, json_string_value(v));
		json_array_append_new(pairs, p);
		catcli_req_add(r, "node-meta", json_string_value(p));
	}
	if (o->filter && *o->filter)
		httpc_req_param(r, "filter", o->filter);
}

static int list(const struct httpc *c, const struct catalog_nodes_opts *o, json_t *meta)
{
	struct buf path = BUF_INIT, err = BUF_INIT;
	json_t *pairs = json_array();
	bool svc = o->service && *o->service;
	buf_printf(&path, svc ? "/v1/catalog/service/%s" : "/v1/catalog/nodes", o->service);
	struct httpc_req r;
	httpc_req_init(&r, "GET", buf_cstr(&path), true);
	add_query(&r, o, meta, pairs);
	json_t *nodes;
	int rc = 0;
	if (catcli_get_json(c, &r, &nodes, &err) < 0) {
		cli_error(svc ? "Error listing nodes for service: %s" : "Error listing nodes: %s",
			  buf_cstr(&err));
		rc = 1;
	} else if (json_array_size(nodes) == 0) {
		cli_error("No nodes match the given query - try expanding your search.");
	} else {
		struct buf out = BUF_INIT;
		catcli_format_nodes(&out, nodes, o->detailed, svc);
		cli_info("%s", buf_cstr(&out));
		buf_free(&out);
	}
	json_decref(nodes);
	buf_free(&path);
	json_decref(pairs);
	buf_free(&err);
	return rc;
}

int catalog_nodes_main(int argc, char **argv)
{
	struct catalog_nodes_opts o = {0};
	json_t *meta = NULL;
	struct buf filter = BUF_INIT, err = BUF_INIT;
	struct httpc c;
	int rest, rc = 1;
	if (flags_parse(catalog_nodes_flags, &o, argc, argv, 1, &rest) < 0 ||
	    catcli_map_flag(catalog_nodes_flags, "node-meta", &o.nodemeta, &meta) < 0 ||
	    catcli_no_args(argc - rest) < 0)
		goto out;
	if (kv_client(&c, &o.http) < 0)
		goto out;
	if (o.filter && *o.filter) {
		if (kv_read_data(o.filter, &filter, &err) < 0) {
			cli_error("Could not process filter argument: %s", buf_cstr(&err));
			httpc_free(&c);
			goto out;
		}
		o.filter = buf_cstr(&filter);
	}
	rc = list(&c, &o, meta);
	httpc_free(&c);
out:
	json_decref(meta);
	flag_strings_free(&o.nodemeta);
	buf_free(&filter);
	buf_free(&err);
	return rc;
}
