/*
 * Sessions in the store: create checks the node and its checks with Consul's
 * messages; locks follow kvsLockTxn/kvsUnlockTxn (LockIndex, holder updates,
 * release only by the holder); invalidation releases or deletes locked keys
 * and reports lock-delay at commit only; abort restores everything; a
 * critical or removed check and a deregistered node invalidate their
 * sessions; indexes and watchers move only for what changed; snapshots carry
 * the table.
 */
#include "helpers.h"

#include "base/err.h"
#include "state/catalog.h"
#include "state/session.h"
#include "state/snapshot.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static const char *serf[] = {"serfHealth"};

/* Register node (with serfHealth passing) and an optional extra check. */
static void reg_node(struct store *s, uint64_t index, const char *node, const char *check,
		     enum cat_status st)
{
	struct cat_node n = {.name = node, .address = "10.0.0.1", .datacenter = "dc1"};
	struct cat_check c[2] = {
	    {.id = "serfHealth", .name = "Serf Health Status", .status = CAT_PASSING},
	    {.id = check, .name = check, .status = st},
	};
	struct cat_register r = {.node = &n, .checks = c, .nchecks = check ? 2 : 1};
	char *why = NULL;
	struct store_txn *t = store_txn_begin(s, index);
	assert_int_equal(catalog_txn_register(t, &r, &why), 0);
	session_txn_check_nodes(t);
	store_txn_commit(t);
}

static int create(struct store *s, uint64_t index, const char *id, const char *node,
		  enum session_behavior b, uint64_t delay, char **why)
{
	struct session tmpl = {.id = id,
			       .node = node,
			       .behavior = b,
			       .lock_delay_ns = delay,
			       .ttl = "",
			       .node_checks = serf,
			       .nnode_checks = 1};
	struct store_txn *t = store_txn_begin(s, index);
	int rc = session_txn_create(t, &tmpl, why);
	if (rc)
		store_txn_abort(t);
	else
		store_txn_commit(t);
	return rc;
}

static int lock(struct store *s, uint64_t index, const char *key, const char *val, const char *sess)
{
	struct store_txn *t = store_txn_begin(s, index);
	int rc = kv_txn_lock(t, key, val, strlen(val), 0, sess);
	if (rc)
		store_txn_abort(t);
	else
		store_txn_commit(t);
	return rc;
}

static int unlock(struct store *s, uint64_t index, const char *key, const char *val,
		  const char *sess)
{
	struct store_txn *t = store_txn_begin(s, index);
	int rc = kv_txn_unlock(t, key, val, strlen(val), 0, sess);
	if (rc)
		store_txn_abort(t);
	else
		store_txn_commit(t);
	return rc;
}

static void destroy(struct store *s, uint64_t index, const char *id)
{
	struct store_txn *t = store_txn_begin(s, index);
	assert_int_equal(session_txn_destroy(t, id), 0);
	store_txn_commit(t);
}

static char delayed[512];
static void on_delay(void *ctx, const char *key, uint64_t ns)
{
	(void)ctx;
	size_t n = strlen(delayed);
	snprintf(delayed + n, sizeof(delayed) - n, "%s=%llu;", key,
		 (unsigned long long)(ns / 1000000));
}

static void test_create_errors(void **state)
{
	(void)state;
	struct store *s = store_new();
	char *why = NULL;
	assert_int_equal(create(s, 1, "s1", "n1", SESSION_RELEASE, 0, &why), CAIRN_E_NOTFOUND);
	assert_string_equal(why, "Missing node registration");
	free(why);
	reg_node(s, 2, "n1", "web", CAT_CRITICAL);
	struct session tmpl = {
	    .id = "s1", .node = "n1", .node_checks = (const char *[]){"nope"}, .nnode_checks = 1};
	struct store_txn *t = store_txn_begin(s, 3);
	assert_int_equal(session_txn_create(t, &tmpl, &why), CAIRN_E_NOTFOUND);
	assert_string_equal(why, "Missing check 'nope' registration");
	free(why);
	tmpl.node_checks = (const char *[]){"web"};
	assert_int_equal(session_txn_create(t, &tmpl, &why), CAIRN_E_CAS);
	assert_string_equal(why, "Check 'web' is in critical state");
	free(why);
	store_txn_abort(t);
	assert_int_equal(session_count(s), 0);
	assert_int_equal(create(s, 4, "s1", "N1", SESSION_RELEASE, 0, &why), 0);
	assert_non_null(session_get(s, "S1")); /* IDs ignore case, like Consul's UUIDs */
	assert_int_equal(session_get(s, "s1")->create_index, 4);
	assert_int_equal(create(s, 5, "s1", "n1", SESSION_RELEASE, 0, &why), CAIRN_E_INVAL);
	free(why);
	store_free(s);
}

