/*
 * Catalog blocking-query indexes and watchers: churn in service A never moves
 * service B's index nor wakes B's watcher; a node-level check or a node change
 * moves every service on the node; an unchanged registration moves nothing;
 * deletes move indexes forward (never back); abort restores everything and
 * fires nothing; a random walk of commits and aborts matches a replay of the
 * committed transactions only.
 */
#include "test_catalog_helpers.h"

#include "base/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

struct counted {
	struct watcher w;
	int calls;
};

static void count_call(struct watcher *w)
{
	((struct counted *)w->data)->calls++;
}

static void arm(struct counted *c)
{
	c->calls = 0;
	watcher_init(&c->w, count_call, c);
}

/* Node n1 runs a1 (service a) and b1 (service b), each with a check; n2 runs b2. */
static struct store *two_services(void)
{
	struct store *s = store_new();
	struct cat_service a = svc_tmpl("a1", "a", 1), b = svc_tmpl("b1", "b", 2);
	struct cat_check ca = chk_tmpl("ca", "a1", CAT_PASSING),
			 cb = chk_tmpl("cb", "b1", CAT_PASSING);
	assert_int_equal(reg1(s, 1, "n1", "10.0.0.1", &a, &ca), 0);
	assert_int_equal(reg1(s, 2, "n1", "10.0.0.1", &b, &cb), 0);
	struct cat_service b2 = svc_tmpl("b2", "b", 3);
	assert_int_equal(reg1(s, 3, "n2", "10.0.0.2", &b2, NULL), 0);
	return s;
}

static void test_isolation(void **state)
{
	struct store *s = two_services();
	assert_int_equal(catalog_service_index(s, "a"), 1);
	assert_int_equal(catalog_service_index(s, "b"), 3);
	struct counted wa, wb, wn2;
	arm(&wa);
	arm(&wb);
	arm(&wn2);
	catalog_watch_service(s, &wa.w, "A");
	catalog_watch_service(s, &wb.w, "b");
	catalog_watch_node(s, &wn2.w, "n2");

	uint64_t idx = 10;
	struct cat_service a = svc_tmpl("a1", "a", 1);
	struct cat_check ca = chk_tmpl("ca", "a1", CAT_PASSING);
	for (int round = 0; round < 5; round++) {
		a.port = 100 + round; /* instance changes */
		assert_int_equal(reg1(s, idx++, "n1", "10.0.0.1", &a, NULL), 0);
		ca.status = round % 2 ? CAT_PASSING : CAT_CRITICAL; /* its check flaps */
		ca.output = round % 2 ? "ok" : "down";
		assert_int_equal(reg1(s, idx++, "n1", "10.0.0.1", NULL, &ca), 0);
		struct cat_service a2 = svc_tmpl("a2", "a", 5); /* instances come and go */
		assert_int_equal(reg1(s, idx++, "n2", "10.0.0.2", &a2, NULL), 0);
		assert_int_equal(dereg(s, idx++, "n2", "a2", NULL), 0);
	}
	assert_int_equal(store_watch_flush(s), 2); /* a's watcher and n2's */
	assert_int_equal(wa.calls, 1);
	assert_int_equal(wb.calls, 0);
	assert_int_equal(catalog_service_index(s, "b"), 3);
	assert_int_equal(catalog_service_index(s, "a"), idx - 1); /* the last delete */
	assert_int_equal(catalog_node_index(s, "n2"), idx - 1);
	assert_int_equal(catalog_node_index(s, "n1"), idx - 3);
	watcher_cancel(s, &wb.w);
	store_free(s);
}

static void test_node_level_check_moves_all(void **state)
{
	struct store *s = two_services();
	struct counted wa, wb;
	arm(&wa);
	arm(&wb);
	catalog_watch_service(s, &wa.w, "a");
	catalog_watch_service(s, &wb.w, "b");
	struct cat_check serf = chk_tmpl("serfHealth", "", CAT_PASSING);
	assert_int_equal(reg1(s, 10, "n1", "10.0.0.1", NULL, &serf), 0);
	assert_int_equal(catalog_service_index(s, "a"), 10);
	assert_int_equal(catalog_service_index(s, "b"), 10);
	assert_int_equal(store_watch_flush(s), 2);
	/* a node-level check on n2 moves b (on n2) but not a */
	assert_int_equal(reg1(s, 11, "n2", "10.0.0.2", NULL, &serf), 0);
	assert_int_equal(catalog_service_index(s, "a"), 10);
	assert_int_equal(catalog_service_index(s, "b"), 11);
	/* the node's own fields are part of service results too */
	assert_int_equal(reg1(s, 12, "n2", "10.9.9.9", NULL, NULL), 0);
	assert_int_equal(catalog_service_index(s, "a"), 10);
	assert_int_equal(catalog_service_index(s, "b"), 12);
	assert_int_equal(catalog_nodes_index(s), 12);
	/* deleting a node-level check too */
	assert_int_equal(dereg(s, 13, "n1", NULL, "serfHealth"), 0);
	assert_int_equal(catalog_service_index(s, "a"), 13);
	assert_int_equal(catalog_service_index(s, "b"), 13);
	store_free(s);
}

