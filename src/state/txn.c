/*
 * Write transactions: KV changes with an undo log (model in internal.h).
 *
 * Every change goes through kvt_upsert/kvt_put/kvt_del, which hand back what
 * the key held before; that entry and its reference go into the undo log. So:
 *   commit: fire watchers of every visible change, then drop the old entries;
 *   abort:  walk the log backwards putting each old entry back (the tree's
 *           current entry for that key is the record's `after`, dropped), and
 *           restore the reap floor. The tree ends exactly as it was at begin.
 * Either way store_index becomes the transaction's index: the log entry was
 * applied. Watchers are never fired by an aborted transaction.
 *
 * The transaction object is embedded in the store and reused; its log and
 * scratch arrays keep their memory between transactions. Loop thread only.
 */
#include "state/internal.h"

#include "base/alloc.h"
#include "base/err.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct store_txn *store_txn_begin(struct store *s, uint64_t index)
{
	assert(!s->txn_open);
	assert(index > s->index);
	struct store_txn *t = &s->txn;
	s->txn_open = true;
	t->index = index;
	t->floor_before = s->floor;
	t->n = 0;
	return t;
}

static void log_change(struct store_txn *t, struct kvt_slot prev, struct kv_entry *after, bool fire)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->log = xrealloc(t->log, t->cap * sizeof(*t->log));
	}
	t->log[t->n++] = (struct undo_rec){prev.e, after, prev.tomb, fire};
}

/* Arrays above this many records are freed after use, not kept for the next
 * transaction: one huge delete-tree must not pin its undo log forever. */
#define KEEP_RECORDS 4096

static void finish(struct store_txn *t)
{
	t->s->index = t->index;
	t->s->txn_open = false;
	atomic_fetch_add_explicit(&t->s->gen, 1, memory_order_release);
	t->n = 0;
	if (t->cap > KEEP_RECORDS || t->scratch_cap > KEEP_RECORDS)
		txn_free(t);
}

void store_txn_commit(struct store_txn *t)
{
	struct store *s = t->s;
	/* Every `after` is alive here: in the tree, or a later record's prev. */
	for (size_t i = 0; i < t->n; i++) {
		const struct undo_rec *r = &t->log[i];
		const struct kv_entry *k = r->after ? r->after : r->prev;
		if (r->fire)
			watch_reg_fire(&s->watch, TABLE_KV, k->key, k->key_len);
	}
	for (size_t i = 0; i < t->n; i++)
		kv_entry_unref(t->log[i].prev);
	catalog_txn_commit(s, t->index);
	session_txn_commit(s, t->index);
	pquery_txn_commit(s, t->index);
	finish(t);
}

void store_txn_abort(struct store_txn *t)
{
	struct kvt *kv = &t->s->kv;
	for (size_t i = t->n; i-- > 0;) {
		const struct undo_rec *r = &t->log[i];
		struct kvt_slot cur;
		if (r->prev)
			cur = kvt_put(kv, r->prev, r->prev_tomb);
		else
			cur = kvt_del(kv, r->after->key, r->after->key_len);
		assert(cur.e == r->after);
		kv_entry_unref(cur.e);
	}
	t->s->floor = t->floor_before;
	catalog_txn_abort(t->s);
	session_txn_abort(t->s);
	pquery_txn_abort(t->s);
	finish(t);
}

void txn_free(struct store_txn *t)
{
	free(t->log);
	free(t->scratch);
	t->log = NULL;
	t->scratch = NULL;
	t->n = t->cap = t->scratch_n = t->scratch_cap = 0;
}

/* ---- KV operations ---- */

/* One single-key operation, decided by a kvt_make_fn at the key's place in the
 * tree, so each costs one descent. */
struct op {
	struct store_txn *t;   /* transaction */
	const char *key;       /* key */
	size_t klen;	       /* its length */
	const void *val;       /* set: value (NULL: none) */
	size_t len;	       /* set: value length */
	uint64_t flags;	       /* set: client flags */
	uint64_t cas;	       /* cas operations: expected ModifyIndex */
	struct kv_entry *made; /* what the operation stored, if anything */
	int rc;		       /* 0 or CAIRN_E_CAS */
	const char *session;   /* lock/unlock: the session */
};

static const struct kv_entry *live_of(struct kvt_slot cur)
{
	return cur.e && !cur.tomb ? cur.e : NULL;
}

