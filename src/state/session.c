/*
 * Session entries, the table's structure, reads, indexes and watch topics
 * (model in session.h, structure in session_int.h). Loop thread only, except
 * that frozen entries are read (never counted) by the snapshot encoder.
 *
 * An entry is one struct plus separately allocated strings and arrays, all
 * owned by it and freed by the last session_unref.
 */
#include "state/internal.h"

#include "base/alloc.h"
#include "base/buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const behavior_names[SESSION_BEHAVIOR_COUNT_] = {
    [SESSION_RELEASE] = "release",
    [SESSION_DELETE] = "delete",
};

const char *session_behavior_name(enum session_behavior b)
{
	return (unsigned)b < SESSION_BEHAVIOR_COUNT_ ? behavior_names[b] : "unknown";
}

int session_behavior_parse(const char *name)
{
	for (int i = 0; i < SESSION_BEHAVIOR_COUNT_; i++)
		if (strcmp(name, behavior_names[i]) == 0)
			return i;
	return -1;
}

/* ---- entries ---- */

static const char *dup_or_empty(const char *s)
{
	return xstrdup(s ? s : "");
}

static const char **dup_list(const char *const *v, size_t n)
{
	const char **out = xcalloc(n ? n : 1, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		out[i] = dup_or_empty(v[i]);
	return out;
}

struct session *sess_pack(const struct session *t)
{
	struct session *e = xcalloc(1, sizeof(*e));
	e->refs = 1;
	e->id = dup_or_empty(t->id);
	e->name = dup_or_empty(t->name);
	e->node = dup_or_empty(t->node);
	e->ttl = dup_or_empty(t->ttl);
	e->lock_delay_ns = t->lock_delay_ns;
	e->behavior = t->behavior;
	e->node_checks = dup_list(t->node_checks, t->nnode_checks);
	e->nnode_checks = t->nnode_checks;
	e->checks = dup_list(t->checks, t->nchecks);
	e->nchecks = t->nchecks;
	e->svc_checks = xcalloc(t->nsvc_checks ? t->nsvc_checks : 1, sizeof(*e->svc_checks));
	for (size_t i = 0; i < t->nsvc_checks; i++) {
		e->svc_checks[i].id = dup_or_empty(t->svc_checks[i].id);
		e->svc_checks[i].ns = dup_or_empty(t->svc_checks[i].ns);
	}
	e->nsvc_checks = t->nsvc_checks;
	return e;
}

static void free_list(const char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)v[i]);
	free(v);
}

void session_ref(struct session *e)
{
	e->refs++;
}

void session_unref(struct session *e)
{
	if (!e || --e->refs)
		return;
	free((char *)e->id);
	free((char *)e->name);
	free((char *)e->node);
	free((char *)e->ttl);
	free_list(e->node_checks, e->nnode_checks);
	free_list(e->checks, e->nchecks);
	for (size_t i = 0; i < e->nsvc_checks; i++) {
		free((char *)e->svc_checks[i].id);
		free((char *)e->svc_checks[i].ns);
	}
	free(e->svc_checks);
	free(e);
}

/* ---- the table ---- */

void sess_table_init(struct sess_table *st)
{
	memset(st, 0, sizeof(*st));
	cvec_init(&st->byid, sizeof(struct session *));
	cvec_init(&st->nodes, sizeof(struct sess_node *));
	cvec_init(&st->log, sizeof(struct sess_rec));
	cvec_init(&st->delayed, sizeof(struct sess_delay));
}

void sess_table_free(struct sess_table *st)
{
	for (size_t i = 0; i < st->byid.n; i++)
		session_unref(cvec_ptr(&st->byid, i));
	for (size_t i = 0; i < st->nodes.n; i++)
		free(cvec_ptr(&st->nodes, i));
	cvec_free(&st->byid);
	cvec_free(&st->nodes);
	cvec_free(&st->log);
	cvec_free(&st->delayed);
}

static int id_cmp(const void *key, const void *elem)
{
	const struct session *e = *(struct session *const *)elem;
	return cat_fold_cmp(key, e->id);
}

static int node_cmp(const void *key, const void *elem)
{
	const struct sess_node *n = *(struct sess_node *const *)elem;
	return cat_fold_cmp(key, n->name);
}

