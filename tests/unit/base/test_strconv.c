/* Unit tests for base/strconv: exactly Go's strconv.ParseBool spellings. */
#include "base/strconv.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_words(void **state)
{
	(void)state;
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
	for (size_t i = 0; i < 6; i++) {
		bool b = false;
		assert_int_equal(strconv_parse_bool(yes[i], &b), 0);
		assert_true(b);
		assert_int_equal(strconv_parse_bool(no[i], &b), 0);
		assert_false(b);
	}
}

static void test_rejects(void **state)
{
	(void)state;
	static const char *const bad[] = {"", "yes", "no", "tRUE", "2", "true ", " 1", "on"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool b = true;
		assert_int_equal(strconv_parse_bool(bad[i], &b), -1);
		assert_true(b); /* untouched */
	}
	/* the counted form stops at len: "true" inside "trueish" */
	bool b = false;
	assert_int_equal(strconv_parse_bool_n("trueish", 4, &b), 0);
	assert_true(b);
	assert_int_equal(strconv_parse_bool_n("trueish", 5, &b), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_words),
	    cmocka_unit_test(test_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
