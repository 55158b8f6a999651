/*
 * Unit tests of watch plans (src/watch): parameters to plan with Consul's
 * messages, the request of each type, and the change detection of Plan.Run
 * (first run, index unchanged, data unchanged, index backwards, errors and
 * back-off, event pruning). The tables are the specification.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "watch/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *js(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
	if (!v)
		fail_msg("bad JSON in test: %s: %s", text, e.text);
	return v;
}

/* ---- parsing ---- */

static const struct parse_case {
	const char *params;
	bool agent;
	const char *err; /* NULL: valid */
} parse_cases[] = {
    {"{\"type\":\"key\",\"key\":\"a\"}", false, NULL},
    {"{}", false, "Watch type must be specified"},
    {"{\"type\":1}", false, "Expecting type to be a string"},
    {"{\"type\":\"key\"}", false, "Must specify a single key to watch"},
    {"{\"type\":\"keyprefix\"}", false, "Must specify a single prefix to watch"},
    {"{\"type\":\"service\"}", false, "Must specify a single service to watch"},
    {"{\"type\":\"service\",\"service\":\"s\",\"tag\":[\"a\",1]}", false,
     "Index 1 of tag expected to be string"},
    {"{\"type\":\"service\",\"service\":\"s\",\"passingonly\":\"yes\"}", false,
     "Expecting passingonly to be a boolean"},
    {"{\"type\":\"checks\",\"service\":\"s\",\"state\":\"any\"}", false,
     "Cannot specify service and state"},
    {"{\"type\":\"event\",\"stale\":true}", false, "Invalid parameters: [stale]"},
    {"{\"type\":\"nodes\",\"zed\":1,\"alpha\":2}", false, "Invalid parameters: [alpha zed]"},
    {"{\"type\":\"bogus\"}", false, "Unsupported watch type: bogus"},
    {"{\"type\":\"connect_roots\"}", false, "Type connect_roots is not supported in the CLI tool"},
    {"{\"type\":\"key\",\"key\":\"a\",\"args\":[\"x\"]}", false, "Invalid parameters: [args]"},
    /* agent config */
    {"{\"type\":\"key\",\"key\":\"a\",\"args\":[\"x\"]}", true, NULL},
    {"{\"type\":\"key\",\"key\":\"a\",\"handler\":\"x\"}", true, NULL},
    {"{\"type\":\"key\",\"key\":\"a\",\"handler_type\":\"http\","
     "\"http_handler_config\":{\"path\":\"http://h/\"}}",
     true, NULL},
    {"{\"type\":\"key\",\"key\":\"a\"}", true, "Must define a watch handler"},
    {"{\"type\":\"key\",\"key\":\"a\",\"args\":[\"x\"],\"handler\":\"y\"}", true,
     "Only one watch handler allowed"},
    {"{\"type\":\"key\",\"key\":\"a\",\"handler\":1}", true, "Watch handler must be a string"},
    {"{\"type\":\"key\",\"key\":\"a\",\"args\":[1]}", true, "Watch args must be a list of strings"},
    {"{\"type\":\"key\",\"key\":\"a\",\"handler_type\":\"ftp\"}", true,
     "Handler type 'ftp' not recognized"},
    {"{\"type\":\"key\",\"key\":\"a\",\"handler_type\":\"http\"}", true,
     "Failed to parse watch ({\"handler_type\":\"http\",\"key\":\"a\",\"type\":\"key\"}): "
     "Handler type 'http' requires 'http_handler_config' to be set"},
    {"{\"type\":\"key\",\"key\":\"a\",\"handler_type\":\"http\",\"http_handler_config\":{}}", true,
     "Failed to parse watch ({\"handler_type\":\"http\",\"http_handler_config\":{},\"key\":\"a\","
     "\"type\":\"key\"}): Failed to parse 'http_handler_config': Requires 'path' to be set"},
    {"{\"type\":\"key\",\"key\":\"a\",\"handler_type\":\"http\","
     "\"http_handler_config\":{\"path\":\"http://h/\"},\"args\":[\"x\"]}",
     true, "Only one watch handler allowed"},
    {"{\"type\":\"connect_leaf\",\"args\":[\"x\"]}", true,
     "Watch type connect_leaf is not allowed in agent config"},
    {"{\"type\":\"agent_service\",\"args\":[\"x\"]}", true,
     "Failed to parse watch ({\"args\":[\"x\"],\"type\":\"agent_service\"}): "
     "Unsupported watch type: agent_service"},
};

