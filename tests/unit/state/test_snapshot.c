/*
 * Snapshots: round trips (small with every field kind, and 100k keys with the
 * freeze/encode/restore times printed), encoding in another thread while the
 * loop writes, and rejection of corrupt, truncated and inconsistent input with
 * the target store left untouched and no watcher fired.
 *
 * With CAIRN_WRITE_SNAPSHOT_CORPUS=<dir> set, test_write_corpus writes seed
 * files for tests/fuzz/corpus/snapshot/.
 */
#include "helpers.h"

#include "state/snapshot.h"

#include "base/err.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static struct store *sample_store(void)
{
	struct store *s = store_new();
	struct store_txn *t = store_txn_begin(s, 3);
	kv_txn_set(t, "a", "x", 1, 0);
	kv_txn_set(t, "bin", "\0\1\2\xff", 4, 0xfeedfacecafebeefULL);
	kv_txn_set(t, "null", NULL, 0, 0);
	kv_txn_set(t, "empty", "", 0, 7);
	kv_txn_set(t, "gone1", "x", 1, 0);
	kv_txn_set(t, "gone2", "x", 1, 0);
	kv_txn_set(t, "gone3", "x", 1, 0);
	store_txn_commit(t);
	struct kv_entry *e = kv_entry_new("locked", 6, "v", 1, "2d9f-session", 12);
	e->create_index = 2;
	e->modify_index = 3;
	e->lock_index = 5;
	kvt_put(&s->kv, e, false);
	del(s, 4, "gone1");
	del(s, 5, "gone2");
	del(s, 6, "gone3");
	t = store_txn_begin(s, 7);
	kv_txn_reap(t, 4);
	store_txn_commit(t);
	return s;
}

static void encode_store(struct store *s, struct buf *out)
{
	struct store_frozen *f = store_freeze(s);
	store_frozen_encode(f, out);
	store_frozen_release(f);
}

static void assert_same(struct store *a, struct store *b)
{
	char *da = dump_store(a), *db = dump_store(b);
	assert_string_equal(da, db);
	free(da);
	free(db);
}

static void test_round_trip_small(void **state)
{
	struct store *s = sample_store(), *r = store_new();
	assert_int_equal(s->floor, 4);
	assert_int_equal(kv_tombstone_count(s), 2);
	struct buf snap = BUF_INIT, again = BUF_INIT;
	buf_puts(&snap, "prefix kept: "); /* encode appends */
	encode_store(s, &snap);
	assert_int_equal(store_restore(r, snap.data + 13, snap.len - 13), 0);
	assert_same(s, r);
	assert_int_equal(kvt_check(&r->kv), 0);
	assert_string_equal(kv_get(r, "locked")->session, "2d9f-session");
	encode_store(r, &again);
	assert_int_equal(again.len, snap.len - 13);
	assert_memory_equal(again.data, snap.data + 13, again.len);
	buf_free(&snap);
	buf_free(&again);
	store_free(s);
	store_free(r);
}

static void test_empty_store(void **state)
{
	struct store *s = store_new(), *r = sample_store();
	struct buf snap = BUF_INIT;
	encode_store(s, &snap);
	assert_int_equal(snap.len,
			 SNAPSHOT_HEADER_SIZE + 2 * SNAPSHOT_SECTION_SIZE + SNAPSHOT_TRAILER_SIZE);
	assert_int_equal(store_restore(r, snap.data, snap.len), 0);
	assert_same(s, r);
	buf_free(&snap);
	store_free(s);
	store_free(r);
}

static struct store *big_store(void)
{
	struct store *s = store_new();
	char key[48], val[64];
	for (uint64_t txn = 0; txn < 100; txn++) {
		struct store_txn *t = store_txn_begin(s, txn + 1);
		for (int i = 0; i < 1000; i++) {
			int n = (int)txn * 1000 + i;
			snprintf(key, sizeof(key), "app/%03d/config/%06d", n % 997, n);
			int vl = snprintf(val, sizeof(val), "value-%d", n * 31);
			kv_txn_set(t, key, val, (size_t)vl, (uint64_t)n);
		}
		store_txn_commit(t);
	}
	struct store_txn *t = store_txn_begin(s, 200);
	kv_txn_delete_tree(t, "app/001/");
	store_txn_commit(t);
	return s;
}

