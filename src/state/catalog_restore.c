/*
 * Catalog sections of a snapshot, decoding side (formats and the checks made
 * are listed in catalog_snap.c).
 *
 * Records are decoded one at a time into templates whose strings and arrays
 * are temporary copies (the input is not NUL-terminated), packed into entries,
 * and kept in arrays. cat_restore_build then sorts what is not already in
 * catalog order (our encoder writes that order, so usually a linear check),
 * rejects repeats and dangling references, and fills a fresh catalog's vectors
 * by appending: O(n log n) at worst, no per-insert moves. Loop thread.
 */
#include "state/catalog_snap.h"

#include "state/snapshot.h"
#include "state/wire.h"

#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>

#define NTABLES 9

struct rnode {
	struct cat_node *node; /* entry (owned until moved into the catalog) */
	uint64_t index;	       /* per-node index */
};

struct rgroup {
	char *name;	/* service name */
	uint64_t index; /* its index */
};

struct cat_restoring {
	uint64_t index;		  /* store index: upper bound of every index */
	struct cvec nodes;	  /* struct rnode */
	struct cvec svcs;	  /* struct cat_service * */
	struct cvec checks;	  /* struct cat_check * */
	struct cvec groups;	  /* struct rgroup */
	bool have_tables;	  /* kind 0 index record seen */
	uint64_t tables[NTABLES]; /* its values */
	struct cvec tmp;	  /* allocations of the record being decoded */
};

struct cat_restoring *cat_restoring_new(uint64_t store_index)
{
	struct cat_restoring *rs = xcalloc(1, sizeof(*rs));
	rs->index = store_index;
	cvec_init(&rs->nodes, sizeof(struct rnode));
	cvec_init(&rs->svcs, sizeof(void *));
	cvec_init(&rs->checks, sizeof(void *));
	cvec_init(&rs->groups, sizeof(struct rgroup));
	cvec_init(&rs->tmp, sizeof(void *));
	return rs;
}

void cat_restoring_free(struct cat_restoring *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nodes.n; i++)
		catalog_node_unref(((struct rnode *)cvec_at(&rs->nodes, i))->node);
	for (size_t i = 0; i < rs->svcs.n; i++)
		catalog_service_unref(cvec_ptr(&rs->svcs, i));
	for (size_t i = 0; i < rs->checks.n; i++)
		catalog_check_unref(cvec_ptr(&rs->checks, i));
	for (size_t i = 0; i < rs->groups.n; i++)
		free(((struct rgroup *)cvec_at(&rs->groups, i))->name);
	for (size_t i = 0; i < rs->tmp.n; i++)
		free(cvec_ptr(&rs->tmp, i));
	cvec_free(&rs->nodes);
	cvec_free(&rs->svcs);
	cvec_free(&rs->checks);
	cvec_free(&rs->groups);
	cvec_free(&rs->tmp);
	free(rs);
}

/* ---- one record ---- */

/* The shared bounded reader, plus where temporary copies are remembered. */
struct rd {
	struct wire_rd w;
	struct cvec *tmp;
};

static void *tmp_alloc(struct rd *r, size_t n)
{
	void *p = xmalloc(n ? n : 1);
	cvec_push_ptr(r->tmp, p);
	return p;
}

static const char *ostr_len(struct rd *r, uint64_t n)
{
	const unsigned char *raw = wire_get_raw(&r->w, n);
	if (!raw)
		return "";
	char *s = tmp_alloc(r, n + 1);
	memcpy(s, raw, n);
	s[n] = '\0';
	return s;
}

static const char *str(struct rd *r)
{
	return ostr_len(r, wire_get_le(&r->w, 4));
}

static const char *ostr(struct rd *r)
{
	uint64_t n = wire_get_le(&r->w, 4);
	return n == SNAPSHOT_NO_LEN ? NULL : ostr_len(r, n);
}

static const char **list(struct rd *r, size_t *n)
{
	*n = wire_get_count(&r->w, 4);
	const char **v = tmp_alloc(r, *n * sizeof(*v));
	for (size_t i = 0; i < *n; i++)
		v[i] = str(r);
	return v;
}

static struct cat_pair *map(struct rd *r, size_t *n)
{
	*n = wire_get_count(&r->w, 8);
	struct cat_pair *v = tmp_alloc(r, *n * sizeof(*v));
	for (size_t i = 0; i < *n; i++) {
		v[i].key = str(r);
		v[i].value = str(r);
		if (i && !r->w.bad && strcmp(v[i - 1].key, v[i].key) >= 0)
			r->w.bad = true; /* written sorted and unique */
	}
	return v;
}