static struct kv_entry *make_set(void *ctx, struct kvt_slot cur, bool *tomb)
{
	struct op *op = ctx;
	const struct kv_entry *old = live_of(cur);
	/* Consul skips a write that changes nothing: the index stays and no
	 * blocking query wakes */
	if (old && old->flags == op->flags && (old->value != NULL) == (op->val != NULL) &&
	    old->value_len == (op->val ? op->len : 0) &&
	    (!op->val || memcmp(old->value, op->val, op->len) == 0))
		return NULL;
	const char *session = old ? old->session : NULL;
	struct kv_entry *e = kv_entry_new(op->key, op->klen, op->val, op->len, session,
					  session ? strlen(session) : 0);
	e->flags = op->flags;
	e->modify_index = op->t->index;
	e->create_index = old ? old->create_index : op->t->index;
	e->lock_index = old ? old->lock_index : 0;
	*tomb = false;
	return op->made = e;
}

static struct kv_entry *make_cas(void *ctx, struct kvt_slot cur, bool *tomb)
{
	struct op *op = ctx;
	const struct kv_entry *old = live_of(cur);
	if (op->cas == 0 ? old != NULL : (!old || old->modify_index != op->cas)) {
		op->rc = CAIRN_E_CAS;
		return NULL;
	}
	return make_set(ctx, cur, tomb);
}

static struct kv_entry *make_delete(void *ctx, struct kvt_slot cur, bool *tomb)
{
	struct op *op = ctx;
	if (!live_of(cur))
		return NULL; /* missing or already a tombstone: nothing changes */
	*tomb = true;
	return op->made = kv_tomb_new(op->key, op->klen, op->t->index);
}

static struct kv_entry *make_delete_cas(void *ctx, struct kvt_slot cur, bool *tomb)
{
	struct op *op = ctx;
	const struct kv_entry *old = live_of(cur);
	if (old && old->modify_index != op->cas) {
		op->rc = CAIRN_E_CAS;
		return NULL;
	}
	return make_delete(ctx, cur, tomb);
}

static int run(struct op *op, kvt_make_fn make)
{
	bool changed;
	struct kvt_slot old = kvt_upsert(&op->t->s->kv, op->key, op->klen, make, op, &changed);
	if (changed)
		log_change(op->t, old, op->made, true);
	return op->rc;
}

int kv_txn_set(struct store_txn *t, const char *key, const void *val, size_t len, uint64_t flags)
{
	struct op op = {t, key, strlen(key), val, len, flags, 0, NULL, 0, NULL};
	if (op.klen >= UINT32_MAX || (val && len >= UINT32_MAX))
		return CAIRN_E_TOOBIG; /* the snapshot format stores 32-bit lengths */
	return run(&op, make_set);
}

int kv_txn_cas(struct store_txn *t, const char *key, const void *val, size_t len, uint64_t flags,
	       uint64_t cas)
{
	struct op op = {t, key, strlen(key), val, len, flags, cas, NULL, 0, NULL};
	if (op.klen >= UINT32_MAX || (val && len >= UINT32_MAX))
		return CAIRN_E_TOOBIG;
	return run(&op, make_cas);
}

int kv_txn_delete(struct store_txn *t, const char *key)
{
	struct op op = {t, key, strlen(key), NULL, 0, 0, 0, NULL, 0, NULL};
	return run(&op, make_delete);
}

int kv_txn_delete_cas(struct store_txn *t, const char *key, uint64_t cas)
{
	struct op op = {t, key, strlen(key), NULL, 0, 0, cas, NULL, 0, NULL};
	return run(&op, make_delete_cas);
}

static void delete_entry(struct store_txn *t, const struct kv_entry *e)
{
	struct kv_entry *tomb = kv_tomb_new(e->key, e->key_len, t->index);
	log_change(t, kvt_put(&t->s->kv, tomb, true), tomb, true);
}

static void scratch_add(void *ctx, struct kv_entry *e)
{
	struct store_txn *t = ctx;
	if (t->scratch_n == t->scratch_cap) {
		t->scratch_cap = t->scratch_cap ? t->scratch_cap * 2 : 64;
		t->scratch = xrealloc(t->scratch, t->scratch_cap * sizeof(*t->scratch));
	}
	t->scratch[t->scratch_n++] = e;
}

