/*
 * Agent command-line flags: every form Go's flag package accepts, repeatable flags,
 * Go's error messages, and the seed command lines from the blog posts.
 */
#include "helpers.h"

#include "base/duration.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static void test_value_forms(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	assert_int_equal(load(&c, &err, "-data-dir", "/tmp/d", "-node=n1", "--http-port", "9500",
			      "--dns-port=9600", "-datacenter", "EAST", NULL),
			 0);
	assert_string_equal(c.data_dir, "/tmp/d");
	assert_string_equal(c.node_name, "n1");
	assert_int_equal(c.ports.http, 9500);
	assert_int_equal(c.ports.dns, 9600);
	assert_string_equal(c.datacenter, "east"); /* lowercased, as Consul */
	assert_string_equal(c.primary_datacenter, "east");
	config_free(&c);
	buf_free(&err);
}

static void test_bool_forms(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	assert_int_equal(load(&c, &err, "-dev", "--ui", "-rejoin=true", "-log-json=1", NULL), 0);
	assert_true(c.dev);
	assert_true(c.ui);
	assert_true(c.rejoin_after_leave);
	assert_true(c.log_json);
	config_free(&c);

	assert_int_equal(load(&c, &err, "-dev", "-server=false", NULL), 0);
	assert_false(c.server);
	config_free(&c);

	/* a boolean never takes the next word: "false" is a positional argument */
	assert_int_equal(load(&c, &err, "-dev", "-server", "false", NULL), CAIRN_E_INVAL);
	assert_non_null(strstr(err.data, "Unexpected extra arguments: [false]"));

	assert_int_equal(load(&c, &err, "-dev", "-server=maybe", NULL), CAIRN_E_INVAL);
	assert_string_equal(err.data, "invalid boolean value \"maybe\" for -server: parse error\n");
	buf_free(&err);
}

static void test_repeatable(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	assert_int_equal(load(&c, &err, "-dev", "-join", "10.0.0.1", "-join=10.0.0.2",
			      "-retry-join", "a.example", "-retry-join", "b.example", "-recursor",
			      "8.8.8.8", "-recursor=1.1.1.1", "-recursor", "8.8.8.8", "-node-meta",
			      "rack:r1", "-node-meta=zone:z:1", "-node-meta", "flag", "-join-wan",
			      "10.1.0.1", "-retry-join-wan", "10.2.0.1", NULL),
			 0);
	assert_int_equal(c.start_join.len, 2);
	assert_string_equal(c.start_join.items[1], "10.0.0.2");
	assert_int_equal(c.retry_join.len, 2);
	assert_string_equal(c.retry_join.items[0], "a.example");
	assert_int_equal(c.recursors.len, 2); /* duplicates dropped */
	assert_string_equal(c.recursors.items[1], "1.1.1.1");
	assert_int_equal(c.node_meta.len, 3);
	assert_string_equal(c.node_meta.values[1], "z:1");
	assert_string_equal(c.node_meta.values[2], "");
	assert_int_equal(c.join_wan.len, 1);
	assert_int_equal(c.retry_join_wan.len, 1);
	config_free(&c);
	buf_free(&err);
}

static void test_scalar_last_wins(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	assert_int_equal(load(&c, &err, "-dev", "-node", "a", "-node", "b", "-dc", "x", NULL), 0);
	assert_string_equal(c.node_name, "b");
	assert_string_equal(c.datacenter, "x");
	config_free(&c);
	buf_free(&err);
}

static void test_durations_and_numbers(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	assert_int_equal(load(&c, &err, "-dev", "-retry-interval", "1m30s", "-retry-interval-wan",
			      "500ms", "-retry-max", "7", "-retry-max-wan=3", "-default-query-time",
			      "10s", "-max-query-time=2m", "-raft-protocol", "3", "-protocol", "2",
			      NULL),
			 0);
	assert_int_equal(c.retry_interval, 90 * DUR_SEC);
	assert_int_equal(c.retry_interval_wan, 500 * DUR_MS);
	assert_int_equal(c.retry_max, 7);
	assert_int_equal(c.retry_max_wan, 3);
	assert_int_equal(c.default_query_time, 10 * DUR_SEC);
	assert_int_equal(c.max_query_time, 120 * DUR_SEC);
	config_free(&c);

	assert_int_equal(load(&c, &err, "-dev", "-retry-interval", "30", NULL), CAIRN_E_INVAL);
	assert_string_equal(err.data, "invalid value \"30\" for flag -retry-interval: time: "
				      "missing unit in duration \"30\"\n");
	assert_int_equal(load(&c, &err, "-dev", "-http-port", "eighty", NULL), CAIRN_E_INVAL);
	assert_string_equal(err.data,
			    "invalid value \"eighty\" for flag -http-port: parse error\n");
	buf_free(&err);
}

