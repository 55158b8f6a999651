/*
 * Session sections of a snapshot (internal to src/state; container format in
 * snapshot.c / restore.c, record layouts in session_snap.c).
 *
 * Freeze (loop thread) takes a reference on every session and copies the
 * indexes; encode (any thread) writes sections 7 and 8 from the frozen view
 * only; release (loop thread) drops the references. Restore decodes records
 * into a sess_restoring, then sess_restore_build validates and fills a fresh
 * table, or fails leaving nothing behind.
 */
#ifndef CAIRN_STATE_SESSION_SNAP_H
#define CAIRN_STATE_SESSION_SNAP_H

#include "state/session_int.h"

#include "base/buf.h"

#include <stddef.h>
#include <stdint.h>

struct sess_frozen;
struct sess_frozen *sess_freeze(const struct sess_table *st);
void sess_frozen_release(struct sess_frozen *f);
/* Record count and bodies of a session section id (0 count: leave it out). */
size_t sess_frozen_count(const struct sess_frozen *f, uint32_t section);
void sess_frozen_records(const struct sess_frozen *f, uint32_t section, struct buf *out);

struct sess_restoring;
struct sess_restoring *sess_restoring_new(uint64_t store_index);
void sess_restoring_free(struct sess_restoring *rs);
/* Decode one record of section from [*p, end), advancing *p; -1 when bad. */
int sess_restore_record(struct sess_restoring *rs, uint32_t section, const unsigned char **p,
			const unsigned char *end);
/* Validate and move everything into st (initialised, empty); -1 when the
 * records do not form a valid table (st is then left empty). */
int sess_restore_build(struct sess_restoring *rs, struct sess_table *st);

#endif
