/*
 * Merging sources in Consul's order: defaults, files and directories as given
 * (directory entries by name), flags, -hcl; lists append (flag lists first), scalars
 * override, maps merge; service/check blocks accumulate; unknown keys warn.
 */
#include "helpers.h"

#include "base/duration.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char *dup_path(const char *p)
{
	return strdup(p);
}

static void test_files_then_flags(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	char *a = dup_path(write_file("a.json", "{\"data_dir\": \"/tmp/a\", \"node_name\": \"a\","
						" \"retry_join\": [\"f1\"], \"node_meta\": "
						"{\"x\": \"1\", \"y\": \"1\"}}"));
	char *b = dup_path(write_file("b.json", "{\"node_name\": \"b\", \"retry_join\": [\"f2\"],"
						" \"node_meta\": {\"y\": \"2\"}, \"log_level\": "
						"\"warn\"}"));
	assert_int_equal(load(&c, &err, "-config-file", a, "-retry-join", "flag", "-log-level",
			      "err", "-config-file", b, NULL),
			 0);
	assert_string_equal(c.data_dir, "/tmp/a");
	assert_string_equal(c.node_name, "b");	 /* later file wins */
	assert_string_equal(c.log_level, "err"); /* flags win over files */
	assert_int_equal(c.retry_join.len, 3);	 /* flag lists first, then files */
	assert_string_equal(c.retry_join.items[0], "flag");
	assert_string_equal(c.retry_join.items[1], "f1");
	assert_string_equal(c.retry_join.items[2], "f2");
	assert_int_equal(c.node_meta.len, 2); /* maps merge */
	assert_string_equal(c.node_meta.values[1], "2");
	assert_int_equal(c.config_files.len, 2);
	config_free(&c);
	free(a);
	free(b);
	buf_free(&err);
}

static void test_dir_order_and_formats(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	write_file("d/20-b.json", "{\"node_name\": \"from-b\", \"service\": {\"name\": \"b\"}}");
	write_file("d/10-a.hcl", "node_name = \"from-a\"\nservice { name = \"a\" }\n"
				 "data_dir = \"/tmp/d\"\n");
	write_file("d/30-c.hcl", "services = [{ name = \"c1\" }, { name = \"c2\" }]\n");
	write_file("d/README.txt", "not config");
	write_file("d/empty.json", "");
	write_file("d/sub/ignored.json", "{\"node_name\": \"sub\"}");
	char *dir = strdup(scratch_path("d"));
	assert_int_equal(load(&c, &err, "-config-dir", dir, NULL), 0);
	assert_string_equal(c.node_name, "from-b");
	assert_int_equal(json_array_size(c.services), 4);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(c.services, 0), "name")), "a");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(c.services, 3), "name")), "c2");
	assert_non_null(strstr(captured.data, "skipping file"));
	assert_non_null(strstr(captured.data, "README.txt"));
	config_free(&c);

	/* -config-format forces every file, whatever its extension */
	assert_int_equal(load(&c, &err, "-config-format", "json", "-config-dir", dir, NULL),
			 CAIRN_E_INVAL);
	assert_non_null(strstr(err.data, "README.txt"));
	assert_int_equal(load(&c, &err, "-config-format", "yaml", "-config-dir", dir, NULL),
			 CAIRN_E_INVAL);
	assert_string_equal(err.data, "config: -config-format must be either 'hcl' or 'json'\n");
	free(dir);
	buf_free(&err);
}

static void test_hcl_flag_overrides(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	char *a = dup_path(write_file("h.json", "{\"node_name\": \"file\"}"));
	assert_int_equal(load(&c, &err, "-dev", "-config-file", a, "-node", "flag", "-hcl",
			      "node_name = \"hcl\"", "-hcl", "ports { http = 1234 }", NULL),
			 0);
	assert_string_equal(c.node_name, "hcl");
	assert_int_equal(c.ports.http, 1234);
	assert_int_equal(c.hcl.len, 2);
	config_free(&c);
	free(a);
	buf_free(&err);
}

static void test_unknown_and_deprecated_keys(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	char *a =
	    dup_path(write_file("u.json", "{\"data_dir\": \"/tmp/u\", \"no_such_key\": 1,"
					  " \"ports\": {\"htp\": 1}, \"ui\": true, "
					  "\"acl_datacenter\": \"dc9\", \"segments\": null}"));
	assert_int_equal(load(&c, &err, "-config-file", a, NULL), 0);
	assert_non_null(strstr(captured.data, "u.json: ignoring unknown config key no_such_key"));
	assert_non_null(strstr(captured.data, "ignoring unknown config key ports.htp"));
	assert_non_null(strstr(captured.data, "The 'ui' field is deprecated. Use the "
					      "'ui_config.enabled' field instead."));
	assert_true(c.ui);
	assert_string_equal(c.primary_datacenter, "dc9");
	assert_true(c.acl.enabled); /* acl_datacenter switches ACLs on, as in Consul */
	config_free(&c);
	free(a);
	buf_free(&err);
}

