/*
 * The watcher registry (internal to src/state; the public API is in store.h).
 *
 * Registrations are grouped in watch sets, one per (table, exact|prefix, key),
 * found through a chained hash table. A set lists its links; a link is one
 * registration of one watcher (about 40 bytes, the only per-watcher memory the
 * store allocates). Firing a set marks each linked watcher fired, puts it on the
 * fired list and detaches all its links, freeing sets left empty: the cost is
 * proportional to the watchers woken. Prefix sets are also counted per prefix
 * length, so firing key K probes only the lengths that have prefix watchers,
 * hashing K once incrementally.
 */
#ifndef CAIRN_STATE_WATCH_H
#define CAIRN_STATE_WATCH_H

#include "state/store.h"

#include <stddef.h>
#include <stdint.h>

struct watch_set;

struct watch_reg {
	struct watch_set **buckets;    /* hash chains; nbuckets is a power of two */
	size_t nbuckets;	       /* chains allocated */
	size_t nsets;		       /* sets in the table */
	size_t watchers;	       /* watchers with at least one link */
	uint32_t *plen[TABLE_COUNT_];  /* per table: prefix sets per prefix length */
	size_t plen_cap[TABLE_COUNT_]; /* entries in plen[table] */
	struct watcher *fired;	       /* fired, waiting for the next flush */
	struct watcher *flushing;      /* being called by store_watch_flush */
};

void watch_reg_init(struct watch_reg *r);
/* Detach every watcher (none is called) and free the registry's memory. */
void watch_reg_free(struct watch_reg *r);
/* Fire the exact watchers of key and the prefix watchers of each of its prefixes. */
void watch_reg_fire(struct watch_reg *r, enum store_table table, const char *key, size_t len);
/* Fire every registered watcher (snapshot restore). */
void watch_reg_fire_all(struct watch_reg *r);

#endif