static void test_lock_semantics(void **state)
{
	(void)state;
	struct store *s = store_new();
	char *why = NULL;
	reg_node(s, 1, "n1", NULL, CAT_PASSING);
	assert_int_equal(create(s, 2, "a", "n1", SESSION_RELEASE, 0, &why), 0);
	assert_int_equal(create(s, 3, "b", "n1", SESSION_RELEASE, 0, &why), 0);
	assert_int_equal(lock(s, 4, "k", "v1", "zzz"), CAIRN_E_NOTFOUND);
	assert_int_equal(lock(s, 5, "k", "v1", ""), CAIRN_E_INVAL);
	assert_int_equal(lock(s, 6, "k", "v1", "a"), 0);
	const struct kv_entry *e = kv_get(s, "k");
	assert_string_equal(e->session, "a");
	assert_int_equal(e->lock_index, 1);
	assert_int_equal(e->create_index, 6);
	assert_int_equal(lock(s, 7, "k", "v2", "b"), CAIRN_E_CAS); /* held by a */
	assert_int_equal(lock(s, 8, "k", "v3", "a"), 0);	   /* holder updates */
	e = kv_get(s, "k");
	assert_int_equal(e->lock_index, 1);
	assert_int_equal(e->modify_index, 8);
	assert_memory_equal(e->value, "v3", 2);
	assert_int_equal(unlock(s, 9, "k", "x", "b"), CAIRN_E_CAS); /* not the holder */
	assert_int_equal(unlock(s, 10, "missing", "x", "a"), CAIRN_E_CAS);
	assert_int_equal(unlock(s, 11, "k", "v4", "a"), 0);
	e = kv_get(s, "k");
	assert_null(e->session);
	assert_int_equal(e->lock_index, 1);
	assert_int_equal(lock(s, 12, "k", "v5", "b"), 0);
	assert_int_equal(kv_get(s, "k")->lock_index, 2); /* a new acquisition */
	/* a plain set keeps the holder */
	struct store_txn *t = store_txn_begin(s, 13);
	kv_txn_set(t, "k", "v6", 2, 0);
	store_txn_commit(t);
	assert_string_equal(kv_get(s, "k")->session, "b");
	store_free(s);
}

static void test_invalidate_release_delete(void **state)
{
	(void)state;
	struct store *s = store_new();
	char *why = NULL;
	delayed[0] = '\0';
	store_set_lock_delay_fn(s, on_delay, NULL);
	reg_node(s, 1, "n1", NULL, CAT_PASSING);
	assert_int_equal(create(s, 2, "rel", "n1", SESSION_RELEASE, 15000000000ULL, &why), 0);
	assert_int_equal(create(s, 3, "del", "n1", SESSION_DELETE, 99000000000ULL, &why), 0);
	assert_int_equal(lock(s, 4, "r/1", "one", "rel"), 0);
	assert_int_equal(lock(s, 5, "r/2", "two", "rel"), 0);
	assert_int_equal(lock(s, 6, "d/1", "three", "del"), 0);
	put(s, 7, "free", "x");

	/* an aborted invalidation changes nothing and reports nothing */
	char *before = dump_store(s);
	struct store_txn *t = store_txn_begin(s, 8);
	session_txn_destroy(t, "rel");
	store_txn_abort(t);
	char *after = dump_store(s);
	/* everything but the first line (the index advances anyway) */
	assert_string_equal(strchr(before, '\n'), strchr(after, '\n'));
	free(before);
	free(after);
	assert_non_null(session_get(s, "rel"));
	assert_string_equal(delayed, "");

	destroy(s, 9, "rel");
	assert_null(session_get(s, "rel"));
	const struct kv_entry *e = kv_get(s, "r/1");
	assert_null(e->session);
	assert_memory_equal(e->value, "one", 3);
	assert_int_equal(e->modify_index, 9);
	assert_int_equal(e->lock_index, 1);
	assert_string_equal(delayed, "r/1=15000;r/2=15000;");
	delayed[0] = '\0';
	destroy(s, 10, "del");
	assert_null(kv_get(s, "d/1"));
	assert_string_equal(delayed, "d/1=60000;"); /* capped at Consul's 60 s */
	assert_non_null(kv_get(s, "free"));
	destroy(s, 11, "gone"); /* missing: succeeds */
	assert_int_equal(session_count(s), 0);
	assert_int_equal(session_id_index(s, "rel"), 10);
	store_free(s);
}

static int fired;
static void count(struct watcher *w)
{
	(void)w;
	fired++;
}

