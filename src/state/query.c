/*
 * Prepared-query entries, their binary form, the table's structure, reads,
 * indexes and watch topics (model in query.h, structure in query_int.h).
 * Loop thread only, except that frozen entries are read (never counted) by
 * the snapshot encoder.
 *
 * An entry is one struct plus separately allocated strings and arrays, all
 * owned by it and freed by the last pquery_unref.
 */
#include "state/internal.h"
#include "state/wire.h"

#include "base/alloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- entries ---- */

struct prepared_query *pquery_new(void)
{
	struct prepared_query *q = xcalloc(1, sizeof(*q));
	q->refs = 1;
	return q;
}

static char *dup_opt(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void pq_list_add(struct pq_list *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = xstrdup(s ? s : "");
}

void pq_map_add(struct pq_map *m, const char *k, const char *v)
{
	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->v[i].key, k) == 0) {
			free((char *)m->v[i].value);
			m->v[i].value = xstrdup(v ? v : "");
			return;
		}
	}
	m->v = xrealloc(m->v, (m->n + 1) * sizeof(*m->v));
	m->v[m->n++] = (struct cat_pair){xstrdup(k), xstrdup(v ? v : "")};
}

static void list_copy(struct pq_list *to, const struct pq_list *from)
{
	for (size_t i = 0; i < from->n; i++)
		pq_list_add(to, from->v[i]);
}

static void map_copy(struct pq_map *to, const struct pq_map *from)
{
	for (size_t i = 0; i < from->n; i++)
		pq_map_add(to, from->v[i].key, from->v[i].value);
}

struct prepared_query *pquery_dup(const struct prepared_query *q)
{
	struct prepared_query *c = pquery_new();
	c->create_index = q->create_index;
	c->modify_index = q->modify_index;
	c->id = dup_opt(q->id);
	c->name = dup_opt(q->name);
	c->session = dup_opt(q->session);
	c->token = dup_opt(q->token);
	c->tmpl_type = dup_opt(q->tmpl_type);
	c->tmpl_regexp = dup_opt(q->tmpl_regexp);
	c->tmpl_remove_empty = q->tmpl_remove_empty;
	c->service = dup_opt(q->service);
	c->nearest_n = q->nearest_n;
	list_copy(&c->dcs, &q->dcs);
	c->only_passing = q->only_passing;
	list_copy(&c->ignore, &q->ignore);
	c->near = dup_opt(q->near);
	list_copy(&c->tags, &q->tags);
	map_copy(&c->node_meta, &q->node_meta);
	map_copy(&c->svc_meta, &q->svc_meta);
	c->peer = dup_opt(q->peer);
	c->connect = q->connect;
	c->dns_ttl = dup_opt(q->dns_ttl);
	return c;
}

static void list_free(struct pq_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static void map_free(struct pq_map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free((char *)m->v[i].key);
		free((char *)m->v[i].value);
	}
	free(m->v);
}

void pquery_ref(struct prepared_query *q)
{
	q->refs++;
}

void pquery_unref(struct prepared_query *q)
{
	if (!q || --q->refs)
		return;
	char *s[] = {q->id,	     q->name,	 q->session, q->token, q->tmpl_type,
		     q->tmpl_regexp, q->service, q->near,    q->peer,  q->dns_ttl};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		free(s[i]);
	list_free(&q->dcs);
	list_free(&q->ignore);
	list_free(&q->tags);
	map_free(&q->node_meta);
	map_free(&q->svc_meta);
	free(q);
}

bool pquery_is_template(const struct prepared_query *q)
{
	return q->tmpl_type && q->tmpl_type[0];
}

/* ---- binary form (query.h) ---- */

static void put_plist(struct buf *b, const struct pq_list *l)
{
	wire_put_list(b, (const char *const *)l->v, l->n);
}

void pquery_wire_put(struct buf *b, const struct prepared_query *q)
{
	wire_put_str(b, q->id);
	wire_put_str(b, q->name);
	wire_put_str(b, q->session);
	wire_put_str(b, q->token);
	wire_put_str(b, q->tmpl_type);
	wire_put_str(b, q->tmpl_regexp);
	wire_put_le(b, q->tmpl_remove_empty, 1);
	wire_put_str(b, q->service);
	wire_put_le(b, (uint32_t)q->nearest_n, 4);
	put_plist(b, &q->dcs);
	wire_put_le(b, q->only_passing, 1);
	put_plist(b, &q->ignore);
	wire_put_str(b, q->near);
	put_plist(b, &q->tags);
	wire_put_map(b, q->node_meta.v, q->node_meta.n);
	wire_put_map(b, q->svc_meta.v, q->svc_meta.n);
	wire_put_str(b, q->peer);
	wire_put_le(b, q->connect, 1);
	wire_put_str(b, q->dns_ttl);
}

static bool rd_bool(struct wire_rd *r)
{
	uint64_t v = wire_get_le(r, 1);
	if (v > 1)
		r->bad = true;
	return v == 1;
}

static void rd_list(struct wire_rd *r, struct pq_list *l)
{
	size_t n = wire_get_count(r, 4);
	for (size_t i = 0; i < n && !r->bad; i++) {
		char *s = wire_get_str(r);
		pq_list_add(l, s);
		free(s);
	}
}