static void test_parse_table(void **state)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		json_t *params = js(c->params);
		json_t *before = json_deep_copy(params);
		struct watch_plan p;
		struct buf err = BUF_INIT;
		int rc = watch_plan_parse(&p, params, c->agent, &err);
		if (c->err) {
			if (rc != -1 || strcmp(buf_cstr(&err), c->err) != 0)
				fail_msg("case %zu %s: got rc %d err \"%s\", want \"%s\"", i,
					 c->params, rc, buf_cstr(&err), c->err);
		} else if (rc != 0) {
			fail_msg("case %zu %s: unexpected error %s", i, c->params, buf_cstr(&err));
		} else {
			watch_plan_free(&p);
		}
		assert_true(json_equal(params, before)); /* params are not consumed */
		json_decref(params);
		json_decref(before);
		buf_free(&err);
	}
}

static void test_parse_http_defaults(void **state)
{
	json_t *params = js("{\"type\":\"key\",\"key\":\"a\",\"handler_type\":\"http\","
			    "\"http_handler_config\":{\"Path\":\"http://h/x\","
			    "\"header\":{\"A\":[\"1\",\"2\"]},\"TLS_skip_verify\":true}}");
	struct watch_plan p;
	struct buf err = BUF_INIT;
	assert_int_equal(watch_plan_parse(&p, params, true, &err), 0);
	assert_int_equal(p.handler, WATCH_HANDLER_HTTP);
	assert_string_equal(p.http.path, "http://h/x");
	assert_string_equal(p.http.method, "POST");
	assert_true(p.http.timeout_ns == 10000000000LL);
	assert_true(p.http.tls_skip_verify);
	assert_int_equal(json_array_size(json_object_get(p.http.header, "A")), 2);
	watch_plan_free(&p);
	json_decref(params);
	buf_free(&err);
}

/* ---- requests ---- */

static void render(const struct watch_query *q, struct buf *out)
{
	buf_puts(out, buf_cstr(&q->path));
	for (size_t i = 0; i < q->n; i++)
		buf_printf(out, "%c%s=%s", i ? '&' : '?', q->names[i], q->values[i]);
}

static const struct query_case {
	const char *params;
	const char *want; /* without ?index */
} query_cases[] = {
    {"{\"type\":\"key\",\"key\":\"a/b\"}", "/v1/kv/a/b"},
    {"{\"type\":\"keyprefix\",\"prefix\":\"a/\",\"stale\":true}", "/v1/kv/a/?recurse=&stale="},
    {"{\"type\":\"services\",\"datacenter\":\"dc2\"}", "/v1/catalog/services?dc=dc2"},
    {"{\"type\":\"nodes\"}", "/v1/catalog/nodes"},
    {"{\"type\":\"service\",\"service\":\"web\",\"tag\":[\"a\",\"b\"],\"passingonly\":true}",
     "/v1/health/service/web?tag=a&tag=b&passing=1"},
    {"{\"type\":\"service\",\"service\":\"web\",\"tag\":\"a\"}", "/v1/health/service/web?tag=a"},
    {"{\"type\":\"checks\"}", "/v1/health/state/any"},
    {"{\"type\":\"checks\",\"state\":\"critical\"}", "/v1/health/state/critical"},
    {"{\"type\":\"checks\",\"service\":\"web\"}", "/v1/health/checks/web"},
    {"{\"type\":\"event\"}", "/v1/event/list"},
    {"{\"type\":\"event\",\"name\":\"deploy\"}", "/v1/event/list?name=deploy"},
};

