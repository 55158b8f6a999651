/*
 * Snapshot restore: decode, validate, then swap (format drawn in snapshot.c).
 *
 * store_restore checks magic, version and checksum, then decodes every section
 * into arrays of new entries, validating every length, that keys and sessions
 * contain no NUL, that keys are unique across both tables, and that indexes are
 * consistent (1 <= create <= modify <= store index; 1 <= tombstone index <=
 * store index). Records are then ordered (a linear check, since our encoder
 * writes key order; a sort otherwise), merged, and the tree is built balanced
 * in O(n). Catalog sections are decoded and built into a fresh catalog by
 * catalog_restore.c, session sections into a fresh table by session_snap.c,
 * with the same all-or-nothing rule. Only when all of that passed is the
 * store's content replaced and every watcher fired; on any error the new
 * entries are dropped and the store is exactly as before. Loop thread.
 */
#include "state/snapshot.h"

#include "state/catalog_snap.h"
#include "state/session_snap.h"
#include "state/internal.h"

#include "base/alloc.h"
#include "base/err.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	const unsigned char *p;	  /* next byte */
	const unsigned char *end; /* one past the last byte */
};

static int get_u32(struct reader *r, uint32_t *v)
{
	if (r->end - r->p < 4)
		return -1;
	*v = 0;
	for (int i = 0; i < 4; i++)
		*v |= (uint32_t)r->p[i] << (8 * i);
	r->p += 4;
	return 0;
}

static int get_u64(struct reader *r, uint64_t *v)
{
	if (r->end - r->p < 8)
		return -1;
	*v = 0;
	for (int i = 0; i < 8; i++)
		*v |= (uint64_t)r->p[i] << (8 * i);
	r->p += 8;
	return 0;
}

/* n bytes without NUL (nul_ok: any bytes); NULL when short or invalid. */
static const char *get_bytes(struct reader *r, uint32_t n, bool nul_ok)
{
	if ((size_t)(r->end - r->p) < n)
		return NULL;
	const char *s = (const char *)r->p;
	if (!nul_ok && memchr(s, '\0', n))
		return NULL;
	r->p += n;
	return s;
}

/* Decoded records of one table, in input order. */
struct slots {
	struct kvt_slot *v; /* entries (a reference each) */
	size_t n;	    /* used */
	size_t cap;	    /* allocated */
};

/* What restore builds before it touches the store. */
struct restoring {
	struct slots live;	     /* KV entries */
	struct slots tombs;	     /* KV tombstones */
	uint64_t index;		     /* store index */
	uint64_t floor;		     /* reap floor */
	struct cat_restoring *cat;   /* catalog records (catalog_restore.c) */
	struct sess_restoring *sess; /* session records (session_snap.c) */
	struct pq_restoring *pq;     /* prepared-query records (query_snap.c) */
};

static void slots_add(struct slots *s, struct kv_entry *e, bool tomb)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = (struct kvt_slot){e, tomb};
}

static void slots_free(struct slots *s)
{
	for (size_t i = 0; i < s->n; i++)
		kv_entry_unref(s->v[i].e);
	free(s->v);
	*s = (struct slots){NULL, 0, 0};
}

static int slot_cmp(const void *a, const void *b)
{
	const struct kv_entry *x = ((const struct kvt_slot *)a)->e;
	const struct kv_entry *y = ((const struct kvt_slot *)b)->e;
	return kvt_cmp(x->key, x->key_len, y->key, y->key_len);
}

/* Sort (our encoder writes key order: usually a no-op check); -1 on a repeat. */
static int order(struct slots *s)
{
	size_t i = 1;
	while (i < s->n && slot_cmp(&s->v[i - 1], &s->v[i]) < 0)
		i++;
	if (i >= s->n)
		return 0;
	qsort(s->v, s->n, sizeof(*s->v), slot_cmp);
	for (i = 1; i < s->n; i++) {
		if (slot_cmp(&s->v[i - 1], &s->v[i]) == 0)
			return -1;
	}
	return 0;
}

/* Merge the two tables into one key-ordered array; -1 when a key is in both. */
static int merge(struct restoring *rs, struct slots *out)
{
	if (order(&rs->live) || order(&rs->tombs))
		return -1;
	size_t a = 0, b = 0, n = rs->live.n + rs->tombs.n;
	out->v = xmalloc((n ? n : 1) * sizeof(*out->v));
	while (a < rs->live.n || b < rs->tombs.n) {
		int c = a == rs->live.n	   ? 1
			: b == rs->tombs.n ? -1
					   : slot_cmp(&rs->live.v[a], &rs->tombs.v[b]);
		if (c == 0)
			return -1;
		out->v[out->n++] = c < 0 ? rs->live.v[a++] : rs->tombs.v[b++];
	}
	return 0;
}

