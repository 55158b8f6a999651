/*
 * KV semantics of the state store: Consul's set/cas/delete/delete-tree rules,
 * tombstones, the index rules for blocking queries, scans and the
 * ?keys&separator= listing, plus the 100k-insert timing (printed, not asserted).
 */
#include "helpers.h"

#include "base/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static void test_set_get(void **state)
{
	struct store *s = store_new();
	assert_int_equal(store_index(s), 0);
	assert_null(kv_get(s, "a"));
	struct store_txn *t = store_txn_begin(s, 5);
	assert_int_equal(kv_txn_set(t, "a", "hello", 5, 42), 0);
	store_txn_commit(t);
	assert_int_equal(store_index(s), 5);
	const struct kv_entry *e = kv_get(s, "a");
	assert_non_null(e);
	assert_int_equal(e->create_index, 5);
	assert_int_equal(e->modify_index, 5);
	assert_int_equal(e->lock_index, 0);
	assert_int_equal(e->flags, 42);
	assert_null(e->session);
	assert_int_equal(e->value_len, 5);
	assert_memory_equal(e->value, "hello", 5);
	assert_int_equal(e->key_len, 1);
	assert_string_equal(e->key, "a");

	t = store_txn_begin(s, 9);
	assert_int_equal(kv_txn_set(t, "a", NULL, 0, 1), 0);
	assert_int_equal(kv_txn_set(t, "b", "", 0, 0), 0);
	store_txn_commit(t);
	e = kv_get(s, "a");
	assert_int_equal(e->create_index, 5);
	assert_int_equal(e->modify_index, 9);
	assert_int_equal(e->flags, 1);
	assert_null(e->value); /* no value: JSON null */
	e = kv_get(s, "b");
	assert_non_null(e->value); /* empty value, not null */
	assert_int_equal(e->value_len, 0);
	assert_int_equal(kv_count(s), 2);
	store_free(s);
}

/* Set keeps CreateIndex, LockIndex and Session of a locked key. */
static void test_set_keeps_lock(void **state)
{
	struct store *s = store_new();
	put(s, 3, "lk", "v0");
	struct kv_entry *e = kv_entry_new("lk", 2, "v1", 2, "sess-1", 6);
	e->create_index = 3;
	e->modify_index = 4;
	e->lock_index = 2;
	kv_entry_unref(kvt_put(&s->kv, e, false).e); /* as a lock acquire would */
	put(s, 7, "lk", "v2");
	const struct kv_entry *got = kv_get(s, "lk");
	assert_int_equal(got->create_index, 3);
	assert_int_equal(got->modify_index, 7);
	assert_int_equal(got->lock_index, 2);
	assert_string_equal(got->session, "sess-1");
	assert_memory_equal(got->value, "v2", 2);
	store_free(s);
}

static void test_cas(void **state)
{
	struct store *s = store_new();
	struct store_txn *t = store_txn_begin(s, 2);
	assert_int_equal(kv_txn_cas(t, "k", "1", 1, 0, 0), 0); /* absent: created */
	assert_int_equal(kv_txn_cas(t, "k", "2", 1, 0, 0), CAIRN_E_CAS);
	assert_int_equal(kv_txn_cas(t, "missing", "x", 1, 0, 5), CAIRN_E_CAS);
	store_txn_commit(t);
	assert_memory_equal(kv_get(s, "k")->value, "1", 1);
	assert_null(kv_get(s, "missing"));

	t = store_txn_begin(s, 3);
	assert_int_equal(kv_txn_cas(t, "k", "3", 1, 0, 1), CAIRN_E_CAS);
	assert_int_equal(kv_txn_cas(t, "k", "4", 1, 0, 2), 0);
	store_txn_commit(t);
	assert_int_equal(kv_get(s, "k")->modify_index, 3);
	assert_memory_equal(kv_get(s, "k")->value, "4", 1);

	/* A tombstone is not a key: cas 0 recreates it. */
	del(s, 4, "k");
	t = store_txn_begin(s, 5);
	assert_int_equal(kv_txn_cas(t, "k", "5", 1, 0, 4), CAIRN_E_CAS);
	assert_int_equal(kv_txn_cas(t, "k", "5", 1, 0, 0), 0);
	store_txn_commit(t);
	assert_int_equal(kv_get(s, "k")->create_index, 5);
	assert_int_equal(kv_tombstone_count(s), 0);
	store_free(s);
}

