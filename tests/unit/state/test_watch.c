/*
 * Watches: which writes fire which watchers, only at commit, once per flush;
 * cancel at any time; 10,000 watchers on one key (memory and wake cost
 * printed); touch for other tables; restore and store_free.
 */
#include "helpers.h"

#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

struct probe {
	struct watcher w;
	int calls;
	struct store *s;
	struct probe *victim; /* cancelled (and poisoned) by the callback */
	bool rearm;	      /* re-register on "k" from the callback */
};

static void on_fire(struct watcher *w)
{
	struct probe *p = w->data;
	p->calls++;
	if (p->victim) {
		watcher_cancel(p->s, &p->victim->w);
		memset(p->victim, 0xA5, sizeof(*p->victim)); /* caller may free it now */
	}
	if (p->rearm) {
		watch_key(p->s, w, TABLE_KV, "k");
		store_watch_touch(p->s, TABLE_KV, "k");
	}
}

static void probe_init(struct probe *p, struct store *s)
{
	memset(p, 0, sizeof(*p));
	p->s = s;
	watcher_init(&p->w, on_fire, p);
}

static void test_exact_and_prefix(void **state)
{
	struct store *s = store_new();
	struct probe exact, other, pre_all, pre_a, pre_ab, pre_full, pre_long, nodes;
	struct probe *all[] = {&exact,	&other,	   &pre_all,  &pre_a,
			       &pre_ab, &pre_full, &pre_long, &nodes};
	for (int i = 0; i < 8; i++)
		probe_init(all[i], s);
	watch_key(s, &exact.w, TABLE_KV, "a/b");
	watch_key(s, &other.w, TABLE_KV, "a/bc");
	watch_prefix(s, &pre_all.w, TABLE_KV, "");
	watch_prefix(s, &pre_a.w, TABLE_KV, "a");
	watch_prefix(s, &pre_ab.w, TABLE_KV, "a/");
	watch_prefix(s, &pre_full.w, TABLE_KV, "a/b");
	watch_prefix(s, &pre_long.w, TABLE_KV, "a/b/");
	watch_prefix(s, &nodes.w, TABLE_NODES, "");
	assert_int_equal(store_watcher_count(s), 8);

	struct store_txn *t = store_txn_begin(s, 1);
	kv_txn_set(t, "a/b", "v", 1, 0);
	kv_txn_set(t, "a/b", "w", 1, 0);
	assert_int_equal(store_watch_flush(s), 0); /* nothing before commit */
	store_txn_commit(t);
	assert_int_equal(store_watch_flush(s), 5);
	assert_int_equal(exact.calls, 1);
	assert_int_equal(pre_all.calls, 1);
	assert_int_equal(pre_a.calls, 1);
	assert_int_equal(pre_ab.calls, 1);
	assert_int_equal(pre_full.calls, 1);
	assert_int_equal(other.calls + pre_long.calls + nodes.calls, 0);
	assert_int_equal(store_watcher_count(s), 3);

	/* Fired watchers are detached: a second write calls nobody new. */
	put(s, 2, "a/b", "x");
	assert_int_equal(store_watch_flush(s), 0);
	assert_int_equal(exact.calls, 1);

	store_watch_touch(s, TABLE_NODES, "node1");
	assert_int_equal(store_watch_flush(s), 1);
	assert_int_equal(nodes.calls, 1);
	del(s, 3, "a/bc"); /* missing key: nothing changed, nothing fires */
	assert_int_equal(store_watch_flush(s), 0);
	put(s, 4, "a/bc", "y");
	assert_int_equal(store_watch_flush(s), 1);
	assert_int_equal(other.calls, 1);
	assert_int_equal(store_watcher_count(s), 1); /* pre_long */
	store_free(s);
}