static bool bad_indexes(uint64_t create, uint64_t modify, uint64_t top)
{
	return create < 1 || create > modify || modify > top;
}

static int rec_node(struct cat_restoring *rs, struct rd *r)
{
	struct cat_node t = {0};
	t.create_index = wire_get_le(&r->w, 8);
	t.modify_index = wire_get_le(&r->w, 8);
	uint64_t index = wire_get_le(&r->w, 8);
	t.id = str(r);
	t.name = str(r);
	t.address = str(r);
	t.datacenter = str(r);
	t.tagged = map(r, &t.ntagged);
	t.meta = map(r, &t.nmeta);
	if (r->w.bad || bad_indexes(t.create_index, t.modify_index, rs->index) || index < 1 ||
	    index > rs->index || !*t.name)
		return -1;
	struct cat_node *e = cat_node_pack(&t);
	e->create_index = t.create_index;
	e->modify_index = t.modify_index;
	*(struct rnode *)cvec_insert(&rs->nodes, rs->nodes.n) = (struct rnode){e, index};
	return 0;
}

static void rec_addrs(struct rd *r, struct cat_service *t)
{
	t->ntagged = wire_get_count(&r->w, 12);
	struct cat_svc_addr *v = tmp_alloc(r, t->ntagged * sizeof(*v));
	for (size_t i = 0; i < t->ntagged; i++) {
		v[i].key = str(r);
		v[i].address = str(r);
		v[i].port = (int32_t)(uint32_t)wire_get_le(&r->w, 4);
		if (i && !r->w.bad && strcmp(v[i - 1].key, v[i].key) >= 0)
			r->w.bad = true;
	}
	t->tagged = v;
}

static int rec_service(struct cat_restoring *rs, struct rd *r)
{
	struct cat_service t = {0};
	t.create_index = wire_get_le(&r->w, 8);
	t.modify_index = wire_get_le(&r->w, 8);
	t.node = str(r);
	t.id = str(r);
	t.name = str(r);
	t.kind = str(r);
	t.tags = list(r, &t.ntags);
	t.address = str(r);
	rec_addrs(r, &t);
	t.meta = map(r, &t.nmeta);
	t.port = (int32_t)(uint32_t)wire_get_le(&r->w, 4);
	t.socket_path = str(r);
	t.weight_passing = (int32_t)(uint32_t)wire_get_le(&r->w, 4);
	t.weight_warning = (int32_t)(uint32_t)wire_get_le(&r->w, 4);
	uint64_t eto = wire_get_le(&r->w, 1);
	t.enable_tag_override = eto == 1;
	t.proxy_json = ostr(r);
	t.connect_json = ostr(r);
	t.locality_json = ostr(r);
	if (r->w.bad || eto > 1 || bad_indexes(t.create_index, t.modify_index, rs->index) ||
	    !*t.id || !*t.name || !*t.node)
		return -1;
	struct cat_service *e = cat_service_pack(&t, t.node);
	e->create_index = t.create_index;
	e->modify_index = t.modify_index;
	cvec_push_ptr(&rs->svcs, e);
	return 0;
}

static int rec_check(struct cat_restoring *rs, struct rd *r)
{
	struct cat_check t = {0};
	t.create_index = wire_get_le(&r->w, 8);
	t.modify_index = wire_get_le(&r->w, 8);
	uint64_t status = wire_get_le(&r->w, 1);
	t.status = (enum cat_status)status;
	t.node = str(r);
	t.id = str(r);
	t.name = str(r);
	t.notes = str(r);
	t.output = str(r);
	t.service_id = str(r);
	t.service_name = str(r);
	t.service_tags = list(r, &t.nservice_tags);
	t.type = str(r);
	t.interval = str(r);
	t.timeout = str(r);
	t.exposed_port = (int32_t)(uint32_t)wire_get_le(&r->w, 4);
	t.definition_json = ostr(r);
	if (r->w.bad || status >= CAT_STATUS_COUNT_ ||
	    bad_indexes(t.create_index, t.modify_index, rs->index) || !*t.id || !*t.node)
		return -1;
	struct cat_check *e = cat_check_pack(&t, t.node, NULL);
	e->create_index = t.create_index;
	e->modify_index = t.modify_index;
	cvec_push_ptr(&rs->checks, e);
	return 0;
}

