/*
 * Invalid configuration: every error names the source (file, or nothing for the
 * command line's own messages), the key and the problem, in Consul's words.
 */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

/* Load one JSON file; expect failure and return the error text (static). */
static const char *fails_with(const char *json)
{
	static struct buf err = BUF_INIT;
	struct config c;
	char *path = strdup(write_file("bad.json", json));
	assert_int_equal(load(&c, &err, "-config-file", path, NULL), CAIRN_E_INVAL);
	free(path);
	return err.data;
}

static void expect(const char *json, const char *needle)
{
	const char *msg = fails_with(json);
	if (!strstr(msg, needle))
		fail_msg("error\n  %s\nlacks\n  %s", msg, needle);
	if (!strstr(msg, "bad.json"))
		fail_msg("error does not name the file: %s", msg);
}

static void test_wrong_types(void **state)
{
	expect("{\"data_dir\": \"/tmp/x\", \"ports\": {\"http\": \"8500\"}}",
	       "'ports.http' expected type 'int', got unconvertible type 'string', value: '8500'");
	expect("{\"data_dir\": \"/tmp/x\", \"server\": \"true\"}",
	       "'server' expected type 'bool', got unconvertible type 'string', value: 'true'");
	expect("{\"data_dir\": 5}",
	       "'data_dir' expected type 'string', got unconvertible type 'float64', value: '5'");
	expect("{\"data_dir\": \"/tmp/x\", \"retry_join\": \"1.2.3.4\"}",
	       "'retry_join': source data must be an array or slice, got string");
	expect("{\"data_dir\": \"/tmp/x\", \"retry_join\": [1]}",
	       "'retry_join[0]' expected type 'string', got unconvertible type 'float64'");
	expect("{\"data_dir\": \"/tmp/x\", \"node_meta\": {\"a\": 1}}", "'node_meta[a]' expected");
	expect("{\"data_dir\": \"/tmp/x\", \"ports\": 8500}",
	       "'ports' expected a map, got 'float64'");
	expect("{\"data_dir\": \"/tmp/x\", \"limits\": {\"kv_max_value_size\": -1}}",
	       "cannot parse 'limits.kv_max_value_size'");
	expect("{\"data_dir\": \"/tmp/x\", \"services\": [\"web\"]}",
	       "'services[0]' expected a map");
}

static void test_bad_durations(void **state)
{
	expect("{\"data_dir\": \"/tmp/x\", \"retry_interval\": \"soon\"}",
	       "retry_interval: invalid duration: \"soon\": time: invalid duration \"soon\"");
	expect("{\"data_dir\": \"/tmp/x\", \"dns_config\": {\"node_ttl\": \"10\"}}",
	       "dns_config.node_ttl: invalid duration: \"10\": time: missing unit in duration "
	       "\"10\"");
	expect("{\"data_dir\": \"/tmp/x\", \"session_ttl_min\": 10}",
	       "'session_ttl_min' expected type 'string'");
}

static void test_modes(void **state)
{
	expect("{\"data_dir\": \"/tmp/x\", \"server\": true, \"bootstrap\": true, "
	       "\"bootstrap_expect\": 3}",
	       "'bootstrap_expect > 0' and 'bootstrap = true' are mutually exclusive");
	expect("{\"data_dir\": \"/tmp/x\", \"bootstrap_expect\": 3}",
	       "'bootstrap_expect > 0' requires 'server = true'");
	expect("{\"data_dir\": \"/tmp/x\", \"bootstrap\": true}",
	       "'bootstrap = true' requires 'server = true'");
	expect("{\"data_dir\": \"/tmp/x\", \"server\": true, \"bootstrap_expect\": -1}",
	       "bootstrap_expect cannot be -1. Must be greater than or equal to zero");
	expect("{\"data_dir\": \"/tmp/x\", \"raft_protocol\": 2}",
	       "raft_protocol version 2 is not supported");
	expect("{\"data_dir\": \"/tmp/x\", \"performance\": {\"raft_multiplier\": 11}}",
	       "performance.raft_multiplier cannot be 11. Must be between 1 and 10");
}

static void test_addresses(void **state)
{
	expect("{\"data_dir\": \"/tmp/x\", \"bind_addr\": \"10.0.0.300\"}",
	       "bind_addr: invalid ip address: 10.0.0.300");
	expect("{\"data_dir\": \"/tmp/x\", \"bind_addr\": \"10.0.0.1 10.0.0.2\"}",
	       "bind_addr cannot contain multiple addresses");
	expect("{\"data_dir\": \"/tmp/x\", \"bind_addr\": \"{{ GetPrivateIP }}\"}",
	       "go-sockaddr templates are not supported");
	expect("{\"data_dir\": \"/tmp/x\", \"client_addr\": \"127.0.0.1 nope\"}",
	       "client_addr: invalid ip address: nope");
	expect("{\"data_dir\": \"/tmp/x\", \"advertise_addr\": \"0.0.0.0\"}",
	       "Advertise address cannot be 0.0.0.0, :: or [::]");
	expect("{\"data_dir\": \"/tmp/x\", \"ports\": {\"http\": 70000}}",
	       "ports.http: invalid port: 70000");
	expect("{\"data_dir\": \"/tmp/x\", \"serf_lan_allowed_cidrs\": [\"10.0.0.0/33\"]}",
	       "serf_lan_allowed_cidrs: invalid CIDR address: 10.0.0.0/33");
}