/* One watcher on many keys is called once per flush, and detached from all. */
static void test_many_keys_one_call(void **state)
{
	struct store *s = store_new();
	struct probe p;
	probe_init(&p, s);
	watch_key(s, &p.w, TABLE_KV, "x");
	watch_key(s, &p.w, TABLE_KV, "y");
	watch_prefix(s, &p.w, TABLE_KV, "z/");
	watch_key(s, &p.w, TABLE_KV, "x"); /* twice is harmless */
	assert_int_equal(store_watcher_count(s), 1);
	struct store_txn *t = store_txn_begin(s, 1);
	kv_txn_set(t, "x", "1", 1, 0);
	kv_txn_set(t, "z/q", "1", 1, 0);
	kv_txn_set(t, "y", "1", 1, 0);
	store_txn_commit(t);
	assert_int_equal(store_watcher_count(s), 0);
	assert_int_equal(s->watch.nsets, 0); /* empty sets are freed */
	assert_int_equal(store_watch_flush(s), 1);
	assert_int_equal(p.calls, 1);
	store_free(s);
}

static void test_abort_and_reap_do_not_fire(void **state)
{
	struct store *s = store_new();
	put(s, 1, "k", "v");
	del(s, 2, "k");
	struct probe p;
	probe_init(&p, s);
	watch_prefix(s, &p.w, TABLE_KV, "");
	struct store_txn *t = store_txn_begin(s, 3);
	kv_txn_set(t, "k", "v", 1, 0);
	store_txn_abort(t);
	t = store_txn_begin(s, 4);
	kv_txn_reap(t, 3);
	store_txn_commit(t);
	assert_int_equal(kv_tombstone_count(s), 0);
	assert_int_equal(store_watch_flush(s), 0);
	assert_int_equal(store_watcher_count(s), 1);
	store_free(s);
	assert_null(p.w.links);	    /* store_free detached it */
	watcher_cancel(NULL, &p.w); /* and cancel needs no store then */
}

static void test_cancel(void **state)
{
	struct store *s = store_new();
	struct probe a, b, c;
	probe_init(&a, s);
	probe_init(&b, s);
	probe_init(&c, s);
	watch_key(s, &a.w, TABLE_KV, "k");
	watch_key(s, &b.w, TABLE_KV, "k");
	watch_key(s, &c.w, TABLE_KV, "k");
	watcher_cancel(s, &a.w); /* before firing */
	watcher_cancel(s, &a.w); /* twice */
	put(s, 1, "k", "v");
	watcher_cancel(s, &b.w); /* between fire and flush */
	watcher_cancel(s, &b.w);
	assert_int_equal(store_watch_flush(s), 1);
	assert_int_equal(a.calls + b.calls, 0);
	assert_int_equal(c.calls, 1);
	watcher_cancel(s, &c.w); /* after being called */
	assert_int_equal(store_watcher_count(s), 0);
	assert_int_equal(s->watch.nsets, 0);
	store_free(s);
}

/* A callback cancels a watcher still waiting in the same flush. */
static void test_cancel_from_callback(void **state)
{
	struct store *s = store_new();
	struct probe *p[3];
	for (int i = 0; i < 3; i++) {
		p[i] = malloc(sizeof(*p[i]));
		probe_init(p[i], s);
		watch_key(s, &p[i]->w, TABLE_KV, "k");
	}
	/* The head of the fired list is called first; it cancels another one. */
	put(s, 1, "k", "v");
	struct watcher *first = s->watch.fired;
	struct probe *killer = first->data;
	struct probe *victim = killer == p[0] ? p[1] : p[0];
	killer->victim = victim;
	assert_int_equal(store_watch_flush(s), 2);
	for (int i = 0; i < 3; i++) {
		if (p[i] != victim) {
			assert_int_equal(p[i]->calls, 1);
		}
		free(p[i]);
	}
	store_free(s);
}