int kv_txn_delete_tree(struct store_txn *t, const char *prefix)
{
	size_t plen = strlen(prefix);
	struct kvt_iter it;
	const struct kv_entry *e;
	/* Collect first: changing the tree invalidates the iterator. The entries stay
	 * alive because each one's reference moves into the undo log. */
	t->scratch_n = 0;
	kvt_iter_seek(&it, &t->s->kv, prefix, plen, KVT_GE);
	while ((e = kvt_iter_next(&it)) && e->key_len >= plen && memcmp(e->key, prefix, plen) == 0)
		scratch_add(t, (struct kv_entry *)e);
	for (size_t i = 0; i < t->scratch_n; i++)
		delete_entry(t, t->scratch[i]);
	t->scratch_n = 0;
	return 0;
}

int kv_txn_reap(struct store_txn *t, uint64_t upto)
{
	struct store *s = t->s;
	t->scratch_n = 0;
	kvt_each_tomb(&s->kv, upto, scratch_add, t);
	/* Reaping changes no read result, only indexes: no watcher fires. */
	for (size_t i = 0; i < t->scratch_n; i++) {
		struct kv_entry *e = t->scratch[i];
		log_change(t, kvt_del(&s->kv, e->key, e->key_len), NULL, false);
	}
	t->scratch_n = 0;
	if (upto > s->floor)
		s->floor = upto;
	return 0;
}

/* ---- locks (Consul's kvsLockTxn / kvsUnlockTxn; see session.h) ---- */

static bool same_session(const char *a, const char *b)
{
	return a && b && cat_fold_cmp(a, b) == 0;
}

/* A new entry with op's value and flags, holder `session`, indexes from old. */
static struct kv_entry *locked_entry(struct op *op, const struct kv_entry *old, const char *session,
				     uint64_t lock_index)
{
	struct kv_entry *e = kv_entry_new(op->key, op->klen, op->val, op->len, session,
					  session ? strlen(session) : 0);
	e->flags = op->flags;
	e->modify_index = op->t->index;
	e->create_index = old ? old->create_index : op->t->index;
	e->lock_index = lock_index;
	return op->made = e;
}

static struct kv_entry *make_lock(void *ctx, struct kvt_slot cur, bool *tomb)
{
	struct op *op = ctx;
	const struct kv_entry *old = live_of(cur);
	uint64_t lock_index = 1;
	if (old && old->session && !same_session(old->session, op->session)) {
		op->rc = CAIRN_E_CAS; /* someone else holds it */
		return NULL;
	}
	if (old)
		lock_index = old->session ? old->lock_index : old->lock_index + 1;
	*tomb = false;
	return locked_entry(op, old, op->session, lock_index);
}

static struct kv_entry *make_unlock(void *ctx, struct kvt_slot cur, bool *tomb)
{
	struct op *op = ctx;
	const struct kv_entry *old = live_of(cur);
	if (!old || !same_session(old->session, op->session)) {
		op->rc = CAIRN_E_CAS;
		return NULL;
	}
	*tomb = false;
	return locked_entry(op, old, NULL, old->lock_index);
}

/* Invalidation: the holder goes, the value and flags stay. */
static struct kv_entry *make_release(void *ctx, struct kvt_slot cur, bool *tomb)
{
	struct op *op = ctx;
	const struct kv_entry *old = live_of(cur);
	if (!old || !old->session)
		return NULL;
	op->val = old->value;
	op->len = old->value_len;
	op->flags = old->flags;
	*tomb = false;
	return locked_entry(op, old, NULL, old->lock_index);
}

int kv_txn_lock(struct store_txn *t, const char *key, const void *val, size_t len, uint64_t flags,
		const char *session)
{
	struct op op = {t, key, strlen(key), val, len, flags, 0, NULL, 0, session};
	if (!session || !*session)
		return CAIRN_E_INVAL;
	if (!session_get(t->s, session))
		return CAIRN_E_NOTFOUND;
	if (op.klen >= UINT32_MAX || (val && len >= UINT32_MAX))
		return CAIRN_E_TOOBIG;
	return run(&op, make_lock);
}

int kv_txn_unlock(struct store_txn *t, const char *key, const void *val, size_t len, uint64_t flags,
		  const char *session)
{
	struct op op = {t, key, strlen(key), val, len, flags, 0, NULL, 0, session};
	if (!session || !*session)
		return CAIRN_E_INVAL;
	if (op.klen >= UINT32_MAX || (val && len >= UINT32_MAX))
		return CAIRN_E_TOOBIG;
	return run(&op, make_unlock);
}

int kv_txn_release(struct store_txn *t, const char *key)
{
	struct op op = {t, key, strlen(key), NULL, 0, 0, 0, NULL, 0, NULL};
	return run(&op, make_release);
}
