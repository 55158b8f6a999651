/*
 * Anti-entropy against the catalog: a full round repairs what others changed
 * for this node and removes what the agent does not have (but not serfHealth
 * or the consul service), EnableTagOverride lets catalog tags win, a burst of
 * registrations becomes few Raft entries, and output-only check changes wait
 * for check_update_interval.
 */
#include "fixture.h"

/* Apply a catalog registration directly, as another writer would. */
static void catalog_write(struct fixture *f, const struct cat_service *svc,
			  const struct cat_check *chk)
{
	const struct cat_node *n = catalog_node(f->store, "n1");
	struct cat_register r = {.node = n,
				 .services = svc,
				 .nservices = svc ? 1 : 0,
				 .checks = chk,
				 .nchecks = chk ? 1 : 0};
	struct cmd c = {.type = CMD_CATALOG_REGISTER, .u.reg = r}, d;
	struct buf enc = BUF_INIT;
	struct txn_result res = {0};
	cmd_encode(&c, &enc);
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), 0);
	uint64_t idx = ++f->index;
	catalog_ops_apply(store_txn_begin(f->store, idx), &d, idx, &res);
	assert_null(catalog_ops_error(&res));
	txn_result_free(&res);
	cmd_free(&d);
	buf_free(&enc);
}

static bool repaired(struct fixture *f)
{
	const struct cat_service *s = catalog_node_service(f->store, "n1", "web");
	return s && s->port == 80 && !catalog_node_service(f->store, "n1", "ghost") &&
	       !catalog_node_check(f->store, "n1", "ghost-check") && in_sync(f);
}

static bool tags_taken(struct fixture *f)
{
	return local_service(&f->ls, "web")->def.n_tags == 2 && in_sync(f);
}

static void test_full_sync_repairs(void **state)
{
	struct fixture *f = fixture_new(false);
	fixture_open(f);
	add_service(f, "{\"Name\":\"web\",\"Port\":80,\"Check\":{\"TTL\":\"1h\"}}", false);
	run_until(f, in_sync);

	/* someone changes our service and adds a ghost service and check */
	const char *tags[] = {"x"};
	struct cat_service changed = {.id = "web",
				      .name = "web",
				      .port = 81,
				      .tags = tags,
				      .ntags = 1,
				      .weight_passing = 1,
				      .weight_warning = 1};
	struct cat_service ghost = {.id = "ghost", .name = "ghost", .weight_passing = 1};
	struct cat_check ghost_check = {.id = "ghost-check", .name = "g", .status = CAT_PASSING};
	catalog_write(f, &changed, NULL);
	catalog_write(f, &ghost, &ghost_check);
	assert_int_equal(catalog_node_service(f->store, "n1", "web")->port, 81);

	local_sync_now(&f->ls, true);
	run_until(f, repaired);
	assert_int_equal(catalog_node_service(f->store, "n1", "web")->port, 80);
	assert_int_equal(catalog_node_service(f->store, "n1", "web")->ntags, 0);
	assert_null(catalog_node_service(f->store, "n1", "ghost"));
	assert_null(catalog_node_check(f->store, "n1", "ghost-check"));
	assert_non_null(catalog_node_check(f->store, "n1", "serfHealth"));
	assert_non_null(catalog_node_service(f->store, "n1", "consul"));
	fixture_free(f);
}

static void test_tag_override(void **state)
{
	struct fixture *f = fixture_new(false);
	fixture_open(f);
	add_service(f, "{\"Name\":\"web\",\"Tags\":[\"mine\"],\"EnableTagOverride\":true}", false);
	run_until(f, in_sync);
	const char *tags[] = {"theirs", "more"};
	struct cat_service changed = {.id = "web",
				      .name = "web",
				      .tags = tags,
				      .ntags = 2,
				      .weight_passing = 1,
				      .weight_warning = 1,
				      .enable_tag_override = true};
	catalog_write(f, &changed, NULL);
	local_sync_now(&f->ls, true);
	run_until(f, tags_taken);
	/* the catalog's tags win, and become the agent's */
	const struct local_service *s = local_service(&f->ls, "web");
	assert_int_equal(s->def.n_tags, 2);
	assert_string_equal(s->def.tags[0], "theirs");
	assert_int_equal(catalog_node_service(f->store, "n1", "web")->ntags, 2);
	fixture_free(f);
}

static void test_batching(void **state)
{
	struct fixture *f = fixture_new(false);
	char buf[128];
	fixture_open(f);
	run_until(f, in_sync);
	int before = f->proposals;
	for (int i = 0; i < 1000; i++) {
		snprintf(buf, sizeof(buf),
			 "{\"ID\":\"s%d\",\"Name\":\"svc\",\"Check\":{\"TTL\":\"1h\"}}", i);
		add_service(f, buf, false);
	}
	run_until(f, in_sync);
	/* 2000 entries in chunks of 512: 4 Raft entries, not 2000 */
	assert_int_equal(f->proposals - before, 4);
	assert_int_equal(catalog_service_instance_count(f->store, "svc"), 1000);
	fixture_free(f);
}

static bool output_synced(struct fixture *f)
{
	const struct cat_check *c = catalog_node_check(f->store, "n1", "service:web");
	return c && strcmp(c->output, "second") == 0;
}

static void test_deferred_output(void **state)
{
	struct fixture *f = fixture_new(false);
	f->cfg.check_update_interval = 50 * 1000000LL; /* 50 ms */
	fixture_open(f);
	add_service(f, "{\"Name\":\"web\",\"Check\":{\"TTL\":\"1h\"}}", false);
	ttl(f, "service:web", CHECK_PASSING, "first");
	run_until(f, in_sync);
	assert_string_equal(catalog_node_check(f->store, "n1", "service:web")->output, "first");
	/* same status, new output: not synced at once */
	ttl(f, "service:web", CHECK_PASSING, "second");
	assert_true(local_check(&f->ls, "service:web")->in_sync);
	for (int i = 0; i < 5; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_string_equal(catalog_node_check(f->store, "n1", "service:web")->output, "first");
	run_until(f, output_synced);
	/* a status change goes at once */
	ttl(f, "service:web", CHECK_WARNING, "third");
	assert_false(local_check(&f->ls, "service:web")->in_sync);
	run_until(f, in_sync);
	assert_int_equal(catalog_node_check(f->store, "n1", "service:web")->status, CAT_WARNING);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_sync_repairs),
	    cmocka_unit_test(test_tag_override),
	    cmocka_unit_test(test_batching),
	    cmocka_unit_test(test_deferred_output),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
