/*
 * Snapshot archives: what GET /v1/snapshot returns and `consul snapshot save`
 * writes, and what `consul snapshot inspect` reads (pure; no I/O).
 *
 * Consul's archive is a gzipped tar of meta.json, state.bin (hashicorp/raft's
 * FSM encoding) and SHA256SUMS. cairn's store has its own encoding (snapshot.c),
 * which Consul could not read anyway, so the archive is cairn's too: a fixed
 * header with the metadata `snapshot inspect` prints, the store snapshot, and a
 * checksum. All integers little-endian:
 *
 *   offset  size  field
 *   0       4     magic "CRNA"
 *   4       4     archive version (1)
 *   8       8     Raft index the state reflects (the store index at freeze)
 *   16      8     Raft term at the time it was taken
 *   24      8     creation time, Unix milliseconds
 *   32      8     state length n
 *   40      n     the store snapshot (state/snapshot.c: "CRNS"..., own checksum)
 *   40+n    8     64-bit FNV-1a of bytes [0, 40+n) (snapshot_checksum)
 *
 * The ID is hashicorp/raft's "<term>-<index>-<unix ms>", Version the snapshot
 * format version (1), Size the state length, as `consul snapshot inspect`.
 */
#ifndef CAIRN_STATE_ARCHIVE_H
#define CAIRN_STATE_ARCHIVE_H

#include "base/buf.h"

#include <stddef.h>
#include <stdint.h>

#define ARCHIVE_MAGIC	    "CRNA"
#define ARCHIVE_VERSION	    1
#define ARCHIVE_HEADER_SIZE 40

struct archive_meta {
	uint64_t index;	     /* Raft index */
	uint64_t term;	     /* Raft term */
	uint64_t created_ms; /* Unix milliseconds */
	uint64_t size;	     /* state length */
	uint32_t version;    /* archive version */
};

/* Append an archive of state (a store snapshot) to out; m->size is ignored. */
void archive_encode(struct buf *out, const struct archive_meta *m, const void *state, size_t len);
/* Check and take apart an archive: 0 with *m and the state span set, or
 * CAIRN_E_PARSE (truncated, bad magic or checksum, state not a store snapshot)
 * or CAIRN_E_VERSION. msg (may be NULL) gets a one-line reason. */
int archive_decode(const void *data, size_t len, struct archive_meta *m, const void **state,
		   size_t *state_len, const char **msg);
/* "<term>-<index>-<unix ms>" into out. */
void archive_id(const struct archive_meta *m, struct buf *out);

#endif
