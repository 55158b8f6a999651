/*
 * kvwalk: reading the KV tree (model in kvtree.h): in-order walks, the
 * breadth-first collection used by snapshot freeze, the iterator behind scans
 * and key listings, and the prefix index.
 *
 * Range queries use the fact that the keys starting with a prefix form one
 * contiguous run of the order. kvt_prefix_max finds the highest node inside the
 * run, then walks the run's two boundaries down from it, taking whole subtrees
 * that lie inside the run from their max_index: O(depth) node visits.
 *
 * The iterator keeps the path of nodes still to visit on a fixed stack; it
 * never enters a subtree whose live count is zero, so tombstones cost nothing
 * to walk past, and a seek is one descent. Nothing here changes the tree or
 * reference counts; loop thread (the tree is not immutable).
 */
#include "state/kvtree.h"

#include "base/alloc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Where n lies relative to the run of keys starting with p: -1 before, 0 in, 1 after. */
static int classify(const struct kvt_node *n, const char *p, size_t plen)
{
	if (kvt_node_has_prefix(n, p, plen))
		return 0;
	return kvt_node_cmp(p, plen, n) > 0 ? -1 : 1;
}

static uint64_t umax(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t sub_max(const struct kvt_node *n)
{
	return n ? n->max_index : 0;
}

uint64_t kvt_prefix_max(const struct kvt *t, const char *prefix, size_t len)
{
	const struct kvt_node *top = t->root;
	int c;
	while (top && (c = classify(top, prefix, len)) != 0)
		top = top->child[c < 0];
	if (!top)
		return 0;
	uint64_t m = top->index;
	/* Left boundary: in-run nodes contribute themselves and their right subtree. */
	for (const struct kvt_node *x = top->child[0]; x;) {
		if (classify(x, prefix, len) == 0) {
			m = umax(m, umax(x->index, sub_max(x->child[1])));
			x = x->child[0];
		} else {
			x = x->child[1];
		}
	}
	for (const struct kvt_node *x = top->child[1]; x;) {
		if (classify(x, prefix, len) == 0) {
			m = umax(m, umax(x->index, sub_max(x->child[0])));
			x = x->child[1];
		} else {
			x = x->child[0];
		}
	}
	return m;
}

static void each_tomb(const struct kvt_node *n, uint64_t upto,
		      void (*fn)(void *ctx, struct kv_entry *e), void *ctx)
{
	for (; n && n->tombs; n = n->child[1]) {
		each_tomb(n->child[0], upto, fn, ctx);
		if (n->tomb && n->index <= upto)
			fn(ctx, n->e);
	}
}

void kvt_each_tomb(const struct kvt *t, uint64_t upto, void (*fn)(void *ctx, struct kv_entry *e),
		   void *ctx)
{
	each_tomb(t->root, upto, fn, ctx);
}

/* A node waiting in the breadth-first queue, with where its subtree starts. */
struct pending {
	const struct kvt_node *n; /* subtree root */
	uint32_t live_at;	  /* slot in live[] of its first live entry */
	uint32_t tomb_at;	  /* slot in tombs[] of its first tombstone */
};

void kvt_collect(const struct kvt *t, struct kv_entry **live, struct kv_entry **tombs)
{
	size_t total = kvt_live(t) + kvt_tombs(t), head = 0, tail = 0;
	struct pending *q = xmalloc((total ? total : 1) * sizeof(*q));
	if (t->root)
		q[tail++] = (struct pending){t->root, 0, 0};
	while (head < tail) {
		/* Two-stage lookahead: nodes 32 ahead, their left child 16 ahead. */
		if (head + 32 < tail)
			__builtin_prefetch(q[head + 32].n);
		if (head + 16 < tail && q[head + 16].n->child[0])
			__builtin_prefetch(q[head + 16].n->child[0]);
		struct pending p = q[head++];
		const struct kvt_node *l = p.n->child[0], *r = p.n->child[1];
		uint32_t lo = p.live_at + (l ? l->live : 0), to = p.tomb_at + (l ? l->tombs : 0);
		if (p.n->tomb)
			tombs[to] = p.n->e;
		else
			live[lo] = p.n->e;
		if (l)
			q[tail++] = (struct pending){l, p.live_at, p.tomb_at};
		if (r)
			q[tail++] = (struct pending){r, lo + !p.n->tomb, to + p.n->tomb};
	}
	free(q);
}

static void each(const struct kvt_node *n, void (*fn)(void *ctx, struct kv_entry *e, bool tomb),
		 void *ctx)
{
	for (; n; n = n->child[1]) {
		each(n->child[0], fn, ctx);
		fn(ctx, n->e, n->tomb);
	}
}

void kvt_each(const struct kvt *t, void (*fn)(void *ctx, struct kv_entry *e, bool tomb), void *ctx)
{
	each(t->root, fn, ctx);
}

static bool at_or_after(const struct kvt_node *n, const char *key, size_t len, enum kvt_seek mode)
{
	int c = kvt_node_cmp(key, len, n);
	if (mode == KVT_GE)
		return c <= 0;
	return c < 0 && !kvt_node_has_prefix(n, key, len);
}

static void push(struct kvt_iter *it, const struct kvt_node *n)
{
	assert(it->top < KVT_MAX_DEPTH);
	it->stack[it->top++] = n;
}

void kvt_iter_seek(struct kvt_iter *it, const struct kvt *t, const char *key, size_t len,
		   enum kvt_seek mode)
{
	it->t = t;
	it->top = 0;
	/* Subtrees without live entries are never entered. */
	for (const struct kvt_node *n = t->root; n && n->live;) {
		if (at_or_after(n, key, len, mode)) {
			push(it, n);
			n = n->child[0];
		} else {
			n = n->child[1];
		}
	}
}

const struct kv_entry *kvt_iter_next(struct kvt_iter *it)
{
	while (it->top > 0) {
		const struct kvt_node *n = it->stack[--it->top];
		for (const struct kvt_node *m = n->child[1]; m && m->live; m = m->child[0])
			push(it, m);
		if (!n->tomb)
			return n->e;
	}
	return NULL;
}

/* Returns the subtree height, or -1 when something is wrong. prev: last node seen. */
static int check(const struct kvt_node *n, const struct kvt_node **prev)
{
	if (!n)
		return 0;
	int hl = check(n->child[0], prev);
	if (hl < 0)
		return -1;
	if (*prev && kvt_node_cmp((*prev)->key, (*prev)->key_len, n) >= 0)
		return -1;
	if (n->key_len != n->e->key_len || memcmp(n->key, n->e->key, n->key_len) != 0 ||
	    n->index != n->e->modify_index)
		return -1;
	*prev = n;
	int hr = check(n->child[1], prev);
	if (hr < 0 || hl - hr > 1 || hr - hl > 1 || n->height != 1 + (hl > hr ? hl : hr))
		return -1;
	uint32_t live = !n->tomb, tombs = n->tomb;
	uint64_t max = n->index;
	for (int i = 0; i < 2; i++) {
		const struct kvt_node *c = n->child[i];
		if (c) {
			live += c->live;
			tombs += c->tombs;
			max = umax(max, c->max_index);
		}
	}
	if (live != n->live || tombs != n->tombs || max != n->max_index)
		return -1;
	return n->height;
}

int kvt_check(const struct kvt *t)
{
	const struct kvt_node *prev = NULL;
	return check(t->root, &prev) < 0 ? -1 : 0;
}
