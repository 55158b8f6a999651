/*
 * Session writes: create, invalidate, the catalog-driven invalidations, and
 * the end of a transaction (model in session.h, structure in session_int.h).
 *
 * Every change to the table is logged as (prev, after) with the log holding
 * prev's reference; KV changes made by an invalidation go through the KV
 * primitives and so into the store's own undo log. Commit moves the indexes,
 * fires watchers and reports released keys to the lock-delay sink; abort puts
 * the table back. Loop thread only, deterministic: no clock, no randomness.
 */
#include "state/internal.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void log_rec(struct sess_table *st, struct session *prev, struct session *after)
{
	*(struct sess_rec *)cvec_insert(&st->log, st->log.n) = (struct sess_rec){prev, after};
}

/* A check a session is tied to: present on the node and not critical. */
static int check_ok(const struct store *s, const char *node, const char *id, char **why)
{
	const struct cat_check *c = catalog_node_check(s, node, id);
	if (!c) {
		if (why)
			*why = buf_fmt("Missing check '%s' registration", id);
		return CAIRN_E_NOTFOUND;
	}
	if (c->status == CAT_CRITICAL) {
		if (why)
			*why = buf_fmt("Check '%s' is in %s state", id, cat_status_name(c->status));
		return CAIRN_E_CAS;
	}
	return 0;
}

/* Every check of e in Consul's CheckIDs() order: Checks, NodeChecks, ServiceChecks. */
static int checks_ok(const struct store *s, const struct session *e, char **why)
{
	int rc = 0;
	for (size_t i = 0; i < e->nchecks && !rc; i++)
		rc = check_ok(s, e->node, e->checks[i], why);
	for (size_t i = 0; i < e->nnode_checks && !rc; i++)
		rc = check_ok(s, e->node, e->node_checks[i], why);
	for (size_t i = 0; i < e->nsvc_checks && !rc; i++)
		rc = check_ok(s, e->node, e->svc_checks[i].id, why);
	return rc;
}

int session_txn_create(struct store_txn *t, const struct session *tmpl, char **why)
{
	struct store *s = t->s;
	if (!tmpl->id || !*tmpl->id) {
		*why = buf_fmt("Missing session ID");
		return CAIRN_E_INVAL;
	}
	if ((unsigned)tmpl->behavior >= SESSION_BEHAVIOR_COUNT_) {
		*why = buf_fmt("Invalid session behavior: %d", (int)tmpl->behavior);
		return CAIRN_E_INVAL;
	}
	if (session_get(s, tmpl->id)) {
		*why = buf_fmt("Session ID already exists");
		return CAIRN_E_INVAL;
	}
	if (!tmpl->node || !catalog_node(s, tmpl->node)) {
		*why = buf_fmt("Missing node registration");
		return CAIRN_E_NOTFOUND;
	}
	struct session *e = sess_pack(tmpl);
	int rc = checks_ok(s, e, why);
	if (rc) {
		session_unref(e);
		return rc;
	}
	e->create_index = e->modify_index = t->index;
	sess_insert(&s->sess, e);
	log_rec(&s->sess, NULL, e);
	return 0;
}

/* ---- invalidation ---- */

struct held {
	const char *id; /* the session */
	char **keys;	/* keys it holds (owned) */
	size_t n, cap;	/* used, allocated */
};

static int collect_held(void *ctx, const struct kv_entry *e)
{
	struct held *h = ctx;
	if (!e->session || cat_fold_cmp(e->session, h->id) != 0)
		return 0;
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 8;
		h->keys = xrealloc(h->keys, h->cap * sizeof(*h->keys));
	}
	h->keys[h->n++] = xstrdup(e->key);
	return 0;
}

