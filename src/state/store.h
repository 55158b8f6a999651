/*
 * The in-memory state store: what every server holds and Raft replicates.
 *
 * Model. The store is a deterministic function of the Raft log: every change
 * enters through a write transaction (store_txn_begin .. commit/abort) carrying
 * the Raft index of the entry being applied, on the loop thread, from the FSM.
 * Reads are plain function calls on the loop thread. No locks: one thread owns it.
 * The store never touches libuv, the clock or the disk, so it is unit-tested and
 * fuzzed alone.
 *
 * KV. An ordered tree of entries keyed by byte strings without NUL (Consul keys
 * are UTF-8 paths). Entries are immutable once published and reference counted:
 * an update publishes a new entry and drops the tree's reference to the old one.
 * That is what makes snapshots cheap (store_freeze takes references, the encoder
 * runs in another thread). Deleting a key leaves a tombstone (key + index) so a
 * blocking query on a prefix sees the delete; tombstones are reaped by an
 * explicit command (kv_txn_reap), which raises a floor index so that indexes
 * never go backwards.
 *
 * Indexes for blocking queries. kv_key_index() and kv_prefix_index() return the
 * highest index that can have changed what a read of that key/prefix returns:
 * the max of live entries' ModifyIndex and tombstones under it, and the reap
 * floor; never 0 (at least 1). They only move when that read's result can have
 * changed, unlike Consul's table-wide index.
 *
 * Watches. A blocking read registers a struct watcher on the keys/prefixes it
 * read (watch_key / watch_prefix, per table). A committed transaction marks the
 * watchers of every key it touched as fired; store_watch_flush(), called once per
 * loop iteration by the agent, calls them. So a burst of writes in one iteration
 * wakes each watcher once. A fired watcher is detached from everything it
 * watched; to wait again it registers again.
 *
 * Catalog. Nodes, services and health checks live in the same store, with the
 * same transactions, watches and snapshots: state/catalog.h.
 *
 * Memory. store_free frees everything. Entries returned by reads are valid until
 * the next write transaction (or longer with kv_entry_ref).
 */
#ifndef CAIRN_STATE_STORE_H
#define CAIRN_STATE_STORE_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* Tables a watcher can watch. Later subsystems add rows. */
enum store_table {
	TABLE_KV = 0,
	TABLE_NODES,
	TABLE_SERVICES,
	TABLE_CHECKS,
	TABLE_SESSIONS,
	TABLE_EVENTS,  /* no rows: the agent touches it when a user event arrives */
	TABLE_QUERIES, /* prepared queries (state/query.h) */
	TABLE_COUNT_
};

struct kv_entry {
	uint32_t refs;	       /* tree + frozen snapshots; changed on the loop thread only */
	uint64_t create_index; /* Raft index that created the key */
	uint64_t modify_index; /* Raft index of the last change */
	uint64_t lock_index;   /* times the lock was acquired */
	uint64_t flags;	       /* opaque client flags */
	char *session;	       /* lock holder's session ID, NULL if unlocked */
	char *value;	       /* NULL: no value (JSON null); else value_len bytes */
	size_t value_len;
	size_t key_len;
	char key[]; /* NUL-terminated */
};

struct store *store_new(void);
void store_free(struct store *s);
/* Highest Raft index applied (0 for an empty store). */
uint64_t store_index(const struct store *s);
/* A counter that changes with every write transaction (commit or abort) and
 * restore: whatever a read returned may differ once it moves. The one store
 * function that is safe from any thread (an atomic load); the DNS answer cache
 * (src/dns/cache.h) uses it to tell a cached answer is still the store's. */
uint64_t store_generation(const struct store *s);

void kv_entry_ref(struct kv_entry *e);
void kv_entry_unref(struct kv_entry *e);

/* ---- KV reads (loop thread) ---- */

const struct kv_entry *kv_get(const struct store *s, const char *key);
size_t kv_count(const struct store *s);
/* Visit live entries whose key starts with prefix, in key (byte) order. A nonzero
 * return from fn stops the walk and is returned. */
typedef int (*kv_visit_fn)(void *ctx, const struct kv_entry *e);
int kv_scan(const struct store *s, const char *prefix, kv_visit_fn fn, void *ctx);
/* Consul's ?keys listing: every key under prefix; when sep is non-empty, a key that
 * contains sep after the prefix is cut just after that first sep, and repeats
 * are reported once. In key order. */
