/*
 * The store object and KV reads (model in store.h, structure in internal.h).
 *
 * Reads walk the KV tree with its iterator, which skips tombstone-only
 * subtrees, so a scan costs O(depth + results) whatever the number of
 * tombstones. The ?keys&separator= listing reports a cut key, then seeks past
 * every key under it in O(depth): a directory of a million keys is one step.
 *
 * Blocking-query indexes come from the tree's max_index aggregate and the reap
 * floor (raised by kv_txn_reap so an index never goes back below a reaped
 * tombstone's). Everything here runs on the loop thread; store_free drops the
 * tree's references (frozen snapshots keep theirs) and detaches all watchers.
 */
#include "state/internal.h"

#include "base/alloc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct store *store_new(void)
{
	struct store *s = xcalloc(1, sizeof(*s));
	s->txn.s = s;
	watch_reg_init(&s->watch);
	s->cat = catalog_new();
	sess_table_init(&s->sess);
	pq_table_init(&s->pq);
	return s;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	assert(!s->txn_open);
	kvt_clear(&s->kv);
	catalog_free(s->cat);
	sess_table_free(&s->sess);
	pq_table_free(&s->pq);
	watch_reg_free(&s->watch);
	txn_free(&s->txn);
	free(s);
}

uint64_t store_index(const struct store *s)
{
	return s->index;
}

uint64_t store_generation(const struct store *s)
{
	return atomic_load_explicit((_Atomic uint64_t *)&s->gen, memory_order_acquire);
}

const struct kv_entry *kv_get(const struct store *s, const char *key)
{
	const struct kvt_node *n = kvt_find(&s->kv, key, strlen(key));
	return n && !n->tomb ? n->e : NULL;
}

size_t kv_count(const struct store *s)
{
	return kvt_live(&s->kv);
}

size_t kv_tombstone_count(const struct store *s)
{
	return kvt_tombs(&s->kv);
}

static bool starts_with(const struct kv_entry *e, const char *p, size_t plen)
{
	return e->key_len >= plen && memcmp(e->key, p, plen) == 0;
}

int kv_scan(const struct store *s, const char *prefix, kv_visit_fn fn, void *ctx)
{
	size_t plen = strlen(prefix);
	struct kvt_iter it;
	const struct kv_entry *e;
	kvt_iter_seek(&it, &s->kv, prefix, plen, KVT_GE);
	while ((e = kvt_iter_next(&it)) && starts_with(e, prefix, plen)) {
		int rc = fn(ctx, e);
		if (rc)
			return rc;
	}
	return 0;
}

int kv_keys(const struct store *s, const char *prefix, const char *sep, kv_key_fn fn, void *ctx)
{
	size_t plen = strlen(prefix), slen = sep ? strlen(sep) : 0;
	struct kvt_iter it;
	const struct kv_entry *e;
	kvt_iter_seek(&it, &s->kv, prefix, plen, KVT_GE);
	while ((e = kvt_iter_next(&it)) && starts_with(e, prefix, plen)) {
		const char *cut = NULL;
		if (slen)
			cut = memmem(e->key + plen, e->key_len - plen, sep, slen);
		size_t len = cut ? (size_t)(cut - e->key) + slen : e->key_len;
		int rc = fn(ctx, e->key, len);
		if (rc)
			return rc;
		/* Every key under the cut key gives the same cut: skip them all. */
		if (cut)
			kvt_iter_seek(&it, &s->kv, e->key, len, KVT_PAST_PREFIX);
	}
	return 0;
}

static uint64_t at_least_one(uint64_t v)
{
	return v ? v : 1;
}

uint64_t kv_key_index(const struct store *s, const char *key)
{
	const struct kvt_node *n = kvt_find(&s->kv, key, strlen(key));
	return at_least_one(n ? n->e->modify_index : s->floor);
}

uint64_t kv_prefix_index(const struct store *s, const char *prefix)
{
	uint64_t m = kvt_prefix_max(&s->kv, prefix, strlen(prefix));
	return at_least_one(m > s->floor ? m : s->floor);
}