/* A callback that registers again and touches is called again only next flush. */
static void test_rearm_in_callback(void **state)
{
	struct store *s = store_new();
	struct probe p;
	probe_init(&p, s);
	p.rearm = true;
	watch_key(s, &p.w, TABLE_KV, "k");
	put(s, 1, "k", "v");
	assert_int_equal(store_watch_flush(s), 1);
	assert_int_equal(store_watch_flush(s), 1);
	p.rearm = false;
	assert_int_equal(store_watch_flush(s), 1);
	assert_int_equal(store_watch_flush(s), 0);
	assert_int_equal(p.calls, 3);
	store_free(s);
}

static void test_free_with_pending(void **state)
{
	struct store *s = store_new();
	struct probe a, b;
	probe_init(&a, s);
	probe_init(&b, s);
	watch_key(s, &a.w, TABLE_KV, "k");
	watch_prefix(s, &b.w, TABLE_KV, "z");
	put(s, 1, "k", "v");
	store_free(s); /* a fired but not flushed, b registered: no leak, no call */
	assert_false(a.w.fired);
	assert_null(b.w.links);
	assert_int_equal(a.calls + b.calls, 0);
}

static void test_10k_watchers_one_key(void **state)
{
	enum { N = 10000 };
	struct store *s = store_new();
	struct probe *p = calloc(N, sizeof(*p));
	struct mallinfo2 m0 = mallinfo2();
	for (int i = 0; i < N; i++) {
		probe_init(&p[i], s);
		watch_key(s, &p[i].w, TABLE_KV, "hot/key");
	}
	struct mallinfo2 m1 = mallinfo2();
	double per = ((double)m1.uordblks - (double)m0.uordblks) / N;
	printf("# store memory per watcher on one key: %.0f bytes (+%zu caller-owned)\n", per,
	       sizeof(struct watcher));
	assert_true(per < 1024);
	assert_int_equal(store_watcher_count(s), N);

	/* Writes elsewhere cost nothing per watcher. */
	double t0 = now_ms();
	for (uint64_t i = 1; i <= 1000; i++)
		put(s, i, "cold/key", "v");
	double cold = now_ms() - t0;
	t0 = now_ms();
	put(s, 1001, "hot/key", "v");
	double fire = now_ms() - t0;
	t0 = now_ms();
	assert_int_equal(store_watch_flush(s), N);
	double flush = now_ms() - t0;
	printf("# 1000 unrelated writes: %.2f ms; firing %d watchers: %.2f ms; flush: %.2f ms\n",
	       cold, N, fire, flush);
	for (int i = 0; i < N; i++)
		assert_int_equal(p[i].calls, 1);
	assert_int_equal(store_watcher_count(s), 0);
	free(p);
	store_free(s);
}

static void test_restore_fires_all(void **state)
{
	struct store *s = store_new();
	put(s, 1, "a", "v");
	struct store_frozen *f = store_freeze(s);
	struct buf snap = BUF_INIT;
	store_frozen_encode(f, &snap);
	store_frozen_release(f);
	struct probe a, b, c;
	probe_init(&a, s);
	probe_init(&b, s);
	probe_init(&c, s);
	watch_key(s, &a.w, TABLE_KV, "unrelated");
	watch_prefix(s, &b.w, TABLE_SERVICES, "x");
	watch_key(s, &c.w, TABLE_KV, "a");
	watch_prefix(s, &c.w, TABLE_KV, "");
	assert_int_equal(store_restore(s, snap.data, snap.len), 0);
	assert_int_equal(store_watcher_count(s), 0);
	assert_int_equal(store_watch_flush(s), 3);
	assert_int_equal(a.calls + b.calls + c.calls, 3);
	buf_free(&snap);
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact_and_prefix),
	    cmocka_unit_test(test_many_keys_one_call),
	    cmocka_unit_test(test_abort_and_reap_do_not_fire),
	    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_cancel_from_callback),
	    cmocka_unit_test(test_rearm_in_callback),
	    cmocka_unit_test(test_free_with_pending),
	    cmocka_unit_test(test_10k_watchers_one_key),
	    cmocka_unit_test(test_restore_fires_all),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