static void test_noop_register(void **state)
{
	struct store *s = two_services();
	struct cat_check serf = chk_tmpl("serfHealth", "", CAT_PASSING);
	assert_int_equal(reg1(s, 4, "n1", "10.0.0.1", NULL, &serf), 0);
	char *before = dump_catalog(s);
	struct counted wa, wall;
	arm(&wa);
	arm(&wall);
	catalog_watch_service(s, &wa.w, "a");
	watch_prefix(s, &wall.w, TABLE_SERVICES, "");
	/* anti-entropy re-sends everything as it is */
	struct cat_service a = svc_tmpl("a1", "a", 1);
	struct cat_check ca = chk_tmpl("ca", "a1", CAT_PASSING);
	assert_int_equal(reg1(s, 20, "n1", "10.0.0.1", &a, &ca), 0);
	assert_int_equal(reg1(s, 21, "n1", "10.0.0.1", NULL, &serf), 0);
	char *after = dump_catalog(s);
	assert_string_equal(strchr(before, '\n'), strchr(after, '\n'));
	assert_int_equal(store_watch_flush(s), 0);
	assert_int_equal(catalog_service_index(s, "a"), 4);
	/* one byte of difference is a change */
	ca.output = "x";
	assert_int_equal(reg1(s, 22, "n1", "10.0.0.1", NULL, &ca), 0);
	assert_int_equal(catalog_service_index(s, "a"), 22);
	assert_int_equal(catalog_node_check(s, "n1", "ca")->create_index, 1);
	assert_int_equal(store_watch_flush(s), 2);
	free(before);
	free(after);
	store_free(s);
}

static void test_deletes_never_go_back(void **state)
{
	struct store *s = two_services();
	struct counted wa;
	arm(&wa);
	catalog_watch_service(s, &wa.w, "a");
	assert_int_equal(dereg(s, 10, "n1", "a1", NULL), 0);
	assert_int_equal(store_watch_flush(s), 1);
	assert_int_equal(catalog_service_index(s, "a"), 10); /* the service floor */
	assert_int_equal(catalog_services_index(s), 10);
	assert_int_equal(catalog_service_index(s, "never-seen"), 10);
	assert_int_equal(dereg(s, 11, "n2", NULL, NULL), 0);
	assert_int_equal(catalog_node_index(s, "n2"), 11);
	assert_int_equal(catalog_nodes_index(s), 11);
	assert_int_equal(catalog_service_index(s, "b"), 11); /* lost an instance */
	/* re-created: moves forward from the floor */
	struct cat_service a = svc_tmpl("a1", "a", 1);
	assert_int_equal(reg1(s, 12, "n1", "10.0.0.1", &a, NULL), 0);
	assert_int_equal(catalog_service_index(s, "a"), 12);
	assert_true(catalog_service_index(s, "zzz") >= 10);
	store_free(s);
}

static void test_check_state_indexes(void **state)
{
	struct store *s = two_services();
	assert_int_equal(catalog_checks_index(s, CAT_PASSING), 2);
	assert_int_equal(catalog_checks_index(s, CAT_CRITICAL), 1); /* never: at least 1 */
	struct counted wcrit, wwarn;
	arm(&wcrit);
	arm(&wwarn);
	catalog_watch_checks(s, &wcrit.w, CAT_CRITICAL);
	catalog_watch_checks(s, &wwarn.w, CAT_WARNING);
	struct cat_check ca = chk_tmpl("ca", "a1", CAT_CRITICAL);
	assert_int_equal(reg1(s, 5, "n1", "10.0.0.1", NULL, &ca), 0);
	assert_int_equal(catalog_checks_index(s, CAT_CRITICAL), 5);
	assert_int_equal(catalog_checks_index(s, CAT_PASSING), 5); /* left passing */
	assert_int_equal(catalog_checks_index(s, CAT_WARNING), 1);
	assert_int_equal(catalog_checks_index(s, CAT_ANY), 5);
	assert_int_equal(store_watch_flush(s), 1);
	assert_int_equal(wcrit.calls, 1);
	watcher_cancel(s, &wwarn.w);
	store_free(s);
}

