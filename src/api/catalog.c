/*
 * /v1/catalog/...: Consul's catalog reads (writes are in catalog_register.c).
 *
 *   datacenters          the datacenters with servers in the WAN pool, nearest
 *                        first (gossip_datacenters); no blocking, no X-Consul
 *                        headers
 *   nodes                every node, ?node-meta, ?filter (Node)
 *   services             service name -> union of its instances' tags; ?node-meta and
 *                        ?filter (ServiceNode) select the instances that count
 *   service/:name        the instances (ServiceNode), ?tag (all must match), ?node-meta,
 *                        ?filter
 *   node/:node           {Node, Services: {id: NodeService}} or null; ?filter on services
 *   node-services/:node  {Node, Services: [NodeService]}; ?filter on services
 *
 * Every list read goes through api_read: a query function writes the body from the
 * store and reports the index of exactly what it read (catalog.h), registering the
 * blocking watcher on the same thing, so churn of service A never wakes a watcher of
 * service B. ?near sorts by estimated round-trip time (near.c). A bad ?filter is
 * refused with 400 before the read starts.
 */
#include "api/api.h"
#include "api/catalog_json.h"
#include "api/filter_items.h"

#include "base/alloc.h"
#include "gossip/servers.h"

#include <stdlib.h>
#include <string.h>

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* ---- /v1/catalog/datacenters ---- */

void api_catalog_datacenters(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	struct jsonw w;
	api_json_begin(a, req, &w);
	jsonw_arr_open(&w);
	struct gossip_dc dcs[64];
	size_t n = a->wan ? gossip_datacenters(a->wan, dcs, 64) : 0;
	bool ours = false;
	for (size_t i = 0; i < n; i++) {
		jsonw_str(&w, dcs[i].name);
		ours |= strcmp(dcs[i].name, a->cfg->datacenter) == 0;
	}
	if (!ours) /* before the WAN pool has started */
		jsonw_str(&w, a->cfg->datacenter);
	jsonw_arr_close(&w);
	api_json_end(req, &w);
	http_reply(req);
}

/* ---- /v1/catalog/nodes ---- */

static int node_item(void *ctx, const struct cat_node *n)
{
	struct item_list *l = ctx;
	if (!item_query_node_ok(&l->q, n))
		return 0;
	if (l->q.filter && !item_query_match(&l->q, fitem_node(&l->q.arena, n)))
		return 0;
	item_list_begin(l, n->name);
	catalog_json_node(&l->w, n);
	item_list_end(l);
	return 0;
}

static int query_nodes(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index)
{
	struct item_list l;
	*index = catalog_nodes_index(a->store);
	if (w)
		catalog_watch_nodes(a->store, w);
	if (!item_list_open(&l, a, req, filter_node_fields, false))
		return 400;
	jsonw_arr_open(&l.w);
	catalog_nodes(a->store, node_item, &l);
	jsonw_arr_close(&l.w);
	item_list_close(&l);
	return 200;
}

void api_catalog_nodes(void *ctx, struct http_request *req)
{
	if (item_query_check(req, filter_node_fields))
		api_read(ctx, req, query_nodes);
}

/* ---- /v1/catalog/services ---- */

/* Tags of the kept instances of one name, for the selective path. */
struct tag_set {
	struct item_list *l;
	const char **v; /* borrowed from the entries */
	size_t n, cap;
	size_t kept; /* instances that passed */
};

