/*
 * Network coordinates (Consul's coordinate API):
 *
 *   GET /v1/coordinate/datacenters   [{"Datacenter","AreaID":"wan","Coordinates":
 *                                      [{"Node":"s1.dc1","Coord":{...}}]}], one
 *                                      per datacenter in the WAN pool, nearest
 *                                      first (a client asks a server)
 *   GET /v1/coordinate/nodes         [{"Node","Segment","Coord":{...}}], by name
 *   GET /v1/coordinate/node/<node>   the same for one node; 404 when unknown
 *
 * The coordinates are this agent's gossip view: its own Vivaldi coordinate
 * and the last one each member of the pool sent with a probe ack (members
 * that left are not listed). Consul's servers keep them in the state store,
 * fed by every agent; docs/compat.md explains the difference. The index is
 * the count of coordinate updates, so a blocking read returns once a probe
 * moved a coordinate.
 */
#include "api/api.h"

#include "gossip/pool.h"
#include "gossip/servers.h"
#include "gossip/vivaldi.h"

#include <string.h>

/* Members of p with a coordinate, optionally only `only` or only those
 * whose "dc" tag is dc; returns how many. */
static size_t write_coords(struct jsonw *w, const struct gossip_pool *p, const char *only,
			   const char *dc, bool lan)
{
	const struct serf *s = gossip_pool_serf(p);
	size_t n = 0;
	for (size_t i = 0, c = s ? serf_count(s) : 0; i < c; i++) {
		const struct serf_member *m = serf_at(s, i);
		const char *mdc = tags_get(&m->tags, "dc");
		if (m->status == SERF_LEFT || (only && strcmp(only, m->name) != 0) ||
		    (dc && (!mdc || strcmp(dc, mdc) != 0)))
			continue;
		const struct vivaldi_coord *co = gossip_pool_coord(p, m->name);
		if (!co)
			continue;
		jsonw_obj_open(w);
		jsonw_kstr(w, "Node", m->name);
		if (lan)
			jsonw_kstr(w, "Segment", "");
		jsonw_key(w, "Coord");
		vivaldi_json(w, co);
		jsonw_obj_close(w);
		n++;
	}
	return n;
}

static int query_nodes(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index)
{
	(void)w;
	const char *only = req->tail && *req->tail ? req->tail : NULL;
	*index = a->lan ? gossip_pool_coord_updates(a->lan) + 1 : 1;
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_arr_open(&j);
	size_t n = a->lan ? write_coords(&j, a->lan, only, NULL, true) : 0;
	jsonw_arr_close(&j);
	api_json_end(req, &j);
	if (only && n == 0) {
		buf_reset(&req->resp.body);
		return 404;
	}
	return 200;
}

void api_coordinate_nodes(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (api_local_dc(a, req))
		api_read_local(a, req, query_nodes);
}

void api_coordinate_node(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (!req->tail || !*req->tail)
		api_error(req, 400, "Missing node name");
	else if (api_local_dc(a, req))
		api_read_local(a, req, query_nodes);
}

void api_coordinate_datacenters(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_arr_open(&j);
	struct gossip_dc dcs[64];
	size_t n = a->wan ? gossip_datacenters(a->wan, dcs, 64) : 0;
	for (size_t i = 0; i < n; i++) {
		jsonw_obj_open(&j);
		jsonw_kstr(&j, "Datacenter", dcs[i].name);
		jsonw_kstr(&j, "AreaID", "wan");
		jsonw_key(&j, "Coordinates");
		jsonw_arr_open(&j);
		write_coords(&j, a->wan, NULL, dcs[i].name, false);
		jsonw_arr_close(&j);
		jsonw_obj_close(&j);
	}
	jsonw_arr_close(&j);
	api_json_end(req, &j);
	http_reply(req);
}