static void test_abort_restores(void **state)
{
	struct store *s = two_services();
	struct cat_check serf = chk_tmpl("serfHealth", "", CAT_PASSING);
	assert_int_equal(reg1(s, 4, "n1", "10.0.0.1", NULL, &serf), 0);
	char *before = dump_catalog(s);
	struct counted w;
	arm(&w);
	watch_prefix(s, &w.w, TABLE_NODES, "");
	watch_prefix(s, &w.w, TABLE_SERVICES, "");
	watch_prefix(s, &w.w, TABLE_CHECKS, "");

	char *why = NULL;
	struct store_txn *t = store_txn_begin(s, 10);
	struct cat_node n1 = node_tmpl("n1", "10.1.1.1");
	struct cat_service c = svc_tmpl("c1", "c", 9), a = svc_tmpl("a1", "renamed", 1);
	struct cat_check cc = chk_tmpl("cc", "c1", CAT_WARNING);
	struct cat_service both[] = {c, a};
	struct cat_register r = {&n1, false, both, 2, &cc, 1};
	assert_int_equal(catalog_txn_register(t, &r, &why), 0);
	struct cat_deregister d1 = {"n2", NULL, NULL}, d2 = {"n1", "b1", NULL};
	assert_int_equal(catalog_txn_deregister(t, &d1, &why), 0);
	assert_int_equal(catalog_txn_deregister(t, &d2, &why), 0);
	struct cat_node n3 = node_tmpl("n3", "10.0.0.3");
	struct cat_register r3 = {&n3, false, &c, 1, NULL, 0};
	assert_int_equal(catalog_txn_register(t, &r3, &why), 0);
	struct cat_node n2 = node_tmpl("N2", "10.0.0.22"); /* re-created */
	struct cat_register r2 = {&n2, false, NULL, 0, &serf, 1};
	assert_int_equal(catalog_txn_register(t, &r2, &why), 0);
	assert_int_equal(catalog_service_instance_count(s, "c"), 2);
	store_txn_abort(t);

	char *after = dump_catalog(s);
	assert_string_equal(strchr(before, '\n'), strchr(after, '\n'));
	assert_int_equal(store_index(s), 10);
	assert_int_equal(store_watch_flush(s), 0);
	assert_int_equal(s->cat->touched_groups.n + s->cat->touched_slots.n + s->cat->log.n, 0);
	watcher_cancel(s, &w.w);
	free(before);
	free(after);
	store_free(s);
}

/* ---- random walk: commit/abort vs replay of commits only ---- */

static int random_op(struct store *s, struct store_txn *t, unsigned *seed)
{
	static const char *nodes[] = {"n0", "N1", "n2"};
	static const char *names[] = {"a", "b", "C"};
	static const char *ids[] = {"s0", "s1", "S2", "s3"};
	static const char *chks[] = {"k0", "k1", "serfHealth"};
	const char *node = nodes[rand_r(seed) % 3];
	char *why = NULL;
	int rc, kind = rand_r(seed) % 6;
	if (kind < 3) {
		char addr[16];
		snprintf(addr, sizeof(addr), "10.0.0.%d", rand_r(seed) % 3);
		struct cat_node n = node_tmpl(node, addr);
		struct cat_service svc =
		    svc_tmpl(ids[rand_r(seed) % 4], names[rand_r(seed) % 3], rand_r(seed) % 3);
		struct cat_check c = chk_tmpl(chks[rand_r(seed) % 3],
					      rand_r(seed) % 2 ? svc.id : "", rand_r(seed) % 3);
		struct cat_register r = {&n, rand_r(seed) % 4 == 0, &svc, (size_t)(kind != 1),
					 &c, (size_t)(kind != 0)};
		rc = catalog_txn_register(t, &r, &why);
	} else {
		struct cat_deregister d = {node, kind == 3 ? ids[rand_r(seed) % 4] : NULL,
					   kind == 4 ? chks[rand_r(seed) % 3] : NULL};
		rc = catalog_txn_deregister(t, &d, &why);
	}
	free(why);
	(void)s;
	return rc;
}

static void test_random_walk(void **state)
{
	struct store *s = store_new(), *replay = store_new();
	unsigned seed = 12345;
	for (uint64_t idx = 1; idx <= 3000; idx++) {
		unsigned op_seed = seed;
		int nops = 1 + rand_r(&seed) % 3;
		bool commit = rand_r(&seed) % 3 != 0;
		unsigned walk = op_seed;
		struct store_txn *t = store_txn_begin(s, idx);
		int failed = 0;
		for (int i = 0; i < nops; i++)
			failed |= random_op(s, t, &walk) != 0;
		commit = commit && !failed;
		if (commit)
			store_txn_commit(t);
		else
			store_txn_abort(t);
		t = store_txn_begin(replay, idx);
		walk = op_seed;
		for (int i = 0; i < nops && commit; i++)
			assert_int_equal(random_op(replay, t, &walk), 0);
		if (commit)
			store_txn_commit(t);
		else
			store_txn_abort(t);
		if (idx % 100 == 0) {
			char *x = dump_catalog(s), *y = dump_catalog(replay);
			assert_string_equal(x, y);
			free(x);
			free(y);
		}
		seed = seed * 1103515245u + 12345u;
	}
	assert_true(catalog_node_count(s) > 0);
	store_free(s);
	store_free(replay);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_isolation),
	    cmocka_unit_test(test_node_level_check_moves_all),
	    cmocka_unit_test(test_noop_register),
	    cmocka_unit_test(test_deletes_never_go_back),
	    cmocka_unit_test(test_check_state_indexes),
	    cmocka_unit_test(test_abort_restores),
	    cmocka_unit_test(test_random_walk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