typedef int (*kv_key_fn)(void *ctx, const char *key, size_t len);
int kv_keys(const struct store *s, const char *prefix, const char *sep, kv_key_fn fn, void *ctx);
uint64_t kv_key_index(const struct store *s, const char *key);
uint64_t kv_prefix_index(const struct store *s, const char *prefix);
size_t kv_tombstone_count(const struct store *s);

/* ---- Write transactions (loop thread, from the FSM) ---- */

struct store_txn;
/* index: the Raft index being applied (> store_index). Only one open at a time. */
struct store_txn *store_txn_begin(struct store *s, uint64_t index);
/* Make the changes visible, advance store_index and fire watchers. Frees t. */
void store_txn_commit(struct store_txn *t);
/* Undo every change made through t (store_index is still advanced: the log entry
 * was applied, even if its transaction was rolled back). Frees t. */
void store_txn_abort(struct store_txn *t);

/* Each returns 0 when the change was made, CAIRN_E_CAS when its condition did not
 * hold (and nothing changed). Values are copied. val may be NULL (no value).
 * Set and cas return CAIRN_E_TOOBIG for a key or value of 4 GiB or more (the
 * snapshot format stores 32-bit lengths). */
int kv_txn_set(struct store_txn *t, const char *key, const void *val, size_t len, uint64_t flags);
/* cas == 0: only if the key does not exist; else only if its ModifyIndex == cas. */
int kv_txn_cas(struct store_txn *t, const char *key, const void *val, size_t len, uint64_t flags,
	       uint64_t cas);
/* Deleting a missing key succeeds and changes nothing. */
int kv_txn_delete(struct store_txn *t, const char *key);
/* Succeeds if the key is missing, or its ModifyIndex == cas. */
int kv_txn_delete_cas(struct store_txn *t, const char *key, uint64_t cas);
int kv_txn_delete_tree(struct store_txn *t, const char *prefix);
/* Remove tombstones with index <= upto and raise the floor index to upto. */
int kv_txn_reap(struct store_txn *t, uint64_t upto);

/* ---- Watches ---- */

struct watch_link;
struct watcher;
typedef void (*watcher_fn)(struct watcher *w);

struct watcher {
	watcher_fn fn; /* called by store_watch_flush after a change */
	void *data;    /* user's */
	/* private to the store */
	struct watch_link *links; /* registrations, freed when fired or cancelled */
	struct watcher *next_fired;
	struct watcher **pprev_fired; /* unlinks a cancelled watcher from the fired list in O(1) */
	bool fired;
};

void watcher_init(struct watcher *w, watcher_fn fn, void *data);
/* Fire w when key changes (created, modified, deleted) in table. */
void watch_key(struct store *s, struct watcher *w, enum store_table table, const char *key);
/* Fire w when any key starting with prefix changes ("" = any change in table). */
void watch_prefix(struct store *s, struct watcher *w, enum store_table table, const char *prefix);
/* Detach w from everything; it will not be called. Safe at any time, twice too. */
void watcher_cancel(struct store *s, struct watcher *w);
/* Mark the watchers of key in table as fired (writers of other tables call this). */
void store_watch_touch(struct store *s, enum store_table table, const char *key);
/* Call every fired watcher once; returns how many. */
size_t store_watch_flush(struct store *s);
/* Watchers registered on at least one key or prefix (fired ones are detached). */
size_t store_watcher_count(const struct store *s);

/* ---- Snapshots ---- */

/*
 * A frozen view of the whole store, taken on the loop in O(entries) pointer copies
 * (no value copies) and encoded later, in any thread, while the loop goes on.
 */
struct store_frozen;
struct store_frozen *store_freeze(struct store *s);
/* Append the snapshot encoding (format in snapshot.c) to out. Thread-safe with
 * respect to the loop: reads only immutable data. */
void store_frozen_encode(const struct store_frozen *f, struct buf *out);
/* Drop the references (loop thread). */
void store_frozen_release(struct store_frozen *f);
/* Replace the store's contents with a decoded snapshot. On bad input returns
 * CAIRN_E_PARSE/CAIRN_E_VERSION and leaves the store unchanged. Fires all watchers. */
int store_restore(struct store *s, const void *data, size_t len);
/* How many restores replaced the store so far: a blocking read parked before
 * one answers at once, as Consul abandons its state store on restore, since
 * the restored indexes may be lower than the one it waits to pass. */
uint64_t store_restores(const struct store *s);

#endif