static void test_query_table(void **state)
{
	for (size_t i = 0; i < sizeof(query_cases) / sizeof(query_cases[0]); i++) {
		json_t *params = js(query_cases[i].params);
		struct watch_plan p;
		struct buf err = BUF_INIT, got = BUF_INIT;
		assert_int_equal(watch_plan_parse(&p, params, false, &err), 0);
		struct watch_state s = WATCH_STATE_INIT;
		struct watch_query q;
		watch_query_build(&p, &s, &q);
		render(&q, &got);
		if (strcmp(buf_cstr(&got), query_cases[i].want) != 0)
			fail_msg("case %zu: got %s want %s", i, buf_cstr(&got),
				 query_cases[i].want);
		watch_query_free(&q);
		/* later requests block on the last index */
		s.has_index = true;
		s.index = 42;
		watch_query_build(&p, &s, &q);
		assert_string_equal(q.names[q.n - 1], "index");
		assert_string_equal(q.values[q.n - 1], "42");
		watch_query_free(&q);
		watch_plan_free(&p);
		json_decref(params);
		buf_free(&err);
		buf_free(&got);
	}
}

/* ---- change detection ---- */

struct fixture {
	struct watch_plan p;
	struct watch_state s;
	struct buf err;
};

static void setup_plan(struct fixture *f, const char *params)
{
	json_t *j = js(params);
	memset(f, 0, sizeof(*f));
	assert_int_equal(watch_plan_parse(&f->p, j, false, &f->err), 0);
	json_decref(j);
}

static void teardown_plan(struct fixture *f)
{
	watch_state_free(&f->s);
	watch_plan_free(&f->p);
	buf_free(&f->err);
}

static enum watch_step feed(struct fixture *f, int status, const char *body, const char *index)
{
	buf_reset(&f->err);
	return watch_state_feed(&f->s, &f->p, status, body, strlen(body), index, &f->err);
}

static bool has_index_param(struct fixture *f)
{
	struct watch_query q;
	watch_query_build(&f->p, &f->s, &q);
	bool found = q.n > 0 && strcmp(q.names[q.n - 1], "index") == 0;
	watch_query_free(&q);
	return found;
}

static void test_changes(void **state)
{
	struct fixture f;
	setup_plan(&f, "{\"type\":\"nodes\"}");
	assert_false(has_index_param(&f)); /* the first request does not block */
	assert_int_equal(feed(&f, 200, "[{\"Node\":\"a\"}]", "10"), WATCH_FIRE);
	assert_true(f.s.fire_index == 10);
	assert_true(has_index_param(&f));
	/* the same index: nothing */
	assert_int_equal(feed(&f, 200, "[{\"Node\":\"a\"}]", "10"), WATCH_AGAIN);
	/* a new index, the same data (key order ignored): nothing */
	assert_int_equal(feed(&f, 200, "[{\"Node\":\"a\"}]", "11"), WATCH_AGAIN);
	assert_true(f.s.index == 11);
	/* changed data */
	assert_int_equal(feed(&f, 200, "[{\"Node\":\"a\"},{\"Node\":\"b\"}]", "12"), WATCH_FIRE);
	assert_true(f.s.fire_index == 12);
	assert_int_equal(json_array_size(f.s.last), 2);
	/* the index goes backwards: the next request starts over from 0 */
	assert_int_equal(feed(&f, 200, "[{\"Node\":\"a\"},{\"Node\":\"b\"}]", "5"), WATCH_AGAIN);
	assert_true(f.s.index == 0);
	assert_false(has_index_param(&f));
	assert_int_equal(feed(&f, 200, "[{\"Node\":\"a\"},{\"Node\":\"b\"}]", "5"), WATCH_AGAIN);
	assert_true(f.s.index == 5);
	teardown_plan(&f);
}

static void test_object_key_order_is_not_a_change(void **state)
{
	struct fixture f;
	setup_plan(&f, "{\"type\":\"services\"}");
	assert_int_equal(feed(&f, 200, "{\"a\":[],\"b\":[\"x\"]}", "3"), WATCH_FIRE);
	assert_int_equal(feed(&f, 200, "{\"b\":[\"x\"],\"a\":[]}", "4"), WATCH_AGAIN);
	teardown_plan(&f);
}

