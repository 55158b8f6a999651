/*
 * Private to src/state: how the session table is held (API in session.h).
 *
 *   byid    sorted vector of struct session *, by folded ID
 *   nodes   sorted vector of struct sess_node *, by folded node name: the
 *           blocking-query index of each node that ever held a session (kept
 *           when its last session goes, so its index never moves back; one
 *           small record per node name)
 *
 * Transactions. A change to byid is made at once and logged as (prev, after);
 * abort replays the log backwards, commit gives the touched node records and
 * the table the transaction's index and fires their watchers (topics "*",
 * "i:<id>", "n:<node>", lowercased). Keys released by invalidations wait in
 * `delayed` until commit hands them to the lock-delay sink.
 */
#ifndef CAIRN_STATE_SESSION_INT_H
#define CAIRN_STATE_SESSION_INT_H

#include "state/catalog_int.h"
#include "state/session.h"

struct sess_node {
	uint64_t index; /* session_node_index */
	char name[];	/* the spelling that created the record */
};

struct sess_rec {
	struct session *prev;  /* before (the log's reference), NULL: absent */
	struct session *after; /* after (the table's), NULL: removed */
};

struct sess_delay {
	char *key;	   /* released key (owned) */
	uint64_t delay_ns; /* its lock delay */
};

struct sess_table {
	struct cvec byid;    /* struct session *, by folded ID */
	struct cvec nodes;   /* struct sess_node *, by folded name */
	uint64_t index;	     /* session_list_index */
	uint64_t id_floor;   /* index of the latest destroy */
	struct cvec log;     /* struct sess_rec, the open transaction's changes */
	struct cvec delayed; /* struct sess_delay, reported at commit */
	lock_delay_fn delay_fn;
	void *delay_ctx;
};

void sess_table_init(struct sess_table *st);
void sess_table_free(struct sess_table *st);
/* Transaction end (txn.c). */
void session_txn_commit(struct store *s, uint64_t index);
void session_txn_abort(struct store *s);

/* Structure (session.c): position of id in byid; insert/remove an entry. */
size_t sess_find(const struct sess_table *st, const char *id, bool *found);
void sess_insert(struct sess_table *st, struct session *e);
struct session *sess_remove(struct sess_table *st, const char *id);
struct sess_node *sess_node_get(struct sess_table *st, const char *name, bool create);
/* A packed copy of a template (refs 1, indexes 0). */
struct session *sess_pack(const struct session *tmpl);
void sess_fire(struct store *s, const struct session *e);

#endif
