/*
 * The state machine: initial status, StatusHandler counters (as Consul's
 * agent/checks StatusHandler, counters starting at their thresholds),
 * change-only reporting, TTL pass/warn/fail/expire with output cap and
 * Consul's expiry text, restore, alias evaluation and batching, the
 * unsupported types, start-up jitter spread and close from a callback.
 */
#include "harness.h"

#include "checks/internal.h"

#include "base/err.h"

static void feed(struct check *c, enum check_status st, const char *out)
{
	check_status_handler(c, st, out, strlen(out));
}

/* A TCP check that is initialised but never started: counters only. */
static void init_probe(struct env *e, struct check *c, struct rec *r, const char *extra)
{
	char json[512];
	snprintf(json, sizeof(json),
		 "{\"id\":\"x\",\"tcp\":\"127.0.0.1:1\",\"interval\":\"10s\"%s%s}",
		 extra ? "," : "", extra ? extra : "");
	json_t *j = json_loads(json, 0, NULL);
	struct checkdef d;
	struct buf err = BUF_INIT;
	assert_int_equal(checkdef_parse(j, &d, &err), 0);
	assert_int_equal(checkdef_validate(&d, &err), 0);
	assert_int_equal(check_init(&e->rt, c, &d, rec_update, r), 0);
	checkdef_free(&d);
	json_decref(j);
	buf_free(&err);
}

static void test_initial_status(void **state)
{
	struct env e;
	struct check c;
	struct rec r = {0};
	env_init(&e, NULL);
	init_probe(&e, &c, &r, NULL);
	assert_int_equal(check_get_status(&c), CHECK_CRITICAL);
	assert_string_equal(check_get_output(&c), "");
	assert_string_equal(check_id(&c), "x");
	stop_check(&e, &c, &r);
	r = (struct rec){0};
	init_probe(&e, &c, &r, "\"status\":\"warning\"");
	assert_int_equal(check_get_status(&c), CHECK_WARNING);
	stop_check(&e, &c, &r);
	env_fini(&e);
}

static void test_counters_default(void **state)
{
	struct env e;
	struct check c;
	struct rec r = {0};
	env_init(&e, NULL);
	init_probe(&e, &c, &r, NULL);
	feed(&c, CHECK_PASSING, "ok");
	assert_int_equal(r.updates, 1);
	assert_int_equal(r.status, CHECK_PASSING);
	feed(&c, CHECK_PASSING, "ok"); /* unchanged: not reported again */
	assert_int_equal(r.updates, 1);
	feed(&c, CHECK_PASSING, "ok2"); /* output change is reported */
	assert_int_equal(r.updates, 2);
	feed(&c, CHECK_CRITICAL, "down");
	assert_int_equal(r.status, CHECK_CRITICAL);
	assert_string_equal(buf_cstr(&r.output), "down");
	feed(&c, CHECK_WARNING, "meh");
	assert_int_equal(r.status, CHECK_WARNING);
	stop_check(&e, &c, &r);
	env_fini(&e);
}

static void test_success_before_passing(void **state)
{
	struct env e;
	struct check c;
	struct rec r = {0};
	env_init(&e, NULL);
	init_probe(&e, &c, &r, "\"success_before_passing\":2");
	/* the counter starts at the threshold: the first success counts at once */
	feed(&c, CHECK_PASSING, "ok");
	assert_int_equal(r.status, CHECK_PASSING);
	feed(&c, CHECK_CRITICAL, "down");
	assert_int_equal(r.status, CHECK_CRITICAL);
	feed(&c, CHECK_PASSING, "ok");
	assert_int_equal(r.status, CHECK_CRITICAL); /* 1 of 2 */
	feed(&c, CHECK_PASSING, "ok");
	assert_int_equal(r.status, CHECK_PASSING);
	stop_check(&e, &c, &r);
	env_fini(&e);
}

static void test_failures_before_critical(void **state)
{
	struct env e;
	struct check c;
	struct rec r = {0};
	env_init(&e, NULL);
	init_probe(&e, &c, &r, "\"failures_before_critical\":3");
	feed(&c, CHECK_CRITICAL, "down"); /* starts at the threshold */
	assert_int_equal(r.status, CHECK_CRITICAL);
	feed(&c, CHECK_PASSING, "ok");
	assert_int_equal(r.status, CHECK_PASSING);
	feed(&c, CHECK_CRITICAL, "down1");
	feed(&c, CHECK_CRITICAL, "down2");
	assert_int_equal(r.status, CHECK_PASSING);
	assert_string_equal(buf_cstr(&r.output), "ok");
	feed(&c, CHECK_CRITICAL, "down3");
	assert_int_equal(r.status, CHECK_CRITICAL);
	assert_string_equal(buf_cstr(&r.output), "down3");
	stop_check(&e, &c, &r);
	env_fini(&e);
}

