/*
 * /v1/internal/ui/...: the summaries Consul's web UI reads, with Consul's
 * shapes, so one blocking request feeds one view.
 *
 *   services     [ServiceSummary] one per service name: Kind (omitted when ""),
 *                Name, Datacenter, Tags (union, first-seen order, null when
 *                none), Nodes (distinct, in instance order), ExternalSources,
 *                InstanceCount, ChecksPassing/Warning/Critical (each check of
 *                each instance, node-level checks counted once per instance, as
 *                Consul's summarizeServices), GatewayConfig, TransparentProxy,
 *                ConnectNative, ConnectedWithProxy, ConnectedWithGateway
 *   nodes        [NodeInfo] ID, Node, Address, TaggedAddresses, Meta,
 *                Services [NodeService], Checks [HealthCheck]
 *   node/:node   NodeInfo, or 404 with an empty body (Consul)
 *
 * Indexes: the lists cover every node, service and check, so they report the
 * highest of the nodes, services and any-check indexes and watch all three;
 * node/:node reports and watches that node only (catalog.h).
 *
 * Loop thread; per-request arrays are freed before the reply.
 */
#include "api/api.h"
#include "api/catalog_json.h"

#include "base/alloc.h"

#include <stdlib.h>
#include <strings.h>

static uint64_t max3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a > b ? a : b;
	return m > c ? m : c;
}

/* A small set of borrowed strings kept in first-seen order. */
struct strset {
	const char **v;
	size_t n, cap;
};

static void strset_add(struct strset *s, const char *x, bool nocase)
{
	for (size_t i = 0; i < s->n; i++)
		if (nocase ? !strcasecmp(s->v[i], x) : !strcmp(s->v[i], x))
			return;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = x;
}

static void lists_watch(struct api *a, struct watcher *w, uint64_t *index)
{
	*index = max3(catalog_nodes_index(a->store), catalog_services_index(a->store),
		      catalog_checks_index(a->store, CAT_ANY));
	if (w) {
		catalog_watch_nodes(a->store, w);
		catalog_watch_services(a->store, w);
		catalog_watch_checks(a->store, w, CAT_ANY);
	}
}

/* ---- services ---- */

struct summary {
	struct api *a;
	const char *kind;
	struct strset tags, nodes;
	uint64_t instances;
	uint64_t counts[CAT_STATUS_COUNT_];
};

static int count_check(void *ctx, const struct cat_check *c)
{
	struct summary *s = ctx;
	/* maintenance counts as critical, as Consul's UI summary does */
	enum cat_status st = c->status == CAT_MAINTENANCE ? CAT_CRITICAL : c->status;
	if ((int)st >= 0 && st < CAT_STATUS_COUNT_)
		s->counts[st]++;
	return 0;
}

static int summary_instance(void *ctx, const struct cat_node *n, const struct cat_service *svc)
{
	struct summary *s = ctx;
	(void)n;
	if (!s->instances)
		s->kind = svc->kind;
	s->instances++;
	for (size_t i = 0; i < svc->ntags; i++)
		strset_add(&s->tags, svc->tags[i], false);
	strset_add(&s->nodes, svc->node, true);
	catalog_instance_checks(s->a->store, svc, count_check, s);
	return 0;
}

struct services_ctx {
	struct api *a;
	struct jsonw *w;
};

static void write_strs(struct jsonw *w, const char *key, const struct strset *s)
{
	jsonw_key(w, key);
	if (!s->n) {
		jsonw_null(w);
		return;
	}
	jsonw_arr_open(w);
	for (size_t i = 0; i < s->n; i++)
		jsonw_str(w, s->v[i]);
	jsonw_arr_close(w);
}

