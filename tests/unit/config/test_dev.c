/*
 * -dev: Consul's development-mode defaults (agent/config/default.go DevSource), and
 * that explicit flags and files still override them.
 */
#include "helpers.h"

#include "base/duration.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static void test_dev_defaults(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	assert_int_equal(load(&c, &err, "-dev", NULL), 0);
	assert_true(c.dev);
	assert_true(c.server);
	assert_true(c.bootstrap);
	assert_int_equal(c.bootstrap_expect, 0);
	assert_string_equal(c.bind_addr, "127.0.0.1");
	assert_string_equal(c.client_addr, "127.0.0.1");
	assert_true(c.ui);
	assert_string_equal(c.log_level, "DEBUG");
	assert_true(c.connect.enabled);
	assert_int_equal(c.ports.grpc, 8502);
	assert_int_equal(c.raft_multiplier, 1);
	assert_true(c.disable_keyring_file);
	assert_true(c.disable_anonymous_signature);
	assert_true(c.enable_debug);
	assert_int_equal(c.gossip_lan.gossip_interval, 100 * DUR_MS);
	assert_int_equal(c.gossip_lan.probe_interval, 100 * DUR_MS);
	assert_int_equal(c.gossip_lan.suspicion_mult, 3);
	assert_int_equal(c.gossip_wan.probe_timeout, 100 * DUR_MS);
	assert_string_equal(c.node_name, host);
	assert_true(c.node_id_generated);
	assert_int_equal(strlen(c.node_id), 36);
	assert_null(c.data_dir); /* no data on disk */
	/* dev mode does not print the bootstrap advice */
	assert_null(strstr(buf_cstr(&captured), "bootstrap = true"));
	config_free(&c);
	buf_free(&err);
}

static void test_dev_overrides(void **state)
{
	struct config c;
	struct buf err = BUF_INIT;
	assert_int_equal(load(&c, &err, "-dev", "-bind", "127.0.0.5", "-log-level", "info", "-hcl",
			      "performance { raft_multiplier = 2 }", NULL),
			 0);
	assert_string_equal(c.bind_addr, "127.0.0.5");
	assert_string_equal(c.log_level, "info");
	assert_int_equal(c.raft_multiplier, 2);
	config_free(&c);

	/* a dev client: no bootstrap */
	assert_int_equal(load(&c, &err, "-dev", "-server=false", NULL), 0);
	assert_false(c.server);
	assert_false(c.bootstrap);
	config_free(&c);

	/* -dev=false is not dev mode */
	assert_int_equal(load(&c, &err, "-dev=false", NULL), CAIRN_E_INVAL);
	assert_string_equal(err.data, "data_dir cannot be empty\n");
	buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dev_defaults),
	    cmocka_unit_test(test_dev_overrides),
	};
	return cmocka_run_group_tests(tests, capture_setup, capture_teardown);
}
