/* Unit tests for base/random: the UUID form and that values differ. */
#include "base/random.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_uuid_form(void **state)
{
	(void)state;
	for (int k = 0; k < 100; k++) {
		char u[37];
		memset(u, 'x', sizeof(u));
		random_uuid(u);
		assert_int_equal(strlen(u), 36);
		for (int i = 0; i < 36; i++) {
			if (i == 8 || i == 13 || i == 18 || i == 23)
				assert_int_equal(u[i], '-');
			else
				assert_true(isxdigit((unsigned char)u[i]) &&
					    !isupper((unsigned char)u[i]));
		}
	}
}

static void test_values_differ(void **state)
{
	(void)state;
	char a[37], b[37];
	random_uuid(a);
	random_uuid(b);
	assert_string_not_equal(a, b);
	/* every bit position takes both values over many draws (a stuck byte fails) */
	uint8_t or_all[64] = {0}, and_all[64];
	memset(and_all, 0xff, sizeof(and_all));
	for (int k = 0; k < 64; k++) {
		uint8_t v[64];
		random_bytes(v, sizeof(v));
		for (size_t i = 0; i < sizeof(v); i++) {
			or_all[i] |= v[i];
			and_all[i] &= v[i];
		}
	}
	for (size_t i = 0; i < sizeof(or_all); i++) {
		assert_int_equal(or_all[i], 0xff);
		assert_int_equal(and_all[i], 0);
	}
	random_bytes(NULL, 0); /* nothing asked, nothing done */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uuid_form),
	    cmocka_unit_test(test_values_differ),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