int session_txn_destroy(struct store_txn *t, const char *id)
{
	struct sess_table *st = &t->s->sess;
	bool found;
	size_t pos = sess_find(st, id, &found);
	if (!found)
		return 0;
	struct session *e = cvec_ptr(&st->byid, pos);
	/* Every locked key, found by a walk of the KV table (no session -> keys
	 * index yet: O(keys) per invalidation). Collected first: changing the tree
	 * invalidates the walk. */
	struct held h = {e->id, NULL, 0, 0};
	kv_scan(t->s, "", collect_held, &h);
	uint64_t delay = e->lock_delay_ns;
	if (delay > SESSION_MAX_LOCK_DELAY_NS)
		delay = SESSION_MAX_LOCK_DELAY_NS;
	for (size_t i = 0; i < h.n; i++) {
		if (e->behavior == SESSION_DELETE)
			kv_txn_delete(t, h.keys[i]);
		else
			kv_txn_release(t, h.keys[i]);
		if (delay) {
			*(struct sess_delay *)cvec_insert(&st->delayed, st->delayed.n) =
			    (struct sess_delay){h.keys[i], delay};
		} else {
			free(h.keys[i]);
		}
	}
	free(h.keys);
	pquery_txn_delete_session(t, e->id); /* Consul deletes bound queries too */
	cvec_remove(&st->byid, pos);
	log_rec(st, e, NULL);
	return 0;
}

/* IDs of the sessions on a node that must go: the node is gone (dead), or a
 * check they are tied to is missing or critical. */
static void doomed_on(struct store *s, const struct cat_nslot *ns, struct cvec *out)
{
	struct sess_table *st = &s->sess;
	for (size_t i = 0; i < st->byid.n; i++) {
		const struct session *e = cvec_ptr(&st->byid, i);
		if (cat_fold_cmp(e->node, ns->node->name) != 0)
			continue;
		if (ns->dead || checks_ok(s, e, NULL))
			cvec_push_ptr(out, xstrdup(e->id));
	}
}

void session_txn_check_nodes(struct store_txn *t)
{
	struct store *s = t->s;
	struct catalog *cat = s->cat;
	if (s->sess.byid.n == 0)
		return;
	struct cvec doomed;
	cvec_init(&doomed, sizeof(char *));
	for (size_t i = 0; i < cat->touched_slots.n; i++) {
		const struct cat_nslot *ns = cvec_ptr(&cat->touched_slots, i);
		/* a slot removed and another created under the same name: the live
		 * one decides */
		if (ns->dead && cat_slot(cat, ns->node->name))
			continue;
		doomed_on(s, ns, &doomed);
	}
	for (size_t i = 0; i < doomed.n; i++) {
		char *id = cvec_ptr(&doomed, i);
		session_txn_destroy(t, id);
		free(id);
	}
	cvec_free(&doomed);
}

/* ---- transaction end ---- */

void session_txn_commit(struct store *s, uint64_t index)
{
	struct sess_table *st = &s->sess;
	for (size_t i = 0; i < st->log.n; i++) {
		const struct sess_rec *r = cvec_at(&st->log, i);
		const struct session *e = r->after ? r->after : r->prev;
		sess_node_get(st, e->node, true)->index = index;
		st->index = index;
		if (!r->after)
			st->id_floor = index;
		sess_fire(s, e);
	}
	for (size_t i = 0; i < st->log.n; i++)
		session_unref(((struct sess_rec *)cvec_at(&st->log, i))->prev);
	st->log.n = 0;
	for (size_t i = 0; i < st->delayed.n; i++) {
		struct sess_delay *d = cvec_at(&st->delayed, i);
		if (st->delay_fn)
			st->delay_fn(st->delay_ctx, d->key, d->delay_ns);
		free(d->key);
	}
	st->delayed.n = 0;
}

void session_txn_abort(struct store *s)
{
	struct sess_table *st = &s->sess;
	for (size_t i = st->log.n; i-- > 0;) {
		const struct sess_rec *r = cvec_at(&st->log, i);
		if (r->after)
			session_unref(sess_remove(st, r->after->id));
		if (r->prev)
			sess_insert(st, r->prev); /* the log's reference moves back */
	}
	st->log.n = 0;
	for (size_t i = 0; i < st->delayed.n; i++)
		free(((struct sess_delay *)cvec_at(&st->delayed, i))->key);
	st->delayed.n = 0;
}

void store_set_lock_delay_fn(struct store *s, lock_delay_fn fn, void *ctx)
{
	s->sess.delay_fn = fn;
	s->sess.delay_ctx = ctx;
}
