/*
 * Snapshots: freeze on the loop, encode anywhere (restore is in restore.c).
 *
 * Freeze copies the tree's entry pointers (live and tombstones, in key order)
 * into two arrays and takes a reference on each: O(entries), no value copies,
 * with prefetching because both nodes and entries are scattered in memory.
 * Entries are immutable, so store_frozen_encode can run in a pool thread while
 * the loop keeps writing; it never touches refs or the tree. Release (loop
 * thread) drops the references; entries the store has replaced meanwhile are
 * freed then.
 *
 * Format (all integers little-endian):
 *
 *   offset  size  field
 *   0       4     magic "CRNS"
 *   4       4     version (1)
 *   8       8     store index
 *   16      8     reap floor
 *   24      ...   sections, in any order, each table at most once
 *   n-8     8     checksum: 64-bit FNV-1a of bytes [0, n-8)
 *
 * Section:
 *
 *   0       4     table id (enum snapshot_section)
 *   4       8     record count
 *   12      8     body length in bytes (the records, exactly)
 *   20      ...   records
 *
 * KV entry record (section 1):            KV tombstone record (section 2):
 *
 *   0   4  key length k                      0   4  key length k
 *   4   4  session length s (~0: none)       4   8  delete index
 *   8   4  value length v (~0: null)         12  k  key
 *   12  8  create index
 *   20  8  modify index
 *   28  8  lock index
 *   36  8  flags
 *   44  k  key, then s session bytes, then v value bytes
 *
 * Sections 3-6 hold the catalog (nodes, services, checks, indexes); their
 * records are drawn in catalog_snap.c, and they are left out when empty.
 * Sections 7-8 hold the sessions and their indexes (session_snap.c), also
 * left out when empty. Sections 9-10 hold the prepared queries and their
 * indexes (query_snap.c), left out when empty too.
 *
 * A missing section is an empty table, so a subsystem adds a table with an id
 * in snapshot.h, an encoder call in store_frozen_encode and a decoder row in
 * restore.c; old snapshots still restore. An unknown table id is
 * CAIRN_E_VERSION (a newer writer: dropping its data would fork the replica).
 * Decoding and validation: restore.c.
 */
#include "state/snapshot.h"

#include "state/catalog_snap.h"
#include "state/session_snap.h"
#include "state/internal.h"

#include "base/alloc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct store_frozen {
	uint64_t index;		  /* store index at freeze */
	uint64_t floor;		  /* reap floor at freeze */
	struct kv_entry **live;	  /* live entries in key order (a reference each) */
	size_t nlive;		  /* entries in live */
	struct kv_entry **tombs;  /* tombstones in key order (a reference each) */
	size_t ntombs;		  /* entries in tombs */
	struct cat_frozen *cat;	  /* catalog entries and indexes (catalog_snap.c) */
	struct sess_frozen *sess; /* sessions and their indexes (session_snap.c) */
	struct pq_frozen *pq;	  /* prepared queries and their indexes (query_snap.c) */
};

uint64_t snapshot_checksum(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* ---- freeze / release (loop thread) ---- */

/* Entries sit at random addresses: prefetching a few ahead overlaps the misses. */
static void ref_all(struct kv_entry **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i + 16 < n)
			__builtin_prefetch(v[i + 16], 1);
		kv_entry_ref(v[i]);
	}
}

static void unref_all(struct kv_entry **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i + 16 < n)
			__builtin_prefetch(v[i + 16], 1);
		kv_entry_unref(v[i]);
	}
}

struct store_frozen *store_freeze(struct store *s)
{
	assert(!s->txn_open);
	struct store_frozen *f = xcalloc(1, sizeof(*f));
	f->index = s->index;
	f->floor = s->floor;
	f->nlive = kvt_live(&s->kv);
	f->ntombs = kvt_tombs(&s->kv);
	f->live = xmalloc((f->nlive ? f->nlive : 1) * sizeof(*f->live));
	f->tombs = xmalloc((f->ntombs ? f->ntombs : 1) * sizeof(*f->tombs));
	kvt_collect(&s->kv, f->live, f->tombs);
	ref_all(f->live, f->nlive);
	ref_all(f->tombs, f->ntombs);
	f->cat = cat_freeze(s->cat);
	f->sess = sess_freeze(&s->sess);
	f->pq = pq_freeze(&s->pq);
	return f;
}

void store_frozen_release(struct store_frozen *f)
{
	if (!f)
		return;
	unref_all(f->live, f->nlive);
	unref_all(f->tombs, f->ntombs);
	free(f->live);
	free(f->tombs);
	cat_frozen_release(f->cat);
	sess_frozen_release(f->sess);
	pq_frozen_release(f->pq);
	free(f);
}

/* ---- encode (any thread) ---- */

static char *put_u32(char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (char)(v >> (8 * i));
	return p + 4;
}

static char *put_u64(char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (char)(v >> (8 * i));
	return p + 8;
}

static char *put_bytes(char *p, const void *src, size_t n)
{
	if (n)
		memcpy(p, src, n);
	return p + n;
}

