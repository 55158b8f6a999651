/*
 * Session sections of a snapshot: freeze, encode, decode, build (interface in
 * session_snap.h). Integers little-endian; str = 4 length L + L bytes (no
 * NUL); list = 4 count + count x str.
 *
 * Session record (section 7):
 *   0   8  create index
 *   8   8  modify index
 *   16  8  lock delay (ns)
 *   24  1  behavior (enum session_behavior)
 *   25  .. str id, str name, str node, str ttl, list node checks,
 *          4 count S + S x (str id, str namespace) service checks,
 *          list checks (legacy)
 *
 * Index record (section 8, exactly one):
 *   0   8  session_list_index
 *   8   8  id floor (index of the latest destroy)
 *   16  4  node count N
 *   20  .. N x (8 index, str node name): per-node indexes
 *
 * Restore checks: lengths, no NUL, a non-empty ID, IDs unique (case folded),
 * behavior known, 1 <= create <= modify <= store index, every index <= store
 * index, node names unique (case folded). Both sections are left out when the
 * table is empty and has no indexes, so a store without sessions writes
 * exactly what older versions read.
 */
#include "state/session_snap.h"

#include "state/snapshot.h"
#include "state/wire.h"

#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>

struct frozen_node {
	char *name;	/* copy (node records change in place) */
	uint64_t index; /* per-node index */
};

struct sess_frozen {
	struct cvec sessions; /* struct session * (a reference each), by ID */
	struct cvec nodes;    /* struct frozen_node */
	uint64_t index;	      /* session_list_index */
	uint64_t id_floor;    /* latest destroy */
};

struct sess_frozen *sess_freeze(const struct sess_table *st)
{
	struct sess_frozen *f = xcalloc(1, sizeof(*f));
	cvec_init(&f->sessions, sizeof(void *));
	cvec_init(&f->nodes, sizeof(struct frozen_node));
	for (size_t i = 0; i < st->byid.n; i++) {
		struct session *e = cvec_ptr(&st->byid, i);
		session_ref(e);
		cvec_push_ptr(&f->sessions, e);
	}
	for (size_t i = 0; i < st->nodes.n; i++) {
		const struct sess_node *n = cvec_ptr(&st->nodes, i);
		*(struct frozen_node *)cvec_insert(&f->nodes, f->nodes.n) =
		    (struct frozen_node){xstrdup(n->name), n->index};
	}
	f->index = st->index;
	f->id_floor = st->id_floor;
	return f;
}

void sess_frozen_release(struct sess_frozen *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->sessions.n; i++)
		session_unref(cvec_ptr(&f->sessions, i));
	for (size_t i = 0; i < f->nodes.n; i++)
		free(((struct frozen_node *)cvec_at(&f->nodes, i))->name);
	cvec_free(&f->sessions);
	cvec_free(&f->nodes);
	free(f);
}

size_t sess_frozen_count(const struct sess_frozen *f, uint32_t section)
{
	if (section == SNAP_SEC_SESSIONS)
		return f->sessions.n;
	if (section == SNAP_SEC_SESSION_INDEXES)
		return f->index || f->id_floor || f->nodes.n ? 1 : 0;
	return 0;
}

static void encode_session(struct buf *out, const struct session *e)
{
	wire_put_le(out, e->create_index, 8);
	wire_put_le(out, e->modify_index, 8);
	wire_put_le(out, e->lock_delay_ns, 8);
	wire_put_le(out, (uint64_t)e->behavior, 1);
	wire_put_str(out, e->id);
	wire_put_str(out, e->name);
	wire_put_str(out, e->node);
	wire_put_str(out, e->ttl);
	wire_put_list(out, e->node_checks, e->nnode_checks);
	wire_put_le(out, e->nsvc_checks, 4);
	for (size_t i = 0; i < e->nsvc_checks; i++) {
		wire_put_str(out, e->svc_checks[i].id);
		wire_put_str(out, e->svc_checks[i].ns);
	}
	wire_put_list(out, e->checks, e->nchecks);
}

void sess_frozen_records(const struct sess_frozen *f, uint32_t section, struct buf *out)
{
	if (section == SNAP_SEC_SESSIONS) {
		for (size_t i = 0; i < f->sessions.n; i++)
			encode_session(out, cvec_ptr(&f->sessions, i));
		return;
	}
	wire_put_le(out, f->index, 8);
	wire_put_le(out, f->id_floor, 8);
	wire_put_le(out, f->nodes.n, 4);
	for (size_t i = 0; i < f->nodes.n; i++) {
		const struct frozen_node *n = cvec_at(&f->nodes, i);
		wire_put_le(out, n->index, 8);
		wire_put_str(out, n->name);
	}
}

/* ---- restore ---- */

struct sess_restoring {
	uint64_t store_index; /* upper bound of every index */
	struct cvec sessions; /* struct session * (owned) */
	struct cvec nodes;    /* struct sess_node * (owned) */
	bool have_indexes;    /* the index record was seen */
	uint64_t index;	      /* its list index */
	uint64_t id_floor;    /* its id floor */
};

