/*
 * Reload: the same command line loaded again; options Consul does not reload keep
 * their old value and are reported, reloadable ones take the new value.
 */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static void test_reload(void **state)
{
	struct config cur, next;
	struct buf err = BUF_INIT, notr = BUF_INIT;
	char *f = strdup(write_file("r.json", "{\"data_dir\": \"/tmp/r\", \"log_level\": \"info\","
					      " \"ports\": {\"http\": 8500}}"));
	char *argv[] = {"agent", "-config-file", f, NULL};
	assert_int_equal(config_load(3, argv, &cur, &err), 0);
	write_file("r.json", "{\"data_dir\": \"/tmp/r\", \"log_level\": \"debug\", \"ports\":"
			     " {\"http\": 9500}, \"node_meta\": {\"a\": \"b\"}, \"service\":"
			     " {\"name\": \"web\"}}");
	assert_int_equal(config_reload(3, argv, &cur, &next, &notr, &err), 0);
	assert_string_equal(next.log_level, "debug");	     /* reloadable */
	assert_int_equal(next.node_meta.len, 1);	     /* reloadable */
	assert_int_equal(json_array_size(next.services), 1); /* reloadable */
	assert_int_equal(next.ports.http, 8500);	     /* kept */
	assert_string_equal(notr.data, "ports.http\n");
	assert_string_equal(next.node_id, cur.node_id); /* generated id carried over */
	config_free(&next);

	/* a broken file: error, cur stays usable */
	write_file("r.json", "{");
	buf_reset(&notr);
	assert_int_equal(config_reload(3, argv, &cur, &next, &notr, &err), CAIRN_E_INVAL);
	assert_non_null(strstr(err.data, "failed to parse"));
	assert_string_equal(cur.log_level, "info");
	config_free(&cur);
	free(f);
	buf_free(&err);
	buf_free(&notr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reload),
	};
	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