/* Reserve n bytes at the end of out and return where they start. */
static char *grow_by(struct buf *out, size_t n)
{
	buf_reserve(out, n);
	char *p = out->data + out->len;
	out->len += n;
	out->data[out->len] = '\0';
	return p;
}

static void encode_kv(const struct store_frozen *f, struct buf *out)
{
	for (size_t i = 0; i < f->nlive; i++) {
		const struct kv_entry *e = f->live[i];
		size_t slen = e->session ? strlen(e->session) : 0;
		size_t vlen = e->value ? e->value_len : 0;
		char *p = grow_by(out, SNAPSHOT_KV_REC_SIZE + e->key_len + slen + vlen);
		p = put_u32(p, (uint32_t)e->key_len);
		p = put_u32(p, e->session ? (uint32_t)slen : SNAPSHOT_NO_LEN);
		p = put_u32(p, e->value ? (uint32_t)vlen : SNAPSHOT_NO_LEN);
		p = put_u64(p, e->create_index);
		p = put_u64(p, e->modify_index);
		p = put_u64(p, e->lock_index);
		p = put_u64(p, e->flags);
		p = put_bytes(p, e->key, e->key_len);
		p = put_bytes(p, e->session, slen);
		put_bytes(p, e->value, vlen);
	}
}

static void encode_tombs(const struct store_frozen *f, struct buf *out)
{
	for (size_t i = 0; i < f->ntombs; i++) {
		const struct kv_entry *e = f->tombs[i];
		char *p = grow_by(out, SNAPSHOT_TOMB_REC_SIZE + e->key_len);
		p = put_u32(p, (uint32_t)e->key_len);
		p = put_u64(p, e->modify_index);
		put_bytes(p, e->key, e->key_len);
	}
}

/* A section is its header (id, record count, byte length) then its records:
 * section_begin leaves room for the header, section_end fills it in. */
static size_t section_begin(struct buf *out)
{
	size_t head = out->len;
	grow_by(out, SNAPSHOT_SECTION_SIZE);
	return head;
}

static void section_end(struct buf *out, size_t head, uint32_t id, size_t count)
{
	char *p = out->data + head;
	p = put_u32(p, id);
	p = put_u64(p, count);
	put_u64(p, out->len - head - SNAPSHOT_SECTION_SIZE);
}

static void encode_section(const struct store_frozen *f, struct buf *out, uint32_t id, size_t count,
			   void (*records)(const struct store_frozen *, struct buf *))
{
	size_t head = section_begin(out);
	records(f, out);
	section_end(out, head, id, count);
}

/* A catalog section, left out when empty: a store without catalog data writes
 * exactly what older versions read. */
static void encode_cat(const struct store_frozen *f, struct buf *out, uint32_t id)
{
	size_t count = cat_frozen_count(f->cat, id);
	if (!count)
		return;
	size_t head = section_begin(out);
	cat_frozen_records(f->cat, id, out);
	section_end(out, head, id, count);
}

/* A session section, left out when empty (like the catalog's). */
static void encode_sess(const struct store_frozen *f, struct buf *out, uint32_t id)
{
	size_t count = sess_frozen_count(f->sess, id);
	if (!count)
		return;
	size_t head = section_begin(out);
	sess_frozen_records(f->sess, id, out);
	section_end(out, head, id, count);
}

/* A prepared-query section, left out when empty (like the session's). */
static void encode_pq(const struct store_frozen *f, struct buf *out, uint32_t id)
{
	size_t count = pq_frozen_count(f->pq, id);
	if (!count)
		return;
	size_t head = section_begin(out);
	pq_frozen_records(f->pq, id, out);
	section_end(out, head, id, count);
}

void store_frozen_encode(const struct store_frozen *f, struct buf *out)
{
	size_t start = out->len;
	char *p = grow_by(out, SNAPSHOT_HEADER_SIZE);
	p = put_bytes(p, SNAPSHOT_MAGIC, 4);
	p = put_u32(p, SNAPSHOT_VERSION);
	p = put_u64(p, f->index);
	put_u64(p, f->floor);
	encode_section(f, out, SNAP_SEC_KV, f->nlive, encode_kv);
	encode_section(f, out, SNAP_SEC_KV_TOMBS, f->ntombs, encode_tombs);
	encode_cat(f, out, SNAP_SEC_CAT_NODES);
	encode_cat(f, out, SNAP_SEC_CAT_SERVICES);
	encode_cat(f, out, SNAP_SEC_CAT_CHECKS);
	encode_cat(f, out, SNAP_SEC_CAT_INDEXES);
	encode_sess(f, out, SNAP_SEC_SESSIONS);
	encode_sess(f, out, SNAP_SEC_SESSION_INDEXES);
	encode_pq(f, out, SNAP_SEC_QUERIES);
	encode_pq(f, out, SNAP_SEC_QUERY_INDEXES);
	uint64_t sum = snapshot_checksum(out->data + start, out->len - start);
	put_u64(grow_by(out, 8), sum);
}
