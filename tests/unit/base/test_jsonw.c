/* Unit tests for base/jsonw: Go's encoding/json spellings. */
#include "base/jsonw.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void check_float(double v, const char *want)
{
	struct buf b = BUF_INIT;
	json_put_float(&b, v);
	if (strcmp(buf_cstr(&b), want) != 0)
		fail_msg("%.17g: got %s, want %s", v, buf_cstr(&b), want);
	buf_free(&b);
}

/* Go's encoding/json spellings (checked against Go's strconv rules). */
static void test_go_floats(void **state)
{
	check_float(0, "0");
	check_float(1, "1");
	check_float(-2.5, "-2.5");
	check_float(0.1, "0.1");
	check_float(10e-6, "0.00001");
	check_float(1e-6, "0.000001");
	check_float(1e-7, "1e-7");
	check_float(1.5e-7, "1.5e-7");
	check_float(-2.25e-12, "-2.25e-12");
	check_float(1.5, "1.5");
	check_float(123456789, "123456789");
	check_float(1e20, "100000000000000000000");
	check_float(1e21, "1e+21");
	check_float(0.30000000000000004, "0.30000000000000004");
	check_float(0.0012345678901234567, "0.0012345678901234567");
	check_float(1e-100, "1e-100");
}

static void check_escape(const char *in, size_t n, const char *want)
{
	struct buf b = BUF_INIT;
	json_escape(&b, in, n);
	if (strcmp(buf_cstr(&b), want) != 0)
		fail_msg("got %s, want %s", buf_cstr(&b), want);
	buf_free(&b);
}

/* HTML characters, control bytes, U+2028/2029 and invalid UTF-8 as Go escapes them. */
static void test_escape(void **state)
{
	(void)state;
	check_escape("plain text", 10, "\"plain text\"");
	check_escape("a<b>&c", 6, "\"a\\u003cb\\u003e\\u0026c\"");
	check_escape("q\"\\", 3, "\"q\\\"\\\\\"");
	check_escape("\n\r\t\x01\x7f", 5, "\"\\n\\r\\t\\u0001\x7f\"");
	check_escape("\xe2\x80\xa8x\xe2\x80\xa9", 7, "\"\\u2028x\\u2029\"");
	check_escape("\xff\xc3\xa9", 3, "\"\\ufffd\xc3\xa9\"");
	check_escape("nul\0x", 5, "\"nul\\u0000x\"");
}

/* Keys take the copy path when plain and the escaper otherwise; commas and
 * nesting come out right either way. */
static void test_writer(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	struct jsonw w;
	jsonw_init(&w, &b, false);
	jsonw_obj_open(&w);
	jsonw_kstr(&w, "Plain", "v");
	jsonw_kint(&w, "a<b", -3);
	jsonw_key(&w, "L");
	jsonw_arr_open(&w);
	jsonw_double(&w, 0.5);
	jsonw_null(&w);
	jsonw_bool(&w, true);
	jsonw_arr_close(&w);
	jsonw_obj_close(&w);
	assert_string_equal(buf_cstr(&b),
			    "{\"Plain\":\"v\",\"a\\u003cb\":-3,\"L\":[0.5,null,true]}");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_go_floats),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_writer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