static void test_delete_and_tombstones(void **state)
{
	struct store *s = store_new();
	put(s, 1, "a", "x");
	put(s, 2, "b", "y");
	del(s, 3, "a");
	assert_null(kv_get(s, "a"));
	assert_int_equal(kv_count(s), 1);
	assert_int_equal(kv_tombstone_count(s), 1);
	assert_int_equal(kv_key_index(s, "a"), 3);

	del(s, 4, "nothing"); /* missing: succeeds, no tombstone */
	del(s, 5, "a");	      /* already deleted: tombstone keeps its index */
	assert_int_equal(kv_tombstone_count(s), 1);
	assert_int_equal(kv_key_index(s, "a"), 3);
	assert_int_equal(store_index(s), 5);

	put(s, 6, "a", "again"); /* creating removes the tombstone */
	assert_int_equal(kv_tombstone_count(s), 0);
	assert_int_equal(kv_get(s, "a")->create_index, 6);

	struct store_txn *t = store_txn_begin(s, 7);
	assert_int_equal(kv_txn_delete_cas(t, "zzz", 99), 0); /* missing: ok */
	assert_int_equal(kv_txn_delete_cas(t, "a", 5), CAIRN_E_CAS);
	assert_non_null(kv_get(s, "a"));
	assert_int_equal(kv_txn_delete_cas(t, "a", 6), 0);
	store_txn_commit(t);
	assert_null(kv_get(s, "a"));
	assert_int_equal(kv_key_index(s, "a"), 7);
	assert_int_equal(kv_tombstone_count(s), 1);
	store_free(s);
}

static void test_delete_tree(void **state)
{
	struct store *s = store_new();
	const char *keys[] = {"a/1", "a/2", "a/b/3", "ab", "b", "a"};
	for (size_t i = 0; i < 6; i++)
		put(s, i + 1, keys[i], "v");
	struct store_txn *t = store_txn_begin(s, 10);
	assert_int_equal(kv_txn_delete_tree(t, "a/"), 0);
	store_txn_commit(t);
	assert_int_equal(kv_count(s), 3);
	assert_int_equal(kv_tombstone_count(s), 3);
	assert_non_null(kv_get(s, "ab"));
	assert_non_null(kv_get(s, "a"));
	assert_null(kv_get(s, "a/b/3"));
	assert_int_equal(kv_key_index(s, "a/1"), 10);
	assert_int_equal(kv_key_index(s, "a/b/3"), 10);
	assert_int_equal(kv_prefix_index(s, "a/"), 10);
	assert_int_equal(kv_prefix_index(s, "ab"), 4);

	t = store_txn_begin(s, 11);
	kv_txn_delete_tree(t, "nothing/");
	store_txn_commit(t);
	assert_int_equal(kv_tombstone_count(s), 3);

	t = store_txn_begin(s, 12);
	kv_txn_delete_tree(t, "");
	store_txn_commit(t);
	assert_int_equal(kv_count(s), 0);
	assert_int_equal(kv_tombstone_count(s), 6);
	assert_int_equal(kvt_check(&s->kv), 0);
	store_free(s);
}