static int service_summary(void *ctx, const char *name)
{
	struct services_ctx *sc = ctx;
	struct jsonw *w = sc->w;
	struct summary s = {.a = sc->a, .kind = ""};
	catalog_service_instances(sc->a->store, name, summary_instance, &s);
	if (!s.instances)
		return 0;
	jsonw_obj_open(w);
	if (s.kind[0])
		jsonw_kstr(w, "Kind", s.kind);
	jsonw_kstr(w, "Name", name);
	jsonw_kstr(w, "Datacenter", sc->a->cfg->datacenter);
	write_strs(w, "Tags", &s.tags);
	write_strs(w, "Nodes", &s.nodes);
	jsonw_key(w, "ExternalSources");
	jsonw_null(w);
	jsonw_kuint(w, "InstanceCount", s.instances);
	jsonw_kuint(w, "ChecksPassing", s.counts[CAT_PASSING]);
	jsonw_kuint(w, "ChecksWarning", s.counts[CAT_WARNING]);
	jsonw_kuint(w, "ChecksCritical", s.counts[CAT_CRITICAL]);
	jsonw_key(w, "GatewayConfig");
	jsonw_obj_open(w);
	jsonw_obj_close(w);
	jsonw_kbool(w, "TransparentProxy", false);
	jsonw_kbool(w, "ConnectNative", false);
	jsonw_kbool(w, "ConnectedWithProxy", false);
	jsonw_kbool(w, "ConnectedWithGateway", false);
	jsonw_obj_close(w);
	free(s.tags.v);
	free(s.nodes.v);
	return 0;
}

static int query_services(struct api *a, struct http_request *req, struct watcher *w,
			  uint64_t *index)
{
	struct jsonw j;
	lists_watch(a, w, index);
	api_json_begin(a, req, &j);
	jsonw_arr_open(&j);
	struct services_ctx sc = {a, &j};
	catalog_service_names(a->store, service_summary, &sc);
	jsonw_arr_close(&j);
	api_json_end(req, &j);
	return 200;
}

void api_internal_ui_services(void *ctx, struct http_request *req)
{
	if (api_local_dc(ctx, req))
		api_read(ctx, req, query_services);
}

/* ---- nodes, node/:node ---- */

static int write_service(void *ctx, const struct cat_service *svc)
{
	catalog_json_node_service(ctx, svc);
	return 0;
}

static int write_check(void *ctx, const struct cat_check *c)
{
	catalog_json_check(ctx, c);
	return 0;
}

struct node_ctx {
	struct api *a;
	struct jsonw *w;
};

static void write_pairs(struct jsonw *w, const char *key, const struct cat_pair *p, size_t n)
{
	jsonw_key(w, key);
	if (!n) {
		jsonw_null(w);
		return;
	}
	jsonw_obj_open(w);
	for (size_t i = 0; i < n; i++)
		jsonw_kstr(w, p[i].key, p[i].value);
	jsonw_obj_close(w);
}

static int node_info(void *ctx, const struct cat_node *n)
{
	struct node_ctx *nc = ctx;
	struct jsonw *w = nc->w;
	jsonw_obj_open(w);
	jsonw_kstr(w, "ID", n->id);
	jsonw_kstr(w, "Node", n->name);
	jsonw_kstr(w, "Address", n->address);
	write_pairs(w, "TaggedAddresses", n->tagged, n->ntagged);
	write_pairs(w, "Meta", n->meta, n->nmeta);
	jsonw_key(w, "Services");
	jsonw_arr_open(w);
	catalog_node_services(nc->a->store, n->name, write_service, w);
	jsonw_arr_close(w);
	jsonw_key(w, "Checks");
	jsonw_arr_open(w);
	catalog_node_checks(nc->a->store, n->name, write_check, w);
	jsonw_arr_close(w);
	jsonw_obj_close(w);
	return 0;
}

static int query_nodes(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index)
{
	struct jsonw j;
	lists_watch(a, w, index);
	api_json_begin(a, req, &j);
	jsonw_arr_open(&j);
	struct node_ctx nc = {a, &j};
	catalog_nodes(a->store, node_info, &nc);
	jsonw_arr_close(&j);
	api_json_end(req, &j);
	return 200;
}

void api_internal_ui_nodes(void *ctx, struct http_request *req)
{
	if (api_local_dc(ctx, req))
		api_read(ctx, req, query_nodes);
}

static int query_node(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index)
{
	*index = catalog_node_index(a->store, req->tail);
	if (w)
		catalog_watch_node(a->store, w, req->tail);
	const struct cat_node *n = catalog_node(a->store, req->tail);
	if (!n)
		return 404;
	struct jsonw j;
	api_json_begin(a, req, &j);
	struct node_ctx nc = {a, &j};
	node_info(&nc, n);
	api_json_end(req, &j);
	return 200;
}

void api_internal_ui_node(void *ctx, struct http_request *req)
{
	if (!req->tail[0])
		api_error(req, 400, "Missing node name");
	else if (api_local_dc(ctx, req))
		api_read(ctx, req, query_node);
}
