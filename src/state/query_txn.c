/*
 * Prepared-query writes and the end of a transaction (model in query.h,
 * structure in query_int.h). Loop thread only, deterministic.
 *
 * Every change is logged as (prev, after), the log holding prev's reference.
 * Commit moves the indexes and fires watchers; abort puts the table back.
 */
#include "state/internal.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void log_rec(struct pq_table *qt, struct prepared_query *prev, struct prepared_query *after)
{
	*(struct pq_rec *)cvec_insert(&qt->log, qt->log.n) = (struct pq_rec){prev, after};
}

/* 8-4-4-4-12 hex digits, as Consul's isUUID. */
static bool uuid_shaped(const char *s)
{
	static const size_t groups[] = {8, 4, 4, 4, 12};
	for (size_t g = 0; g < 5; g++) {
		for (size_t i = 0; i < groups[g]; i++, s++)
			if (!isxdigit((unsigned char)*s))
				return false;
		if (g < 4 && *s++ != '-')
			return false;
	}
	return *s == 0;
}

static const struct prepared_query *empty_template(const struct store *s)
{
	for (size_t i = 0; i < s->pq.byid.n; i++) {
		const struct prepared_query *q = cvec_ptr(&s->pq.byid, i);
		if (pquery_is_template(q) && !pq_str(q->name)[0])
			return q;
	}
	return NULL;
}

static bool other(const struct prepared_query *found, const struct prepared_query *q)
{
	return found && cat_fold_cmp(found->id, q->id) != 0;
}

int pquery_txn_set(struct store_txn *t, const struct prepared_query *q, bool update, char **why)
{
	struct store *s = t->s;
	struct pq_table *qt = &s->pq;
	const char *name = pq_str(q->name);
	if (!q->id || !q->id[0]) {
		*why = buf_fmt("Missing query ID");
		return CAIRN_E_INVAL;
	}
	bool found;
	size_t pos = pq_find(qt, q->id, &found);
	if (update && !found) {
		*why = buf_fmt("Cannot modify non-existent prepared query: '%s'", q->id);
		return CAIRN_E_NOTFOUND;
	}
	if (!update && found) {
		*why = buf_fmt("Prepared query ID '%s' already exists", q->id);
		return CAIRN_E_INVAL;
	}
	if (name[0] && other(pquery_by_name(s, name), q)) {
		*why = buf_fmt("name '%s' aliases an existing query name", name);
		return CAIRN_E_INVAL;
	}
	if (!name[0] && pquery_is_template(q) && other(empty_template(s), q)) {
		*why = buf_fmt("a query template with an empty name already exists");
		return CAIRN_E_INVAL;
	}
	if (uuid_shaped(name) && pquery_get(s, name)) {
		*why = buf_fmt("name '%s' aliases an existing query ID", name);
		return CAIRN_E_INVAL;
	}
	if (q->session && q->session[0] && !session_get(s, q->session)) {
		*why = buf_fmt("invalid session \"%s\"", q->session);
		return CAIRN_E_INVAL;
	}
	struct prepared_query *e = pquery_dup(q);
	e->modify_index = t->index;
	struct prepared_query *prev = NULL;
	if (found) {
		prev = cvec_ptr(&qt->byid, pos);
		e->create_index = prev->create_index;
		cvec_remove(&qt->byid, pos);
	} else {
		e->create_index = t->index;
	}
	pq_insert(qt, e);
	log_rec(qt, prev, e);
	return 0;
}

int pquery_txn_delete(struct store_txn *t, const char *id, char **why)
{
	struct prepared_query *q = pq_remove(&t->s->pq, id);
	if (!q) {
		*why = buf_fmt("Cannot modify non-existent prepared query: '%s'", id);
		return CAIRN_E_NOTFOUND;
	}
	log_rec(&t->s->pq, q, NULL);
	return 0;
}

void pquery_txn_delete_session(struct store_txn *t, const char *session)
{
	struct pq_table *qt = &t->s->pq;
	for (size_t i = 0; i < qt->byid.n;) {
		struct prepared_query *q = cvec_ptr(&qt->byid, i);
		if (q->session && cat_fold_cmp(q->session, session) == 0) {
			cvec_remove(&qt->byid, i);
			log_rec(qt, q, NULL);
		} else {
			i++;
		}
	}
}

/* ---- transaction end ---- */

void pquery_txn_commit(struct store *s, uint64_t index)
{
	struct pq_table *qt = &s->pq;
	for (size_t i = 0; i < qt->log.n; i++) {
		const struct pq_rec *r = cvec_at(&qt->log, i);
		qt->index = index;
		if (!r->after)
			qt->id_floor = index;
		pq_fire(s, r->after ? r->after : r->prev);
	}
	for (size_t i = 0; i < qt->log.n; i++)
		pquery_unref(((struct pq_rec *)cvec_at(&qt->log, i))->prev);
	qt->log.n = 0;
}

void pquery_txn_abort(struct store *s)
{
	struct pq_table *qt = &s->pq;
	for (size_t i = qt->log.n; i-- > 0;) {
		const struct pq_rec *r = cvec_at(&qt->log, i);
		if (r->after)
			pquery_unref(pq_remove(qt, r->after->id));
		if (r->prev)
			pq_insert(qt, r->prev); /* the log's reference moves back */
	}
	qt->log.n = 0;
}
