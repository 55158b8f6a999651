/*
 * `consul rtt [-wan] node1 [node2]`: the estimated round-trip time between
 * two nodes from their network coordinates (/v1/coordinate/nodes, or with
 * -wan /v1/coordinate/datacenters and "node.dc" names). node2 defaults to
 * the agent's own node. Prints Consul's line:
 *
 *   Estimated node1 <-> node2 rtt: 0.610 ms (using LAN coordinates)
 */
#include "cli/catalog_commands.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/kv.h"
#include "gossip/vivaldi.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

struct rtt_opts {
	bool wan;
	struct httpc_flags http;
};

const char rtt_usage[] =
    "\nUsage: consul rtt [options] node1 [node2]\n"
    "\n"
    "  Estimates the round trip time between two nodes using Consul's network\n"
    "  coordinate model of the cluster.\n"
    "\n"
    "  At least one node name is required. If the second node name isn't given, it\n"
    "  is set to the agent's node name. These are the node names as known to\n"
    "  Consul as the \"consul members\" command would show, not IP addresses.\n"
    "\n"
    "  By default, the two nodes are assumed to be nodes in the local datacenter\n"
    "  and the LAN coordinates are used. If the -wan option is given, then the WAN\n"
    "  coordinates are used, and the node names must be suffixed by a period and\n"
    "  the datacenter (eg. \"myserver.dc1\").\n";

const struct flag_def rtt_flags[] = {
    FLAG_DEF("wan", FLAG_BOOL, struct rtt_opts, wan,
	     "Use WAN coordinates instead of LAN coordinates.", NULL),
    HTTPC_CLIENT_FLAGS(struct rtt_opts, http),
    FLAG_END,
};

static bool coord_from_json(json_t *j, struct vivaldi_coord *c)
{
	json_t *vec = json_object_get(j, "Vec");
	if (json_array_size(vec) != VIVALDI_DIM)
		return false;
	for (size_t i = 0; i < VIVALDI_DIM; i++)
		c->vec[i] = json_number_value(json_array_get(vec, i));
	c->error = json_number_value(json_object_get(j, "Error"));
	c->adjustment = json_number_value(json_object_get(j, "Adjustment"));
	c->height = json_number_value(json_object_get(j, "Height"));
	return true;
}

/* Find node's Coord in an array of {"Node","Coord"}. */
static bool find(json_t *list, const char *node, struct vivaldi_coord *c)
{
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e)
	{
		const char *n = json_string_value(json_object_get(e, "Node"));
		if (n && strcmp(n, node) == 0)
			return coord_from_json(json_object_get(e, "Coord"), c);
	}
	return false;
}

static int self_name(const struct httpc *c, bool wan, struct buf *out, struct buf *err)
{
	struct httpc_req r;
	httpc_req_init(&r, "GET", "/v1/agent/self", true);
	json_t *self;
	if (catcli_get_json(c, &r, &self, err) < 0)
		return -1;
	json_t *cfg = json_object_get(self, "Config");
	const char *n = json_string_value(json_object_get(cfg, "NodeName"));
	const char *dc = json_string_value(json_object_get(cfg, "Datacenter"));
	buf_printf(out, wan ? "%s.%s" : "%s", n ? n : "", dc ? dc : "");
	json_decref(self);
	return 0;
}

/* All coordinates of the pool as one array of {"Node","Coord"}. */
static json_t *coords(const struct httpc *c, bool wan, struct buf *err)
{
	struct httpc_req r;
	httpc_req_init(&r, "GET", wan ? "/v1/coordinate/datacenters" : "/v1/coordinate/nodes",
		       true);
	json_t *v;
	if (catcli_get_json(c, &r, &v, err) < 0)
		return NULL;
	if (!wan)
		return v;
	json_t *all = json_array();
	size_t i;
	json_t *dc;
	json_array_foreach(v, i, dc)
	{
		json_array_extend(all, json_object_get(dc, "Coordinates"));
	}
	json_decref(v);
	return all;
}

int rtt_main(int argc, char **argv)
{
	struct rtt_opts o = {0};
	int rest;
	if (flags_parse(rtt_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	int nargs = argc - rest;
	if (nargs < 1 || nargs > 2) {
		cli_error("One or two node names must be specified");
		cli_error("%s", rtt_usage);
		return 1;
	}
	struct httpc c;
	if (kv_client(&c, &o.http) < 0)
		return 1;
	struct buf n2 = BUF_INIT, err = BUF_INIT;
	const char *node1 = argv[rest];
	int rc = 1;
	json_t *list = NULL;
	if (nargs == 2) {
		buf_puts(&n2, argv[rest + 1]);
	} else if (self_name(&c, o.wan, &n2, &err) < 0) {
		cli_error("Unable to look up agent info: %s", buf_cstr(&err));
		goto out;
	}
	list = coords(&c, o.wan, &err);
	if (!list) {
		cli_error("Error getting coordinates: %s", buf_cstr(&err));
		goto out;
	}
	struct vivaldi_coord a, b;
	if (!find(list, node1, &a)) {
		cli_error("Could not find a coordinate for node \"%s\"", node1);
		goto out;
	}
	if (!find(list, buf_cstr(&n2), &b)) {
		cli_error("Could not find a coordinate for node \"%s\"", buf_cstr(&n2));
		goto out;
	}
	double ms = vivaldi_distance(&a, &b) * 1000.0;
	cli_info("Estimated %s <-> %s rtt: %.3f ms (using %s coordinates)", node1, buf_cstr(&n2),
		 ms, o.wan ? "WAN" : "LAN");
	rc = 0;
out:
	json_decref(list);
	buf_free(&n2);
	buf_free(&err);
	httpc_free(&c);
	return rc;
}