static void rd_map(struct wire_rd *r, struct pq_map *m)
{
	size_t n = wire_get_count(r, 8);
	for (size_t i = 0; i < n && !r->bad; i++) {
		char *k = wire_get_str(r);
		char *v = wire_get_str(r);
		for (size_t j = 0; j < m->n; j++)
			if (strcmp(m->v[j].key, k) == 0)
				r->bad = true; /* one encoding per query: keys are unique */
		pq_map_add(m, k, v);
		free(k);
		free(v);
	}
}

struct prepared_query *pquery_wire_get(const unsigned char **p, const unsigned char *end)
{
	struct wire_rd r = {*p, end, false};
	struct prepared_query *q = pquery_new();
	q->id = wire_get_str(&r);
	q->name = wire_get_str(&r);
	q->session = wire_get_str(&r);
	q->token = wire_get_str(&r);
	q->tmpl_type = wire_get_str(&r);
	q->tmpl_regexp = wire_get_str(&r);
	q->tmpl_remove_empty = rd_bool(&r);
	q->service = wire_get_str(&r);
	q->nearest_n = (int32_t)(uint32_t)wire_get_le(&r, 4);
	rd_list(&r, &q->dcs);
	q->only_passing = rd_bool(&r);
	rd_list(&r, &q->ignore);
	q->near = wire_get_str(&r);
	rd_list(&r, &q->tags);
	rd_map(&r, &q->node_meta);
	rd_map(&r, &q->svc_meta);
	q->peer = wire_get_str(&r);
	q->connect = rd_bool(&r);
	q->dns_ttl = wire_get_str(&r);
	if (r.bad) {
		pquery_unref(q);
		return NULL;
	}
	*p = r.p;
	return q;
}

/* ---- the table ---- */

void pq_table_init(struct pq_table *qt)
{
	memset(qt, 0, sizeof(*qt));
	cvec_init(&qt->byid, sizeof(struct prepared_query *));
	cvec_init(&qt->log, sizeof(struct pq_rec));
}

void pq_table_free(struct pq_table *qt)
{
	for (size_t i = 0; i < qt->byid.n; i++)
		pquery_unref(cvec_ptr(&qt->byid, i));
	cvec_free(&qt->byid);
	cvec_free(&qt->log);
}

static int id_cmp(const void *key, const void *elem)
{
	const struct prepared_query *q = *(struct prepared_query *const *)elem;
	return cat_fold_cmp(key, q->id);
}

size_t pq_find(const struct pq_table *qt, const char *id, bool *found)
{
	return cvec_search(&qt->byid, id, id_cmp, found);
}

void pq_insert(struct pq_table *qt, struct prepared_query *q)
{
	bool found;
	size_t i = pq_find(qt, q->id, &found);
	*(struct prepared_query **)cvec_insert(&qt->byid, i) = q;
}

struct prepared_query *pq_remove(struct pq_table *qt, const char *id)
{
	bool found;
	size_t i = pq_find(qt, id, &found);
	if (!found)
		return NULL;
	struct prepared_query *q = cvec_ptr(&qt->byid, i);
	cvec_remove(&qt->byid, i);
	return q;
}

/* ---- reads ---- */

const struct prepared_query *pquery_get(const struct store *s, const char *id)
{
	bool found;
	size_t i = pq_find(&s->pq, id, &found);
	return found ? cvec_ptr(&s->pq.byid, i) : NULL;
}

const struct prepared_query *pquery_by_name(const struct store *s, const char *name)
{
	for (size_t i = 0; i < s->pq.byid.n; i++) {
		const struct prepared_query *q = cvec_ptr(&s->pq.byid, i);
		if (q->name && cat_fold_cmp(q->name, name) == 0 && (q->name[0] || name[0]))
			return q;
	}
	return NULL;
}

size_t pquery_count(const struct store *s)
{
	return s->pq.byid.n;
}

int pquery_list(const struct store *s, pquery_fn fn, void *ctx)
{
	for (size_t i = 0; i < s->pq.byid.n; i++) {
		int rc = fn(ctx, cvec_ptr(&s->pq.byid, i));
		if (rc)
			return rc;
	}
	return 0;
}

static uint64_t at_least_one(uint64_t v)
{
	return v ? v : 1;
}

uint64_t pquery_list_index(const struct store *s)
{
	return at_least_one(s->pq.index);
}

uint64_t pquery_id_index(const struct store *s, const char *id)
{
	const struct prepared_query *q = pquery_get(s, id);
	return at_least_one(q ? q->modify_index : s->pq.id_floor);
}

/* ---- watch topics ---- */

static const char *topic(struct buf *b, const char *id)
{
	buf_reset(b);
	buf_puts(b, "i:");
	for (const char *p = id; *p; p++)
		buf_putc(b, (char)tolower((unsigned char)*p));
	return buf_cstr(b);
}

void pquery_watch_list(struct store *s, struct watcher *w)
{
	watch_key(s, w, TABLE_QUERIES, "*");
}

void pquery_watch_id(struct store *s, struct watcher *w, const char *id)
{
	struct buf b = BUF_INIT;
	watch_key(s, w, TABLE_QUERIES, topic(&b, id));
	buf_free(&b);
}

void pq_fire(struct store *s, const struct prepared_query *q)
{
	struct buf b = BUF_INIT;
	watch_reg_fire(&s->watch, TABLE_QUERIES, "*", 1);
	topic(&b, pq_str(q->id));
	watch_reg_fire(&s->watch, TABLE_QUERIES, b.data, b.len);
	buf_free(&b);
}