static int rec_index(struct cat_restoring *rs, struct rd *r)
{
	uint64_t kind = wire_get_le(&r->w, 1);
	if (kind == 0) {
		for (int i = 0; i < NTABLES; i++)
			rs->tables[i] = wire_get_le(&r->w, 8);
		for (int i = 0; i < NTABLES; i++)
			if (rs->tables[i] > rs->index)
				return -1;
		if (rs->have_tables || r->w.bad)
			return -1;
		rs->have_tables = true;
		return 0;
	}
	uint64_t index = wire_get_le(&r->w, 8);
	const char *name = str(r);
	if (kind != 1 || r->w.bad || index < 1 || index > rs->index || !*name)
		return -1;
	*(struct rgroup *)cvec_insert(&rs->groups, rs->groups.n) =
	    (struct rgroup){xstrdup(name), index};
	return 0;
}

int cat_restore_record(struct cat_restoring *rs, uint32_t section, const unsigned char **p,
		       const unsigned char *end)
{
	struct rd r = {{*p, end, false}, &rs->tmp};
	int rc = -1;
	if (section == SNAP_SEC_CAT_NODES)
		rc = rec_node(rs, &r);
	else if (section == SNAP_SEC_CAT_SERVICES)
		rc = rec_service(rs, &r);
	else if (section == SNAP_SEC_CAT_CHECKS)
		rc = rec_check(rs, &r);
	else if (section == SNAP_SEC_CAT_INDEXES)
		rc = rec_index(rs, &r);
	for (size_t i = 0; i < rs->tmp.n; i++)
		free(cvec_ptr(&rs->tmp, i));
	rs->tmp.n = 0;
	*p = r.w.p;
	return rc;
}

/* ---- build ---- */

static int rnode_cmp(const void *a, const void *b)
{
	return cat_fold_cmp(((const struct rnode *)a)->node->name,
			    ((const struct rnode *)b)->node->name);
}

/* (node, id): services and checks both begin with refs, indexes, node, id */
static int svc_order(const void *a, const void *b)
{
	const struct cat_service *x = *(const struct cat_service *const *)a;
	const struct cat_service *y = *(const struct cat_service *const *)b;
	int c = cat_fold_cmp(x->node, y->node);
	return c ? c : cat_fold_cmp(x->id, y->id);
}

static int chk_order(const void *a, const void *b)
{
	const struct cat_check *x = *(const struct cat_check *const *)a;
	const struct cat_check *y = *(const struct cat_check *const *)b;
	int c = cat_fold_cmp(x->node, y->node);
	return c ? c : cat_fold_cmp(x->id, y->id);
}

static int svc_chk_order(const void *a, const void *b)
{
	const struct cat_check *x = *(const struct cat_check *const *)a;
	const struct cat_check *y = *(const struct cat_check *const *)b;
	int c = cat_fold_cmp(x->service_id, y->service_id);
	return c ? c : cat_fold_cmp(x->id, y->id);
}

static int id_order(const void *a, const void *b)
{
	return cat_fold_cmp((*(struct cat_nslot *const *)a)->node->id,
			    (*(struct cat_nslot *const *)b)->node->id);
}

/* (name, node, id) */
static int inst_order(const void *a, const void *b)
{
	const struct cat_inst *x = a, *y = b;
	int c = cat_fold_cmp(x->svc->name, y->svc->name);
	return c ? c : svc_order(&x->svc, &y->svc);
}

/* Sort v unless already strictly ordered; -1 when two elements compare equal. */
static int order(struct cvec *v, int (*cmp)(const void *, const void *))
{
	size_t i = 1;
	while (i < v->n && cmp(cvec_at(v, i - 1), cvec_at(v, i)) < 0)
		i++;
	if (i >= v->n)
		return 0;
	qsort(v->v, v->n, v->esize, cmp);
	for (i = 1; i < v->n; i++)
		if (cmp(cvec_at(v, i - 1), cvec_at(v, i)) == 0)
			return -1;
	return 0;
}

static int build_nodes(struct cat_restoring *rs, struct catalog *cat)
{
	if (order(&rs->nodes, rnode_cmp))
		return -1;
	for (size_t i = 0; i < rs->nodes.n; i++) {
		struct rnode *rn = cvec_at(&rs->nodes, i);
		struct cat_nslot *ns = xcalloc(1, sizeof(*ns));
		ns->node = rn->node;
		ns->index = rn->index;
		rn->node = NULL; /* moved */
		cvec_init(&ns->services, sizeof(void *));
		cvec_init(&ns->checks, sizeof(void *));
		cvec_init(&ns->svc_checks, sizeof(void *));
		cvec_push_ptr(&cat->nodes, ns);
		if (*ns->node->id)
			cvec_push_ptr(&cat->ids, ns);
	}
	rs->nodes.n = 0;
	return order(&cat->ids, id_order);
}

