/*
 * A string-keyed hash map (chained, power-of-two buckets, grows at load 1).
 *
 * Local state indexes services and checks by ID with it: IDs are case-sensitive
 * on the agent (Consul's local maps are keyed by the exact ID). The map stores
 * pointers; it copies the key. Iteration order is unspecified; callers that
 * answer in Go's map order (sorted keys) collect and sort.
 *
 * Loop thread (no locks); idmap_free releases the map, not the values.
 */
#ifndef CAIRN_LOCAL_IDMAP_H
#define CAIRN_LOCAL_IDMAP_H

#include <stddef.h>

struct idmap_entry;

struct idmap {
	struct idmap_entry **buckets; /* nbuckets chains */
	size_t nbuckets;	      /* power of two, 0 before the first insert */
	size_t count;		      /* entries */
};

void idmap_init(struct idmap *m);
void idmap_free(struct idmap *m);
void *idmap_get(const struct idmap *m, const char *key);
/* Insert or replace; returns the previous value or NULL. */
void *idmap_put(struct idmap *m, const char *key, void *value);
/* Remove; returns the removed value or NULL. */
void *idmap_del(struct idmap *m, const char *key);
/* Every value, in unspecified order; returns count (array malloc'd, may be
 * NULL when empty). */
size_t idmap_values(const struct idmap *m, void ***out);
/* Every key (borrowed), sorted with strcmp; returns count (array malloc'd). */
size_t idmap_sorted_keys(const struct idmap *m, const char ***out);

#endif