static void test_failures_before_warning(void **state)
{
	struct env e;
	struct check c;
	struct rec r = {0};
	env_init(&e, NULL);
	init_probe(&e, &c, &r, "\"failures_before_warning\":1,\"failures_before_critical\":3");
	feed(&c, CHECK_PASSING, "ok");
	feed(&c, CHECK_CRITICAL, "d1");
	assert_int_equal(r.status, CHECK_WARNING);
	assert_string_equal(buf_cstr(&r.output), "d1");
	feed(&c, CHECK_CRITICAL, "d2");
	assert_int_equal(r.status, CHECK_WARNING);
	feed(&c, CHECK_CRITICAL, "d3");
	assert_int_equal(r.status, CHECK_CRITICAL);
	stop_check(&e, &c, &r);
	env_fini(&e);
}

static void test_ttl(void **state)
{
	struct env e;
	struct check c;
	struct rec r = {0};
	env_init(&e, NULL);
	assert_int_equal(start_check(&e, &c, &r, "{\"id\":\"t\",\"ttl\":\"300ms\"}"), 0);
	assert_int_equal(check_get_status(&c), CHECK_CRITICAL);
	assert_int_equal(check_ttl_update(&c, CHECK_PASSING, "all good"), 0);
	assert_int_equal(r.status, CHECK_PASSING);
	assert_string_equal(buf_cstr(&r.output), "all good");
	assert_int_equal(check_ttl_update(&c, CHECK_WARNING, "hmm"), 0);
	assert_int_equal(r.status, CHECK_WARNING);
	assert_int_equal(check_ttl_update(&c, CHECK_CRITICAL, "bad"), 0);
	assert_int_equal(r.status, CHECK_CRITICAL);
	assert_int_equal(check_ttl_update(&c, CHECK_PASSING, "fine"), 0);
	/* updates keep it alive */
	for (int i = 0; i < 3; i++) {
		run_for(&e.loop, 150);
		assert_int_equal(check_ttl_update(&c, CHECK_PASSING, "fine"), 0);
	}
	assert_int_equal(r.status, CHECK_PASSING);
	int before = r.updates;
	assert_true(run_until_updates(&e.loop, &r, before + 1, 2000));
	assert_int_equal(r.status, CHECK_CRITICAL);
	assert_string_equal(buf_cstr(&r.output),
			    "TTL expired (last output before timeout follows): fine");
	/* no second expiry until the next update */
	run_for(&e.loop, 400);
	assert_int_equal(r.updates, before + 1);
	stop_check(&e, &c, &r);
	env_fini(&e);
}

static void test_ttl_expire_plain_and_cap(void **state)
{
	struct env e;
	struct check c;
	struct rec r = {0};
	env_init(&e, NULL);
	assert_int_equal(start_check(&e, &c, &r,
				     "{\"id\":\"t\",\"ttl\":\"100ms\",\"status\":"
				     "\"passing\"}"),
			 0);
	assert_true(run_until_updates(&e.loop, &r, 1, 2000));
	assert_string_equal(buf_cstr(&r.output), "TTL expired");
	stop_check(&e, &c, &r);

	r = (struct rec){0};
	assert_int_equal(start_check(&e, &c, &r,
				     "{\"id\":\"t\",\"ttl\":\"10s\",\"output_max_size\":"
				     "5}"),
			 0);
	assert_int_equal(check_ttl_update(&c, CHECK_PASSING, "0123456789"), 0);
	assert_string_equal(buf_cstr(&r.output), "01234 ... (captured 5 of 10 bytes)");
	assert_string_equal(check_get_output(&c), "01234 ... (captured 5 of 10 bytes)");
	stop_check(&e, &c, &r);
	env_fini(&e);
}