static int tag_instance(void *ctx, const struct cat_node *n, const struct cat_service *svc)
{
	struct tag_set *t = ctx;
	struct item_query *q = &t->l->q;
	if (!item_query_node_ok(q, n))
		return 0;
	if (q->filter && !item_query_match(q, fitem_service_node(&q->arena, n, svc)))
		return 0;
	t->kept++;
	if (t->n + svc->ntags > t->cap) {
		t->cap = 2 * (t->n + svc->ntags);
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	if (svc->ntags) { /* t->v may still be NULL: no arithmetic on it */
		memcpy(t->v + t->n, svc->tags, svc->ntags * sizeof(*t->v));
		t->n += svc->ntags;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void write_tags(struct jsonw *w, const char *name, const char **tags, size_t n)
{
	jsonw_key(w, name);
	jsonw_arr_open(w);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(tags[i], tags[i - 1]) != 0)
			jsonw_str(w, tags[i]);
	jsonw_arr_close(w);
}

static int service_name_item(void *ctx, const char *name)
{
	struct item_list *l = ctx;
	if (!l->q.filter && l->q.nmeta == 0) {
		const char **tags;
		size_t n = catalog_service_tags(l->a->store, name, NULL, 0, &tags);
		write_tags(&l->w, name, tags, n);
		free(tags);
		return 0;
	}
	struct tag_set t = {.l = l};
	catalog_service_instances(l->a->store, name, tag_instance, &t);
	if (t.kept) {
		if (t.n) /* qsort(NULL, 0, ...) is undefined */
			qsort(t.v, t.n, sizeof(*t.v), cmp_str);
		write_tags(&l->w, name, t.v, t.n);
	}
	free(t.v);
	return 0;
}

static int query_services(struct api *a, struct http_request *req, struct watcher *w,
			  uint64_t *index)
{
	struct item_list l;
	*index = catalog_services_index(a->store);
	if (w)
		catalog_watch_services(a->store, w);
	if (!item_list_open(&l, a, req, filter_service_node_fields, false))
		return 400;
	if (l.q.filter || l.q.nmeta) {
		/* node meta and node fields of the filter depend on the nodes too */
		*index = max_u64(*index, catalog_nodes_index(a->store));
		if (w)
			catalog_watch_nodes(a->store, w);
	}
	jsonw_obj_open(&l.w);
	catalog_service_names(a->store, service_name_item, &l);
	jsonw_obj_close(&l.w);
	item_list_close(&l);
	return 200;
}

void api_catalog_services(void *ctx, struct http_request *req)
{
	if (item_query_check(req, filter_service_node_fields))
		api_read(ctx, req, query_services);
}

/* ---- /v1/catalog/service/:name ---- */

static int service_instance_item(void *ctx, const struct cat_node *n, const struct cat_service *svc)
{
	struct item_list *l = ctx;
	if (!item_query_node_ok(&l->q, n) || !item_query_tags_ok(&l->q, svc))
		return 0;
	if (l->q.filter && !item_query_match(&l->q, fitem_service_node(&l->q.arena, n, svc)))
		return 0;
	item_list_begin(l, n->name);
	catalog_json_service_node(&l->w, n, svc);
	item_list_end(l);
	return 0;
}

static int query_service(struct api *a, struct http_request *req, struct watcher *w,
			 uint64_t *index)
{
	struct item_list l;
	*index = catalog_service_index(a->store, req->tail);
	if (w)
		catalog_watch_service(a->store, w, req->tail);
	if (!item_list_open(&l, a, req, filter_service_node_fields, true))
		return 400;
	jsonw_arr_open(&l.w);
	catalog_service_instances(a->store, req->tail, service_instance_item, &l);
	jsonw_arr_close(&l.w);
	item_list_close(&l);
	return 200;
}

void api_catalog_service(void *ctx, struct http_request *req)
{
	if (!req->tail[0])
		api_error(req, 400, "Missing service name");
	else if (item_query_check(req, filter_service_node_fields))
		api_read(ctx, req, query_service);
}

/* ---- /v1/catalog/node/:node and /v1/catalog/node-services/:node ---- */

/* A node's services that pass ?filter, in service ID order. */
struct svc_set {
	struct item_list *l;
	const struct cat_service **v;
	size_t n;
};

static int node_service_item(void *ctx, const struct cat_service *svc)
{
	struct svc_set *s = ctx;
	struct item_query *q = &s->l->q;
	if (q->filter && !item_query_match(q, fitem_node_service(&q->arena, svc)))
		return 0;
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = svc;
	return 0;
}

/* Go sorts map keys bytewise; the store orders IDs case-insensitively. */
static int cmp_svc_id(const void *a, const void *b)
{
	const struct cat_service *x = *(const struct cat_service *const *)a;
	const struct cat_service *y = *(const struct cat_service *const *)b;
	return strcmp(x->id, y->id);
}

/* The node's entry and selected services; returns false for an unknown node. */
static bool node_and_services(struct item_list *l, struct svc_set *s, const struct cat_node **n)
{
	*n = catalog_node(l->a->store, l->req->tail);
	s->l = l;
	if (*n)
		catalog_node_services(l->a->store, l->req->tail, node_service_item, s);
	return *n != NULL;
}

static int query_node(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index)
{
	struct item_list l;
	struct svc_set s = {0};
	const struct cat_node *n;
	*index = catalog_node_index(a->store, req->tail);
	if (w)
		catalog_watch_node(a->store, w, req->tail);
	if (!item_list_open(&l, a, req, filter_node_service_fields, false))
		return 400;
	if (!node_and_services(&l, &s, &n)) {
		jsonw_null(&l.w); /* Consul answers 200 null for an unknown node */
	} else {
		if (s.n) /* qsort(NULL, 0) is undefined */
			qsort(s.v, s.n, sizeof(*s.v), cmp_svc_id);
		jsonw_obj_open(&l.w);
		jsonw_key(&l.w, "Node");
		catalog_json_node(&l.w, n);
		jsonw_key(&l.w, "Services");
		jsonw_obj_open(&l.w);
		for (size_t i = 0; i < s.n; i++) {
			jsonw_key(&l.w, s.v[i]->id);
			catalog_json_node_service(&l.w, s.v[i]);
		}
		jsonw_obj_close(&l.w);
		jsonw_obj_close(&l.w);
	}
	free(s.v);
	item_list_close(&l);
	return 200;
}

static int query_node_services(struct api *a, struct http_request *req, struct watcher *w,
			       uint64_t *index)
{
	struct item_list l;
	struct svc_set s = {0};
	const struct cat_node *n;
	*index = catalog_node_index(a->store, req->tail);
	if (w)
		catalog_watch_node(a->store, w, req->tail);
	if (!item_list_open(&l, a, req, filter_node_service_fields, false))
		return 400;
	bool found = node_and_services(&l, &s, &n);
	jsonw_obj_open(&l.w);
	jsonw_key(&l.w, "Node");
	if (found)
		catalog_json_node(&l.w, n);
	else
		jsonw_null(&l.w); /* Consul's zero NodeServiceList */
	jsonw_key(&l.w, "Services");
	if (found) {
		jsonw_arr_open(&l.w);
		for (size_t i = 0; i < s.n; i++)
			catalog_json_node_service(&l.w, s.v[i]);
		jsonw_arr_close(&l.w);
	} else {
		jsonw_null(&l.w);
	}
	jsonw_obj_close(&l.w);
	free(s.v);
	item_list_close(&l);
	return 200;
}

void api_catalog_node(void *ctx, struct http_request *req)
{
	if (!req->tail[0])
		api_error(req, 400, "Missing node name");
	else if (item_query_check(req, filter_node_service_fields))
		api_read(ctx, req, query_node);
}

void api_catalog_node_services(void *ctx, struct http_request *req)
{
	if (!req->tail[0])
		api_error(req, 400, "Missing node name");
	else if (item_query_check(req, filter_node_service_fields))
		api_read(ctx, req, query_node_services);
}
