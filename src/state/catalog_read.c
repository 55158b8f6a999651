/*
 * Catalog reads, blocking-query indexes and watch topics (model in catalog.h).
 *
 * Reads walk the sorted vectors of catalog_int.h: a node's services or checks,
 * a service name's instances, an instance's checks (two ranges of the node's
 * (service ID, check ID) vector merged by check ID) cost O(log n + results).
 * Checks by state walk every check: O(all checks), as a list endpoint.
 *
 * Watch topics, exact keys in the store's registry (never seen by callers):
 *
 *   TABLE_NODES     "n:<lowercased node>"     catalog_watch_node
 *   TABLE_NODES     "*"                       catalog_watch_nodes
 *   TABLE_SERVICES  "s:<lowercased name>"     catalog_watch_service
 *   TABLE_SERVICES  "*"                       catalog_watch_services
 *   TABLE_CHECKS    "*" or "<state>"          catalog_watch_checks
 *
 * Loop thread only; pure.
 */
#include "state/catalog_int.h"
#include "state/internal.h"

#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>

static const struct catalog *C(const struct store *s)
{
	return s->cat;
}

static uint64_t at_least_one(uint64_t v)
{
	return v ? v : 1;
}

/* ---- nodes ---- */

const struct cat_node *catalog_node(const struct store *s, const char *name)
{
	const struct cat_nslot *ns = cat_slot(C(s), name);
	return ns ? ns->node : NULL;
}

size_t catalog_node_count(const struct store *s)
{
	return C(s)->nodes.n;
}

size_t catalog_service_count(const struct store *s)
{
	return C(s)->nservices;
}

size_t catalog_check_count(const struct store *s)
{
	return C(s)->nchecks;
}

int catalog_nodes(const struct store *s, cat_node_fn fn, void *ctx)
{
	const struct cvec *v = &C(s)->nodes;
	for (size_t i = 0; i < v->n; i++) {
		const struct cat_nslot *ns = cvec_ptr(v, i);
		int rc = fn(ctx, ns->node);
		if (rc)
			return rc;
	}
	return 0;
}