static void test_round_trip_100k(void **state)
{
	struct store *s = big_store(), *r = store_new();
	assert_int_equal(kv_count(s) + kv_tombstone_count(s), 100000);
	double t0 = now_ms();
	struct store_frozen *f = store_freeze(s);
	double freeze = now_ms() - t0;
	struct buf snap = BUF_INIT;
	t0 = now_ms();
	store_frozen_encode(f, &snap);
	double enc = now_ms() - t0;
	t0 = now_ms();
	store_frozen_release(f);
	double rel = now_ms() - t0;
	t0 = now_ms();
	assert_int_equal(store_restore(r, snap.data, snap.len), 0);
	double res = now_ms() - t0;
	printf("# 100k keys (%zu bytes): freeze %.2f ms, encode %.1f ms, release %.2f ms, "
	       "restore %.1f ms\n",
	       snap.len, freeze, enc, rel, res);
	assert_same(s, r);
	assert_int_equal(kvt_check(&r->kv), 0);
	buf_free(&snap);
	store_free(s);
	store_free(r);
}

struct encode_job {
	const struct store_frozen *f;
	struct buf out;
};

static void *encode_thread(void *arg)
{
	struct encode_job *job = arg;
	store_frozen_encode(job->f, &job->out);
	return NULL;
}

/* The loop keeps writing (updating and deleting frozen keys) while another thread
 * encodes; the encoding is the one of the moment of the freeze. */
static void test_encode_while_writing(void **state)
{
	struct store *s = big_store();
	struct store_frozen *f = store_freeze(s);
	struct buf expect = BUF_INIT;
	store_frozen_encode(f, &expect);
	struct encode_job job = {f, BUF_INIT};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, encode_thread, &job), 0);
	char key[48];
	for (uint64_t i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "app/%03d/config/%06d", (int)(i % 997), (int)i);
		struct store_txn *t = store_txn_begin(s, 300 + i);
		if (i % 2)
			kv_txn_delete(t, key);
		else
			kv_txn_set(t, key, "new", 3, 0);
		store_txn_commit(t);
	}
	struct store_txn *t = store_txn_begin(s, 30000);
	kv_txn_reap(t, 30000);
	kv_txn_delete_tree(t, "app/00");
	store_txn_commit(t);
	pthread_join(th, NULL);
	assert_int_equal(job.out.len, expect.len);
	assert_memory_equal(job.out.data, expect.data, expect.len);
	store_frozen_release(f);
	buf_free(&job.out);
	buf_free(&expect);
	store_free(s);
}

static void test_frozen_outlives_store(void **state)
{
	struct store *s = sample_store();
	struct buf a = BUF_INIT, b = BUF_INIT;
	encode_store(s, &a);
	struct store_frozen *f = store_freeze(s);
	store_free(s);
	store_frozen_encode(f, &b);
	store_frozen_release(f);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	buf_free(&a);
	buf_free(&b);
}

/* ---- rejection ---- */

static int fired;
static void on_fire(struct watcher *w)
{
	fired++;
}

/* A target store with content and a watcher; every restore below must fail and
 * leave it exactly as it was. */
struct target {
	struct store *s;
	struct watcher w;
	char *before;
};

static void target_init(struct target *t)
{
	t->s = store_new();
	put(t->s, 50, "keep/me", "safe");
	del(t->s, 51, "keep/gone");
	watcher_init(&t->w, on_fire, NULL);
	watch_prefix(t->s, &t->w, TABLE_KV, "");
	t->before = dump_store(t->s);
	fired = 0;
}

static void expect_reject(struct target *t, const void *data, size_t len, int want)
{
	int rc = store_restore(t->s, data, len);
	if (want)
		assert_int_equal(rc, want);
	else
		assert_true(rc == CAIRN_E_PARSE || rc == CAIRN_E_VERSION);
	char *now = dump_store(t->s);
	assert_string_equal(now, t->before);
	free(now);
	assert_int_equal(store_watch_flush(t->s), 0);
	assert_int_equal(store_watcher_count(t->s), 1);
}

static void target_free(struct target *t)
{
	free(t->before);
	store_free(t->s);
	assert_int_equal(fired, 0);
}

