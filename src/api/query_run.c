/*
 * GET /v1/query/:id|name/execute and /explain.
 *
 * Both resolve the name (an ID, a query's Name, else the template with the
 * longest matching prefix, rendered for the name: state/query_exec.h);
 * nothing found is 404 "Query not found", a template that fails to render is
 * a 500 with its message. Explain answers {"Query": <the rendered query>}.
 *
 * Execute answers {"Service", "Nodes": [CheckServiceNode...], "DNS": {"TTL"},
 * "Datacenter", "Failovers"} like Consul's ExecuteResponse: the instances
 * that pass the query's filters, shuffled; then, when ?near (which wins) or
 * the query's Near names a source ("_agent": the agent asked, "_ip": the node
 * whose address is the client's IP, else a node name), sorted by estimated
 * round-trip time from it (gossip coordinates, vivaldi_sort_near) with the
 * source node itself moved first when it is among the first ten, as Consul
 * does; then cut to ?limit.
 *
 * Failover: when nothing is left, the query (rendered) is run in other
 * datacenters (query_failover.c), which answer through
 * PUT /v1/internal/prepared-query/execute-remote (Consul's
 * PreparedQuery.ExecuteRemote): the query in the body, run like here but
 * without near sorting, ?failovers echoed as Failovers.
 *
 * The index is the higher of the query table's and the service's, and a
 * blocking execute watches both. Loop thread.
 */
#include "api/query_int.h"

#include "api/catalog_json.h"
#include "api/query_def.h"
#include "state/query_exec.h"

#include "base/alloc.h"
#include "gossip/pool.h"
#include "gossip/vivaldi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int not_found(struct http_request *req, char *why)
{
	req->resp.content_type = "text/plain; charset=utf-8";
	if (why) {
		buf_puts(&req->resp.body, why);
		free(why);
		return 500;
	}
	buf_puts(&req->resp.body, "Query not found");
	return 404;
}

/* The query the request names, rendered; the index and the blocking watch
 * are the query table's. NULL: not found (or *why: a template failed). */
static struct prepared_query *resolve(struct api *a, struct http_request *req, struct watcher *w,
				      uint64_t *index, char **why)
{
	*index = pquery_list_index(a->store);
	if (w)
		pquery_watch_list(a->store, w);
	struct buf tmp = BUF_INIT;
	struct prepared_query *q = pquery_resolve(a->store, api_query_tail_id(req, &tmp), why);
	buf_free(&tmp);
	return q;
}

static int explain(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index)
{
	char *why = NULL;
	struct prepared_query *q = resolve(a, req, w, index, &why);
	if (!q)
		return not_found(req, why);
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_obj_open(&j);
	jsonw_key(&j, "Query");
	query_json(&j, q);
	jsonw_obj_close(&j);
	api_json_end(req, &j);
	pquery_unref(q);
	return 200;
}

void api_query_explain(struct api *a, struct http_request *req)
{
	api_read(a, req, explain);
}

/* ---- execute ---- */

static uint64_t rnd(void *ctx)
{
	(void)ctx;
	return ((uint64_t)random() << 31) ^ (uint64_t)random();
}

struct by_ip {
	const char *ip;	  /* the client's address */
	const char *node; /* found */
};

static int by_ip_one(void *ctx, const struct cat_node *n)
{
	struct by_ip *f = ctx;
	if (strcmp(n->address, f->ip) != 0)
		return 0;
	f->node = n->name;
	return 1;
}

/* The node a near source names, or NULL (no sorting). */
static const char *near_node(struct api *a, struct http_request *req, const char *near)
{
	if (!near || !near[0])
		return NULL;
	if (strcmp(near, "_agent") == 0)
		return api_origin_node(a, req);
	if (strcmp(near, "_ip") != 0)
		return near;
	/* the first X-Forwarded-For address, else the peer (Consul's
	 * sourceAddrFromRequest) */
	const char *fwd = http_header_get(req, "x-forwarded-for");
	char ip[64];
	size_t n = 0;
	if (fwd) {
		while (*fwd == ' ')
			fwd++;
		while (fwd[n] && fwd[n] != ',' && fwd[n] != ' ' && n < sizeof(ip) - 1)
			n++;
	}
	if (n) {
		memcpy(ip, fwd, n);
		ip[n] = 0;
	} else {
		snprintf(ip, sizeof(ip), "%s", req->peer);
	}
	struct by_ip f = {ip, NULL};
	catalog_nodes(a->store, by_ip_one, &f);
	return f.node;
}

