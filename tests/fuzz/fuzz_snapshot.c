/*
 * Fuzz target: snapshot restore (state/snapshot.c).
 *
 * Each input is tried twice: as it is (random bytes mostly stop at the
 * checksum) and with its trailing checksum recomputed, so that mutations reach
 * the section and record decoders. A rejected input must leave the store as it
 * was; an accepted one must encode to a snapshot that restores again and
 * re-encodes to the same bytes.
 *
 * Corpus seeds (tests/fuzz/corpus/snapshot/) come from test_snapshot.c, run with
 * CAIRN_WRITE_SNAPSHOT_CORPUS=<dir>.
 */
// fuzz-lib: state
#include "state/snapshot.h"
#include "state/store.h"

#include "base/buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void encode(struct store *s, struct buf *out)
{
	struct store_frozen *f = store_freeze(s);
	store_frozen_encode(f, out);
	store_frozen_release(f);
}

static void try_restore(const uint8_t *data, size_t size)
{
	struct store *s = store_new();
	struct store_txn *t = store_txn_begin(s, 1);
	kv_txn_set(t, "sentinel", "v", 1, 0);
	store_txn_commit(t);
	if (store_restore(s, data, size) != 0) {
		if (store_index(s) != 1 || kv_count(s) != 1 || !kv_get(s, "sentinel"))
			abort(); /* a rejected snapshot changed the store */
		store_free(s);
		return;
	}
	struct buf a = BUF_INIT, b = BUF_INIT;
	encode(s, &a);
	struct store *r = store_new();
	if (store_restore(r, a.data, a.len) != 0)
		abort();
	encode(r, &b);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort();
	buf_free(&a);
	buf_free(&b);
	store_free(r);
	store_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	try_restore(data, size);
	if (size < SNAPSHOT_HEADER_SIZE + SNAPSHOT_TRAILER_SIZE)
		return 0;
	uint8_t *fixed = malloc(size);
	memcpy(fixed, data, size);
	uint64_t sum = snapshot_checksum(fixed, size - SNAPSHOT_TRAILER_SIZE);
	for (int i = 0; i < 8; i++)
		fixed[size - SNAPSHOT_TRAILER_SIZE + i] = (uint8_t)(sum >> (8 * i));
	try_restore(fixed, size);
	free(fixed);
	return 0;
}