static int build_services(struct cat_restoring *rs, struct catalog *cat)
{
	if (order(&rs->svcs, svc_order))
		return -1;
	struct cvec inst;
	cvec_init(&inst, sizeof(struct cat_inst));
	size_t i, moved = 0;
	for (i = 0; i < rs->svcs.n; i++) {
		struct cat_service *svc = cvec_ptr(&rs->svcs, i);
		struct cat_nslot *ns = cat_slot(cat, svc->node);
		if (!ns)
			break;
		cvec_push_ptr(&ns->services, svc);
		*(struct cat_inst *)cvec_insert(&inst, inst.n) = (struct cat_inst){ns, svc};
		moved++;
	}
	/* what moved is the catalog's; what did not stays rs's */
	if (moved < rs->svcs.n)
		memmove(rs->svcs.v, cvec_at(&rs->svcs, moved),
			(rs->svcs.n - moved) * sizeof(void *));
	rs->svcs.n -= moved;
	cat->nservices = moved;
	int rc = rs->svcs.n ? -1 : order(&inst, inst_order);
	for (i = 0; i < inst.n;) {
		const struct cat_inst *first = cvec_at(&inst, i);
		size_t len = strlen(first->svc->name);
		struct cat_group *g = xcalloc(1, sizeof(*g) + len + 1);
		memcpy(g->name, first->svc->name, len + 1);
		cvec_init(&g->inst, sizeof(struct cat_inst));
		g->index = rs->index;
		cvec_push_ptr(&cat->groups, g);
		do {
			*(struct cat_inst *)cvec_insert(&g->inst, g->inst.n) =
			    *(struct cat_inst *)cvec_at(&inst, i);
			i++;
		} while (i < inst.n &&
			 !cat_fold_cmp(g->name, ((struct cat_inst *)cvec_at(&inst, i))->svc->name));
	}
	cvec_free(&inst);
	return rc;
}

static int build_checks(struct cat_restoring *rs, struct catalog *cat)
{
	if (order(&rs->checks, chk_order))
		return -1;
	size_t i, moved = 0;
	for (i = 0; i < rs->checks.n; i++) {
		struct cat_check *c = cvec_ptr(&rs->checks, i);
		struct cat_nslot *ns = cat_slot(cat, c->node);
		if (!ns || (*c->service_id && !cat_slot_service(ns, c->service_id)))
			break;
		cvec_push_ptr(&ns->checks, c);
		cvec_push_ptr(&ns->svc_checks, c);
		moved++;
	}
	if (moved < rs->checks.n)
		memmove(rs->checks.v, cvec_at(&rs->checks, moved),
			(rs->checks.n - moved) * sizeof(void *));
	rs->checks.n -= moved;
	cat->nchecks = moved;
	for (i = 0; i < cat->nodes.n; i++) {
		struct cat_nslot *ns = cvec_ptr(&cat->nodes, i);
		if (ns->svc_checks.n > 1)
			qsort(ns->svc_checks.v, ns->svc_checks.n, sizeof(void *), svc_chk_order);
	}
	return rs->checks.n ? -1 : 0;
}

static int build_indexes(struct cat_restoring *rs, struct catalog *cat)
{
	uint64_t *t = rs->tables;
	/* No record: zero when the catalog is empty too (our encoder leaves out an
	 * all-zero record; older snapshots had no catalog), else the store index,
	 * which can only move indexes forward. */
	bool empty = cat->nodes.n == 0;
	for (int i = 0; i < NTABLES && !rs->have_tables; i++)
		t[i] = empty ? 0 : rs->index;
	cat->nodes_index = t[0];
	cat->services_index = t[1];
	cat->checks_index = t[2];
	memcpy(cat->state_index, &t[3], sizeof(cat->state_index));
	cat->node_floor = t[7];
	cat->service_floor = t[8];
	for (size_t i = 0; i < rs->groups.n; i++) {
		const struct rgroup *rg = cvec_at(&rs->groups, i);
		struct cat_group *g = cat_group(cat, rg->name);
		if (!g || g->touched) /* unknown name, or one named twice */
			return -1;
		g->index = rg->index;
		g->touched = true;
	}
	for (size_t i = 0; i < cat->groups.n; i++)
		((struct cat_group *)cvec_ptr(&cat->groups, i))->touched = false;
	return 0;
}

struct catalog *cat_restore_build(struct cat_restoring *rs)
{
	struct catalog *cat = catalog_new();
	if (build_nodes(rs, cat) || build_services(rs, cat) || build_checks(rs, cat) ||
	    build_indexes(rs, cat)) {
		for (size_t i = 0; i < cat->groups.n; i++)
			((struct cat_group *)cvec_ptr(&cat->groups, i))->touched = false;
		catalog_free(cat);
		return NULL;
	}
	return cat;
}