bool catalog_node_meta_match(const struct cat_node *n, const struct cat_pair *filters,
			     size_t nfilters)
{
	for (size_t i = 0; i < nfilters; i++) {
		const struct cat_pair *m = NULL;
		size_t lo = 0, hi = n->nmeta;
		while (lo < hi && !m) { /* meta is sorted by key */
			size_t mid = lo + (hi - lo) / 2;
			int c = strcmp(filters[i].key, n->meta[mid].key);
			if (c == 0)
				m = &n->meta[mid];
			else if (c < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		if (!m || strcmp(m->value, filters[i].value) != 0)
			return false;
	}
	return true;
}

const struct cat_service *catalog_node_service(const struct store *s, const char *node,
					       const char *service_id)
{
	const struct cat_nslot *ns = cat_slot(C(s), node);
	return ns ? cat_slot_service(ns, service_id) : NULL;
}

const struct cat_check *catalog_node_check(const struct store *s, const char *node,
					   const char *check_id)
{
	const struct cat_nslot *ns = cat_slot(C(s), node);
	return ns ? cat_slot_check(ns, check_id) : NULL;
}

int catalog_node_services(const struct store *s, const char *node, cat_service_fn fn, void *ctx)
{
	const struct cat_nslot *ns = cat_slot(C(s), node);
	for (size_t i = 0; ns && i < ns->services.n; i++) {
		int rc = fn(ctx, cvec_ptr(&ns->services, i));
		if (rc)
			return rc;
	}
	return 0;
}

int catalog_node_checks(const struct store *s, const char *node, cat_check_fn fn, void *ctx)
{
	const struct cat_nslot *ns = cat_slot(C(s), node);
	for (size_t i = 0; ns && i < ns->checks.n; i++) {
		int rc = fn(ctx, cvec_ptr(&ns->checks, i));
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- service names ---- */

int catalog_service_names(const struct store *s, cat_name_fn fn, void *ctx)
{
	const struct cvec *v = &C(s)->groups;
	for (size_t i = 0; i < v->n; i++) {
		const struct cat_group *g = cvec_ptr(v, i);
		const struct cat_inst *first = cvec_at(&g->inst, 0);
		int rc = fn(ctx, first->svc->name); /* groups are never empty between writes */
		if (rc)
			return rc;
	}
	return 0;
}

int catalog_service_instances(const struct store *s, const char *name, cat_instance_fn fn,
			      void *ctx)
{
	const struct cat_group *g = cat_group(C(s), name);
	for (size_t i = 0; g && i < g->inst.n; i++) {
		const struct cat_inst *in = cvec_at(&g->inst, i);
		int rc = fn(ctx, in->ns->node, in->svc);
		if (rc)
			return rc;
	}
	return 0;
}

size_t catalog_service_instance_count(const struct store *s, const char *name)
{
	const struct cat_group *g = cat_group(C(s), name);
	return g ? g->inst.n : 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t catalog_service_tags(const struct store *s, const char *name, const struct cat_pair *filters,
			    size_t nfilters, const char ***out)
{
	const struct cat_group *g = cat_group(C(s), name);
	size_t n = 0, cap = 0;
	const char **v = NULL;
	for (size_t i = 0; g && i < g->inst.n; i++) {
		const struct cat_inst *in = cvec_at(&g->inst, i);
		if (!catalog_node_meta_match(in->ns->node, filters, nfilters))
			continue;
		if (n + in->svc->ntags > cap) {
			cap = (n + in->svc->ntags) * 2;
			v = xrealloc(v, cap * sizeof(*v));
		}
		for (size_t j = 0; j < in->svc->ntags; j++)
			v[n++] = in->svc->tags[j];
	}
	if (n)
		qsort(v, n, sizeof(*v), str_cmp);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (m == 0 || strcmp(v[m - 1], v[i]) != 0)
			v[m++] = v[i];
	*out = m ? v : (free(v), NULL);
	return m;
}

/* ---- checks ---- */

int catalog_instance_checks(const struct store *s, const struct cat_service *svc, cat_check_fn fn,
			    void *ctx)
{
	const struct cat_nslot *ns = cat_slot(C(s), svc->node);
	if (!ns)
		return 0;
	size_t a, alo, ahi, b, blo, bhi;
	cat_slot_svc_checks(ns, "", &alo, &ahi); /* node-level */
	cat_slot_svc_checks(ns, svc->id, &blo, &bhi);
	for (a = alo, b = blo; a < ahi || b < bhi;) {
		const struct cat_check *x = a < ahi ? cvec_ptr(&ns->svc_checks, a) : NULL;
		const struct cat_check *y = b < bhi ? cvec_ptr(&ns->svc_checks, b) : NULL;
		bool take_x = x && (!y || cat_fold_cmp(x->id, y->id) < 0);
		int rc = fn(ctx, take_x ? x : y);
		if (rc)
			return rc;
		take_x ? a++ : b++;
	}
	return 0;
}

static int check_id_cmp(const void *a, const void *b)
{
	const struct cat_check *x = *(const struct cat_check *const *)a;
	const struct cat_check *y = *(const struct cat_check *const *)b;
	return cat_fold_cmp(x->id, y->id);
}

/* The checks of the instances [lo, hi) of g, all on one node, by check ID. */
static int node_run_checks(const struct cat_group *g, size_t lo, size_t hi, cat_check_fn fn,
			   void *ctx)
{
	const struct cat_nslot *ns = ((const struct cat_inst *)cvec_at(&g->inst, lo))->ns;
	struct cvec all;
	cvec_init(&all, sizeof(void *));
	for (size_t i = lo; i < hi; i++) {
		const struct cat_inst *in = cvec_at(&g->inst, i);
		size_t clo, chi;
		cat_slot_svc_checks(ns, in->svc->id, &clo, &chi);
		for (size_t j = clo; j < chi; j++)
			cvec_push_ptr(&all, cvec_ptr(&ns->svc_checks, j));
	}
	if (hi - lo > 1 && all.n > 1)
		qsort(all.v, all.n, sizeof(void *), check_id_cmp);
	int rc = 0;
	for (size_t i = 0; i < all.n && !rc; i++)
		rc = fn(ctx, cvec_ptr(&all, i));
	cvec_free(&all);
	return rc;
}

int catalog_service_checks(const struct store *s, const char *name, cat_check_fn fn, void *ctx)
{
	const struct cat_group *g = cat_group(C(s), name);
	size_t i = 0;
	while (g && i < g->inst.n) {
		const struct cat_nslot *ns = ((const struct cat_inst *)cvec_at(&g->inst, i))->ns;
		size_t j = i + 1;
		while (j < g->inst.n && ((const struct cat_inst *)cvec_at(&g->inst, j))->ns == ns)
			j++;
		int rc = node_run_checks(g, i, j, fn, ctx);
		if (rc)
			return rc;
		i = j;
	}
	return 0;
}

int catalog_checks_in_state(const struct store *s, int state, cat_check_fn fn, void *ctx)
{
	const struct cvec *v = &C(s)->nodes;
	for (size_t i = 0; i < v->n; i++) {
		const struct cat_nslot *ns = cvec_ptr(v, i);
		for (size_t j = 0; j < ns->checks.n; j++) {
			const struct cat_check *c = cvec_ptr(&ns->checks, j);
			if (state != CAT_ANY && (int)c->status != state)
				continue;
			int rc = fn(ctx, c);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* ---- indexes ---- */

uint64_t catalog_service_index(const struct store *s, const char *name)
{
	const struct cat_group *g = cat_group(C(s), name);
	return at_least_one(g ? g->index : C(s)->service_floor);
}

uint64_t catalog_node_index(const struct store *s, const char *node)
{
	const struct cat_nslot *ns = cat_slot(C(s), node);
	return at_least_one(ns ? ns->index : C(s)->node_floor);
}

uint64_t catalog_nodes_index(const struct store *s)
{
	return at_least_one(C(s)->nodes_index);
}

uint64_t catalog_services_index(const struct store *s)
{
	return at_least_one(C(s)->services_index);
}

uint64_t catalog_checks_index(const struct store *s, int state)
{
	if (state >= 0 && state < CAT_STATUS_COUNT_)
		return at_least_one(C(s)->state_index[state]);
	return at_least_one(C(s)->checks_index);
}

/* ---- watches ---- */

/* "<prefix><lowercased name>" in the catalog's scratch buffer. */
static const char *topic(struct store *s, const char *prefix, const char *name, size_t *len)
{
	struct buf *b = &s->cat->scratch;
	buf_reset(b);
	buf_puts(b, prefix);
	for (const char *p = name; *p; p++)
		buf_putc(b, *p >= 'A' && *p <= 'Z' ? (char)(*p + 'a' - 'A') : *p);
	*len = b->len;
	return buf_cstr(b);
}

void cat_fire_node(struct store *s, const char *name)
{
	size_t len;
	const char *k = topic(s, "n:", name, &len);
	watch_reg_fire(&s->watch, TABLE_NODES, k, len);
}

void cat_fire_service(struct store *s, const char *name)
{
	size_t len;
	const char *k = topic(s, "s:", name, &len);
	watch_reg_fire(&s->watch, TABLE_SERVICES, k, len);
}

void cat_fire_list(struct store *s, enum store_table table, const char *name)
{
	watch_reg_fire(&s->watch, table, name, strlen(name));
}

void catalog_watch_service(struct store *s, struct watcher *w, const char *name)
{
	size_t len;
	watch_key(s, w, TABLE_SERVICES, topic(s, "s:", name, &len));
}

void catalog_watch_node(struct store *s, struct watcher *w, const char *node)
{
	size_t len;
	watch_key(s, w, TABLE_NODES, topic(s, "n:", node, &len));
}

void catalog_watch_nodes(struct store *s, struct watcher *w)
{
	watch_key(s, w, TABLE_NODES, "*");
}

void catalog_watch_services(struct store *s, struct watcher *w)
{
	watch_key(s, w, TABLE_SERVICES, "*");
}

void catalog_watch_checks(struct store *s, struct watcher *w, int state)
{
	if (state >= 0 && state < CAT_STATUS_COUNT_)
		watch_key(s, w, TABLE_CHECKS, cat_status_name(state));
	else
		watch_key(s, w, TABLE_CHECKS, "*");
}
