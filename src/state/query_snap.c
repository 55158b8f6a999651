/*
 * Prepared-query sections of a snapshot: freeze, encode, decode, build
 * (declared in query_int.h; container format in snapshot.c / restore.c).
 * Integers little-endian.
 *
 * Query record (section 9):
 *   0   8  create index
 *   8   8  modify index
 *   16  .. the query's binary form (pquery_wire_put, query.h)
 *
 * Index record (section 10, exactly one):
 *   0   8  pquery_list_index
 *   8   8  id floor (index of the latest delete)
 *
 * Restore checks: the binary form, a non-empty ID, IDs unique (case folded),
 * 1 <= create <= modify <= store index, indexes <= store index. Both sections
 * are left out when the table is empty and has no indexes, so a store that
 * never held a query writes exactly what older versions read.
 *
 * Freeze (loop thread) takes a reference on every entry; encode (any thread)
 * reads the frozen view only; release (loop thread) drops the references.
 */
#include "state/internal.h"
#include "state/snapshot.h"
#include "state/wire.h"

#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>

struct pq_frozen {
	struct cvec queries; /* struct prepared_query * (a reference each), by ID */
	uint64_t index;	     /* pquery_list_index */
	uint64_t id_floor;   /* latest delete */
};

struct pq_frozen *pq_freeze(const struct pq_table *qt)
{
	struct pq_frozen *f = xcalloc(1, sizeof(*f));
	cvec_init(&f->queries, sizeof(void *));
	for (size_t i = 0; i < qt->byid.n; i++) {
		struct prepared_query *q = cvec_ptr(&qt->byid, i);
		pquery_ref(q);
		cvec_push_ptr(&f->queries, q);
	}
	f->index = qt->index;
	f->id_floor = qt->id_floor;
	return f;
}

void pq_frozen_release(struct pq_frozen *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->queries.n; i++)
		pquery_unref(cvec_ptr(&f->queries, i));
	cvec_free(&f->queries);
	free(f);
}

size_t pq_frozen_count(const struct pq_frozen *f, uint32_t section)
{
	if (section == SNAP_SEC_QUERIES)
		return f->queries.n;
	if (section == SNAP_SEC_QUERY_INDEXES)
		return f->index || f->id_floor ? 1 : 0;
	return 0;
}

void pq_frozen_records(const struct pq_frozen *f, uint32_t section, struct buf *out)
{
	if (section == SNAP_SEC_QUERIES) {
		for (size_t i = 0; i < f->queries.n; i++) {
			const struct prepared_query *q = cvec_ptr(&f->queries, i);
			wire_put_le(out, q->create_index, 8);
			wire_put_le(out, q->modify_index, 8);
			pquery_wire_put(out, q);
		}
		return;
	}
	wire_put_le(out, f->index, 8);
	wire_put_le(out, f->id_floor, 8);
}

/* ---- restore ---- */

struct pq_restoring {
	uint64_t store_index; /* upper bound of every index */
	struct cvec queries;  /* struct prepared_query * (owned) */
	bool have_indexes;    /* the index record was seen */
	uint64_t index;	      /* its list index */
	uint64_t id_floor;    /* its id floor */
};

struct pq_restoring *pq_restoring_new(uint64_t store_index)
{
	struct pq_restoring *rs = xcalloc(1, sizeof(*rs));
	rs->store_index = store_index;
	cvec_init(&rs->queries, sizeof(void *));
	return rs;
}

void pq_restoring_free(struct pq_restoring *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->queries.n; i++)
		pquery_unref(cvec_ptr(&rs->queries, i));
	cvec_free(&rs->queries);
	free(rs);
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int pq_restore_record(struct pq_restoring *rs, uint32_t section, const unsigned char **p,
		      const unsigned char *end)
{
	if (end - *p < 16)
		return -1;
	uint64_t a = le64(*p), b = le64(*p + 8);
	*p += 16;
	if (section == SNAP_SEC_QUERY_INDEXES) {
		if (rs->have_indexes || a > rs->store_index || b > rs->store_index)
			return -1;
		rs->have_indexes = true;
		rs->index = a;
		rs->id_floor = b;
		return 0;
	}
	struct prepared_query *q = pquery_wire_get(p, end);
	if (!q)
		return -1;
	q->create_index = a;
	q->modify_index = b;
	cvec_push_ptr(&rs->queries, q); /* owned by rs from here */
	if (!q->id[0] || a < 1 || a > b || b > rs->store_index)
		return -1;
	return 0;
}

static int query_order(const void *a, const void *b)
{
	const struct prepared_query *x = *(struct prepared_query *const *)a;
	const struct prepared_query *y = *(struct prepared_query *const *)b;
	return cat_fold_cmp(x->id, y->id);
}

int pq_restore_build(struct pq_restoring *rs, struct pq_table *qt)
{
	struct cvec *v = &rs->queries;
	if (v->n > 1)
		qsort(v->v, v->n, sizeof(void *), query_order);
	for (size_t i = 1; i < v->n; i++)
		if (query_order(cvec_at(v, i - 1), cvec_at(v, i)) == 0)
			return -1;
	for (size_t i = 0; i < v->n; i++)
		cvec_push_ptr(&qt->byid, cvec_ptr(v, i));
	v->n = 0;
	qt->index = rs->index;
	qt->id_floor = rs->id_floor;
	return 0;
}
