/*
 * `cairn validate`: config_validate_paths and config_validate_main's exit codes.
 */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static void test_paths(void **state)
{
	struct buf out = BUF_INIT;
	write_file("ok/a.json", "{\"data_dir\": \"/tmp/v\", \"ui\": true}");
	write_file("ok/web.json", "{\"service\": {\"name\": \"web\", \"port\": 80}}");
	char *ok = strdup(scratch_path("ok"));
	char *paths[] = {ok};
	assert_int_equal(config_validate_paths(paths, 1, &out), 0);
	assert_non_null(strstr(out.data, "The 'ui' field is deprecated")); /* warnings */
	buf_reset(&out);

	char *bad = strdup(write_file("bad.json", "{\"data_dir\": \"/tmp/v\", \"bootstrap\": 1}"));
	char *both[] = {ok, bad};
	assert_int_equal(config_validate_paths(both, 2, &out), CAIRN_E_INVAL);
	assert_non_null(strstr(out.data, "bad.json: 'bootstrap' expected type 'bool'"));
	free(ok);
	free(bad);
	buf_free(&out);
}

static void test_main(void **state)
{
	char *good = strdup(write_file("g.hcl", "data_dir = \"/tmp/v\"\n"));
	char *cfg = strdup(write_file("g.conf", "{\"data_dir\": \"/tmp/v\"}"));
	char *a1[] = {"validate", "-quiet", good, NULL};
	assert_int_equal(config_validate_main(3, a1), 0);
	char *a2[] = {"validate", NULL};
	assert_int_equal(config_validate_main(1, a2), 1);
	char *a3[] = {"validate", "-config-format=json", "-quiet", cfg, NULL};
	assert_int_equal(config_validate_main(4, a3), 0);
	char *a4[] = {"validate", "-quiet", "/nonexistent", NULL};
	assert_int_equal(config_validate_main(3, a4), 1);
	char *a5[] = {"validate", "-bogus", good, NULL};
	assert_int_equal(config_validate_main(3, a5), 1);
	free(good);
	free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_main),
	};
	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
