/*
 * Private to src/state: the store object, the write transaction and entry
 * constructors, shared by store.c, txn.c, watch.c and snapshot.c.
 *
 * One struct store owns: the KV tree (kvtree.h), the reap floor, the watcher
 * registry (watch.h), the catalog, the session table (session_int.h), the
 * prepared-query table (query_int.h) and one reusable transaction (only one
 * is ever open, so begin/commit allocate nothing once the undo log has
 * grown). Loop thread only.
 */
#ifndef CAIRN_STATE_INTERNAL_H
#define CAIRN_STATE_INTERNAL_H

#include "state/catalog_int.h"
#include "state/kvtree.h"
#include "state/query_int.h"
#include "state/session_int.h"
#include "state/store.h"
#include "state/watch.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One change to one key, as the undo log records it. Abort replays the log
 * backwards, putting prev back; at that moment the key holds exactly `after`
 * (later records were undone first), so after->key names the key when prev is
 * NULL. Commit drops the prev references.
 */
struct undo_rec {
	struct kv_entry *prev;	/* held before the change (log owns the ref); NULL: absent */
	struct kv_entry *after; /* stored by the change (tree owns the ref); NULL: removed */
	bool prev_tomb;		/* prev was a tombstone */
	bool fire;		/* readers can see the change: wake watchers at commit */
};

struct store_txn {
	struct store *s;	   /* owner */
	uint64_t index;		   /* Raft index being applied */
	uint64_t floor_before;	   /* reap floor at begin, restored by abort */
	struct undo_rec *log;	   /* changes, oldest first */
	size_t n;		   /* records in log */
	size_t cap;		   /* records allocated */
	struct kv_entry **scratch; /* delete-tree/reap victims (refs not held) */
	size_t scratch_n;	   /* entries in scratch */
	size_t scratch_cap;	   /* entries allocated */
};

struct store {
	struct kvt kv;		/* KV entries and tombstones */
	uint64_t index;		/* highest Raft index applied */
	uint64_t floor;		/* reap floor: indexes never report below it */
	bool txn_open;		/* txn is in use */
	struct store_txn txn;	/* the one write transaction */
	struct watch_reg watch; /* watchers, fired list */
	struct catalog *cat;	/* nodes, services, checks (catalog_int.h) */
	struct sess_table sess; /* sessions (session_int.h) */
	struct pq_table pq;	/* prepared queries (query_int.h) */
	_Atomic uint64_t gen;	/* store_generation: bumped by every commit/abort/restore */
	uint64_t restores;	/* store_restores: snapshot restores so far */
};

/* A new live entry (refs 1). session NULL: unlocked; val NULL: no value. */
struct kv_entry *kv_entry_new(const char *key, size_t klen, const void *val, size_t vlen,
			      const char *session, size_t slen);
/* A tombstone for key deleted at index (refs 1). */
struct kv_entry *kv_tomb_new(const char *key, size_t klen, uint64_t index);

/* Clear the lock holder of key, keeping its value (session invalidation). */
int kv_txn_release(struct store_txn *t, const char *key);

/* Free the transaction's buffers (store_free). */
void txn_free(struct store_txn *t);

#endif
