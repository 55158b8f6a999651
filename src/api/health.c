/*
 * /v1/health/...: Consul's health reads.
 *
 *   node/:node         the node's checks (HealthCheck), ?filter
 *   checks/:service    checks of the service's instances, ?node-meta, ?filter
 *   state/:state       checks in a state (any|passing|warning|critical), ?node-meta,
 *                      ?filter; an unknown state matches nothing (200 [], as Consul,
 *                      whose state store takes any word)
 *   service/:service   one {Node, Service, Checks} per instance, Checks holding the
 *                      node-level checks (serfHealth...) and the instance's own;
 *                      ?tag (all must match), ?node-meta, ?filter, then ?passing
 *
 * ?passing follows Consul's HTTP handler: present without a value means true, else
 * Go's strconv.ParseBool (400 "Invalid value for ?passing"); it drops every instance
 * with a check that is not passing, with Consul's swap-with-last removal, so the
 * order of what is left is Consul's too.
 *
 * Reads go through api_read with the index of what they read (catalog.h): a health
 * service query blocks on that service only.
 */
#include "api/api.h"
#include "api/catalog_json.h"
#include "api/filter_items.h"

#include "base/alloc.h"
#include "base/strconv.h"

#include <stdlib.h>
#include <string.h>

/* ---- checks lists ---- */

static int check_item(void *ctx, const struct cat_check *c)
{
	struct item_list *l = ctx;
	if (l->q.nmeta && !item_query_node_ok(&l->q, catalog_node(l->a->store, c->node)))
		return 0;
	if (l->q.filter && !item_query_match(&l->q, fitem_check(&l->q.arena, c)))
		return 0;
	item_list_begin(l, c->node);
	catalog_json_check(&l->w, c);
	item_list_end(l);
	return 0;
}

static bool checks_open(struct item_list *l, struct api *a, struct http_request *req)
{
	if (!item_list_open(l, a, req, filter_check_fields, false))
		return false;
	jsonw_arr_open(&l->w);
	return true;
}

static void checks_close(struct item_list *l)
{
	jsonw_arr_close(&l->w);
	item_list_close(l);
}

static int query_node(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index)
{
	struct item_list l;
	*index = catalog_node_index(a->store, req->tail);
	if (w)
		catalog_watch_node(a->store, w, req->tail);
	if (!checks_open(&l, a, req))
		return 400;
	catalog_node_checks(a->store, req->tail, check_item, &l);
	checks_close(&l);
	return 200;
}

static int query_checks(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index)
{
	struct item_list l;
	*index = catalog_service_index(a->store, req->tail);
	if (w)
		catalog_watch_service(a->store, w, req->tail);
	if (!checks_open(&l, a, req))
		return 400;
	catalog_service_checks(a->store, req->tail, check_item, &l);
	checks_close(&l);
	return 200;
}

static int query_state(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index)
{
	struct item_list l;
	int state = cat_status_parse(req->tail);
	int watched = state == -2 ? CAT_ANY : state;
	*index = catalog_checks_index(a->store, watched);
	if (w)
		catalog_watch_checks(a->store, w, watched);
	if (!checks_open(&l, a, req))
		return 400;
	if (l.q.nmeta) {
		uint64_t ni = catalog_nodes_index(a->store);
		*index = ni > *index ? ni : *index;
		if (w)
			catalog_watch_nodes(a->store, w);
	}
	if (state != -2)
		catalog_checks_in_state(a->store, state, check_item, &l);
	checks_close(&l);
	return 200;
}

void api_health_node(void *ctx, struct http_request *req)
{
	if (!req->tail[0])
		api_error(req, 400, "Missing node name");
	else if (item_query_check(req, filter_check_fields))
		api_read(ctx, req, query_node);
}

void api_health_checks(void *ctx, struct http_request *req)
{
	if (!req->tail[0])
		api_error(req, 400, "Missing service name");
	else if (item_query_check(req, filter_check_fields))
		api_read(ctx, req, query_checks);
}