static void test_reject_corrupt_and_truncated(void **state)
{
	struct store *src = sample_store();
	struct buf snap = BUF_INIT;
	encode_store(src, &snap);
	store_free(src);
	struct target t;
	target_init(&t);
	unsigned char *copy = malloc(snap.len);
	for (size_t i = 0; i < snap.len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			memcpy(copy, snap.data, snap.len);
			copy[i] ^= (unsigned char)(1u << bit);
			expect_reject(&t, copy, snap.len, 0);
		}
	}
	for (size_t n = 0; n < snap.len; n++) {
		/* exact-size allocation: ASan sees any overread */
		unsigned char *cut = malloc(n ? n : 1);
		memcpy(cut, snap.data, n);
		expect_reject(&t, cut, n, CAIRN_E_PARSE);
		free(cut);
	}
	expect_reject(&t, NULL, 0, CAIRN_E_PARSE);
	free(copy);
	buf_free(&snap);
	target_free(&t);
}

/* A tiny writer of hand-made snapshots, checksum included. */
static void le32(struct buf *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		buf_putc(b, (char)(v >> (8 * i)));
}

static void le64(struct buf *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		buf_putc(b, (char)(v >> (8 * i)));
}

static void header(struct buf *b, uint32_t version, uint64_t index, uint64_t floor)
{
	buf_reset(b);
	buf_append(b, "CRNS", 4);
	le32(b, version);
	le64(b, index);
	le64(b, floor);
}

static void section(struct buf *b, uint32_t id, uint64_t count, const struct buf *body)
{
	le32(b, id);
	le64(b, count);
	le64(b, body->len);
	buf_append(b, body->data, body->len);
}

static void kv_rec(struct buf *b, const char *key, size_t klen, const char *sess, size_t slen,
		   uint64_t create, uint64_t modify)
{
	le32(b, (uint32_t)klen);
	le32(b, sess ? (uint32_t)slen : UINT32_MAX);
	le32(b, 1);
	le64(b, create);
	le64(b, modify);
	le64(b, 0);
	le64(b, 0);
	buf_append(b, key, klen);
	if (sess)
		buf_append(b, sess, slen);
	buf_putc(b, 'v');
}

static void tomb_rec(struct buf *b, const char *key, uint64_t index)
{
	le32(b, (uint32_t)strlen(key));
	le64(b, index);
	buf_puts(b, key);
}

static void seal(struct buf *b)
{
	le64(b, snapshot_checksum(b->data, b->len));
}

/* Build: header(index 10), then sections as given, then checksum. */
static void build(struct buf *out, uint32_t version, const struct buf *kv, uint64_t nkv,
		  const struct buf *tombs, uint64_t ntombs)
{
	header(out, version, 10, 2);
	if (tombs)
		section(out, SNAP_SEC_KV_TOMBS, ntombs, tombs);
	if (kv)
		section(out, SNAP_SEC_KV, nkv, kv);
	seal(out);
}