static void test_index_rules(void **state)
{
	struct store *s = store_new();
	assert_int_equal(kv_key_index(s, "x"), 1); /* never 0 */
	assert_int_equal(kv_prefix_index(s, ""), 1);
	put(s, 5, "app/db/host", "h");
	put(s, 6, "app/web/port", "80");
	put(s, 7, "other", "o");
	assert_int_equal(kv_key_index(s, "app/db/host"), 5);
	assert_int_equal(kv_key_index(s, "app/db"), 1);
	assert_int_equal(kv_prefix_index(s, "app/db"), 5);
	assert_int_equal(kv_prefix_index(s, "app/"), 6);
	assert_int_equal(kv_prefix_index(s, "app/web/port"), 6);
	assert_int_equal(kv_prefix_index(s, ""), 7);
	assert_int_equal(kv_prefix_index(s, "zzz"), 1);

	del(s, 8, "app/db/host");
	assert_int_equal(kv_key_index(s, "app/db/host"), 8);
	assert_int_equal(kv_prefix_index(s, "app/db/"), 8);
	assert_int_equal(kv_prefix_index(s, "app/"), 8);
	del(s, 9, "other");

	/* Reap the first tombstone only: the floor covers what it reported. */
	struct store_txn *t = store_txn_begin(s, 10);
	kv_txn_reap(t, 8);
	store_txn_commit(t);
	assert_int_equal(kv_tombstone_count(s), 1);
	assert_int_equal(s->floor, 8);
	assert_int_equal(kv_key_index(s, "app/db/host"), 8);
	assert_int_equal(kv_prefix_index(s, "app/db/"), 8);
	assert_int_equal(kv_key_index(s, "never"), 8);
	assert_int_equal(kv_key_index(s, "other"), 9);
	assert_int_equal(kv_key_index(s, "app/web/port"), 6); /* live: its own index */
	assert_int_equal(kv_prefix_index(s, "app/web/"), 8);  /* prefix: floor counts */
	/* The floor never goes down. */
	t = store_txn_begin(s, 11);
	kv_txn_reap(t, 3);
	store_txn_commit(t);
	assert_int_equal(s->floor, 8);
	assert_int_equal(kv_tombstone_count(s), 1);
	store_free(s);
}

/* kv_prefix_index against a brute-force max over random keys. */
static uint64_t brute_max;
static const char *brute_prefix;
static void brute_one(void *ctx, struct kv_entry *e, bool tomb)
{
	size_t plen = strlen(brute_prefix);
	if (e->key_len >= plen && memcmp(e->key, brute_prefix, plen) == 0 &&
	    e->modify_index > brute_max)
		brute_max = e->modify_index;
}

static void random_key(char *out, unsigned *seed)
{
	int len = 1 + rand_r(seed) % 6;
	for (int i = 0; i < len; i++)
		out[i] = "ab/c"[rand_r(seed) % 4];
	out[len] = '\0';
}

static void test_prefix_index_random(void **state)
{
	struct store *s = store_new();
	unsigned seed = 7;
	char key[16];
	for (uint64_t idx = 1; idx <= 3000; idx++) {
		random_key(key, &seed);
		if (rand_r(&seed) % 3 == 0)
			del(s, idx, key);
		else
			put(s, idx, key, "v");
	}
	assert_int_equal(kvt_check(&s->kv), 0);
	for (int i = 0; i < 500; i++) {
		random_key(key, &seed);
		key[rand_r(&seed) % (strlen(key) + 1)] = '\0';
		brute_max = 0;
		brute_prefix = key;
		kvt_each(&s->kv, brute_one, NULL);
		assert_int_equal(kv_prefix_index(s, key), brute_max ? brute_max : 1);
	}
	store_free(s);
}

struct collect {
	struct buf b;
	int stop_after; /* 0: never */
	int seen;
};

static int collect_key(void *ctx, const char *key, size_t len)
{
	struct collect *c = ctx;
	buf_append(&c->b, key, len);
	buf_putc(&c->b, ' ');
	return ++c->seen == c->stop_after ? 99 : 0;
}

static int collect_entry(void *ctx, const struct kv_entry *e)
{
	return collect_key(ctx, e->key, e->key_len);
}

static char *keys_of(struct store *s, const char *prefix, const char *sep)
{
	struct collect c = {BUF_INIT, 0, 0};
	assert_int_equal(kv_keys(s, prefix, sep, collect_key, &c), 0);
	buf_putc(&c.b, '|');
	return buf_steal(&c.b);
}

static void expect_keys(struct store *s, const char *prefix, const char *sep, const char *want)
{
	char *got = keys_of(s, prefix, sep);
	assert_string_equal(got, want);
	free(got);
}

