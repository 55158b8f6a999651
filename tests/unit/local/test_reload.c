/*
 * Config files at boot and on reload: the difference is applied (added,
 * changed, removed services and checks), unchanged entries are left running,
 * API-registered entries are never touched, and a bad file changes nothing.
 */
#include "fixture.h"

static json_t *services(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	if (!j)
		fail_msg("%s", e.text);
	return j;
}

/* A second config with new services/checks arrays, swapped in place as the
 * agent does after config_reload. */
static int reload(struct fixture *f, const char *svcs, const char *checks, struct buf *err)
{
	json_decref(f->cfg.services);
	json_decref(f->cfg.checks);
	f->cfg.services = services(svcs);
	f->cfg.checks = services(checks);
	return local_reload(&f->ls, &f->cfg, err);
}

static void test_reload_difference(void **state)
{
	struct fixture *f = fixture_new(false);
	struct buf err = BUF_INIT;
	json_decref(f->cfg.services);
	json_decref(f->cfg.checks);
	/* seeds/001 web.json, a second service, and a top-level check */
	f->cfg.services = services("[{\"name\":\"web\",\"tags\":[\"master\"],\"address\":"
				   "\"127.0.0.1\",\"port\":10000,\"checks\":[{\"ttl\":\"1h\"}]},"
				   "{\"name\":\"old\",\"check\":{\"ttl\":\"1h\"}},"
				   "{\"name\":\"same\",\"check\":{\"ttl\":\"1h\"}}]");
	f->cfg.checks = services("[{\"name\":\"disk\",\"ttl\":\"1h\"},"
				 "{\"name\":\"mem\",\"ttl\":\"1h\"}]");
	fixture_open(f);
	assert_int_equal(local_service(&f->ls, "web")->origin, LOCAL_ORIGIN_CONFIG);
	add_service(f, "{\"Name\":\"api\",\"Check\":{\"TTL\":\"1h\"}}", false);
	ttl(f, "service:web", CHECK_PASSING, "up");
	ttl(f, "service:same", CHECK_PASSING, "up");
	run_until(f, in_sync);
	const struct local_check *same_check = local_check(&f->ls, "service:same");
	const struct local_service *api = local_service(&f->ls, "api");

	assert_int_equal(
	    reload(f,
		   "[{\"name\":\"web\",\"tags\":[\"v2\"],\"address\":\"127.0.0.1\","
		   "\"port\":10000,\"checks\":[{\"ttl\":\"1h\"}]},"
		   "{\"name\":\"same\",\"check\":{\"ttl\":\"1h\"}},"
		   "{\"name\":\"new\",\"port\":1}]",
		   "[{\"name\":\"mem\",\"ttl\":\"1h\"},{\"name\":\"cpu\",\"ttl\":\"1h\"}]", &err),
	    0);
	assert_string_equal(local_service(&f->ls, "web")->def.tags[0], "v2");
	/* changed service: its check kept its status */
	assert_int_equal(local_check(&f->ls, "service:web")->status, CHECK_PASSING);
	assert_null(local_service(&f->ls, "old"));
	assert_null(local_check(&f->ls, "service:old"));
	assert_non_null(local_service(&f->ls, "new"));
	assert_null(local_check(&f->ls, "disk"));
	assert_non_null(local_check(&f->ls, "cpu"));
	/* unchanged entries are the very same objects, their runners untouched */
	assert_ptr_equal(local_check(&f->ls, "service:same"), same_check);
	assert_ptr_equal(local_service(&f->ls, "api"), api);
	run_until(f, in_sync);
	assert_null(catalog_node_service(f->store, "n1", "old"));
	assert_null(catalog_node_check(f->store, "n1", "disk"));
	assert_non_null(catalog_node_service(f->store, "n1", "new"));
	assert_non_null(catalog_node_service(f->store, "n1", "api"));
	assert_string_equal(catalog_node_service(f->store, "n1", "web")->tags[0], "v2");

	/* a bad definition: nothing changes */
	assert_int_equal(reload(f, "[{\"port\":1}]", "[]", &err), CAIRN_E_INVAL);
	assert_string_equal(buf_cstr(&err), "Failed to register service #1: Missing service name");
	assert_non_null(local_service(&f->ls, "web"));
	assert_non_null(local_check(&f->ls, "cpu"));
	buf_reset(&err);
	/* script checks still refused without enable_local_script_checks */
	assert_int_equal(reload(f,
				"[{\"name\":\"s\",\"check\":{\"args\":[\"true\"],"
				"\"interval\":\"10s\"}}]",
				"[]", &err),
			 CAIRN_E_PERM);
	assert_non_null(local_service(&f->ls, "web"));
	buf_free(&err);
	fixture_free(f);
}

static void test_boot_errors(void **state)
{
	struct fixture *f = fixture_new(false);
	struct buf err = BUF_INIT;
	struct local_opts o = {.loop = &f->loop, .store = f->store, .cfg = &f->cfg};
	json_decref(f->cfg.services);
	f->cfg.services = services("[{\"name\":\"x\",\"check\":{\"http\":\"http://a\"}}]");
	assert_int_equal(local_init(&f->ls, &o, &err), 0);
	f->ls_open = true;
	assert_int_equal(local_load(&f->ls, &err), CAIRN_E_INVAL);
	assert_string_equal(buf_cstr(&err),
			    "Failed to register service \"x\": Invalid check: Interval must be > 0 "
			    "for Script, HTTP, H2PING, TCP, UDP or OSService checks");
	buf_free(&err);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reload_difference),
	    cmocka_unit_test(test_boot_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