void api_health_state(void *ctx, struct http_request *req)
{
	if (!req->tail[0])
		api_error(req, 400, "Missing check state");
	else if (item_query_check(req, filter_check_fields))
		api_read(ctx, req, query_state);
}

/* ---- /v1/health/service/:service ---- */

/* The instances kept so far, each with its checks (a slice of one pool). */
struct csn {
	const struct cat_node *node;
	const struct cat_service *svc;
	size_t first, n; /* checks[first .. first+n) */
};

struct csn_set {
	struct item_list *l;
	struct csn *v;
	size_t n, cap;
	const struct cat_check **checks; /* pool */
	size_t nchecks, ccap;
};

static int pool_check(void *ctx, const struct cat_check *c)
{
	struct csn_set *s = ctx;
	if (s->nchecks == s->ccap) {
		s->ccap = s->ccap ? 2 * s->ccap : 16;
		s->checks = xrealloc(s->checks, s->ccap * sizeof(*s->checks));
	}
	s->checks[s->nchecks++] = c;
	return 0;
}

static int instance_item(void *ctx, const struct cat_node *n, const struct cat_service *svc)
{
	struct csn_set *s = ctx;
	struct item_query *q = &s->l->q;
	if (!item_query_node_ok(q, n) || !item_query_tags_ok(q, svc))
		return 0;
	size_t first = s->nchecks;
	catalog_instance_checks(s->l->a->store, svc, pool_check, s);
	if (q->filter &&
	    !item_query_match(q, fitem_check_service_node(&q->arena, n, svc, s->checks + first,
							  s->nchecks - first))) {
		s->nchecks = first;
		return 0;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = (struct csn){n, svc, first, s->nchecks - first};
	return 0;
}

static bool all_passing(const struct csn_set *s, const struct csn *e)
{
	for (size_t i = 0; i < e->n; i++)
		if (s->checks[e->first + i]->status != CAT_PASSING)
			return false;
	return true;
}

/* Consul's filterNonPassing: a failing entry is replaced by the last one. */
static void drop_non_passing(struct csn_set *s)
{
	size_t n = s->n;
	for (size_t i = 0; i < n;) {
		if (all_passing(s, &s->v[i]))
			i++;
		else
			s->v[i] = s->v[--n];
	}
	s->n = n;
}

/* ?passing: 1 filter, 0 not, -1 invalid. */
static int passing_param(const struct http_request *req)
{
	const struct http_param *p = http_param_get(req, "passing");
	if (!p)
		return 0;
	bool b;
	if (!p->value[0])
		return 1;
	return strconv_parse_bool(p->value, &b) < 0 ? -1 : b;
}

static int query_service(struct api *a, struct http_request *req, struct watcher *w,
			 uint64_t *index)
{
	struct item_list l;
	*index = catalog_service_index(a->store, req->tail);
	if (w)
		catalog_watch_service(a->store, w, req->tail);
	if (!item_list_open(&l, a, req, filter_check_service_node_fields, true))
		return 400;
	struct csn_set s = {.l = &l};
	catalog_service_instances(a->store, req->tail, instance_item, &s);
	if (passing_param(req) == 1)
		drop_non_passing(&s);
	jsonw_arr_open(&l.w);
	for (size_t i = 0; i < s.n; i++) {
		item_list_begin(&l, s.v[i].node->name);
		catalog_json_check_service_node(&l.w, s.v[i].node, s.v[i].svc,
						s.v[i].n ? s.checks + s.v[i].first : NULL,
						s.v[i].n);
		item_list_end(&l);
	}
	jsonw_arr_close(&l.w);
	free(s.v);
	free(s.checks);
	item_list_close(&l);
	return 200;
}

void api_health_service(void *ctx, struct http_request *req)
{
	if (!req->tail[0])
		api_error(req, 400, "Missing service name");
	else if (passing_param(req) < 0)
		api_error(req, 400, "Invalid value for ?passing");
	else if (item_query_check(req, filter_check_service_node_fields))
		api_read(ctx, req, query_service);
}