static int decode_kv(struct restoring *rs, struct reader *r)
{
	uint32_t klen, slen, vlen;
	uint64_t create, modify, lock, flags;
	if (get_u32(r, &klen) || get_u32(r, &slen) || get_u32(r, &vlen) || get_u64(r, &create) ||
	    get_u64(r, &modify) || get_u64(r, &lock) || get_u64(r, &flags))
		return -1;
	const char *key = get_bytes(r, klen, false);
	const char *session = key && slen != SNAPSHOT_NO_LEN ? get_bytes(r, slen, false) : NULL;
	if (!key || (slen != SNAPSHOT_NO_LEN && !session))
		return -1;
	const char *val = vlen != SNAPSHOT_NO_LEN ? get_bytes(r, vlen, true) : NULL;
	if (vlen != SNAPSHOT_NO_LEN && !val)
		return -1;
	if (create < 1 || create > modify || modify > rs->index)
		return -1;
	struct kv_entry *e = kv_entry_new(key, klen, val, vlen, session, slen);
	e->create_index = create;
	e->modify_index = modify;
	e->lock_index = lock;
	e->flags = flags;
	slots_add(&rs->live, e, false);
	return 0;
}

static int decode_tomb(struct restoring *rs, struct reader *r)
{
	uint32_t klen;
	uint64_t index;
	if (get_u32(r, &klen) || get_u64(r, &index))
		return -1;
	const char *key = get_bytes(r, klen, false);
	if (!key || index < 1 || index > rs->index)
		return -1;
	slots_add(&rs->tombs, kv_tomb_new(key, klen, index), true);
	return 0;
}

static int decode_cat(struct restoring *rs, struct reader *r, uint32_t section)
{
	const unsigned char *p = r->p;
	int rc = cat_restore_record(rs->cat, section, &p, r->end);
	r->p = p;
	return rc;
}

static int decode_cat_nodes(struct restoring *rs, struct reader *r)
{
	return decode_cat(rs, r, SNAP_SEC_CAT_NODES);
}

static int decode_cat_services(struct restoring *rs, struct reader *r)
{
	return decode_cat(rs, r, SNAP_SEC_CAT_SERVICES);
}

static int decode_cat_checks(struct restoring *rs, struct reader *r)
{
	return decode_cat(rs, r, SNAP_SEC_CAT_CHECKS);
}

static int decode_cat_indexes(struct restoring *rs, struct reader *r)
{
	return decode_cat(rs, r, SNAP_SEC_CAT_INDEXES);
}

static int decode_sess(struct restoring *rs, struct reader *r, uint32_t section)
{
	const unsigned char *p = r->p;
	int rc = sess_restore_record(rs->sess, section, &p, r->end);
	r->p = p;
	return rc;
}

static int decode_sessions(struct restoring *rs, struct reader *r)
{
	return decode_sess(rs, r, SNAP_SEC_SESSIONS);
}

static int decode_sess_indexes(struct restoring *rs, struct reader *r)
{
	return decode_sess(rs, r, SNAP_SEC_SESSION_INDEXES);
}

static int decode_pq(struct restoring *rs, struct reader *r, uint32_t section)
{
	const unsigned char *p = r->p;
	int rc = pq_restore_record(rs->pq, section, &p, r->end);
	r->p = p;
	return rc;
}

static int decode_queries(struct restoring *rs, struct reader *r)
{
	return decode_pq(rs, r, SNAP_SEC_QUERIES);
}

static int decode_query_indexes(struct restoring *rs, struct reader *r)
{
	return decode_pq(rs, r, SNAP_SEC_QUERY_INDEXES);
}