static void test_keys_separator(void **state)
{
	struct store *s = store_new();
	const char *keys[] = {"a/b/c", "a/b/d", "a/e", "a/f/g", "a/", "b/x", "a//z", "a/b/"};
	for (size_t i = 0; i < 8; i++)
		put(s, i + 1, keys[i], "v");
	del(s, 20, "b/x");
	expect_keys(s, "a/", "/", "a/ a// a/b/ a/e a/f/ |");
	expect_keys(s, "a/", "", "a/ a//z a/b/ a/b/c a/b/d a/e a/f/g |");
	expect_keys(s, "a/", NULL, "a/ a//z a/b/ a/b/c a/b/d a/e a/f/g |");
	expect_keys(s, "", "/", "a/ |");
	expect_keys(s, "a/b", "/", "a/b/ |");
	expect_keys(s, "a/b/", "/", "a/b/ a/b/c a/b/d |");
	expect_keys(s, "a/", "b/", "a/ a//z a/b/ a/e a/f/g |");
	expect_keys(s, "b", "/", "|"); /* tombstones are not listed */
	expect_keys(s, "zz", "/", "|");

	struct collect c = {BUF_INIT, 2, 0};
	assert_int_equal(kv_keys(s, "a/", "/", collect_key, &c), 99);
	assert_string_equal(buf_cstr(&c.b), "a/ a// ");
	buf_free(&c.b);
	store_free(s);
}

/* The separator listing against a brute-force cut/dedup of every key. */
static void test_keys_random(void **state)
{
	struct store *s = store_new();
	unsigned seed = 11;
	char key[16];
	for (uint64_t idx = 1; idx <= 2000; idx++) {
		random_key(key, &seed);
		if (rand_r(&seed) % 4 == 0)
			del(s, idx, key);
		else
			put(s, idx, key, "v");
	}
	for (int i = 0; i < 300; i++) {
		char prefix[16];
		random_key(prefix, &seed);
		prefix[rand_r(&seed) % (strlen(prefix) + 1)] = '\0';
		const char *sep = (const char *[]){"/", "", "b/", "c"}[i % 4];
		struct collect all = {BUF_INIT, 0, 0};
		kv_scan(s, prefix, collect_entry, &all);
		/* Expected: cut each scanned key, drop repeats of the previous cut. */
		struct buf want = BUF_INIT, last = BUF_INIT;
		char *save, *k = strtok_r(all.b.data ? all.b.data : "", " ", &save);
		for (; k; k = strtok_r(NULL, " ", &save)) {
			size_t plen = strlen(prefix), klen = strlen(k);
			char *cut = *sep ? strstr(k + plen, sep) : NULL;
			if (cut)
				klen = (size_t)(cut - k) + strlen(sep);
			if (last.len == klen && memcmp(last.data, k, klen) == 0)
				continue;
			buf_reset(&last);
			buf_append(&last, k, klen);
			buf_append(&want, k, klen);
			buf_putc(&want, ' ');
		}
		buf_putc(&want, '|');
		char *got = keys_of(s, prefix, sep);
		assert_string_equal(got, buf_cstr(&want));
		free(got);
		buf_free(&want);
		buf_free(&last);
		buf_free(&all.b);
	}
	store_free(s);
}

static void test_scan(void **state)
{
	struct store *s = store_new();
	const char *keys[] = {"b", "a/2", "a/1", "a", "a/10", "c"};
	for (size_t i = 0; i < 6; i++)
		put(s, i + 1, keys[i], "v");
	del(s, 7, "a/10");
	struct collect c = {BUF_INIT, 0, 0};
	assert_int_equal(kv_scan(s, "a", collect_entry, &c), 0);
	assert_string_equal(buf_cstr(&c.b), "a a/1 a/2 ");
	buf_reset(&c.b);
	assert_int_equal(kv_scan(s, "", collect_entry, &c), 0);
	assert_string_equal(buf_cstr(&c.b), "a a/1 a/2 b c ");
	buf_reset(&c.b);
	c.seen = 0;
	c.stop_after = 1;
	assert_int_equal(kv_scan(s, "", collect_entry, &c), 99);
	assert_string_equal(buf_cstr(&c.b), "a ");
	buf_free(&c.b);
	store_free(s);
}

/* Scans skip tombstone-only subtrees: 100k tombstones cost nothing to walk. */
static void test_scan_skips_tombstones(void **state)
{
	struct store *s = store_new();
	char key[32];
	struct store_txn *t = store_txn_begin(s, 1);
	for (int i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "dir/%06d", i);
		kv_txn_set(t, key, "v", 1, 0);
	}
	kv_txn_set(t, "dir/zzz", "v", 1, 0);
	store_txn_commit(t);
	t = store_txn_begin(s, 2);
	kv_txn_delete_tree(t, "dir/0");
	store_txn_commit(t);
	assert_int_equal(kv_tombstone_count(s), 100000);
	struct collect c = {BUF_INIT, 0, 0};
	double t0 = now_ms();
	for (int i = 0; i < 1000; i++) {
		buf_reset(&c.b);
		kv_scan(s, "dir/", collect_entry, &c);
	}
	double ms = now_ms() - t0;
	assert_string_equal(buf_cstr(&c.b), "dir/zzz ");
	printf("# 1000 scans past 100k tombstones: %.2f ms\n", ms);
	buf_free(&c.b);
	store_free(s);
}