static void test_values(void **state)
{
	expect("{\"data_dir\": \"/tmp/x\", \"dns_config\": {\"udp_answer_limit\": -1}}",
	       "dns_config.udp_answer_limit cannot be -1. Must be greater than or equal to zero");
	expect("{\"data_dir\": \"/tmp/x\", \"datacenter\": \"dc 1\"}",
	       "datacenter can only contain lowercase alphanumeric, - or _ characters. received: "
	       "\"dc 1\"");
	expect("{\"data_dir\": \"/tmp/x\", \"node_meta\": {\"consul-x\": \"1\"}}",
	       "node_meta invalid: Couldn't load metadata pair ('consul-x', '1'): Key prefix "
	       "'consul-' is reserved for internal use");
	expect("{\"data_dir\": \"/tmp/x\", \"encrypt\": \"c2hvcnQ=\"}",
	       "encrypt has invalid key: key size must be 16, 24 or 32 bytes");
	expect("{\"data_dir\": \"/tmp/x\", \"log_level\": \"loud\"}", "Invalid log level: loud.");
	expect("{\"data_dir\": \"/tmp/x\", \"node_id\": \"abc\"}",
	       "node_id: uuid string is wrong length");
	expect("{\"data_dir\": \"/tmp/x\", \"check_output_max_size\": 0}",
	       "check_output_max_size must be positive");
	expect("{\"data_dir\": \"/tmp/x\", \"dns_config\": {\"recursor_strategy\": \"rr\"}}",
	       "dns_config.recursor_strategy: invalid strategy: \"rr\"");
	expect("{\"data_dir\": \"/tmp/x\", \"ui_config\": {\"enabled\": true, \"dir\": \"/ui\"}}",
	       "Both the ui_config.enabled and ui_config.dir");
}

static void test_syntax(void **state)
{
	/* seed 004: JSON with // comments is rejected, as Consul's encoding/json does */
	expect("{\n  \"datacenter\": \"dc_1\",   // data center\n  \"data_dir\": \"/tmp/x\"\n}",
	       "failed to parse");
	expect("{\"a\": 1,}", "failed to parse");
	expect("[1, 2]",
	       "json: cannot unmarshal array into Go value of type map[string]interface {}");
	const char *msg = fails_with("{\"datacenter\": \"dc1\" # comment\n}");
	assert_non_null(strstr(msg, "comments are not allowed in JSON"));
}

static void test_flag_and_default_errors(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	assert_int_equal(load(&c, &err, NULL), CAIRN_E_INVAL);
	assert_string_equal(err.data, "data_dir cannot be empty\n");
	assert_int_equal(load(&c, &err, "-dev", "-bootstrap-expect", "3", NULL), CAIRN_E_INVAL);
	assert_string_equal(err.data,
			    "command line: 'bootstrap_expect > 0' not allowed in dev mode\n");
	assert_int_equal(load(&c, &err, "-data-dir", "/tmp/x", "-bind", "nope", NULL),
			 CAIRN_E_INVAL);
	assert_string_equal(err.data, "command line: bind_addr: invalid ip address: nope\n");
	assert_int_equal(
	    load(&c, &err, "-data-dir", "/tmp/x", "-config-file", "/nonexistent.json", NULL),
	    CAIRN_E_INVAL);
	assert_string_equal(err.data, "config: Open failed on /nonexistent.json. open "
				      "/nonexistent.json: no such file or directory\n");
	char *f = strdup(write_file("notdir", "x"));
	assert_int_equal(load(&c, &err, "-data-dir", f, NULL), CAIRN_E_INVAL);
	assert_non_null(strstr(err.data, "is not a directory"));
	free(f);
	buf_free(&err);
}

static void test_all_file_errors_collected(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	char *a = strdup(write_file("e1.json", "{\"server\": 1}"));
	char *b = strdup(write_file("e2.hcl", "ports { http = \"x\" }"));
	assert_int_equal(load(&c, &err, "-dev", "-config-file", a, "-config-file", b, NULL),
			 CAIRN_E_INVAL);
	assert_non_null(strstr(err.data, "e1.json: 'server' expected type 'bool'"));
	assert_non_null(strstr(err.data, "e2.hcl: 'ports.http' expected type 'int'"));
	free(a);
	free(b);
	buf_free(&err);
}

static void test_node_name_warnings(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	assert_int_equal(load(&c, &err, "-dev", "-node", "consul_1", NULL), 0);
	assert_non_null(strstr(captured.data, "Node name \"consul_1\" will not be discoverable "
					      "via DNS due to invalid characters."));
	config_free(&c);
	buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wrong_types),
	    cmocka_unit_test(test_bad_durations),
	    cmocka_unit_test(test_modes),
	    cmocka_unit_test(test_addresses),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_syntax),
	    cmocka_unit_test(test_flag_and_default_errors),
	    cmocka_unit_test(test_all_file_errors_collected),
	    cmocka_unit_test(test_node_name_warnings),
	};
	int rc = cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
	return rc;
}
