/*
 * Fuzz target: snapshot archives (state/archive.c), as `consul snapshot inspect`
 * reads untrusted files. Every input must be rejected or accepted; an accepted
 * archive must re-encode to the same bytes and its state must restore (or be
 * refused) without crashing.
 */
// fuzz-lib: state
#include "state/archive.h"
#include "state/store.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct archive_meta m;
	const void *state;
	size_t n;
	if (archive_decode(data, size, &m, &state, &n, NULL) != 0)
		return 0;
	struct buf out = BUF_INIT;
	archive_encode(&out, &m, state, n);
	if (out.len != size || memcmp(out.data, data, size) != 0)
		abort();
	buf_free(&out);
	struct store *s = store_new();
	store_restore(s, state, n);
	store_free(s);
	return 0;
}
