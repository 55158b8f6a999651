/*
 * Snapshot archives (state/archive.h): round trip of a real store snapshot,
 * the ID, and rejection of truncation, corruption, a wrong magic or version,
 * and an archive whose state is not a store snapshot.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "state/archive.h"
#include "state/snapshot.h"
#include "state/store.h"

#include "base/err.h"

#include <string.h>

static void make(struct buf *out, struct buf *state)
{
	struct store *s = store_new();
	struct store_frozen *f = store_freeze(s);
	store_frozen_encode(f, state);
	store_frozen_release(f);
	store_free(s);
	struct archive_meta m = {.index = 42, .term = 3, .created_ms = 1700000000123ULL};
	archive_encode(out, &m, state->data, state->len);
}

static void test_round_trip(void **st)
{
	(void)st;
	struct buf a = BUF_INIT, state = BUF_INIT;
	make(&a, &state);
	assert_int_equal(a.len, ARCHIVE_HEADER_SIZE + state.len + 8);
	struct archive_meta m;
	const void *p;
	size_t n;
	assert_int_equal(archive_decode(a.data, a.len, &m, &p, &n, NULL), 0);
	assert_int_equal(m.index, 42);
	assert_int_equal(m.term, 3);
	assert_int_equal(m.version, 1);
	assert_int_equal(m.size, state.len);
	assert_int_equal(n, state.len);
	assert_memory_equal(p, state.data, n);
	struct buf id = BUF_INIT;
	archive_id(&m, &id);
	assert_string_equal(buf_cstr(&id), "3-42-1700000000123");
	buf_free(&id);
	buf_free(&a);
	buf_free(&state);
}

static void test_rejects(void **st)
{
	(void)st;
	struct buf a = BUF_INIT, state = BUF_INIT;
	make(&a, &state);
	struct archive_meta m;
	const void *p;
	size_t n;
	const char *why = NULL;
	for (size_t cut = 0; cut < a.len; cut++)
		assert_int_equal(archive_decode(a.data, cut, &m, &p, &n, &why), CAIRN_E_PARSE);
	for (size_t i = 0; i < a.len; i++) {
		if (i >= 4 && i < 8)
			continue; /* the version: checked below */
		a.data[i] ^= 0x40;
		assert_int_not_equal(archive_decode(a.data, a.len, &m, &p, &n, &why), 0);
		a.data[i] ^= 0x40;
	}
	a.data[4] = 2;
	assert_int_equal(archive_decode(a.data, a.len, &m, &p, &n, &why), CAIRN_E_VERSION);
	/* a well-formed archive around bytes that are not a store snapshot */
	struct buf b = BUF_INIT;
	struct archive_meta mm = {.index = 1, .term = 1};
	archive_encode(&b, &mm, "not a snapshot, just some bytes", 31);
	assert_int_equal(archive_decode(b.data, b.len, &m, &p, &n, &why), CAIRN_E_PARSE);
	assert_string_equal(why, "snapshot archive holds no valid state");
	buf_free(&b);
	buf_free(&a);
	buf_free(&state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