/* The harness config of COMPAT.md, and tolerant decoding. */
static void test_harness_shape(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	char *a = dup_path(write_file(
	    "harness.json",
	    "{\"node_name\": \"n1\", \"node_id\": \"7f0f7b09-1ed5-4e7a-86a1-8c2ae77b6ce4\","
	    " \"data_dir\": \"/tmp/h\", \"bind_addr\": \"127.0.0.2\", \"ports\": {\"dns\": -1,"
	    " \"http\": 18500, \"https\": -1, \"serf_lan\": 18301, \"serf_wan\": -1, \"server\":"
	    " 18300, \"grpc\": -1}, \"bootstrap\": true, \"server\": true, \"performance\":"
	    " {\"raft_multiplier\": 1}, \"log_level\": \"debug\", \"disable_update_check\": true,"
	    " \"acl\": {\"enabled\": true, \"default_policy\": \"deny\", \"tokens\":"
	    " {\"initial_management\": \"root\", \"agent\": \"a\"}}, \"connect\": {\"enabled\":"
	    " false, \"ca_config\": {\"leaf_cert_ttl\": \"72h\"}}, \"segments\": null,"
	    " \"Datacenter\": [\"DC2\"], \"tls\": {\"defaults\": {\"verify_incoming\": false}},"
	    " \"ca_file\": \"/ca.pem\", \"telemetry\": {\"circonus_api_app\": \"x\","
	    " \"metrics_prefix\": \"m\"}, \"limits\": {\"kv_max_value_size\": 1024}}"));
	assert_int_equal(load(&c, &err, "-config-file", a, NULL), 0);
	assert_int_equal(c.ports.dns, -1);
	assert_int_equal(c.ports.http, 18500);
	assert_int_equal(c.raft_multiplier, 1);
	assert_string_equal(c.datacenter, "dc2");
	assert_true(c.acl.enabled);
	assert_string_equal(c.acl.tokens.initial_management, "root");
	assert_false(c.connect.enabled);
	assert_string_equal(
	    json_string_value(json_object_get(c.connect.ca_config, "leaf_cert_ttl")), "72h");
	json_t *defaults = json_object_get(c.tls, "defaults");
	assert_true(json_is_false(json_object_get(defaults, "verify_incoming")));
	assert_string_equal(json_string_value(json_object_get(defaults, "ca_file")), "/ca.pem");
	assert_string_equal(
	    json_string_value(json_object_get(c.telemetry.extra, "circonus_api_app")), "x");
	assert_string_equal(c.telemetry.metrics_prefix, "m");
	assert_int_equal(c.kv_max_value_size, 1024);
	assert_true(c.disable_update_check);
	config_free(&c);
	free(a);
	buf_free(&err);
}

static void test_checks_and_watches(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	char *a = dup_path(write_file("c1.json", "{\"data_dir\": \"/tmp/c\", \"check\": {\"id\": "
						 "\"mem\", \"ttl\": \"30s\"}, \"watches\": "
						 "[{\"type\": \"key\", \"key\": \"k\"}]}"));
	char *b = dup_path(write_file("c2.json", "{\"checks\": [{\"id\": \"api\"}, {\"id\": "
						 "\"ssh\"}], \"Service\": {\"Name\": \"web\"}}"));
	assert_int_equal(load(&c, &err, "-config-file", a, "-config-file", b, NULL), 0);
	assert_int_equal(json_array_size(c.checks), 3);
	assert_int_equal(json_array_size(c.watches), 1);
	assert_int_equal(json_array_size(c.services), 1); /* keys match case-insensitively */
	config_free(&c);
	free(a);
	free(b);
	buf_free(&err);
}

static void test_computed_leave_defaults(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	assert_int_equal(load(&c, &err, "-data-dir", "/tmp/l", NULL), 0);
	assert_true(c.leave_on_terminate); /* clients leave on SIGTERM */
	assert_false(c.skip_leave_on_interrupt);
	config_free(&c);
	assert_int_equal(load(&c, &err, "-data-dir", "/tmp/l", "-server", "-hcl",
			      "leave_on_terminate = true", NULL),
			 0);
	assert_true(c.leave_on_terminate); /* explicitly set on a server */
	assert_true(c.skip_leave_on_interrupt);
	config_free(&c);
	buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_files_then_flags),
	    cmocka_unit_test(test_dir_order_and_formats),
	    cmocka_unit_test(test_hcl_flag_overrides),
	    cmocka_unit_test(test_unknown_and_deprecated_keys),
	    cmocka_unit_test(test_harness_shape),
	    cmocka_unit_test(test_checks_and_watches),
	    cmocka_unit_test(test_computed_leave_defaults),
	};
	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