static void test_errors_back_off(void **state)
{
	struct fixture f;
	setup_plan(&f, "{\"type\":\"nodes\"}");
	assert_int_equal(feed(&f, 200, "[]", "7"), WATCH_FIRE);
	static const uint64_t want[] = {5000, 20000, 45000, 80000, 125000, 180000, 180000, 180000};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(feed(&f, 500, "boom", NULL), WATCH_RETRY);
		assert_true(f.s.retry_ms == want[i]);
	}
	assert_string_equal(buf_cstr(&f.err), "Unexpected response code: 500 (boom)");
	assert_false(has_index_param(&f)); /* the index is forgotten */
	/* the first result after an error always runs the handler (as Consul) */
	assert_int_equal(feed(&f, 200, "[]", "7"), WATCH_FIRE);
	assert_true(f.s.failures == 0);
	assert_int_equal(watch_state_failed(&f.s), WATCH_RETRY);
	assert_true(f.s.retry_ms == 5000);
	assert_int_equal(feed(&f, 200, "not json", "8"), WATCH_RETRY);
	assert_int_equal(feed(&f, 200, "[]", "x9"), WATCH_RETRY);
	assert_string_equal(buf_cstr(&f.err), "Failed to parse X-Consul-Index: strconv.ParseUint: "
					      "parsing \"x9\": invalid syntax");
	teardown_plan(&f);
}

static void test_key_entry_and_missing(void **state)
{
	struct fixture f;
	setup_plan(&f, "{\"type\":\"key\",\"key\":\"k\"}");
	assert_int_equal(feed(&f, 404, "", "3"), WATCH_FIRE);
	assert_true(json_is_null(f.s.last));
	assert_int_equal(feed(&f, 404, "", "4"), WATCH_AGAIN);
	assert_int_equal(feed(&f, 200, "[{\"Key\":\"k\",\"Value\":\"dg==\"}]", "5"), WATCH_FIRE);
	assert_true(json_is_object(f.s.last));
	assert_string_equal(json_string_value(json_object_get(f.s.last, "Key")), "k");
	teardown_plan(&f);

	setup_plan(&f, "{\"type\":\"services\"}");
	assert_int_equal(feed(&f, 404, "", "3"), WATCH_RETRY); /* only KV reads map 404 */
	teardown_plan(&f);
}

#define EV1 "3f9a5ea0-1111-2222-3333-444455556666"
#define EV2 "0b0b0b0b-aaaa-bbbb-cccc-ddddeeeeffff"

static void test_event_id_index(void **state)
{
	/* lower 3f9a5ea011112222, upper 3333444455556666 */
	assert_true(watch_event_id_index(EV1) == (0x3f9a5ea011112222ULL ^ 0x3333444455556666ULL));
	assert_true(watch_event_id_index("nope") == 0);
	assert_true(watch_event_id_index("zzzzzzzz-1111-2222-3333-444455556666") == 0);
}

static void test_event_prune(void **state)
{
	struct fixture f;
	char idx1[32], idx2[32], body[256];
	snprintf(idx1, sizeof(idx1), "%llu", (unsigned long long)watch_event_id_index(EV1));
	snprintf(idx2, sizeof(idx2), "%llu", (unsigned long long)watch_event_id_index(EV2));
	setup_plan(&f, "{\"type\":\"event\",\"name\":\"d\"}");
	snprintf(body, sizeof(body), "[{\"ID\":\"%s\",\"Name\":\"d\"}]", EV1);
	assert_int_equal(feed(&f, 200, body, idx1), WATCH_FIRE);
	assert_int_equal(json_array_size(f.s.last), 1); /* the first answer is handed as is */
	snprintf(body, sizeof(body),
		 "[{\"ID\":\"%s\",\"Name\":\"d\"},{\"ID\":\"%s\",\"Name\":\"d\"}]", EV1, EV2);
	assert_int_equal(feed(&f, 200, body, idx2), WATCH_FIRE);
	assert_int_equal(json_array_size(f.s.last), 1); /* only the new one */
	assert_string_equal(json_string_value(json_object_get(json_array_get(f.s.last, 0), "ID")),
			    EV2);
	teardown_plan(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_table),
	    cmocka_unit_test(test_parse_http_defaults),
	    cmocka_unit_test(test_query_table),
	    cmocka_unit_test(test_changes),
	    cmocka_unit_test(test_object_key_order_is_not_a_change),
	    cmocka_unit_test(test_errors_back_off),
	    cmocka_unit_test(test_key_entry_and_missing),
	    cmocka_unit_test(test_event_id_index),
	    cmocka_unit_test(test_event_prune),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
