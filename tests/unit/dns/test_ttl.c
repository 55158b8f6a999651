/*
 * TTL rules: node_ttl in seconds; service_ttl exact name beats any wildcard,
 * the longest "*" prefix wins otherwise, names compare case-insensitively,
 * bad values count as 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dns/answer.h"

#include "config/config.h"
#include "config/options.h"

static void test_ttls(void **state)
{
	(void)state;
	struct config cfg;
	config_defaults(&cfg);
	assert_int_equal(dns_node_ttl(&cfg), 0);
	assert_int_equal(dns_service_ttl(&cfg, "web"), 0);
	cfg.dns_config.node_ttl = 1500000000LL; /* 1.5s: whole seconds */
	assert_int_equal(dns_node_ttl(&cfg), 1);

	struct strmap *m = &cfg.dns_config.service_ttl;
	strmap_set(m, "*", "1s");
	assert_int_equal(dns_service_ttl(&cfg, "anything"), 1);
	strmap_set(m, "db-*", "10s");
	strmap_set(m, "db-prod-*", "1m30s");
	strmap_set(m, "db-prod-main", "2m");
	strmap_set(m, "bad", "soon");
	strmap_set(m, "neg", "-5s");
	assert_int_equal(dns_service_ttl(&cfg, "db-x"), 10);
	assert_int_equal(dns_service_ttl(&cfg, "db-prod-x"), 90);
	assert_int_equal(dns_service_ttl(&cfg, "DB-PROD-MAIN"), 120);
	assert_int_equal(dns_service_ttl(&cfg, "db-prod-"), 90);
	assert_int_equal(dns_service_ttl(&cfg, "db"), 1);
	assert_int_equal(dns_service_ttl(&cfg, "bad"), 0);
	assert_int_equal(dns_service_ttl(&cfg, "neg"), 0);
	/* an exact key listed before the wildcards still wins */
	strmap_free(m);
	strmap_set(m, "web", "3s");
	strmap_set(m, "w*", "4s");
	assert_int_equal(dns_service_ttl(&cfg, "web"), 3);
	assert_int_equal(dns_service_ttl(&cfg, "webx"), 4);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_ttls)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