static void test_go_errors(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	assert_int_equal(load(&c, &err, "-dev", "-nosuch", NULL), CAIRN_E_INVAL);
	assert_string_equal(err.data, "flag provided but not defined: -nosuch\n");
	assert_int_equal(load(&c, &err, "-dev", "-data-dir", NULL), CAIRN_E_INVAL);
	assert_string_equal(err.data, "flag needs an argument: -data-dir\n");
	assert_int_equal(load(&c, &err, "-dev", "---x", NULL), CAIRN_E_INVAL);
	assert_string_equal(err.data, "bad flag syntax: ---x\n");
	assert_int_equal(load(&c, &err, "-h", NULL), CAIRN_E_INVAL);
	assert_string_equal(err.data, "flag: help requested\n");
	/* "--" ends the flags; what follows is positional */
	assert_int_equal(load(&c, &err, "-dev", "--", "-server", NULL), CAIRN_E_INVAL);
	assert_string_equal(err.data, "Unexpected extra arguments: [-server]\n");
	buf_free(&err);
}

static void test_everything_else(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	assert_int_equal(
	    load(&c, &err, "-data-dir", "/tmp/x", "-server", "-bootstrap-expect", "3", "-bind",
		 "10.0.0.5", "-advertise", "10.0.0.6", "-advertise-wan", "1.2.3.4", "-client",
		 "127.0.0.1 10.0.0.5", "-https-port", "8501", "-grpc-port", "8502",
		 "-serf-lan-port", "9301", "-serf-wan-port", "-1", "-server-port", "9300",
		 "-log-level", "debug", "-pid-file", "/tmp/pid", "-ui-content-path", "console",
		 "-encrypt", "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=", "-domain", "example.",
		 "-alt-domain", "alt.", "-disable-host-node-id=false", "-disable-keyring-file",
		 "-syslog", "-enable-script-checks", "-segment", "", "-node-id",
		 "ADF4238A-882B-9DDC-4A9D-5B6758E4159E", NULL),
	    0);
	assert_int_equal(c.bootstrap_expect, 3);
	assert_string_equal(c.advertise_addr_wan, "1.2.3.4");
	assert_string_equal(c.client_addr, "127.0.0.1 10.0.0.5");
	assert_int_equal(c.ports.https, 8501);
	assert_int_equal(c.ports.serf_wan, -1);
	assert_int_equal(c.ports.server, 9300);
	assert_string_equal(c.ui_content_path, "/console/");
	assert_true(c.enable_script_checks);
	assert_true(c.enable_local_script_checks); /* follows enable_script_checks */
	assert_string_equal(c.node_id, "adf4238a-882b-9ddc-4a9d-5b6758e4159e");
	assert_false(c.node_id_generated);
	assert_true(c.skip_leave_on_interrupt); /* server default */
	assert_false(c.leave_on_terminate);
	config_free(&c);
	buf_free(&err);
}

/* Command lines from the seeds, as written. */
static void test_seed_command_lines(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	const char *dir = write_file("consul.d/web.json", "{\"service\": {\"name\": \"web\"}}");
	char d[512];
	snprintf(d, sizeof(d), "%s", dir);
	*strrchr(d, '/') = 0;
	char cfgdir[600];
	snprintf(cfgdir, sizeof(cfgdir), "-config-dir=%s/", d);

	assert_int_equal(load(&c, &err, "-server", "-bootstrap-expect", "1", "-data-dir",
			      "/data/consul/", "-node=s1", "-bind=172.17.0.3", "-rejoin", cfgdir,
			      "-client", "0.0.0.0", NULL),
			 0);
	assert_true(c.bootstrap); /* bootstrap_expect = 1 is bootstrap mode */
	assert_int_equal(c.bootstrap_expect, 0);
	assert_non_null(strstr(captured.data, "BootstrapExpect is set to 1"));
	assert_int_equal(json_array_size(c.services), 1);
	config_free(&c);

	/* a PDF-mangled line: "- bind=..." and "- client 0.0.0.0" */
	assert_int_equal(load(&c, &err, "-server", "-bootstrap-expect", "2", "-data-dir",
			      "/tmp/consul", "-node=n1", "-", "bind=192.168.110.123", "-ui",
			      "-config-dir", d, "-rejoin", "-join", "192.168.110.123", "-",
			      "client", "0.0.0.0", NULL),
			 0);
	assert_string_equal(c.bind_addr, "192.168.110.123");
	assert_string_equal(c.client_addr, "0.0.0.0");
	assert_true(c.ui);
	assert_int_equal(c.start_join.len, 1);
	assert_non_null(strstr(captured.data, "bootstrap_expect = 2"));
	config_free(&c);
	buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_value_forms),
	    cmocka_unit_test(test_bool_forms),
	    cmocka_unit_test(test_repeatable),
	    cmocka_unit_test(test_scalar_last_wins),
	    cmocka_unit_test(test_durations_and_numbers),
	    cmocka_unit_test(test_go_errors),
	    cmocka_unit_test(test_everything_else),
	    cmocka_unit_test(test_seed_command_lines),
	};
	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
