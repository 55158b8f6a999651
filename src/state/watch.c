/*
 * Watchers: registration, firing, flushing, cancelling (model in watch.h).
 *
 * Lists. A set's links form a doubly linked list (pprev), so a cancelled link
 * leaves in O(1); a watcher's links form a singly linked list walked only when
 * the watcher is fired or cancelled. Fired watchers wait on r->fired, and
 * store_watch_flush moves that list to r->flushing before calling anyone, so a
 * watcher fired by a callback waits for the next flush (each watcher is called
 * at most once per flush) and a callback may cancel any other watcher: both
 * lists are doubly linked through w->pprev_fired.
 *
 * Firing is two-phase: first every watcher of the touched sets is pushed on the
 * fired list (sets are not modified), then the newly pushed watchers are
 * detached, which may free sets. So no set is freed while it is being walked.
 *
 * Memory. Sets and links are malloc'd by the store and freed when empty /
 * detached; struct watcher belongs to the caller, who may free it once it was
 * called or cancelled. store_free detaches every watcher without calling it.
 * Loop thread only.
 */
#include "state/internal.h"

#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>

struct watch_set {
	struct watch_set *next;	 /* hash chain */
	struct watch_link *head; /* registrations */
	uint64_t hash;		 /* of (table, prefix, key) */
	uint32_t key_len;	 /* bytes in key */
	uint8_t table;		 /* enum store_table */
	bool prefix;		 /* prefix set (else exact key) */
	char key[];		 /* not NUL-terminated */
};

struct watch_link {
	struct watcher *w;	      /* registered watcher */
	struct watch_set *set;	      /* what it watches */
	struct watch_link *next;      /* in set */
	struct watch_link **pprev;    /* in set */
	struct watch_link *next_in_w; /* in w->links */
};

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

static uint64_t hash_seed(enum store_table table, bool prefix)
{
	return (FNV_OFFSET ^ (uint64_t)(table * 2 + prefix)) * FNV_PRIME;
}

static uint64_t hash_step(uint64_t h, unsigned char c)
{
	return (h ^ c) * FNV_PRIME;
}

static uint64_t hash_key(enum store_table table, bool prefix, const char *key, size_t len)
{
	uint64_t h = hash_seed(table, prefix);
	for (size_t i = 0; i < len; i++)
		h = hash_step(h, (unsigned char)key[i]);
	return h;
}

static size_t bucket_of(const struct watch_reg *r, uint64_t h)
{
	return (size_t)(h ^ (h >> 31)) & (r->nbuckets - 1);
}

void watch_reg_init(struct watch_reg *r)
{
	memset(r, 0, sizeof(*r));
	r->nbuckets = 64;
	r->buckets = xcalloc(r->nbuckets, sizeof(*r->buckets));
}

static struct watch_set *find_set(const struct watch_reg *r, enum store_table table, bool prefix,
				  const char *key, size_t len, uint64_t h)
{
	for (struct watch_set *set = r->buckets[bucket_of(r, h)]; set; set = set->next) {
		if (set->hash == h && set->key_len == len && set->table == table &&
		    set->prefix == prefix && (len == 0 || memcmp(set->key, key, len) == 0))
			return set;
	}
	return NULL;
}

static void grow(struct watch_reg *r)
{
	size_t old_n = r->nbuckets;
	struct watch_set **old = r->buckets;
	r->nbuckets = old_n * 2;
	r->buckets = xcalloc(r->nbuckets, sizeof(*r->buckets));
	for (size_t i = 0; i < old_n; i++) {
		struct watch_set *set, *next;
		for (set = old[i]; set; set = next) {
			next = set->next;
			size_t b = bucket_of(r, set->hash);
			set->next = r->buckets[b];
			r->buckets[b] = set;
		}
	}
	free(old);
}

static void count_prefix_len(struct watch_reg *r, enum store_table table, size_t len, int delta)
{
	if (len >= r->plen_cap[table]) {
		size_t cap = r->plen_cap[table] ? r->plen_cap[table] : 16;
		while (cap <= len)
			cap *= 2;
		r->plen[table] = xrealloc(r->plen[table], cap * sizeof(uint32_t));
		memset(r->plen[table] + r->plen_cap[table], 0,
		       (cap - r->plen_cap[table]) * sizeof(uint32_t));
		r->plen_cap[table] = cap;
	}
	r->plen[table][len] += (uint32_t)delta;
}

static struct watch_set *get_set(struct watch_reg *r, enum store_table table, bool prefix,
				 const char *key, size_t len)
{
	uint64_t h = hash_key(table, prefix, key, len);
	struct watch_set *set = find_set(r, table, prefix, key, len, h);
	if (set)
		return set;
	if (r->nsets >= r->nbuckets)
		grow(r);
	set = xmalloc(sizeof(*set) + len);
	set->head = NULL;
	set->hash = h;
	set->key_len = (uint32_t)len;
	set->table = (uint8_t)table;
	set->prefix = prefix;
	memcpy(set->key, key, len);
	size_t b = bucket_of(r, h);
	set->next = r->buckets[b];
	r->buckets[b] = set;
	r->nsets++;
	if (prefix)
		count_prefix_len(r, table, len, 1);
	return set;
}

static void free_set(struct watch_reg *r, struct watch_set *set)
{
	struct watch_set **pp = &r->buckets[bucket_of(r, set->hash)];
	while (*pp != set)
		pp = &(*pp)->next;
	*pp = set->next;
	r->nsets--;
	if (set->prefix)
		count_prefix_len(r, set->table, set->key_len, -1);
	free(set);
}

