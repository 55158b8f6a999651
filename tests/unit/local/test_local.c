/*
 * The local state: adding, replacing and removing services and checks,
 * replace-existing-checks, TTL updates, maintenance mode, the reaper on a fake
 * clock, and the waiters the HTTP API replies through. Every change must reach
 * the catalog (a real store behind a fake Raft).
 */
#include "fixture.h"

static void test_add_replace_remove(void **state)
{
	struct fixture *f = fixture_new(false);
	fixture_open(f);
	add_service(f,
		    "{\"Name\":\"web\",\"Tags\":[\"v1\"],\"Port\":80,\"Address\":\"10.0.0.2\","
		    "\"Checks\":[{\"TTL\":\"30s\"},{\"TTL\":\"30s\",\"CheckID\":\"extra\"}]}",
		    false);
	run_until(f, in_sync);
	const struct cat_service *cs = catalog_node_service(f->store, "n1", "web");
	assert_non_null(cs);
	assert_int_equal(cs->port, 80);
	assert_string_equal(cs->tags[0], "v1");
	assert_non_null(catalog_node_check(f->store, "n1", "service:web:1"));
	assert_non_null(catalog_node_check(f->store, "n1", "extra"));
	/* the node, its serfHealth check and the servers' consul service */
	const struct cat_node *n = catalog_node(f->store, "n1");
	assert_non_null(n);
	assert_string_equal(n->address, "127.0.0.1");
	const struct cat_check *serf = catalog_node_check(f->store, "n1", "serfHealth");
	assert_non_null(serf);
	assert_int_equal(serf->status, CAT_PASSING);
	assert_string_equal(serf->output, "Agent alive and reachable");
	assert_non_null(catalog_node_service(f->store, "n1", "consul"));

	/* a status change reaches the catalog; re-registering keeps it */
	ttl(f, "service:web:1", CHECK_PASSING, "ok");
	run_until(f, in_sync);
	assert_int_equal(catalog_node_check(f->store, "n1", "service:web:1")->status, CAT_PASSING);
	add_service(f,
		    "{\"Name\":\"web\",\"Tags\":[\"v2\"],\"Port\":80,\"Address\":\"10.0.0.2\","
		    "\"Checks\":[{\"TTL\":\"30s\"},{\"TTL\":\"30s\",\"CheckID\":\"other\"}]}",
		    false);
	assert_int_equal(local_check(&f->ls, "service:web:1")->status, CHECK_PASSING);
	assert_string_equal(local_check(&f->ls, "service:web:1")->output, "ok");
	assert_non_null(local_check(&f->ls, "extra")); /* kept without replace */
	run_until(f, in_sync);
	assert_string_equal(catalog_node_service(f->store, "n1", "web")->tags[0], "v2");

	/* replace-existing-checks drops what the new definition lacks */
	add_service(f, "{\"Name\":\"web\",\"Check\":{\"TTL\":\"30s\"}}", true);
	assert_null(local_check(&f->ls, "extra"));
	assert_null(local_check(&f->ls, "other"));
	assert_non_null(local_check(&f->ls, "service:web"));
	run_until(f, in_sync);
	assert_null(catalog_node_check(f->store, "n1", "extra"));
	assert_null(catalog_node_check(f->store, "n1", "service:web:1"));

	assert_int_equal(local_remove_service(&f->ls, "web"), 0);
	assert_int_equal(local_remove_service(&f->ls, "web"), CAIRN_E_NOTFOUND);
	assert_null(local_check(&f->ls, "service:web"));
	run_until(f, in_sync);
	assert_null(catalog_node_service(f->store, "n1", "web"));
	assert_null(catalog_node_check(f->store, "n1", "service:web"));
	assert_int_equal(f->failures, 0);
	fixture_free(f);
}