static void test_check_linked_invalidation(void **state)
{
	(void)state;
	struct store *s = store_new();
	char *why = NULL;
	reg_node(s, 1, "n1", "web", CAT_PASSING);
	reg_node(s, 2, "n2", NULL, CAT_PASSING);
	struct session tmpl = {.id = "w",
			       .node = "n1",
			       .node_checks = serf,
			       .nnode_checks = 1,
			       .svc_checks = (struct session_svc_check[]){{"web", ""}},
			       .nsvc_checks = 1};
	struct store_txn *t = store_txn_begin(s, 3);
	assert_int_equal(session_txn_create(t, &tmpl, &why), 0);
	store_txn_commit(t);
	assert_int_equal(create(s, 4, "other", "n2", SESSION_RELEASE, 0, &why), 0);
	assert_int_equal(lock(s, 5, "lk", "v", "w"), 0);

	struct watcher wn, wo;
	watcher_init(&wn, count, NULL);
	watcher_init(&wo, count, NULL);
	session_watch_node(s, &wn, "N1");
	session_watch_node(s, &wo, "n2");
	uint64_t other_index = session_node_index(s, "n2");

	reg_node(s, 6, "n1", "web", CAT_WARNING); /* not critical: stays */
	assert_non_null(session_get(s, "w"));
	reg_node(s, 7, "n1", "web", CAT_CRITICAL); /* critical: invalidated */
	assert_null(session_get(s, "w"));
	assert_null(kv_get(s, "lk")->session);
	assert_int_equal(session_node_index(s, "n1"), 7);
	assert_int_equal(session_node_index(s, "n2"), other_index);
	fired = 0;
	store_watch_flush(s);
	assert_int_equal(fired, 1); /* n1's watcher only */
	watcher_cancel(s, &wo);

	/* removing a tied check or the node invalidates too */
	assert_int_equal(create(s, 8, "x", "n2", SESSION_RELEASE, 0, &why), 0);
	t = store_txn_begin(s, 9);
	struct cat_deregister d = {.node = "n2", .check_id = "serfHealth"};
	assert_int_equal(catalog_txn_deregister(t, &d, &why), 0);
	session_txn_check_nodes(t);
	store_txn_commit(t);
	assert_int_equal(session_count(s), 0);
	reg_node(s, 10, "n2", NULL, CAT_PASSING);
	assert_int_equal(create(s, 11, "y", "n2", SESSION_RELEASE, 0, &why), 0);
	t = store_txn_begin(s, 12);
	struct cat_deregister dn = {.node = "n2"};
	assert_int_equal(catalog_txn_deregister(t, &dn, &why), 0);
	session_txn_check_nodes(t);
	store_txn_commit(t);
	assert_null(session_get(s, "y"));
	store_free(s);
}

static void test_snapshot_roundtrip(void **state)
{
	(void)state;
	struct store *s = store_new();
	char *why = NULL;
	reg_node(s, 1, "n1", "web", CAT_PASSING);
	struct session tmpl = {.id = "full",
			       .name = "nm",
			       .node = "n1",
			       .lock_delay_ns = 5,
			       .behavior = SESSION_DELETE,
			       .ttl = "30s",
			       .node_checks = serf,
			       .nnode_checks = 1,
			       .svc_checks = (struct session_svc_check[]){{"web", "ns"}},
			       .nsvc_checks = 1,
			       .checks = (const char *[]){"web"},
			       .nchecks = 1};
	struct store_txn *t = store_txn_begin(s, 2);
	assert_int_equal(session_txn_create(t, &tmpl, &why), 0);
	store_txn_commit(t);
	assert_int_equal(create(s, 3, "gone", "n1", SESSION_RELEASE, 0, &why), 0);
	destroy(s, 4, "gone");
	assert_int_equal(lock(s, 5, "k", "v", "full"), 0);

	struct store_frozen *f = store_freeze(s);
	struct buf out = BUF_INIT;
	store_frozen_encode(f, &out);
	store_frozen_release(f);
	struct store *r = store_new();
	assert_int_equal(store_restore(r, out.data, out.len), 0);
	const struct session *e = session_get(r, "full");
	assert_non_null(e);
	assert_string_equal(e->name, "nm");
	assert_string_equal(e->ttl, "30s");
	assert_int_equal(e->behavior, SESSION_DELETE);
	assert_int_equal(e->lock_delay_ns, 5);
	assert_string_equal(e->svc_checks[0].ns, "ns");
	assert_string_equal(e->checks[0], "web");
	assert_int_equal(e->create_index, 2);
	assert_int_equal(session_list_index(r), 4);
	assert_int_equal(session_id_index(r, "gone"), 4);
	assert_int_equal(session_node_index(r, "n1"), 4);
	assert_string_equal(kv_get(r, "k")->session, "full");

	/* a damaged session record is refused and leaves the store alone */
	static const char rec[] = "\x04\0\0\0full\x02\0\0\0nm";
	char *hit = memmem(out.data, out.len, rec, sizeof(rec) - 1);
	assert_non_null(hit);
	hit[-1] ^= 0x7f; /* the behavior byte, just before the ID */
	struct buf fixed = BUF_INIT;
	buf_append(&fixed, out.data, out.len - 8);
	uint64_t sum = snapshot_checksum(fixed.data, fixed.len);
	for (int i = 0; i < 8; i++)
		buf_putc(&fixed, (char)(sum >> (8 * i)));
	assert_int_equal(store_restore(r, fixed.data, fixed.len), CAIRN_E_PARSE);
	assert_non_null(session_get(r, "full"));
	buf_free(&fixed);
	buf_free(&out);
	store_free(r);
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_errors),
	    cmocka_unit_test(test_lock_semantics),
	    cmocka_unit_test(test_invalidate_release_delete),
	    cmocka_unit_test(test_check_linked_invalidation),
	    cmocka_unit_test(test_snapshot_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
