/*
 * kvtree: changing the AVL tree of KV entries and tombstones (model in
 * kvtree.h; walks and range queries are in kvwalk.c).
 *
 * Insert and delete are recursive (depth is bounded by the AVL height, under 50
 * for any store that fits in memory) and rebalance on the way back up.
 * Aggregates stay exact: rotations recompute the two nodes they move, and every
 * node on the changed path is either recomputed from its children (update) or,
 * when its child kept its height and no index went down, adjusted by the
 * change's deltas (adjust), which spares loading the sibling subtree.
 *
 * Nodes are malloc'd one by one (key copied in) and freed when their key leaves
 * the tree; kvt_build makes a balanced tree from sorted input in O(n).
 */
#include "state/kvtree.h"

#include "base/alloc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int kvt_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0;
	if (c)
		return c;
	return (alen > blen) - (alen < blen);
}

static int height(const struct kvt_node *n)
{
	return n ? n->height : 0;
}

static void update(struct kvt_node *n)
{
	int hl = height(n->child[0]), hr = height(n->child[1]);
	n->height = (int8_t)(1 + (hl > hr ? hl : hr));
	n->live = !n->tomb;
	n->tombs = n->tomb;
	n->max_index = n->index;
	for (int i = 0; i < 2; i++) {
		const struct kvt_node *c = n->child[i];
		if (!c)
			continue;
		n->live += c->live;
		n->tombs += c->tombs;
		if (c->max_index > n->max_index)
			n->max_index = c->max_index;
	}
}

/* dir 0: rotate left (the right child rises); dir 1: rotate right. */
static struct kvt_node *rotate(struct kvt_node *n, int dir)
{
	struct kvt_node *c = n->child[!dir];
	n->child[!dir] = c->child[dir];
	c->child[dir] = n;
	update(n);
	update(c);
	return c;
}

static struct kvt_node *balance(struct kvt_node *n)
{
	update(n);
	int bf = height(n->child[1]) - height(n->child[0]);
	if (bf > 1) {
		struct kvt_node *r = n->child[1];
		if (height(r->child[0]) > height(r->child[1]))
			n->child[1] = rotate(r, 1);
		return rotate(n, 0);
	}
	if (bf < -1) {
		struct kvt_node *l = n->child[0];
		if (height(l->child[1]) > height(l->child[0]))
			n->child[0] = rotate(l, 0);
		return rotate(n, 1);
	}
	return n;
}

const struct kvt_node *kvt_find(const struct kvt *t, const char *key, size_t len)
{
	const struct kvt_node *n = t->root;
	while (n) {
		int c = kvt_node_cmp(key, len, n);
		if (c == 0)
			return n;
		n = n->child[c > 0];
	}
	return NULL;
}

/* One descent for every write: the key's current slot is handed to make, which
 * decides the new content (or none, and then the path is left untouched). */
struct upsert {
	const char *key;     /* key to change */
	size_t len;	     /* its length */
	kvt_make_fn make;    /* decides the new content */
	void *ctx;	     /* make's */
	struct kvt_slot old; /* displaced content */
	bool changed;	     /* make stored something */
	/* How the change moves the aggregates of every node above it. When no
	 * index went down (the usual case: a write carries the newest index),
	 * ancestors whose child kept its height are adjusted from these alone,
	 * without loading the sibling subtree: one cache miss saved per level. */
	bool additive;	/* max_index can only have risen, to `index` */
	uint64_t index; /* the stored entry's index */
	int dlive;	/* change in live entries */
	int dtombs;	/* change in tombstones */
};

static struct kvt_node *new_node(struct kv_entry *e, bool tomb)
{
	struct kvt_node *n = xmalloc(sizeof(*n) + e->key_len);
	n->child[0] = n->child[1] = NULL;
	n->e = e;
	n->index = e->modify_index;
	n->tomb = tomb;
	n->key_len = (uint32_t)e->key_len;
	memcpy(n->key, e->key, e->key_len);
	update(n);
	return n;
}

static void adjust(struct kvt_node *n, const struct upsert *u)
{
	n->live = (uint32_t)((int64_t)n->live + u->dlive);
	n->tombs = (uint32_t)((int64_t)n->tombs + u->dtombs);
	if (u->index > n->max_index)
		n->max_index = u->index;
}