/* The tables a snapshot can hold: one row per section id. */
static const struct {
	uint32_t id;
	int (*decode)(struct restoring *rs, struct reader *r); /* one record */
} sections[] = {
    {SNAP_SEC_KV, decode_kv},
    {SNAP_SEC_KV_TOMBS, decode_tomb},
    {SNAP_SEC_CAT_NODES, decode_cat_nodes},
    {SNAP_SEC_CAT_SERVICES, decode_cat_services},
    {SNAP_SEC_CAT_CHECKS, decode_cat_checks},
    {SNAP_SEC_CAT_INDEXES, decode_cat_indexes},
    {SNAP_SEC_SESSIONS, decode_sessions},
    {SNAP_SEC_SESSION_INDEXES, decode_sess_indexes},
    {SNAP_SEC_QUERIES, decode_queries},
    {SNAP_SEC_QUERY_INDEXES, decode_query_indexes},
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static int decode_section(struct restoring *rs, struct reader *r, uint32_t *seen)
{
	uint32_t id;
	uint64_t count, body;
	if (get_u32(r, &id) || get_u64(r, &count) || get_u64(r, &body))
		return CAIRN_E_PARSE;
	if (body > (uint64_t)(r->end - r->p))
		return CAIRN_E_PARSE;
	size_t i = 0;
	while (i < NSECTIONS && sections[i].id != id)
		i++;
	if (i == NSECTIONS)
		return CAIRN_E_VERSION;
	if (*seen & (1u << i))
		return CAIRN_E_PARSE;
	*seen |= 1u << i;
	struct reader sub = {r->p, r->p + body};
	for (uint64_t n = 0; n < count; n++) {
		if (sections[i].decode(rs, &sub))
			return CAIRN_E_PARSE;
	}
	if (sub.p != sub.end)
		return CAIRN_E_PARSE;
	r->p = sub.end;
	return 0;
}

static int decode(struct restoring *rs, const unsigned char *data, size_t len)
{
	if (len < SNAPSHOT_HEADER_SIZE + SNAPSHOT_TRAILER_SIZE ||
	    memcmp(data, SNAPSHOT_MAGIC, 4) != 0)
		return CAIRN_E_PARSE;
	struct reader r = {data + 4, data + len - SNAPSHOT_TRAILER_SIZE};
	uint32_t version = 0;
	uint64_t sum = 0;
	get_u32(&r, &version); /* the length check above covers header and trailer */
	if (version != SNAPSHOT_VERSION)
		return CAIRN_E_VERSION;
	struct reader trailer = {r.end, data + len};
	get_u64(&trailer, &sum);
	if (sum != snapshot_checksum(data, len - SNAPSHOT_TRAILER_SIZE))
		return CAIRN_E_PARSE;
	get_u64(&r, &rs->index);
	get_u64(&r, &rs->floor);
	rs->cat = cat_restoring_new(rs->index);
	rs->sess = sess_restoring_new(rs->index);
	rs->pq = pq_restoring_new(rs->index);
	uint32_t seen = 0;
	while (r.p < r.end) {
		int rc = decode_section(rs, &r, &seen);
		if (rc)
			return rc;
	}
	return 0;
}

int store_restore(struct store *s, const void *data, size_t len)
{
	assert(!s->txn_open);
	struct restoring rs = {{NULL, 0, 0}, {NULL, 0, 0}, 0, 0, NULL, NULL, NULL};
	struct slots all = {NULL, 0, 0};
	struct catalog *cat = NULL;
	struct sess_table sess;
	sess_table_init(&sess);
	struct pq_table pq;
	pq_table_init(&pq);
	int rc = decode(&rs, data, len);
	if (!rc && merge(&rs, &all))
		rc = CAIRN_E_PARSE; /* a key twice */
	if (!rc && sess_restore_build(rs.sess, &sess))
		rc = CAIRN_E_PARSE; /* two sessions with one ID */
	if (!rc && pq_restore_build(rs.pq, &pq))
		rc = CAIRN_E_PARSE; /* two queries with one ID */
	if (!rc && !(cat = cat_restore_build(rs.cat)))
		rc = CAIRN_E_PARSE; /* a catalog that does not hold together */
	cat_restoring_free(rs.cat);
	sess_restoring_free(rs.sess);
	pq_restoring_free(rs.pq);
	if (rc) {
		sess_table_free(&sess);
		pq_table_free(&pq);
		free(all.v); /* holds no references of its own */
		slots_free(&rs.live);
		slots_free(&rs.tombs);
		return rc;
	}
	catalog_free(s->cat);
	s->cat = cat;
	sess.delay_fn = s->sess.delay_fn; /* the sink belongs to the store's owner */
	sess.delay_ctx = s->sess.delay_ctx;
	sess_table_free(&s->sess);
	s->sess = sess;
	pq_table_free(&s->pq);
	s->pq = pq;
	kvt_clear(&s->kv);
	kvt_build(&s->kv, all.v, all.n); /* the references move into the tree */
	free(all.v);
	free(rs.live.v);
	free(rs.tombs.v);
	s->index = rs.index;
	s->floor = rs.floor;
	atomic_fetch_add_explicit(&s->gen, 1, memory_order_release);
	s->restores++;
	watch_reg_fire_all(&s->watch);
	return 0;
}

uint64_t store_restores(const struct store *s)
{
	return s->restores;
}