size_t sess_find(const struct sess_table *st, const char *id, bool *found)
{
	return cvec_search(&st->byid, id, id_cmp, found);
}

void sess_insert(struct sess_table *st, struct session *e)
{
	bool found;
	size_t i = sess_find(st, e->id, &found);
	*(struct session **)cvec_insert(&st->byid, i) = e;
}

struct session *sess_remove(struct sess_table *st, const char *id)
{
	bool found;
	size_t i = sess_find(st, id, &found);
	if (!found)
		return NULL;
	struct session *e = cvec_ptr(&st->byid, i);
	cvec_remove(&st->byid, i);
	return e;
}

struct sess_node *sess_node_get(struct sess_table *st, const char *name, bool create)
{
	bool found;
	size_t i = cvec_search(&st->nodes, name, node_cmp, &found);
	if (found)
		return cvec_ptr(&st->nodes, i);
	if (!create)
		return NULL;
	size_t len = strlen(name);
	struct sess_node *n = xmalloc(sizeof(*n) + len + 1);
	n->index = 0;
	memcpy(n->name, name, len + 1);
	*(struct sess_node **)cvec_insert(&st->nodes, i) = n;
	return n;
}

/* ---- reads ---- */

const struct session *session_get(const struct store *s, const char *id)
{
	bool found;
	size_t i = sess_find(&s->sess, id, &found);
	return found ? cvec_ptr(&s->sess.byid, i) : NULL;
}

size_t session_count(const struct store *s)
{
	return s->sess.byid.n;
}

int session_list(const struct store *s, session_fn fn, void *ctx)
{
	for (size_t i = 0; i < s->sess.byid.n; i++) {
		int rc = fn(ctx, cvec_ptr(&s->sess.byid, i));
		if (rc)
			return rc;
	}
	return 0;
}

int session_node_list(const struct store *s, const char *node, session_fn fn, void *ctx)
{
	for (size_t i = 0; i < s->sess.byid.n; i++) {
		const struct session *e = cvec_ptr(&s->sess.byid, i);
		if (cat_fold_cmp(e->node, node) != 0)
			continue;
		int rc = fn(ctx, e);
		if (rc)
			return rc;
	}
	return 0;
}

static uint64_t at_least_one(uint64_t v)
{
	return v ? v : 1;
}

uint64_t session_list_index(const struct store *s)
{
	return at_least_one(s->sess.index);
}

uint64_t session_node_index(const struct store *s, const char *node)
{
	const struct sess_node *n = sess_node_get((struct sess_table *)&s->sess, node, false);
	return at_least_one(n ? n->index : 0);
}

uint64_t session_id_index(const struct store *s, const char *id)
{
	const struct session *e = session_get(s, id);
	return at_least_one(e ? e->modify_index : s->sess.id_floor);
}

/* ---- watch topics ---- */

/* prefix + lowercased name, in a buffer of the caller's. */
static const char *topic(struct buf *b, const char *prefix, const char *name)
{
	buf_reset(b);
	buf_puts(b, prefix);
	for (const char *p = name; *p; p++)
		buf_putc(b, (char)tolower((unsigned char)*p));
	return buf_cstr(b);
}

void session_watch_list(struct store *s, struct watcher *w)
{
	watch_key(s, w, TABLE_SESSIONS, "*");
}

void session_watch_node(struct store *s, struct watcher *w, const char *node)
{
	struct buf b = BUF_INIT;
	watch_key(s, w, TABLE_SESSIONS, topic(&b, "n:", node));
	buf_free(&b);
}

void session_watch_id(struct store *s, struct watcher *w, const char *id)
{
	struct buf b = BUF_INIT;
	watch_key(s, w, TABLE_SESSIONS, topic(&b, "i:", id));
	buf_free(&b);
}

void sess_fire(struct store *s, const struct session *e)
{
	struct buf b = BUF_INIT;
	watch_reg_fire(&s->watch, TABLE_SESSIONS, "*", 1);
	topic(&b, "i:", e->id);
	watch_reg_fire(&s->watch, TABLE_SESSIONS, b.data, b.len);
	topic(&b, "n:", e->node);
	watch_reg_fire(&s->watch, TABLE_SESSIONS, b.data, b.len);
	buf_free(&b);
}
