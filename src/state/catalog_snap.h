/*
 * Catalog tables in snapshots (internal to src/state; the container format and
 * section framing are in snapshot.c / restore.c, the record layouts in
 * catalog_snap.c).
 *
 * Freeze (loop thread) takes a reference on every node, service and check entry
 * and copies the indexes; encode (any thread) writes the four catalog sections
 * from the frozen view only; release (loop thread) drops the references.
 * Restore decodes records into a cat_restoring, then cat_restore_build checks
 * every cross-reference and builds a fresh catalog in O(n log n), or fails
 * leaving nothing behind.
 */
#ifndef CAIRN_STATE_CATALOG_SNAP_H
#define CAIRN_STATE_CATALOG_SNAP_H

#include "state/catalog_int.h"

#include "base/buf.h"

#include <stddef.h>
#include <stdint.h>

struct cat_frozen;
struct cat_frozen *cat_freeze(const struct catalog *cat);
void cat_frozen_release(struct cat_frozen *f);
/* Record counts and record bodies of each catalog section id (snapshot.h). */
size_t cat_frozen_count(const struct cat_frozen *f, uint32_t section);
void cat_frozen_records(const struct cat_frozen *f, uint32_t section, struct buf *out);

struct cat_restoring;
struct cat_restoring *cat_restoring_new(uint64_t store_index);
void cat_restoring_free(struct cat_restoring *rs);
/* Decode one record of section from [*p, end), advancing *p; -1 when bad. */
int cat_restore_record(struct cat_restoring *rs, uint32_t section, const unsigned char **p,
		       const unsigned char *end);
/* Validate and build; NULL when the records do not form a valid catalog. The
 * entries move into the new catalog either way (rs can then only be freed). */
struct catalog *cat_restore_build(struct cat_restoring *rs);

#endif