static void test_standalone_checks(void **state)
{
	struct fixture *f = fixture_new(false);
	struct buf err = BUF_INIT;
	fixture_open(f);
	add_service(f, "{\"Name\":\"db\"}", false);
	add_check(f, "{\"Name\":\"mem\",\"TTL\":\"10s\",\"Status\":\"warning\"}");
	add_check(f,
		  "{\"ID\":\"db-ttl\",\"Name\":\"db ttl\",\"ServiceID\":\"db\",\"TTL\":\"10s\"}");
	const struct local_check *c = local_check(&f->ls, "mem"); /* ID defaults to Name */
	assert_non_null(c);
	assert_int_equal(c->status, CHECK_WARNING);
	assert_string_equal(c->type, "ttl");

	json_t *j = json_loads("{\"Name\":\"x\",\"ServiceID\":\"nope\",\"TTL\":\"1s\"}", 0, NULL);
	struct checkdef d;
	assert_int_equal(checkdef_parse(j, &d, &err), 0);
	checkdef_set_check_defaults(&d);
	assert_int_equal(local_add_check(&f->ls, &d, LOCAL_ORIGIN_API, &err), CAIRN_E_NOTFOUND);
	assert_string_equal(buf_cstr(&err), "ServiceID \"nope\" does not exist");
	json_decref(j);
	buf_reset(&err);

	/* only TTL checks take pass/warn/fail */
	assert_int_equal(local_ttl_update(&f->ls, "nope", CHECK_PASSING, "", &err),
			 CAIRN_E_NOTFOUND);
	assert_string_equal(buf_cstr(&err), "CheckID \"nope\" does not have associated TTL");

	const struct local_check **list;
	size_t n = local_service_checks(&f->ls, "db", true, &list);
	assert_int_equal(n, 2); /* db-ttl and the node-level mem */
	free(list);
	assert_int_equal(local_service_status(&f->ls, "db"), CHECK_CRITICAL);
	ttl(f, "db-ttl", CHECK_PASSING, "");
	assert_int_equal(local_service_status(&f->ls, "db"), CHECK_WARNING);
	run_until(f, in_sync);
	assert_int_equal(local_remove_check(&f->ls, "mem"), 0);
	run_until(f, in_sync);
	assert_null(catalog_node_check(f->store, "n1", "mem"));
	buf_free(&err);
	fixture_free(f);
}

static void test_maintenance(void **state)
{
	struct fixture *f = fixture_new(false);
	struct buf err = BUF_INIT;
	fixture_open(f);
	add_service(f, "{\"Name\":\"web\"}", false);
	local_node_maintenance(&f->ls, true, "");
	const struct local_check *c = local_check(&f->ls, "_node_maintenance");
	assert_non_null(c);
	assert_int_equal(c->status, CHECK_CRITICAL);
	assert_string_equal(c->name, "Node Maintenance Mode");
	assert_string_equal(c->type, "maintenance");
	assert_string_equal(c->notes, "Maintenance mode is enabled for this node, but no reason "
				      "was provided. This is a default message.");
	assert_int_equal(local_service_maintenance(&f->ls, "web", true, "upgrade", &err), 0);
	c = local_check(&f->ls, "_service_maintenance:web");
	assert_non_null(c);
	assert_string_equal(c->notes, "upgrade");
	assert_string_equal(c->service_id, "web");
	assert_string_equal(c->name, "Service Maintenance Mode");
	assert_int_equal(local_service_maintenance(&f->ls, "nope", true, "", &err),
			 CAIRN_E_NOTFOUND);
	assert_string_equal(buf_cstr(&err), "No service registered with ID \"nope\"");
	run_until(f, in_sync);
	assert_int_equal(catalog_node_check(f->store, "n1", "_node_maintenance")->status,
			 CAT_CRITICAL);
	/* replace-existing-checks keeps the maintenance check */
	add_service(f, "{\"Name\":\"web\"}", true);
	assert_non_null(local_check(&f->ls, "_service_maintenance:web"));
	local_node_maintenance(&f->ls, false, NULL);
	assert_int_equal(local_service_maintenance(&f->ls, "web", false, NULL, &err), 0);
	assert_null(local_check(&f->ls, "_node_maintenance"));
	assert_null(local_check(&f->ls, "_service_maintenance:web"));
	run_until(f, in_sync);
	assert_null(catalog_node_check(f->store, "n1", "_node_maintenance"));
	buf_free(&err);
	fixture_free(f);
}

