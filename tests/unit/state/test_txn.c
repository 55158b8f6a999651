/*
 * Write transactions: abort restores exactly what begin saw (entries,
 * tombstones, floor, tree shape invariants) across every kind of change, the
 * index still advances, and nothing is fired. A random walk compares commit and
 * abort against a replay of only the committed transactions.
 */
#include "helpers.h"

#include "base/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static int calls;
static void count_call(struct watcher *w)
{
	calls++;
}

static struct store *populated(void)
{
	struct store *s = store_new();
	put(s, 1, "a/1", "one");
	put(s, 2, "a/2", "two");
	put(s, 3, "a/b/3", "three");
	put(s, 4, "b", "bee");
	put(s, 5, "c", NULL);
	del(s, 6, "c");
	put(s, 7, "d", "dee");
	del(s, 8, "d");
	return s;
}

static void test_abort_mixed(void **state)
{
	struct store *s = populated();
	struct watcher w;
	watcher_init(&w, count_call, NULL);
	watch_prefix(s, &w, TABLE_KV, "");
	char *before = dump_store(s);

	struct store_txn *t = store_txn_begin(s, 20);
	assert_int_equal(kv_txn_set(t, "new", "n", 1, 0), 0);	 /* create */
	assert_int_equal(kv_txn_set(t, "b", "B", 1, 9), 0);	 /* update */
	assert_int_equal(kv_txn_set(t, "b", "BB", 2, 9), 0);	 /* update twice */
	assert_int_equal(kv_txn_set(t, "c", "C", 1, 0), 0);	 /* over a tombstone */
	assert_int_equal(kv_txn_cas(t, "a/1", "x", 1, 0, 1), 0); /* cas */
	assert_int_equal(kv_txn_cas(t, "a/2", "x", 1, 0, 77), CAIRN_E_CAS);
	assert_int_equal(kv_txn_delete_tree(t, "a/"), 0);	 /* delete tree */
	assert_int_equal(kv_txn_set(t, "a/2", "back", 4, 0), 0); /* recreate */
	assert_int_equal(kv_txn_delete(t, "new"), 0);		 /* create then delete */
	assert_int_equal(kv_txn_delete_cas(t, "b", 20), 0);
	assert_int_equal(kv_txn_reap(t, 15), 0); /* reaps old and new tombstones <= 15 */
	assert_int_equal(kv_txn_set(t, "d", "D", 1, 0), 0);
	assert_int_equal(kvt_check(&s->kv), 0);
	assert_int_equal(s->floor, 15);
	store_txn_abort(t);

	assert_int_equal(store_index(s), 20);
	assert_int_equal(kvt_check(&s->kv), 0);
	char *after = dump_store(s);
	/* Identical except the index line. */
	assert_string_equal(strchr(before, '\n'), strchr(after, '\n'));
	assert_int_equal(store_watch_flush(s), 0);
	assert_int_equal(calls, 0);
	free(before);
	free(after);

	/* The same transaction committed fires the watcher once. */
	t = store_txn_begin(s, 21);
	kv_txn_delete_tree(t, "a/");
	store_txn_commit(t);
	assert_int_equal(store_watch_flush(s), 1);
	assert_int_equal(calls, 1);
	store_free(s);
}

/* Entries returned before an aborted transaction stay valid (same pointers). */
static void test_abort_restores_same_entries(void **state)
{
	struct store *s = populated();
	const struct kv_entry *b = kv_get(s, "b");
	struct store_txn *t = store_txn_begin(s, 30);
	kv_txn_set(t, "b", "changed", 7, 0);
	kv_txn_delete(t, "b");
	store_txn_abort(t);
	assert_ptr_equal(kv_get(s, "b"), b);
	assert_memory_equal(b->value, "bee", 3);
	assert_int_equal(b->refs, 1);
	store_free(s);
}

static void test_index_advances_on_empty(void **state)
{
	struct store *s = store_new();
	store_txn_commit(store_txn_begin(s, 3));
	assert_int_equal(store_index(s), 3);
	store_txn_abort(store_txn_begin(s, 9));
	assert_int_equal(store_index(s), 9);
	store_free(s);
}

/* Random transactions; each is aborted or committed. A second store replays only
 * the committed ones: both must end identical (index aside). */
static void random_op(struct store_txn *t, unsigned *seed)
{
	char key[8];
	int len = 1 + rand_r(seed) % 3;
	for (int i = 0; i < len; i++)
		key[i] = "ab/"[rand_r(seed) % 3];
	key[len] = '\0';
	switch (rand_r(seed) % 6) {
	case 0:
	case 1:
		kv_txn_set(t, key, key, (size_t)len, (uint64_t)rand_r(seed) % 3);
		break;
	case 2:
		kv_txn_delete(t, key);
		break;
	case 3:
		kv_txn_delete_tree(t, key);
		break;
	case 4:
		kv_txn_cas(t, key, "c", 1, 0, (uint64_t)rand_r(seed) % 40);
		break;
	default:
		kv_txn_reap(t, t->index - 1 - (uint64_t)rand_r(seed) % 5);
	}
}

static void test_random_abort(void **state)
{
	struct store *s = store_new(), *ref = store_new();
	unsigned seed = 3;
	for (uint64_t idx = 10; idx < 1500; idx++) {
		bool abort = rand_r(&seed) % 3 == 0;
		unsigned ops = 1 + (unsigned)rand_r(&seed) % 6;
		unsigned seed_ops = seed;
		struct store_txn *t = store_txn_begin(s, idx);
		for (unsigned i = 0; i < ops; i++)
			random_op(t, &seed);
		assert_int_equal(kvt_check(&s->kv), 0);
		if (abort) {
			store_txn_abort(t);
			store_txn_abort(store_txn_begin(ref, idx));
			continue;
		}
		store_txn_commit(t);
		t = store_txn_begin(ref, idx);
		for (unsigned i = 0; i < ops; i++)
			random_op(t, &seed_ops);
		store_txn_commit(t);
		char *a = dump_store(s), *b = dump_store(ref);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	store_free(s);
	store_free(ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_abort_mixed),
	    cmocka_unit_test(test_abort_restores_same_entries),
	    cmocka_unit_test(test_index_advances_on_empty),
	    cmocka_unit_test(test_random_abort),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