struct sess_restoring *sess_restoring_new(uint64_t store_index)
{
	struct sess_restoring *rs = xcalloc(1, sizeof(*rs));
	rs->store_index = store_index;
	cvec_init(&rs->sessions, sizeof(void *));
	cvec_init(&rs->nodes, sizeof(void *));
	return rs;
}

void sess_restoring_free(struct sess_restoring *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->sessions.n; i++)
		session_unref(cvec_ptr(&rs->sessions, i));
	for (size_t i = 0; i < rs->nodes.n; i++)
		free(cvec_ptr(&rs->nodes, i));
	cvec_free(&rs->sessions);
	cvec_free(&rs->nodes);
	free(rs);
}

static const char **rd_list(struct wire_rd *r, size_t *n)
{
	*n = wire_get_count(r, 4);
	const char **v = xcalloc(*n ? *n : 1, sizeof(*v));
	for (size_t i = 0; i < *n; i++)
		v[i] = wire_get_str(r);
	return v;
}

static int decode_session(struct sess_restoring *rs, struct wire_rd *r)
{
	struct session *e = xcalloc(1, sizeof(*e));
	e->refs = 1;
	e->create_index = wire_get_le(r, 8);
	e->modify_index = wire_get_le(r, 8);
	e->lock_delay_ns = wire_get_le(r, 8);
	uint64_t b = wire_get_le(r, 1);
	e->behavior = b < SESSION_BEHAVIOR_COUNT_ ? (enum session_behavior)b : SESSION_RELEASE;
	e->id = wire_get_str(r);
	e->name = wire_get_str(r);
	e->node = wire_get_str(r);
	e->ttl = wire_get_str(r);
	e->node_checks = rd_list(r, &e->nnode_checks);
	e->nsvc_checks = wire_get_count(r, 8);
	e->svc_checks = xcalloc(e->nsvc_checks ? e->nsvc_checks : 1, sizeof(*e->svc_checks));
	for (size_t i = 0; i < e->nsvc_checks; i++) {
		e->svc_checks[i].id = wire_get_str(r);
		e->svc_checks[i].ns = wire_get_str(r);
	}
	e->checks = rd_list(r, &e->nchecks);
	cvec_push_ptr(&rs->sessions, e); /* owned by rs from here, valid or not */
	if (r->bad || b >= SESSION_BEHAVIOR_COUNT_ || !*e->id || e->create_index < 1 ||
	    e->create_index > e->modify_index || e->modify_index > rs->store_index)
		return -1;
	return 0;
}

static int decode_indexes(struct sess_restoring *rs, struct wire_rd *r)
{
	if (rs->have_indexes)
		return -1;
	rs->have_indexes = true;
	rs->index = wire_get_le(r, 8);
	rs->id_floor = wire_get_le(r, 8);
	size_t n = wire_get_count(r, 12);
	for (size_t i = 0; i < n && !r->bad; i++) {
		uint64_t index = wire_get_le(r, 8);
		char *name = wire_get_str(r);
		size_t len = strlen(name);
		struct sess_node *node = xmalloc(sizeof(*node) + len + 1);
		node->index = index;
		memcpy(node->name, name, len + 1);
		free(name);
		cvec_push_ptr(&rs->nodes, node);
		if (index > rs->store_index)
			r->bad = true;
	}
	if (rs->index > rs->store_index || rs->id_floor > rs->store_index)
		return -1;
	return r->bad ? -1 : 0;
}

int sess_restore_record(struct sess_restoring *rs, uint32_t section, const unsigned char **p,
			const unsigned char *end)
{
	struct wire_rd r = {*p, end, false};
	int rc = section == SNAP_SEC_SESSIONS ? decode_session(rs, &r) : decode_indexes(rs, &r);
	*p = r.p;
	return rc;
}

static int session_order(const void *a, const void *b)
{
	const struct session *x = *(struct session *const *)a, *y = *(struct session *const *)b;
	return cat_fold_cmp(x->id, y->id);
}

static int node_order(const void *a, const void *b)
{
	const struct sess_node *x = *(struct sess_node *const *)a,
			       *y = *(struct sess_node *const *)b;
	return cat_fold_cmp(x->name, y->name);
}

/* Sort a pointer vector; -1 when two elements compare equal. */
static int sort_unique(struct cvec *v, int (*cmp)(const void *, const void *))
{
	if (v->n > 1)
		qsort(v->v, v->n, sizeof(void *), cmp);
	for (size_t i = 1; i < v->n; i++)
		if (cmp(cvec_at(v, i - 1), cvec_at(v, i)) == 0)
			return -1;
	return 0;
}

int sess_restore_build(struct sess_restoring *rs, struct sess_table *st)
{
	if (sort_unique(&rs->sessions, session_order) || sort_unique(&rs->nodes, node_order))
		return -1;
	for (size_t i = 0; i < rs->sessions.n; i++)
		cvec_push_ptr(&st->byid, cvec_ptr(&rs->sessions, i));
	for (size_t i = 0; i < rs->nodes.n; i++)
		cvec_push_ptr(&st->nodes, cvec_ptr(&rs->nodes, i));
	rs->sessions.n = 0;
	rs->nodes.n = 0;
	st->index = rs->index;
	st->id_floor = rs->id_floor;
	return 0;
}
