/*
 * Defaults and the option table itself: Consul's default values, and table hygiene
 * (every row has a DebugConfig name, flag names are unique, defaults parse).
 */
#include "helpers.h"

#include "base/duration.h"
#include "config/options.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static void test_consul_defaults(void **state)
{
	struct config c;
	config_defaults(&c);
	assert_string_equal(c.datacenter, "dc1");
	assert_string_equal(c.domain, "consul.");
	assert_string_equal(c.bind_addr, "0.0.0.0");
	assert_string_equal(c.client_addr, "127.0.0.1");
	assert_int_equal(c.ports.http, 8500);
	assert_int_equal(c.ports.https, -1);
	assert_int_equal(c.ports.dns, 8600);
	assert_int_equal(c.ports.serf_lan, 8301);
	assert_int_equal(c.ports.serf_wan, 8302);
	assert_int_equal(c.ports.server, 8300);
	assert_int_equal(c.ports.grpc, -1);
	assert_string_equal(c.log_level, "INFO");
	assert_false(c.server);
	assert_false(c.bootstrap);
	assert_int_equal(c.bootstrap_expect, 0);
	assert_int_equal(c.raft_multiplier, 5);
	assert_int_equal(c.raft_snapshot_threshold, 16384);
	assert_int_equal(c.raft_snapshot_interval, 30 * DUR_SEC);
	assert_int_equal(c.raft_trailing_logs, 10240);
	assert_int_equal(c.http_max_conns_per_client, 200);
	assert_int_equal(c.kv_max_value_size, 524288);
	assert_int_equal(c.txn_max_req_len, 524288);
	assert_int_equal(c.session_ttl_min, 10 * DUR_SEC);
	assert_int_equal(c.ae_interval, 60 * DUR_SEC);
	assert_int_equal(c.check_output_max_size, 4096);
	assert_int_equal(c.retry_interval, 30 * DUR_SEC);
	assert_true(c.disable_remote_exec);
	assert_true(c.disable_host_node_id);
	assert_true(c.encrypt_verify_incoming);
	assert_string_equal(c.ui_content_path, "/ui/");
	assert_false(c.ui);
	assert_string_equal(c.acl.default_policy, "allow");
	assert_string_equal(c.acl.down_policy, "extend-cache");
	assert_int_equal(c.acl.token_ttl, 30 * DUR_SEC);
	config_free(&c);
}

static void test_dns_defaults(void **state)
{
	struct config c;
	config_defaults(&c);
	assert_true(c.dns_config.allow_stale);
	assert_int_equal(c.dns_config.max_stale, 87600LL * 3600 * DUR_SEC);
	assert_int_equal(c.dns_config.node_ttl, 0);
	assert_int_equal(c.dns_config.udp_answer_limit, 3);
	assert_int_equal(c.dns_config.a_record_limit, 0);
	assert_int_equal(c.dns_config.recursor_timeout, 2 * DUR_SEC);
	assert_string_equal(c.dns_config.recursor_strategy, "sequential");
	assert_true(c.dns_config.enable_additional_node_meta_txt);
	assert_int_equal(c.dns_config.soa.refresh, 3600);
	assert_int_equal(c.dns_config.soa.retry, 600);
	assert_int_equal(c.dns_config.soa.expire, 86400);
	assert_int_equal(c.dns_config.soa.min_ttl, 0);
	assert_int_equal(c.gossip_lan.gossip_interval, 200 * 1000000LL);
	assert_int_equal(c.gossip_wan.probe_timeout, 3 * DUR_SEC);
	assert_true(c.autopilot.cleanup_dead_servers);
	assert_int_equal(c.autopilot.max_trailing_logs, 250);
	config_free(&c);
}

static void test_every_row_named(void **state)
{
	for (size_t i = 0; i < config_options_len; i++) {
		const struct opt *o = &config_options[i];
		assert_non_null(o->key);
		assert_non_null(o->debug);
		assert_true(strlen(o->debug) > 0);
		/* DebugConfig names are Go exported field names */
		assert_true(o->debug[0] >= 'A' && o->debug[0] <= 'Z');
		for (size_t j = i + 1; j < config_options_len; j++)
			assert_string_not_equal(o->key, config_options[j].key);
	}
}

static void test_flag_names_unique(void **state)
{
	for (size_t i = 0; i < config_options_len; i++) {
		const char *cli = config_options[i].cli;
		if (!cli)
			continue;
		char *copy = strdup(cli), *save = NULL;
		for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
			assert_ptr_equal(opt_find_flag(w), &config_options[i]);
		free(copy);
	}
}

static void test_defaults_parse(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < config_options_len; i++) {
		const struct opt *o = &config_options[i];
		if (o->def)
			assert_int_equal(opt_set_text(&c, o, o->def, NULL, &err), 0);
		if (o->dev)
			assert_int_equal(opt_set_text(&c, o, o->dev, NULL, &err), 0);
	}
	assert_int_equal(err.len, 0);
	config_free(&c);
	buf_free(&err);
}

static void test_required_flags_exist(void **state)
{
	static const char *const flags[] = {
	    "dev",
	    "server",
	    "bootstrap",
	    "bootstrap-expect",
	    "data-dir",
	    "node",
	    "node-id",
	    "bind",
	    "client",
	    "advertise",
	    "advertise-wan",
	    "datacenter",
	    "dc",
	    "config-file",
	    "config-dir",
	    "config-format",
	    "http-port",
	    "https-port",
	    "dns-port",
	    "grpc-port",
	    "serf-lan-port",
	    "serf-wan-port",
	    "server-port",
	    "log-level",
	    "log-json",
	    "pid-file",
	    "node-meta",
	    "ui",
	    "ui-dir",
	    "ui-content-path",
	    "rejoin",
	    "join",
	    "join-wan",
	    "retry-join",
	    "retry-join-wan",
	    "retry-interval",
	    "retry-interval-wan",
	    "retry-max",
	    "retry-max-wan",
	    "recursor",
	    "encrypt",
	    "hcl",
	    "domain",
	    "alt-domain",
	    "disable-host-node-id",
	    "disable-keyring-file",
	    "raft-protocol",
	    "protocol",
	    "syslog",
	    "enable-script-checks",
	    "enable-local-script-checks",
	    "segment",
	    "primary-gateway",
	    "default-query-time",
	    "max-query-time",
	};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (!opt_find_flag(flags[i]))
			fail_msg("missing flag -%s", flags[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_consul_defaults), cmocka_unit_test(test_dns_defaults),
	    cmocka_unit_test(test_every_row_named), cmocka_unit_test(test_flag_names_unique),
	    cmocka_unit_test(test_defaults_parse),  cmocka_unit_test(test_required_flags_exist),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