static void sort_near(struct api *a, struct pq_result *r, const char *src)
{
	if (!src || r->n == 0)
		return;
	const struct vivaldi_coord *sc = a->lan ? gossip_pool_coord(a->lan, src) : NULL;
	if (sc && r->n > 1) {
		struct vivaldi_near *v = xcalloc(r->n, sizeof(*v));
		for (size_t i = 0; i < r->n; i++)
			v[i] = (struct vivaldi_near){
			    .name = r->v[i].node->name,
			    .coord = gossip_pool_coord(a->lan, r->v[i].node->name),
			    .item = &r->v[i]};
		vivaldi_sort_near(sc, v, r->n);
		struct pq_node *sorted = xmalloc(r->n * sizeof(*sorted));
		for (size_t i = 0; i < r->n; i++)
			sorted[i] = *(struct pq_node *)v[i].item;
		memcpy(r->v, sorted, r->n * sizeof(*sorted));
		free(sorted);
		free(v);
	}
	/* the source itself first, when it is among the first ten (Consul) */
	for (size_t i = 0; i < r->n && i < 10; i++) {
		if (strcasecmp(r->v[i].node->name, src) == 0) {
			struct pq_node t = r->v[0];
			r->v[0] = r->v[i];
			r->v[i] = t;
			break;
		}
	}
}

void query_exec_json(struct api *a, struct http_request *req, const struct prepared_query *q,
		     const struct pq_result *r, const char *dc, int failovers)
{
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_obj_open(&j);
	jsonw_kstr(&j, "Service", pq_str(q->service));
	jsonw_key(&j, "Nodes");
	jsonw_arr_open(&j);
	for (size_t i = 0; r && i < r->n; i++)
		catalog_json_check_service_node(&j, r->v[i].node, r->v[i].svc,
						r->v[i].n ? r->checks + r->v[i].first : NULL,
						r->v[i].n);
	jsonw_arr_close(&j);
	jsonw_key(&j, "DNS");
	jsonw_obj_open(&j);
	jsonw_kstr(&j, "TTL", pq_str(q->dns_ttl));
	jsonw_obj_close(&j);
	jsonw_kstr(&j, "Datacenter", dc);
	jsonw_kint(&j, "Failovers", failovers);
	jsonw_obj_close(&j);
	api_json_end(req, &j);
}

/* Run q here: the response, or API_DEFERRED when nothing passed and q fails
 * over to another datacenter (failover true: the origin's execute). */
static int run(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index,
	       struct prepared_query *q, bool failover)
{
	uint64_t limit = 0;
	bool has_limit = false;
	uint64_t si = catalog_service_index(a->store, pq_str(q->service));
	*index = si > *index ? si : *index;
	if (w)
		catalog_watch_service(a->store, w, pq_str(q->service));
	struct pq_result r = {0};
	pquery_exec(a->store, q, rnd, NULL, &r);
	if (failover) { /* not in the other datacenter (Consul's ExecuteRemote) */
		const struct http_param *np = http_param_get(req, "near");
		sort_near(a, &r, near_node(a, req, np && np->value[0] ? np->value : q->near));
	}
	if (api_uint_param(req, "limit", &limit, &has_limit) == 0 && has_limit && limit > 0 &&
	    r.n > limit)
		r.n = (size_t)limit;
	int status = 200, tried = r.n == 0 && failover ? query_failover(a, req, q) : 0;
	if (tried < 0) {
		status = API_DEFERRED;
	} else {
		uint64_t fo = (uint64_t)tried;
		if (!failover)
			api_uint_param(req, "failovers", &fo, NULL);
		query_exec_json(a, req, q, &r, a->cfg->datacenter, (int)fo);
	}
	pq_result_free(&r);
	return status;
}

static int execute(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index)
{
	char *why = NULL;
	struct prepared_query *q = resolve(a, req, w, index, &why);
	if (!q)
		return not_found(req, why);
	int status = run(a, req, w, index, q, true);
	pquery_unref(q);
	return status;
}

void api_query_execute(struct api *a, struct http_request *req)
{
	uint64_t limit;
	bool present;
	if (api_uint_param(req, "limit", &limit, &present) < 0)
		return; /* 400 sent */
	api_read(a, req, execute);
}

/* ---- another datacenter's failover, run here ---- */

static int execute_remote(struct api *a, struct http_request *req, struct watcher *w,
			  uint64_t *index)
{
	struct buf err = BUF_INIT;
	struct prepared_query *q =
	    query_def_decode((const char *)req->body.data, req->body.len, &err);
	*index = 1;
	if (!q) {
		req->resp.content_type = "text/plain; charset=utf-8";
		buf_printf(&req->resp.body, "Request decode failed: %s", buf_cstr(&err));
		buf_free(&err);
		return 400;
	}
	buf_free(&err);
	int status = run(a, req, w, index, q, false);
	pquery_unref(q);
	return status;
}

void api_query_execute_remote(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	uint64_t n;
	bool present;
	if (api_uint_param(req, "limit", &n, &present) < 0 ||
	    api_uint_param(req, "failovers", &n, &present) < 0)
		return; /* 400 sent */
	api_read(a, req, execute_remote);
}