/* kvt_collect (snapshot freeze) places entries in key order, like an in-order walk. */
struct walk {
	struct kv_entry **live, **tombs;
	size_t nlive, ntombs;
};

static void walk_one(void *ctx, struct kv_entry *e, bool tomb)
{
	struct walk *w = ctx;
	if (tomb)
		w->tombs[w->ntombs++] = e;
	else
		w->live[w->nlive++] = e;
}

static void test_collect_order(void **state)
{
	struct store *s = store_new();
	unsigned seed = 5;
	char key[16];
	for (uint64_t idx = 1; idx <= 5000; idx++) {
		random_key(key, &seed);
		if (rand_r(&seed) % 3 == 0)
			del(s, idx, key);
		else
			put(s, idx, key, "v");
	}
	size_t nl = kv_count(s), nt = kv_tombstone_count(s);
	assert_true(nl > 100 && nt > 100);
	struct walk want = {calloc(nl, sizeof(void *)), calloc(nt, sizeof(void *)), 0, 0};
	struct kv_entry **live = calloc(nl, sizeof(void *)), **tombs = calloc(nt, sizeof(void *));
	kvt_each(&s->kv, walk_one, &want);
	kvt_collect(&s->kv, live, tombs);
	assert_memory_equal(live, want.live, nl * sizeof(void *));
	assert_memory_equal(tombs, want.tombs, nt * sizeof(void *));
	free(want.live);
	free(want.tombs);
	free(live);
	free(tombs);
	store_free(s);
}

static void test_insert_timing(void **state)
{
	struct store *s = store_new();
	char key[48];
	double t0 = now_ms();
	for (uint64_t i = 1; i <= 100000; i++) {
		snprintf(key, sizeof(key), "service/web/%08llu",
			 (unsigned long long)(i * 7919 % 100003));
		struct store_txn *t = store_txn_begin(s, i);
		kv_txn_set(t, key, "0123456789abcdef", 16, 0);
		store_txn_commit(t);
	}
	double ms = now_ms() - t0;
	printf("# 100k inserts, one transaction each: %.1f ms\n", ms);
	assert_int_equal(kv_count(s), 100000);
	assert_int_equal(kvt_check(&s->kv), 0);

	struct store *s2 = store_new();
	t0 = now_ms();
	struct store_txn *t = store_txn_begin(s2, 1);
	for (uint64_t i = 1; i <= 100000; i++) {
		snprintf(key, sizeof(key), "k/%08llu", (unsigned long long)(i * 7919 % 100003));
		kv_txn_set(t, key, "v", 1, 0);
	}
	store_txn_commit(t);
	printf("# 100k inserts in one transaction: %.1f ms\n", now_ms() - t0);

	t0 = now_ms();
	uint64_t sum = 0;
	for (int i = 0; i < 100000; i++)
		sum += kv_prefix_index(s, "service/web/0001");
	printf("# 100k kv_prefix_index over 100k keys: %.1f ms\n", now_ms() - t0);
	assert_true(sum > 0);
	store_free(s);
	store_free(s2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_set_get),
	    cmocka_unit_test(test_set_keeps_lock),
	    cmocka_unit_test(test_cas),
	    cmocka_unit_test(test_delete_and_tombstones),
	    cmocka_unit_test(test_delete_tree),
	    cmocka_unit_test(test_index_rules),
	    cmocka_unit_test(test_prefix_index_random),
	    cmocka_unit_test(test_keys_separator),
	    cmocka_unit_test(test_keys_random),
	    cmocka_unit_test(test_scan),
	    cmocka_unit_test(test_scan_skips_tombstones),
	    cmocka_unit_test(test_collect_order),
	    cmocka_unit_test(test_insert_timing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