static void test_reject_inconsistent(void **state)
{
	struct target t;
	target_init(&t);
	struct buf out = BUF_INIT, kv = BUF_INIT, tb = BUF_INIT;

	/* The well-formed base case restores (sections in any order), then each
	 * variant below breaks one rule. */
	kv_rec(&kv, "k1", 2, "sess", 4, 3, 4);
	kv_rec(&kv, "k0", 2, NULL, 0, 1, 1);
	tomb_rec(&tb, "t", 9);
	build(&out, 1, &kv, 2, &tb, 1);
	struct store *ok = store_new();
	assert_int_equal(store_restore(ok, out.data, out.len), 0);
	assert_int_equal(kv_count(ok), 2);
	assert_int_equal(kv_key_index(ok, "t"), 9);
	assert_int_equal(kv_key_index(ok, "zz"), 2);
	assert_int_equal(store_index(ok), 10);
	store_free(ok);

	build(&out, 2, &kv, 2, &tb, 1);
	expect_reject(&t, out.data, out.len, CAIRN_E_VERSION);
	build(&out, 1, &kv, 3, &tb, 1); /* count beyond the body */
	expect_reject(&t, out.data, out.len, CAIRN_E_PARSE);
	build(&out, 1, &kv, 1, &tb, 1); /* body left over */
	expect_reject(&t, out.data, out.len, CAIRN_E_PARSE);

	header(&out, 1, 10, 2); /* unknown table */
	section(&out, 77, 1, &tb);
	seal(&out);
	expect_reject(&t, out.data, out.len, CAIRN_E_VERSION);
	header(&out, 1, 10, 2); /* a table twice */
	section(&out, SNAP_SEC_KV_TOMBS, 1, &tb);
	section(&out, SNAP_SEC_KV_TOMBS, 0, &(struct buf)BUF_INIT);
	seal(&out);
	expect_reject(&t, out.data, out.len, CAIRN_E_PARSE);
	header(&out, 1, 10, 2); /* body length beyond the end */
	le32(&out, SNAP_SEC_KV);
	le64(&out, 0);
	le64(&out, 1000);
	seal(&out);
	expect_reject(&t, out.data, out.len, CAIRN_E_PARSE);
	header(&out, 1, 10, 2); /* a partial section header */
	le32(&out, SNAP_SEC_KV);
	seal(&out);
	expect_reject(&t, out.data, out.len, CAIRN_E_PARSE);

	struct {
		const char *key;
		size_t klen;
		const char *sess;
		size_t slen;
		uint64_t create, modify;
		const char *tomb;
		uint64_t tomb_index;
	} bad[] = {
	    {"dup", 3, NULL, 0, 1, 1, "dup", 5},   /* live and tombstone */
	    {"n\0l", 3, NULL, 0, 1, 1, NULL, 0},   /* NUL in key */
	    {"s", 1, "a\0b", 3, 1, 1, NULL, 0},	   /* NUL in session */
	    {"c0", 2, NULL, 0, 0, 1, NULL, 0},	   /* create 0 */
	    {"cm", 2, NULL, 0, 5, 4, NULL, 0},	   /* create > modify */
	    {"late", 4, NULL, 0, 1, 11, NULL, 0},  /* modify > store index */
	    {"ok", 2, NULL, 0, 1, 1, "t0", 0},	   /* tombstone index 0 */
	    {"ok", 2, NULL, 0, 1, 1, "tlate", 11}, /* tombstone after store index */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&kv);
		buf_reset(&tb);
		kv_rec(&kv, bad[i].key, bad[i].klen, bad[i].sess, bad[i].slen, bad[i].create,
		       bad[i].modify);
		if (bad[i].tomb)
			tomb_rec(&tb, bad[i].tomb, bad[i].tomb_index);
		build(&out, 1, &kv, 1, &tb, bad[i].tomb ? 1 : 0);
		expect_reject(&t, out.data, out.len, CAIRN_E_PARSE);
	}
	buf_reset(&kv); /* duplicate live key */
	kv_rec(&kv, "k", 1, NULL, 0, 1, 1);
	kv_rec(&kv, "k", 1, NULL, 0, 1, 2);
	build(&out, 1, &kv, 2, NULL, 0);
	expect_reject(&t, out.data, out.len, CAIRN_E_PARSE);
	buf_reset(&kv); /* key length far beyond the body */
	le32(&kv, 0xfffffff0u);
	for (int i = 0; i < 10; i++)
		le32(&kv, 0);
	build(&out, 1, &kv, 1, NULL, 0);
	expect_reject(&t, out.data, out.len, CAIRN_E_PARSE);

	buf_free(&out);
	buf_free(&kv);
	buf_free(&tb);
	target_free(&t);
}

static void write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

static void test_write_corpus(void **state)
{
	const char *dir = getenv("CAIRN_WRITE_SNAPSHOT_CORPUS");
	if (!dir)
		return;
	struct store *s = sample_store(), *e = store_new();
	struct buf snap = BUF_INIT, empty = BUF_INIT;
	encode_store(s, &snap);
	encode_store(e, &empty);
	write_file(dir, "valid_small", snap.data, snap.len);
	write_file(dir, "valid_empty", empty.data, empty.len);
	write_file(dir, "truncated_header", snap.data, 20);
	write_file(dir, "truncated_middle", snap.data, snap.len / 2);
	write_file(dir, "truncated_checksum", snap.data, snap.len - 3);
	snap.data[snap.len - 1] ^= 1;
	write_file(dir, "bad_checksum", snap.data, snap.len);
	buf_free(&snap);
	buf_free(&empty);
	store_free(s);
	store_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_small),
	    cmocka_unit_test(test_empty_store),
	    cmocka_unit_test(test_round_trip_100k),
	    cmocka_unit_test(test_encode_while_writing),
	    cmocka_unit_test(test_frozen_outlives_store),
	    cmocka_unit_test(test_reject_corrupt_and_truncated),
	    cmocka_unit_test(test_reject_inconsistent),
	    cmocka_unit_test(test_write_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
