/*
 * Persistence under data_dir: what the API registered, maintenance checks and
 * TTL status survive a restart; config files win over a persisted entry with
 * the same ID; deregistration removes the files; -dev (no data_dir) writes
 * nothing.
 */
#include "fixture.h"

#include <dirent.h>

static bool waited;
static void on_wait(struct local_wait *w)
{
	waited = true;
}
static bool wait_done(struct fixture *f)
{
	return waited;
}

/* Wait until everything changed so far is on disk (and synced). */
static void flush(struct fixture *f)
{
	struct local_wait w = {0};
	waited = false;
	local_wait(&f->ls, &w, on_wait);
	run_until(f, wait_done);
}

static size_t count_files(const char *dir, const char *sub)
{
	char path[256];
	size_t n = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_type == DT_REG)
			n++;
	closedir(d);
	return n;
}

static void restart(struct fixture *f)
{
	fixture_close_ls(f);
	fixture_open(f);
}

static void test_round_trip(void **state)
{
	struct fixture *f = fixture_new(true);
	struct buf err = BUF_INIT;
	fixture_open(f);
	add_service(
	    f,
	    "{\"ID\":\"web1\",\"Name\":\"web\",\"Tags\":[\"a\"],\"Port\":8080,"
	    "\"Meta\":{\"v\":\"1\"},\"Weights\":{\"Passing\":3,\"Warning\":1},"
	    "\"Checks\":[{\"TTL\":\"1h\",\"Notes\":\"n\"},{\"TTL\":\"1h\",\"CheckID\":\"c2\"}]}",
	    false);
	add_check(f, "{\"Name\":\"node-ttl\",\"TTL\":\"1h\"}");
	ttl(f, "service:web1:1", CHECK_WARNING, "slow");
	ttl(f, "node-ttl", CHECK_PASSING, "fine");
	local_node_maintenance(&f->ls, true, "patching");
	assert_int_equal(local_service_maintenance(&f->ls, "web1", true, "", &err), 0);
	flush(f);
	assert_int_equal(count_files(f->dir, "services"), 1);
	assert_int_equal(count_files(f->dir, "checks"), 5);
	assert_int_equal(count_files(f->dir, "checks/state"), 2);

	restart(f);
	const struct local_service *s = local_service(&f->ls, "web1");
	assert_non_null(s);
	assert_int_equal(s->origin, LOCAL_ORIGIN_API);
	assert_int_equal(s->def.port, 8080);
	assert_int_equal(s->def.weight_passing, 3);
	assert_string_equal(servicedef_meta(&s->def, "v"), "1");
	const struct local_check *c = local_check(&f->ls, "service:web1:1");
	assert_non_null(c);
	assert_int_equal(c->status, CHECK_WARNING); /* TTL state restored */
	assert_string_equal(c->output, "slow");
	assert_string_equal(c->notes, "n");
	assert_string_equal(c->service_id, "web1");
	assert_int_equal(local_check(&f->ls, "c2")->status, CHECK_CRITICAL);
	assert_int_equal(local_check(&f->ls, "node-ttl")->status, CHECK_PASSING);
	c = local_check(&f->ls, "_node_maintenance");
	assert_non_null(c);
	assert_string_equal(c->notes, "patching");
	assert_non_null(local_check(&f->ls, "_service_maintenance:web1"));
	run_until(f, in_sync);
	assert_non_null(catalog_node_service(f->store, "n1", "web1"));

	/* removal takes the files with it */
	assert_int_equal(local_remove_service(&f->ls, "web1"), 0);
	local_node_maintenance(&f->ls, false, NULL);
	flush(f);
	assert_int_equal(count_files(f->dir, "services"), 0);
	assert_int_equal(count_files(f->dir, "checks"), 1); /* node-ttl */
	assert_int_equal(count_files(f->dir, "checks/state"), 1);
	restart(f);
	assert_null(local_service(&f->ls, "web1"));
	assert_non_null(local_check(&f->ls, "node-ttl"));
	buf_free(&err);
	fixture_free(f);
}

static void test_config_wins(void **state)
{
	struct fixture *f = fixture_new(true);
	fixture_open(f);
	add_service(f, "{\"Name\":\"web\",\"Port\":1}", false);
	flush(f);
	assert_int_equal(count_files(f->dir, "services"), 1);
	fixture_close_ls(f);
	/* the config files now define web too: they win, the file goes */
	json_array_append_new(f->cfg.services,
			      json_loads("{\"name\":\"web\",\"port\":2}", 0, NULL));
	fixture_open(f);
	const struct local_service *s = local_service(&f->ls, "web");
	assert_int_equal(s->origin, LOCAL_ORIGIN_CONFIG);
	assert_int_equal(s->def.port, 2);
	assert_int_equal(count_files(f->dir, "services"), 0);
	flush(f);
	fixture_free(f);
}

static void test_expired_state_and_no_dir(void **state)
{
	struct fixture *f = fixture_new(true);
	fixture_open(f);
	add_service(f, "{\"Name\":\"w\",\"Check\":{\"TTL\":\"1s\"}}", false);
	ttl(f, "service:w", CHECK_PASSING, "");
	flush(f);
	fixture_close_ls(f);
	/* the state file expires with the TTL: not restored after that, and removed */
	usleep(1100 * 1000);
	fixture_open(f);
	assert_int_equal(local_check(&f->ls, "service:w")->status, CHECK_CRITICAL);
	assert_int_equal(count_files(f->dir, "checks/state"), 0);
	fixture_free(f);

	/* no data_dir: nothing written anywhere, everything still works */
	f = fixture_new(false);
	fixture_open(f);
	add_service(f, "{\"Name\":\"w\",\"Check\":{\"TTL\":\"1s\"}}", false);
	ttl(f, "service:w", CHECK_PASSING, "");
	flush(f);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_config_wins),
	    cmocka_unit_test(test_expired_state_and_no_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
