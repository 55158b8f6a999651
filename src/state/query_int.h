/*
 * Private to src/state: how the prepared-query table is held (API in query.h).
 *
 *   byid    sorted vector of struct prepared_query *, by folded ID
 *
 * Transactions. A change is made at once and logged as (prev, after); abort
 * replays the log backwards, commit gives the table the transaction's index
 * and fires the watchers of topics "*" and "i:<id>" (lowercased) in
 * TABLE_QUERIES.
 */
#ifndef CAIRN_STATE_QUERY_INT_H
#define CAIRN_STATE_QUERY_INT_H

#include "state/catalog_int.h"
#include "state/query.h"

struct pq_rec {
	struct prepared_query *prev;  /* before (the log's reference), NULL: absent */
	struct prepared_query *after; /* after (the table's), NULL: removed */
};

struct pq_table {
	struct cvec byid;  /* struct prepared_query *, by folded ID */
	uint64_t index;	   /* pquery_list_index */
	uint64_t id_floor; /* index of the latest delete */
	struct cvec log;   /* struct pq_rec, the open transaction's changes */
};

void pq_table_init(struct pq_table *qt);
void pq_table_free(struct pq_table *qt);
/* Transaction end (txn.c). */
void pquery_txn_commit(struct store *s, uint64_t index);
void pquery_txn_abort(struct store *s);

/* Structure (query.c). */
size_t pq_find(const struct pq_table *qt, const char *id, bool *found);
void pq_insert(struct pq_table *qt, struct prepared_query *q);
struct prepared_query *pq_remove(struct pq_table *qt, const char *id);
void pq_fire(struct store *s, const struct prepared_query *q);

/* Snapshot sections 9 and 10 (query_snap.c), the shape of session_snap.h. */
struct pq_frozen;
struct pq_frozen *pq_freeze(const struct pq_table *qt);
void pq_frozen_release(struct pq_frozen *f);
size_t pq_frozen_count(const struct pq_frozen *f, uint32_t section);
void pq_frozen_records(const struct pq_frozen *f, uint32_t section, struct buf *out);
struct pq_restoring;
struct pq_restoring *pq_restoring_new(uint64_t store_index);
void pq_restoring_free(struct pq_restoring *rs);
int pq_restore_record(struct pq_restoring *rs, uint32_t section, const unsigned char **p,
		      const unsigned char *end);
/* Validate (IDs unique, indexes in range) and move into qt (empty); -1 when bad. */
int pq_restore_build(struct pq_restoring *rs, struct pq_table *qt);

#endif
