/*
 * Prepared queries: Consul's prepared-query table, in the state store beside
 * the KV tree, the catalog and the sessions.
 *
 * Model. A prepared query is an immutable, reference-counted entry: an ID
 * (UUID), an optional Name, an optional Session it is bound to, a Token, a
 * Template (only "name_prefix_match", with an optional Regexp), the Service
 * part (what to look up and how to filter it) and DNS options. A change
 * replaces the entry. The table is ordered by ID (compared ignoring ASCII
 * case, like sessions); names are unique ignoring case, looked up by a scan
 * (tables hold tens of queries, not millions).
 *
 * Session binding. A query with a Session is deleted when its session is
 * invalidated, inside the same transaction (session_txn_destroy calls
 * pquery_txn_delete_session), as Consul's deleteSessionTxn does.
 *
 * Rules of pquery_txn_set (Consul's preparedQuerySetTxn): the ID is set; a
 * create names a new ID and an update an existing one; a Name is not used
 * by another query; at most one template has the empty name; a Name shaped
 * like a UUID does not name an existing query's ID; the Session exists.
 *
 * Indexes for blocking queries (>= 1, never moving backwards):
 *   pquery_list_index     any query created, changed or deleted (/v1/query)
 *   pquery_id_index(id)   the query's ModifyIndex, or the latest delete's index
 * pquery_watch_* register a watcher on what the index of the same name covers.
 *
 * Resolution, templates and execution are query_tmpl.c and query_exec.c
 * (query_exec.h): pure functions over entries and the catalog.
 *
 * Loop thread only. Pointers returned by reads are valid until the next write
 * transaction, or longer with pquery_ref.
 */
#ifndef CAIRN_STATE_QUERY_H
#define CAIRN_STATE_QUERY_H

#include "state/catalog.h"
#include "state/store.h"

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QUERY_TEMPLATE_PREFIX "name_prefix_match" /* the one Template.Type */

/* A list of strings, every one owned (never NULL inside). */
struct pq_list {
	char **v;
	size_t n;
};

/* A string map, keys and values owned, in given order (keys unique). */
struct pq_map {
	struct cat_pair *v;
	size_t n;
};

/*
 * Every string is owned by the entry; NULL reads as "". pquery_unref frees
 * the lot. Field order follows Consul's structs.PreparedQuery.
 */
struct prepared_query {
	uint32_t refs;		 /* store + frozen snapshots + readers; loop thread only */
	uint64_t create_index;	 /* Raft index that created it */
	uint64_t modify_index;	 /* Raft index of its last change */
	char *id;		 /* ID (UUID) */
	char *name;		 /* Name ("" for an anonymous query) */
	char *session;		 /* Session it is bound to ("" none) */
	char *token;		 /* Token used at execution */
	char *tmpl_type;	 /* Template.Type: "" or QUERY_TEMPLATE_PREFIX */
	char *tmpl_regexp;	 /* Template.Regexp ("" none) */
	bool tmpl_remove_empty;	 /* Template.RemoveEmptyTags */
	char *service;		 /* Service.Service */
	int32_t nearest_n;	 /* Service.Failover.NearestN (>= 0) */
	struct pq_list dcs;	 /* Service.Failover.Datacenters */
	bool only_passing;	 /* Service.OnlyPassing */
	struct pq_list ignore;	 /* Service.IgnoreCheckIDs */
	char *near;		 /* Service.Near: "", "_agent", "_ip" or a node */
	struct pq_list tags;	 /* Service.Tags ("!tag" excludes) */
	struct pq_map node_meta; /* Service.NodeMeta */
	struct pq_map svc_meta;	 /* Service.ServiceMeta */
	char *peer;		 /* Service.Peer (kept, not used: no peering) */
	bool connect;		 /* Service.Connect.Enabled (kept, not used) */
	char *dns_ttl;		 /* DNS.TTL ("" none) */
};

/* A fresh empty entry (refs 1, every string NULL). */
struct prepared_query *pquery_new(void);
/* A deep copy (refs 1, indexes kept). */
struct prepared_query *pquery_dup(const struct prepared_query *q);
void pquery_ref(struct prepared_query *q);
void pquery_unref(struct prepared_query *q);
bool pquery_is_template(const struct prepared_query *q);
/* s, or "" for NULL. */
static inline const char *pq_str(const char *s)
{
	return s ? s : "";
}
void pq_list_add(struct pq_list *l, const char *s);
void pq_map_add(struct pq_map *m, const char *k, const char *v);

/* The one field-by-field binary form of a query, shared by the Raft command
 * (consensus/cmd.h) and the snapshot (query_snap.c):
 *   str id, str name, str session, str token, str template type,
 *   str template regexp, u8 remove empty tags, str service, u32 nearest n
 *   (two's complement), list datacenters, u8 only passing, list ignore
 *   check IDs, str near, list tags, map node meta, map service meta,
 *   str peer, u8 connect, str DNS TTL
 * (state/wire.h shapes). Indexes are not part of it. */
void pquery_wire_put(struct buf *b, const struct prepared_query *q);
/* Decode from [*p, end), advancing *p: a new entry, or NULL on bad input
 * (a length past end, a NUL inside a string, a bool other than 0/1, a map
 * key twice). */
struct prepared_query *pquery_wire_get(const unsigned char **p, const unsigned char *end);

/* ---- Reads (loop thread) ---- */

typedef int (*pquery_fn)(void *ctx, const struct prepared_query *q);

const struct prepared_query *pquery_get(const struct store *s, const char *id);
/* The query whose Name equals name, ignoring case (templates included). */
const struct prepared_query *pquery_by_name(const struct store *s, const char *name);
size_t pquery_count(const struct store *s);
/* All queries by ID; a nonzero return from fn stops the walk and is returned. */
int pquery_list(const struct store *s, pquery_fn fn, void *ctx);

uint64_t pquery_list_index(const struct store *s);
uint64_t pquery_id_index(const struct store *s, const char *id);
void pquery_watch_list(struct store *s, struct watcher *w);
void pquery_watch_id(struct store *s, struct watcher *w, const char *id);

/* ---- Writes (loop thread, from the FSM) ---- */

/* Create (update false) or replace (update true) the query q->id with a copy
 * of q. Returns 0, or CAIRN_E_INVAL / CAIRN_E_NOTFOUND with *why (malloc'd)
 * set to Consul's message (rules above). */
int pquery_txn_set(struct store_txn *t, const struct prepared_query *q, bool update, char **why);
/* Delete; CAIRN_E_NOTFOUND with *why when there is no such query. */
int pquery_txn_delete(struct store_txn *t, const char *id, char **why);
/* Delete every query bound to session (session invalidation). */
void pquery_txn_delete_session(struct store_txn *t, const char *session);

#endif