static void test_ttl_restore(void **state)
{
	struct env e;
	struct check c;
	struct rec r = {0};
	json_t *j = json_loads("{\"id\":\"t\",\"ttl\":\"100ms\"}", 0, NULL);
	struct checkdef d;
	env_init(&e, NULL);
	assert_int_equal(checkdef_parse(j, &d, NULL), 0);
	json_decref(j);
	assert_int_equal(check_init(&e.rt, &c, &d, rec_update, &r), 0);
	checkdef_free(&d);
	check_restore(&c, CHECK_PASSING, "persisted");
	assert_int_equal(check_start(&c), 0);
	assert_int_equal(check_start(&c), CAIRN_E_INVAL);
	assert_int_equal(check_get_status(&c), CHECK_PASSING);
	assert_string_equal(check_get_output(&c), "persisted");
	assert_int_equal(r.updates, 0);
	/* the TTL runs in full from start; a restored output is not "last output" */
	assert_true(run_until_updates(&e.loop, &r, 1, 2000));
	assert_string_equal(buf_cstr(&r.output), "TTL expired");
	/* non-TTL checks refuse TTL updates */
	stop_check(&e, &c, &r);
	r = (struct rec){0};
	init_probe(&e, &c, &r, NULL);
	assert_int_equal(check_ttl_update(&c, CHECK_PASSING, "x"), CAIRN_E_INVAL);
	stop_check(&e, &c, &r);
	env_fini(&e);
}

/* ---- alias ---- */

struct alias_world {
	int lookups;
	bool found;
	size_t n;
	enum check_status worst;
	const char *name, *output;
	const char *node, *service; /* last asked */
};

static void alias_lookup(void *ctx, const struct check *self, const char *node,
			 const char *service_id, struct check_alias_result *out)
{
	struct alias_world *w = ctx;
	w->lookups++;
	w->node = node;
	w->service = service_id;
	out->found = w->found;
	out->n_checks = w->n;
	out->worst = w->worst;
	out->failing_name = w->name;
	out->failing_output = w->output;
}

static void test_alias(void **state)
{
	struct alias_world w = {.found = true};
	struct check_runtime_opts o = {
	    .rand = rand_zero, .node_name = "node1", .alias_lookup = alias_lookup, .alias_ctx = &w};
	struct env e;
	struct check c;
	struct rec r = {0};
	env_init(&e, &o);
	assert_int_equal(start_check(&e, &c, &r, "{\"id\":\"a\",\"alias_service\":\"web\"}"), 0);
	assert_true(run_until_updates(&e.loop, &r, 1, 1000));
	assert_null(w.node);
	assert_string_equal(w.service, "web");
	assert_int_equal(r.status, CHECK_PASSING);
	assert_string_equal(buf_cstr(&r.output), "No checks found.");

	w.n = 2;
	w.worst = CHECK_CRITICAL;
	w.name = "web \"http\"";
	w.output = "refused";
	/* a burst of notifications costs one lookup */
	int lookups = w.lookups;
	check_alias_notify(&e.rt, NULL, "web");
	check_alias_notify(&e.rt, "node1", "web");
	check_alias_notify(&e.rt, NULL, NULL);
	check_alias_notify(&e.rt, NULL, "other"); /* not ours */
	assert_true(run_until_updates(&e.loop, &r, 2, 1000));
	assert_int_equal(w.lookups, lookups + 1);
	assert_int_equal(r.status, CHECK_CRITICAL);
	assert_string_equal(buf_cstr(&r.output),
			    "Aliased check \"web \\\"http\\\"\" failing: refused");

	w.worst = CHECK_PASSING;
	check_alias_notify(&e.rt, NULL, "web");
	assert_true(run_until_updates(&e.loop, &r, 3, 1000));
	assert_string_equal(buf_cstr(&r.output), "All checks passing.");

	lookups = w.lookups;
	check_alias_notify(&e.rt, "node2", "web"); /* another node: not ours */
	run_for(&e.loop, 50);
	assert_int_equal(w.lookups, lookups);

	w.found = false;
	check_alias_notify(&e.rt, NULL, "web");
	assert_true(run_until_updates(&e.loop, &r, 4, 1000));
	assert_int_equal(r.status, CHECK_CRITICAL);
	assert_string_equal(buf_cstr(&r.output), "Service web could not be found on node ");
	stop_check(&e, &c, &r);

	/* a node alias on another node */
	r = (struct rec){0};
	w = (struct alias_world){.n = 1, .worst = CHECK_WARNING, .name = "mem", .output = "90%"};
	assert_int_equal(start_check(&e, &c, &r, "{\"id\":\"n\",\"alias_node\":\"node2\"}"), 0);
	assert_true(run_until_updates(&e.loop, &r, 1, 1000));
	assert_string_equal(w.node, "node2");
	assert_null(w.service);
	assert_int_equal(r.status, CHECK_WARNING);
	assert_string_equal(buf_cstr(&r.output), "Aliased check \"mem\" failing: 90%");
	stop_check(&e, &c, &r);
	env_fini(&e);
}

