/*
 * Sessions: Consul's session table and the KV locks held through it, in the
 * state store beside the KV tree and the catalog.
 *
 * Model. A session is an immutable, reference-counted entry (like KV and
 * catalog entries) naming a node, the health checks it is tied to, a lock
 * delay, a behavior (release or delete) and an optional TTL (text, as given).
 * The table is ordered by ID (UUIDs compared ignoring ASCII case, as Consul's
 * UUID index does). A KV entry names its lock holder in kv_entry.session.
 *
 * Invalidation (session_txn_destroy) is Consul's deleteSessionTxn: every KV
 * entry held by the session is released (Behavior release: the session is
 * cleared, value, flags and LockIndex kept, ModifyIndex moves) or deleted
 * (Behavior delete), then the session goes. A session is invalidated when
 * destroyed through the API, when its TTL lapses (the leader proposes the
 * destroy), and, inside the catalog command that causes it, when its node is
 * deregistered or a check it is tied to turns critical or is removed
 * (session_txn_check_nodes: Consul's checkSessionsTxn / deleteNodeTxn). So
 * every server applies the same invalidations at the same index.
 *
 * Lock delay. After an invalidation the released keys cannot be locked again
 * for the session's LockDelay (at most 60 s). That is wall-clock state, which
 * the store does not keep: at commit the store hands (key, delay) pairs to the
 * sink set with store_set_lock_delay_fn (consensus keeps the key -> expiry map
 * in memory, as Consul's lockDelay does, and the KV endpoint refuses an acquire
 * before proposing it). An aborted transaction reports nothing.
 *
 * Indexes for blocking queries (X-Consul-Index), each >= 1 and never moving
 * backwards:
 *   session_list_index       any session created or destroyed (/session/list)
 *   session_node_index(n)    sessions of node n created or destroyed
 *                            (/session/node/:node); kept per node name
 *   session_id_index(id)     the session's ModifyIndex, or the index of the
 *                            latest destroy when it is gone (/session/info/:id)
 * session_watch_* register a watcher on exactly what the index of the same
 * name covers (table TABLE_SESSIONS).
 *
 * Writes go through the store's write transaction (store.h); commit and abort
 * restore the table exactly. Loop thread only. Pointers returned by reads are
 * valid until the next write transaction, or longer with session_ref.
 */
#ifndef CAIRN_STATE_SESSION_H
#define CAIRN_STATE_SESSION_H

#include "state/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum session_behavior {
	SESSION_RELEASE = 0, /* "release": clear the lock, keep the value */
	SESSION_DELETE = 1,  /* "delete": delete the locked keys */
	SESSION_BEHAVIOR_COUNT_
};

#define SESSION_MAX_LOCK_DELAY_NS (60ULL * 1000000000ULL) /* Consul's MaxLockDelay */

/* ServiceChecks element: {"ID": ..., "Namespace": ...}. */
struct session_svc_check {
	const char *id;
	const char *ns; /* "" in Consul CE */
};

/*
 * As stored every string is non-NULL ("" when absent) and owned by the entry.
 * As a template for session_txn_create the caller owns the pointers; refs and
 * indexes are ignored; NULL strings mean "".
 */
struct session {
	uint32_t refs;			      /* store + frozen snapshots; loop thread only */
	uint64_t create_index;		      /* Raft index that created the session */
	uint64_t modify_index;		      /* = create_index (sessions never change) */
	const char *id;			      /* ID (UUID) */
	const char *name;		      /* Name */
	const char *node;		      /* Node (as registered) */
	uint64_t lock_delay_ns;		      /* LockDelay in ns */
	enum session_behavior behavior;	      /* Behavior */
	const char *ttl;		      /* TTL as given ("30s"), "" for none */
	const char **node_checks;	      /* NodeChecks, in given order */
	size_t nnode_checks;		      /* entries in node_checks */
	struct session_svc_check *svc_checks; /* ServiceChecks, in given order */
	size_t nsvc_checks;		      /* entries in svc_checks */
	const char **checks;		      /* Checks (legacy, omitted when empty) */
	size_t nchecks;			      /* entries in checks */
};

const char *session_behavior_name(enum session_behavior b); /* "release", "delete" */
/* Returns the behavior or -1. */
int session_behavior_parse(const char *name);

void session_ref(struct session *e);
void session_unref(struct session *e);

/* ---- Reads (loop thread) ---- */

typedef int (*session_fn)(void *ctx, const struct session *e);

const struct session *session_get(const struct store *s, const char *id);
size_t session_count(const struct store *s);
/* All sessions, by ID; a nonzero return from fn stops the walk and is returned. */
int session_list(const struct store *s, session_fn fn, void *ctx);
/* Sessions of a node (name compared ignoring ASCII case), by ID. */
int session_node_list(const struct store *s, const char *node, session_fn fn, void *ctx);

uint64_t session_list_index(const struct store *s);
uint64_t session_node_index(const struct store *s, const char *node);
uint64_t session_id_index(const struct store *s, const char *id);

void session_watch_list(struct store *s, struct watcher *w);
void session_watch_node(struct store *s, struct watcher *w, const char *node);
void session_watch_id(struct store *s, struct watcher *w, const char *id);

/* ---- Writes (loop thread, from the FSM) ---- */

/*
 * Consul's sessionCreateTxn: returns 0, or an error with *why (malloc'd) set
 * to Consul's message: CAIRN_E_INVAL "Missing session ID", "Invalid session
 * behavior: x", "Session ID already exists"; CAIRN_E_NOTFOUND "Missing node
 * registration", "Missing check 'c' registration"; CAIRN_E_CAS "Check 'c' is
 * in critical state". Every check ID (NodeChecks, ServiceChecks, Checks) must
 * name a check of the node that is not critical.
 */
int session_txn_create(struct store_txn *t, const struct session *tmpl, char **why);
/* Invalidate (model above). A missing session succeeds and changes nothing. */
int session_txn_destroy(struct store_txn *t, const char *id);
/* After catalog changes in t: invalidate every session whose node is gone, or
 * one of whose checks is missing or critical, among the nodes t touched. */
void session_txn_check_nodes(struct store_txn *t);

/*
 * KV locks (Consul's kvsLockTxn / kvsUnlockTxn). Lock stores the value and
 * flags when the key is unlocked (LockIndex + 1) or already held by session
 * (LockIndex kept): 0; held by another session: CAIRN_E_CAS; session empty:
 * CAIRN_E_INVAL ("missing session"); no such session: CAIRN_E_NOTFOUND.
 * Unlock stores the value and flags and clears the holder when session holds
 * the key: 0; else CAIRN_E_CAS; session empty: CAIRN_E_INVAL. Lock-delay is
 * not checked here (the endpoint checks it before proposing).
 */
int kv_txn_lock(struct store_txn *t, const char *key, const void *val, size_t len, uint64_t flags,
		const char *session);
int kv_txn_unlock(struct store_txn *t, const char *key, const void *val, size_t len, uint64_t flags,
		  const char *session);

/* Where invalidations report the keys they released (model above). Called at
 * commit, once per key, with the key and the delay (<= 60 s, > 0). */
typedef void (*lock_delay_fn)(void *ctx, const char *key, uint64_t delay_ns);
void store_set_lock_delay_fn(struct store *s, lock_delay_fn fn, void *ctx);

#endif