static void note_change(struct upsert *u, struct kv_entry *e, bool tomb, const struct kvt_node *was)
{
	u->changed = true;
	u->index = e->modify_index;
	u->additive = !was || e->modify_index >= was->index;
	u->dlive = !tomb - (was ? !was->tomb : 0);
	u->dtombs = tomb - (was ? was->tomb : 0);
}

static struct kvt_node *upsert(struct kvt_node *n, struct upsert *u)
{
	bool tomb = false;
	struct kv_entry *e;
	if (!n) {
		e = u->make(u->ctx, (struct kvt_slot){NULL, false}, &tomb);
		if (!e)
			return NULL;
		note_change(u, e, tomb, NULL);
		return new_node(e, tomb);
	}
	int c = kvt_node_cmp(u->key, u->len, n);
	if (c == 0) {
		e = u->make(u->ctx, (struct kvt_slot){n->e, n->tomb}, &tomb);
		if (!e)
			return n;
		note_change(u, e, tomb, n);
		u->old = (struct kvt_slot){n->e, n->tomb};
		n->e = e;
		n->index = e->modify_index;
		n->tomb = tomb;
		if (u->additive)
			adjust(n, u);
		else
			update(n);
		return n;
	}
	int d = c > 0, h = height(n->child[d]);
	n->child[d] = upsert(n->child[d], u);
	if (!u->changed)
		return n;
	if (u->additive && height(n->child[d]) == h) {
		adjust(n, u);
		return n;
	}
	return balance(n);
}

struct kvt_slot kvt_upsert(struct kvt *t, const char *key, size_t len, kvt_make_fn make, void *ctx,
			   bool *changed)
{
	struct upsert u = {key, len, make, ctx, {NULL, false}, false, false, 0, 0, 0};
	t->root = upsert(t->root, &u);
	if (changed)
		*changed = u.changed;
	return u.old;
}

struct put_args {
	struct kv_entry *e; /* to store */
	bool tomb;	    /* e is a tombstone */
};

static struct kv_entry *make_given(void *ctx, struct kvt_slot cur, bool *tomb)
{
	struct put_args *a = ctx;
	*tomb = a->tomb;
	return a->e;
}

struct kvt_slot kvt_put(struct kvt *t, struct kv_entry *e, bool tomb)
{
	struct put_args a = {e, tomb};
	return kvt_upsert(t, e->key, e->key_len, make_given, &a, NULL);
}

static struct kvt_node *pop_min(struct kvt_node *n, struct kvt_node **min)
{
	if (!n->child[0]) {
		*min = n;
		return n->child[1];
	}
	n->child[0] = pop_min(n->child[0], min);
	return balance(n);
}

static struct kvt_node *del(struct kvt_node *n, const char *key, size_t len, struct kvt_slot *old)
{
	if (!n)
		return NULL;
	int c = kvt_node_cmp(key, len, n);
	if (c) {
		n->child[c > 0] = del(n->child[c > 0], key, len, old);
		return balance(n);
	}
	old->e = n->e;
	old->tomb = n->tomb;
	struct kvt_node *l = n->child[0], *r = n->child[1], *m;
	free(n);
	if (!r)
		return l;
	r = pop_min(r, &m);
	m->child[0] = l;
	m->child[1] = r;
	return balance(m);
}

struct kvt_slot kvt_del(struct kvt *t, const char *key, size_t len)
{
	struct kvt_slot old = {NULL, false};
	t->root = del(t->root, key, len, &old);
	return old;
}

static void clear(struct kvt_node *n)
{
	while (n) {
		clear(n->child[0]);
		struct kvt_node *r = n->child[1];
		kv_entry_unref(n->e);
		free(n);
		n = r;
	}
}

void kvt_clear(struct kvt *t)
{
	clear(t->root);
	t->root = NULL;
}

static struct kvt_node *build(const struct kvt_slot *items, size_t n)
{
	if (!n)
		return NULL;
	size_t mid = n / 2;
	struct kvt_node *node = new_node(items[mid].e, items[mid].tomb);
	node->child[0] = build(items, mid);
	node->child[1] = build(items + mid + 1, n - mid - 1);
	update(node);
	return node;
}

void kvt_build(struct kvt *t, const struct kvt_slot *items, size_t n)
{
	assert(!t->root);
	t->root = build(items, n);
}