static void test_reaper(void **state)
{
	struct fixture *f = fixture_new(false);
	f->now = 1000 * 1000000000ULL;
	fixture_open(f);
	/* 10s is below Consul's minimum of 1m: raised to it */
	add_service(f,
		    "{\"Name\":\"gone\",\"Check\":{\"TTL\":\"5s\","
		    "\"DeregisterCriticalServiceAfter\":\"10s\"}}",
		    false);
	add_service(f,
		    "{\"Name\":\"stays\",\"Check\":{\"TTL\":\"5s\",\"Status\":\"passing\","
		    "\"DeregisterCriticalServiceAfter\":\"1m\"}}",
		    false);
	assert_int_equal(local_check(&f->ls, "service:gone")->reap_after, 60000000000LL);
	f->now += 30ULL * 1000000000ULL;
	local_reap(&f->ls);
	assert_non_null(local_service(&f->ls, "gone")); /* critical for 30 s only */
	f->now += 31ULL * 1000000000ULL;
	local_reap(&f->ls);
	assert_null(local_service(&f->ls, "gone"));
	assert_null(local_check(&f->ls, "service:gone"));
	assert_non_null(local_service(&f->ls, "stays")); /* passing */
	run_until(f, in_sync);
	assert_null(catalog_node_service(f->store, "n1", "gone"));
	fixture_free(f);
}

static bool waited;
static void on_wait(struct local_wait *w)
{
	waited = true;
}

static bool wait_done(struct fixture *f)
{
	return waited;
}

static void test_wait_and_failures(void **state)
{
	struct fixture *f = fixture_new(false);
	struct local_wait w = {0};
	fixture_open(f);
	run_until(f, in_sync);
	add_service(f, "{\"Name\":\"web\"}", false);
	waited = false;
	local_wait(&f->ls, &w, on_wait);
	assert_false(waited);
	run_until(f, wait_done);
	assert_non_null(catalog_node_service(f->store, "n1", "web")); /* synced first */

	/* no leader: the waiter is still answered, the entry stays out of sync */
	f->refuse = true;
	add_service(f, "{\"Name\":\"api\"}", false);
	waited = false;
	local_wait(&f->ls, &w, on_wait);
	run_until(f, wait_done);
	assert_false(local_in_sync(&f->ls));
	assert_null(catalog_node_service(f->store, "n1", "api"));
	/* leadership regained: the next round catches up */
	f->refuse = false;
	local_sync_now(&f->ls, true);
	run_until(f, in_sync);
	assert_non_null(catalog_node_service(f->store, "n1", "api"));

	/* a cancelled wait is never called */
	add_service(f, "{\"Name\":\"x\"}", false);
	waited = false;
	local_wait(&f->ls, &w, on_wait);
	local_wait_cancel(&f->ls, &w);
	run_until(f, in_sync);
	assert_false(waited);
	fixture_free(f);
}

static int watched;
static void on_watch(struct local_watch *w)
{
	watched++;
}

static bool watch_fired(struct fixture *f)
{
	return watched > 0;
}

/* local_watch: told once about the next change, not about earlier ones. */
static void test_watch(void **state)
{
	struct fixture *f = fixture_new(false);
	struct local_watch w = {0}, w2 = {0};
	fixture_open(f);
	add_service(f, "{\"Name\":\"web\"}", false);
	run_until(f, in_sync);
	watched = 0;
	local_watch(&f->ls, &w, on_watch);
	local_watch(&f->ls, &w2, on_watch);
	local_watch_cancel(&f->ls, &w2);
	for (int i = 0; i < 5; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(watched, 0);
	add_service(f, "{\"Name\":\"web\",\"Port\":2}", false);
	run_until(f, watch_fired);
	run_until(f, in_sync);
	assert_int_equal(watched, 1); /* once, and the cancelled one never */
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_replace_remove), cmocka_unit_test(test_standalone_checks),
	    cmocka_unit_test(test_maintenance),	       cmocka_unit_test(test_reaper),
	    cmocka_unit_test(test_wait_and_failures),  cmocka_unit_test(test_watch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