/* Remove every registration of w (it stays on any fired list). */
static void detach(struct watch_reg *r, struct watcher *w)
{
	if (!w->links)
		return;
	struct watch_link *l, *next;
	for (l = w->links; l; l = next) {
		next = l->next_in_w;
		*l->pprev = l->next;
		if (l->next)
			l->next->pprev = l->pprev;
		if (!l->set->head)
			free_set(r, l->set);
		free(l);
	}
	w->links = NULL;
	r->watchers--;
}

static void push_fired(struct watch_reg *r, struct watcher *w)
{
	w->fired = true;
	w->next_fired = r->fired;
	if (r->fired)
		r->fired->pprev_fired = &w->next_fired;
	r->fired = w;
	w->pprev_fired = &r->fired;
}

static void unlink_fired(struct watcher *w)
{
	*w->pprev_fired = w->next_fired;
	if (w->next_fired)
		w->next_fired->pprev_fired = w->pprev_fired;
	w->next_fired = NULL;
	w->pprev_fired = NULL;
	w->fired = false;
}

/* Phase one: queue the set's watchers; the set itself is left as it is. */
static void mark_set(struct watch_reg *r, const struct watch_set *set)
{
	for (const struct watch_link *l = set->head; l; l = l->next) {
		if (!l->w->fired)
			push_fired(r, l->w);
	}
}

/* Phase two: detach the watchers pushed since the list head was stop. */
static void detach_new(struct watch_reg *r, const struct watcher *stop)
{
	for (struct watcher *w = r->fired; w && w != stop; w = w->next_fired)
		detach(r, w);
}

void watch_reg_fire(struct watch_reg *r, enum store_table table, const char *key, size_t len)
{
	if (r->nsets == 0)
		return;
	const struct watcher *stop = r->fired;
	uint64_t h = hash_key(table, false, key, len);
	const struct watch_set *set = find_set(r, table, false, key, len, h);
	if (set)
		mark_set(r, set);
	size_t cap = r->plen_cap[table];
	const uint32_t *counts = r->plen[table];
	h = hash_seed(table, true);
	for (size_t l = 0; l < cap && l <= len; l++) {
		if (counts[l] && (set = find_set(r, table, true, key, l, h)))
			mark_set(r, set);
		if (l < len)
			h = hash_step(h, (unsigned char)key[l]);
	}
	detach_new(r, stop);
}

void watch_reg_fire_all(struct watch_reg *r)
{
	const struct watcher *stop = r->fired;
	for (size_t i = 0; i < r->nbuckets; i++) {
		for (const struct watch_set *set = r->buckets[i]; set; set = set->next)
			mark_set(r, set);
	}
	detach_new(r, stop);
}

static void drop_list(struct watcher *head)
{
	while (head) {
		struct watcher *w = head;
		head = w->next_fired;
		w->next_fired = NULL;
		w->pprev_fired = NULL;
		w->fired = false;
	}
}

void watch_reg_free(struct watch_reg *r)
{
	for (size_t i = 0; i < r->nbuckets; i++) {
		struct watch_set *set, *next;
		for (set = r->buckets[i]; set; set = next) {
			next = set->next;
			struct watch_link *l, *ln;
			for (l = set->head; l; l = ln) {
				ln = l->next;
				l->w->links = NULL;
				free(l);
			}
			free(set);
		}
	}
	drop_list(r->fired);
	drop_list(r->flushing);
	for (int t = 0; t < TABLE_COUNT_; t++)
		free(r->plen[t]);
	free(r->buckets);
	memset(r, 0, sizeof(*r));
}

/* ---- public API (store.h) ---- */

void watcher_init(struct watcher *w, watcher_fn fn, void *data)
{
	memset(w, 0, sizeof(*w));
	w->fn = fn;
	w->data = data;
}

static void add_link(struct watch_reg *r, struct watcher *w, enum store_table table, bool prefix,
		     const char *key)
{
	struct watch_set *set = get_set(r, table, prefix, key, strlen(key));
	struct watch_link *l = xmalloc(sizeof(*l));
	l->w = w;
	l->set = set;
	l->next = set->head;
	if (set->head)
		set->head->pprev = &l->next;
	set->head = l;
	l->pprev = &set->head;
	if (!w->links)
		r->watchers++;
	l->next_in_w = w->links;
	w->links = l;
}

void watch_key(struct store *s, struct watcher *w, enum store_table table, const char *key)
{
	add_link(&s->watch, w, table, false, key);
}

void watch_prefix(struct store *s, struct watcher *w, enum store_table table, const char *prefix)
{
	add_link(&s->watch, w, table, true, prefix);
}

void watcher_cancel(struct store *s, struct watcher *w)
{
	if (w->links)
		detach(&s->watch, w);
	if (w->fired)
		unlink_fired(w);
}

void store_watch_touch(struct store *s, enum store_table table, const char *key)
{
	watch_reg_fire(&s->watch, table, key, strlen(key));
}

size_t store_watch_flush(struct store *s)
{
	struct watch_reg *r = &s->watch;
	if (r->flushing) /* called from a callback: the outer flush goes on */
		return 0;
	r->flushing = r->fired;
	r->fired = NULL;
	if (r->flushing)
		r->flushing->pprev_fired = &r->flushing;
	size_t n = 0;
	struct watcher *w;
	while ((w = r->flushing)) {
		unlink_fired(w);
		detach(r, w); /* registered again while waiting: still one call */
		w->fn(w);
		n++;
	}
	return n;
}

size_t store_watcher_count(const struct store *s)
{
	return s->watch.watchers;
}