static void test_unsupported(void **state)
{
	struct env e;
	struct check c;
	struct rec r = {0};
	env_init(&e, NULL);
	assert_int_equal(
	    start_check(&e, &c, &r,
			"{\"id\":\"d\",\"docker_container_id\":\"abc\",\"args\":[\"true\"],"
			"\"interval\":\"10s\",\"status\":\"passing\"}"),
	    0);
	assert_true(run_until_updates(&e.loop, &r, 1, 1000));
	assert_int_equal(r.status, CHECK_CRITICAL);
	assert_string_equal(buf_cstr(&r.output), "Docker checks are not supported on this agent");
	stop_check(&e, &c, &r);
	env_fini(&e);
}

/* 1000 checks with a 10 s interval: first runs spread over [0, 10 s). */
static void test_jitter(void **state)
{
	struct check_runtime_opts o = {.node_name = "n"}; /* the real random source */
	struct env e;
	enum { N = 1000, BUCKETS = 10 };
	struct check *cs = xcalloc(N, sizeof(*cs));
	struct rec *rs = xcalloc(N, sizeof(*rs));
	int hist[BUCKETS] = {0};
	env_init(&e, &o);
	for (int i = 0; i < N; i++) {
		char json[128];
		snprintf(json, sizeof(json),
			 "{\"id\":\"c%d\",\"tcp\":\"127.0.0.1:1\",\"interval\":\"10s\"}", i);
		assert_int_equal(start_check(&e, &cs[i], &rs[i], json), 0);
		uint64_t due = uv_timer_get_due_in(&cs[i].timer);
		assert_true(due <= 10000);
		hist[due * BUCKETS / 10001]++;
	}
	for (int b = 0; b < BUCKETS; b++)
		assert_true(hist[b] > N / BUCKETS / 2 && hist[b] < N / BUCKETS * 2);
	for (int i = 0; i < N; i++)
		check_close(&cs[i], rec_closed);
	run_for(&e.loop, 50);
	for (int i = 0; i < N; i++) {
		assert_true(rs[i].closed);
		buf_free(&rs[i].output);
	}
	free(cs);
	free(rs);
	env_fini(&e);
}

static void close_in_callback(struct check *c, enum check_status st, const char *out, size_t len)
{
	struct rec *r = c->data;
	r->updates++;
	check_close(c, rec_closed);
}

static void test_close_from_callback(void **state)
{
	struct env e;
	struct check c;
	struct rec r = {0};
	env_init(&e, NULL);
	json_t *j = json_loads("{\"id\":\"t\",\"ttl\":\"50ms\"}", 0, NULL);
	struct checkdef d;
	assert_int_equal(checkdef_parse(j, &d, NULL), 0);
	json_decref(j);
	assert_int_equal(check_init(&e.rt, &c, &d, close_in_callback, &r), 0);
	checkdef_free(&d);
	assert_int_equal(check_start(&c), 0);
	assert_int_equal(check_runtime_close(&e.rt, env_rt_closed), CAIRN_E_BUSY);
	assert_true(run_until_flag(&e.loop, &r.closed, 2000));
	assert_int_equal(r.updates, 1);
	env_fini(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_initial_status),
	    cmocka_unit_test(test_counters_default),
	    cmocka_unit_test(test_success_before_passing),
	    cmocka_unit_test(test_failures_before_critical),
	    cmocka_unit_test(test_failures_before_warning),
	    cmocka_unit_test(test_ttl),
	    cmocka_unit_test(test_ttl_expire_plain_and_cap),
	    cmocka_unit_test(test_ttl_restore),
	    cmocka_unit_test(test_alias),
	    cmocka_unit_test(test_unsupported),
	    cmocka_unit_test(test_jitter),
	    cmocka_unit_test(test_close_from_callback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
