/*
 * /v1/agent/self views: "Config" (fixed fields, Consul's order) and "DebugConfig"
 * (generated from the table, keys sorted, secrets hidden, Go durations).
 */
#include "helpers.h"

#include "config/options.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static json_t *dump(const struct config *c, enum config_view view)
{
	struct buf out = BUF_INIT;
	struct jsonw w;
	jsonw_init(&w, &out, false);
	config_dump(c, &w, view);
	json_error_t je;
	json_t *v = json_loads(buf_cstr(&out), 0, &je);
	if (!v)
		fail_msg("bad JSON: %s\n%s", je.text, buf_cstr(&out));
	buf_free(&out);
	return v;
}

static void test_self_view(void **state)
{
	struct config c;
	struct buf err = BUF_INIT, out = BUF_INIT;
	assert_int_equal(load(&c, &err, "-dev", "-node", "n1", "-datacenter", "dc7", NULL), 0);
	struct jsonw w;
	jsonw_init(&w, &out, false);
	config_dump(&c, &w, CONFIG_VIEW_SELF);
	const char *s = buf_cstr(&out);
	const char *order[] = {"\"Datacenter\":\"dc7\"", "\"PrimaryDatacenter\":\"dc7\"",
			       "\"NodeName\":\"n1\"",	 "\"NodeID\":",
			       "\"Revision\":",		 "\"Server\":true",
			       "\"Version\":",		 "\"BuildDate\":"};
	const char *prev = s;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *at = strstr(s, order[i]);
		if (!at || at < prev)
			fail_msg("%s missing or out of order in %s", order[i], s);
		prev = at;
	}
	config_free(&c);
	buf_free(&out);
	buf_free(&err);
}

static void test_debug_view(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	assert_int_equal(load(&c, &err, "-dev", "-encrypt",
			      "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=", "-client",
			      "127.0.0.1 ::1", "-hcl", "acl { tokens { agent = \"secret\" } }",
			      "-hcl", "session_ttl_min = \"15s\"", NULL),
			 0);
	json_t *d = dump(&c, CONFIG_VIEW_DEBUG);
	assert_string_equal(json_string_value(json_object_get(d, "SessionTTLMin")), "15s");
	assert_int_equal(json_integer_value(json_object_get(d, "HTTPPort")), 8500);
	assert_string_equal(json_string_value(json_object_get(d, "EncryptKey")), "hidden");
	json_t *tokens = json_object_get(d, "ACLTokens");
	assert_string_equal(json_string_value(json_object_get(tokens, "ACLAgentToken")), "hidden");
	assert_string_equal(json_string_value(json_object_get(tokens, "ACLDefaultToken")), "");
	json_t *logging = json_object_get(d, "Logging");
	assert_string_equal(json_string_value(json_object_get(logging, "LogLevel")), "DEBUG");
	assert_true(json_is_true(json_object_get(d, "DevMode")));
	assert_int_equal(json_integer_value(json_object_get(d, "RaftSnapshotThreshold")), 16384);
	json_t *http = json_object_get(d, "HTTPAddrs");
	assert_int_equal(json_array_size(http), 2);
	assert_string_equal(json_string_value(json_array_get(http, 1)), "tcp://[::1]:8500");
	assert_int_equal(json_array_size(json_object_get(d, "DNSAddrs")), 4);
	assert_int_equal(json_array_size(json_object_get(d, "HTTPSAddrs")), 0);
	assert_int_equal(json_array_size(json_object_get(d, "ClientAddrs")), 2);
	/* every row is present under its (first) name */
	for (size_t i = 0; i < config_options_len; i++) {
		char name[128];
		snprintf(name, sizeof(name), "%s", config_options[i].debug);
		*strchrnul(name, ' ') = 0;
		json_t *at = d;
		for (char *p = strtok(name, "."); p && at; p = strtok(NULL, "."))
			at = json_object_get(at, p);
		if (!at)
			fail_msg("DebugConfig lacks %s", config_options[i].debug);
	}
	json_decref(d);
	config_free(&c);
	buf_free(&err);
}

static void test_debug_keys_sorted(void **state)
{
	struct config c;
	struct buf err = BUF_INIT, out = BUF_INIT;
	assert_int_equal(load(&c, &err, "-dev", NULL), 0);
	struct jsonw w;
	jsonw_init(&w, &out, true);
	config_dump(&c, &w, CONFIG_VIEW_DEBUG);
	/* top-level keys are at 4 spaces of indentation in pretty output */
	char prev[128] = "";
	for (const char *p = out.data; (p = strstr(p, "\n    \"")) != NULL; p++) {
		const char *k = p + 6, *e = strchr(k, '"');
		char key[128];
		snprintf(key, sizeof(key), "%.*s", (int)(e - k), k);
		if (strcmp(prev, key) >= 0)
			fail_msg("%s after %s", key, prev);
		strcpy(prev, key);
	}
	config_free(&c);
	buf_free(&out);
	buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_self_view),
	    cmocka_unit_test(test_debug_view),
	    cmocka_unit_test(test_debug_keys_sorted),
	};
	return cmocka_run_group_tests(tests, capture_setup, capture_teardown);
}
