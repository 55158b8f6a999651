/*
 * kvtree: the ordered map under the KV table (internal to src/state).
 *
 * An AVL tree keyed by byte strings. A node holds either
 * a live entry or a tombstone (a kv_entry whose modify_index is the delete
 * index, with no value), so both share one ordering and one walk. Every node
 * carries three subtree aggregates that rotations keep exact:
 *
 *   live       live entries in the subtree   -> walks skip tombstone-only runs
 *   tombs      tombstones in the subtree     -> reaping visits only tombstones
 *   max_index  max modify_index in subtree   -> prefix index in O(depth)
 *
 * Nodes carry their own copy of the key and index: a descent then costs one
 * cache miss per level instead of two (measured: the entry dereference was
 * half of insert time on a fragmented heap).
 *
 * Ownership. The tree holds one reference on each node's entry. kvt_put and
 * kvt_del hand the displaced entry (and its reference) back to the caller, who
 * either keeps it in an undo log or drops it. kvt_clear drops everything.
 * Loop thread only; reads never change the tree.
 */
#ifndef CAIRN_STATE_KVTREE_H
#define CAIRN_STATE_KVTREE_H

#include "state/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* AVL height is below 1.45 * log2(n + 2): 96 levels is far beyond any memory. */
#define KVT_MAX_DEPTH 96

struct kvt_node {
	struct kvt_node *child[2]; /* [0] smaller keys, [1] larger keys */
	struct kv_entry *e;	   /* the entry or tombstone; the tree holds a reference */
	uint64_t index;		   /* e->modify_index, kept here to spare a cache miss */
	uint64_t max_index;	   /* max index over this subtree */
	uint32_t live;		   /* live entries in this subtree */
	uint32_t tombs;		   /* tombstones in this subtree */
	uint32_t key_len;	   /* bytes in key */
	int8_t height;		   /* 1 for a leaf */
	bool tomb;		   /* e is a tombstone */
	char key[];		   /* copy of e->key (not NUL-terminated): compares touch
				      only nodes, never entries */
};

struct kvt {
	struct kvt_node *root;
};

/* What a key held before a change: entry NULL means absent. */
struct kvt_slot {
	struct kv_entry *e;
	bool tomb;
};

static inline size_t kvt_live(const struct kvt *t)
{
	return t->root ? t->root->live : 0;
}

static inline size_t kvt_tombs(const struct kvt *t)
{
	return t->root ? t->root->tombs : 0;
}

/* Byte order of keys, then length (a prefix sorts first). */
int kvt_cmp(const char *a, size_t alen, const char *b, size_t blen);

static inline int kvt_node_cmp(const char *key, size_t len, const struct kvt_node *n)
{
	return kvt_cmp(key, len, n->key, n->key_len);
}

static inline bool kvt_node_has_prefix(const struct kvt_node *n, const char *p, size_t plen)
{
	return n->key_len >= plen && (plen == 0 || memcmp(n->key, p, plen) == 0);
}

const struct kvt_node *kvt_find(const struct kvt *t, const char *key, size_t len);
/* Store e (live or tombstone) at e->key, taking over the caller's reference.
 * Returns what the key held before; its reference passes to the caller. */
struct kvt_slot kvt_put(struct kvt *t, struct kv_entry *e, bool tomb);
/* Decide a key's new content from what it holds (cur.e NULL: absent): return the
 * entry to store (the tree takes the reference) and set *tomb, or NULL to leave
 * the key unchanged. Must not touch the tree. */
typedef struct kv_entry *(*kvt_make_fn)(void *ctx, struct kvt_slot cur, bool *tomb);
/* Find key and change it through make in one descent. Returns the displaced
 * content (its reference passes to the caller); *changed (may be NULL) tells
 * whether make stored something. */
struct kvt_slot kvt_upsert(struct kvt *t, const char *key, size_t len, kvt_make_fn make, void *ctx,
			   bool *changed);
/* Remove key; returns what it held (reference passes to the caller). */
struct kvt_slot kvt_del(struct kvt *t, const char *key, size_t len);
/* Drop every node and entry reference. */
void kvt_clear(struct kvt *t);

/* Max modify_index over live entries and tombstones whose key starts with
 * prefix; 0 when there are none. */
uint64_t kvt_prefix_max(const struct kvt *t, const char *prefix, size_t len);

/* Call fn for every tombstone with index <= upto (fn must not change the tree). */
void kvt_each_tomb(const struct kvt *t, uint64_t upto, void (*fn)(void *ctx, struct kv_entry *e),
		   void *ctx);
/* Fill live[kvt_live] and tombs[kvt_tombs] with the entries in key order, taking
 * no references. Breadth-first: each node's slot follows from subtree counts, so
 * the node loads can be prefetched and overlap (snapshot freeze). */
void kvt_collect(const struct kvt *t, struct kv_entry **live, struct kv_entry **tombs);
/* Build an empty tree from n items in strictly increasing key order, taking
 * their references: O(n), perfectly balanced (snapshot restore). */
void kvt_build(struct kvt *t, const struct kvt_slot *items, size_t n);
/* Call fn for every node in key order (entries and tombstones). */
void kvt_each(const struct kvt *t, void (*fn)(void *ctx, struct kv_entry *e, bool tomb), void *ctx);

/*
 * In-order iterator over live entries. Seek positions it before the first live
 * entry at or after a bound; next returns entries in order, NULL at the end.
 * KVT_GE: keys >= key.  KVT_PAST_PREFIX: keys that sort after every key
 * starting with key (skips the whole range under key in O(depth)).
 * Any change to the tree invalidates the iterator.
 */
enum kvt_seek { KVT_GE, KVT_PAST_PREFIX };

struct kvt_iter {
	const struct kvt *t;
	int top; /* entries used in stack */
	const struct kvt_node
	    *stack[KVT_MAX_DEPTH]; /* nodes still to visit, with their right subtrees */
};

void kvt_iter_seek(struct kvt_iter *it, const struct kvt *t, const char *key, size_t len,
		   enum kvt_seek mode);
const struct kv_entry *kvt_iter_next(struct kvt_iter *it);

/* Verify balance, order and aggregates; returns 0 or -1 (tests). */
int kvt_check(const struct kvt *t);

#endif
