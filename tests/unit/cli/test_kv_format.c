/*
 * Unit tests for the kv commands' formats against fixed inputs: decoding the HTTP
 * API's JSON, the -detailed table (Go's tabwriter), the export document
 * (json.MarshalIndent with tabs), Go's base64 errors and path.Join, and tabwriter
 * corner cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli/kv.h"
#include "cli/tabw.h"

static const char response[] =
    "[{\"LockIndex\":1,\"Key\":\"redis/config/users/admin\",\"Flags\":42,"
    "\"Value\":\"emFwaG9k\",\"Session\":\"adf4238a-882b-9ddc-4a9d-5b6758e4159e\","
    "\"CreateIndex\":14,\"ModifyIndex\":15},"
    "{\"LockIndex\":0,\"Key\":\"a<b>&c\",\"Flags\":0,\"Value\":null,"
    "\"CreateIndex\":336,\"ModifyIndex\":1336}]";

static void test_parse_pairs(void **state)
{
	(void)state;
	struct kv_pairs p;
	struct buf err = BUF_INIT;
	assert_int_equal(kv_pairs_parse(response, strlen(response), &p, &err), 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.v[0].key, "redis/config/users/admin");
	assert_int_equal(p.v[0].flags, 42);
	assert_int_equal(p.v[0].lock_index, 1);
	assert_int_equal(p.v[0].create_index, 14);
	assert_int_equal(p.v[0].modify_index, 15);
	assert_string_equal(p.v[0].value.data, "zaphod");
	assert_int_equal(p.v[1].value.len, 0);
	assert_string_equal(p.v[1].session, "");
	kv_pairs_free(&p);
	assert_int_equal(kv_pairs_parse("null", 4, &p, &err), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(kv_pairs_parse("{}", 2, &p, &err), -1);
	buf_reset(&err);
	assert_int_equal(kv_pairs_parse("[{\"Value\":\"!!\"}]", 16, &p, &err), -1);
	assert_string_equal(err.data, "illegal base64 data at input byte 0");
	buf_free(&err);
}

/* Flags use the whole uint64 range (Consul's semaphore flag is above 2^63-1); digits
 * inside strings and numbers that do not fit stay as they are. */
static void test_parse_big_flags(void **state)
{
	(void)state;
	static const char big[] = "[{\"Key\":\"p/9223372036854775808\",\"Flags\":"
				  "16210313421097356768,\"ModifyIndex\":18446744073709551615,"
				  "\"Session\":\"a\\\"12345678901234567890\"}]";
	struct kv_pairs p;
	struct buf err = BUF_INIT;
	assert_int_equal(kv_pairs_parse(big, strlen(big), &p, &err), 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.v[0].key, "p/9223372036854775808");
	assert_true(p.v[0].flags == 0xe0f69a2baa414de0ULL);
	assert_true(p.v[0].modify_index == UINT64_MAX);
	assert_string_equal(p.v[0].session, "a\"12345678901234567890");
	kv_pairs_free(&p);
	static const char over[] = "[{\"Flags\":18446744073709551616}]";
	assert_int_equal(kv_pairs_parse(over, strlen(over), &p, &err), -1);
	buf_free(&err);
}

static void test_detailed(void **state)
{
	(void)state;
	struct kv_pairs p;
	struct buf err = BUF_INIT, out = BUF_INIT;
	assert_int_equal(kv_pairs_parse(response, strlen(response), &p, &err), 0);
	kv_format_detailed(&out, &p.v[0], false);
	assert_string_equal(out.data, "CreateIndex      14\n"
				      "Flags            42\n"
				      "Key              redis/config/users/admin\n"
				      "LockIndex        1\n"
				      "ModifyIndex      15\n"
				      "Session          adf4238a-882b-9ddc-4a9d-5b6758e4159e\n"
				      "Value            zaphod");
	buf_reset(&out);
	kv_format_detailed(&out, &p.v[1], true);
	assert_string_equal(out.data, "CreateIndex      336\n"
				      "Flags            0\n"
				      "Key              a<b>&c\n"
				      "LockIndex        0\n"
				      "ModifyIndex      1336\n"
				      "Session          -\n"
				      "Value            ");
	kv_pairs_free(&p);
	buf_free(&out);
	buf_free(&err);
}

static void test_export(void **state)
{
	(void)state;
	struct kv_pairs p;
	struct buf err = BUF_INIT, out = BUF_INIT;
	assert_int_equal(kv_pairs_parse(response, strlen(response), &p, &err), 0);
	kv_format_export(&out, &p);
	assert_string_equal(out.data, "[\n"
				      "\t{\n"
				      "\t\t\"key\": \"redis/config/users/admin\",\n"
				      "\t\t\"flags\": 42,\n"
				      "\t\t\"value\": \"emFwaG9k\"\n"
				      "\t},\n"
				      "\t{\n"
				      "\t\t\"key\": \"a\\u003cb\\u003e\\u0026c\",\n"
				      "\t\t\"flags\": 0,\n"
				      "\t\t\"value\": \"\"\n"
				      "\t}\n"
				      "]");
	kv_pairs_free(&p);
	buf_reset(&out);
	struct kv_pairs none = {0};
	kv_format_export(&out, &none);
	assert_string_equal(out.data, "[]");
	buf_free(&out);
	buf_free(&err);
}

static void test_b64(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
		long bad; /* -1: decodes */
	} cases[] = {
	    {"", "", -1},	{"YmFy", "bar", -1},	   {"Yg==", "b", -1},
	    {"YmE=", "ba", -1}, {"Ym\nFy\r\n", "bar", -1}, {"Yg=", NULL, 3},
	    {"Y", NULL, 0},	{"YmFy!", NULL, 4},	   {"Yg==YmFy", NULL, 4},
	    {"=", NULL, 0},	{"Ym=y", NULL, 2},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf out = BUF_INIT, err = BUF_INIT;
		int rc = kv_b64_decode(&out, cases[i].in, strlen(cases[i].in), &err);
		if (cases[i].bad < 0) {
			assert_int_equal(rc, 0);
			assert_string_equal(buf_cstr(&out), cases[i].out);
		} else {
			char want[64];
			snprintf(want, sizeof(want), "illegal base64 data at input byte %ld",
				 cases[i].bad);
			assert_int_equal(rc, -1);
			assert_string_equal(err.data, want);
		}
		buf_free(&out);
		buf_free(&err);
	}
}

static void test_path_join(void **state)
{
	(void)state;
	static const char *const cases[][3] = {
	    {"", "a/b", "a/b"},
	    {"imp", "a/b", "imp/a/b"},
	    {"imp/", "/a//b/", "imp/a/b"},
	    {"", "a/../b", "b"},
	    {"", "../x", "../x"},
	    {"p", "../../x", "../x"},
	    {"", "/x", "/x"},
	    {"/p", "../x", "/x"},
	    {"p", "", "p"},
	    {"", "./a/./b/.", "a/b"},
	    {"", "", ""},
	    {"", ".", "."},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf out = BUF_INIT;
		kv_path_join(&out, cases[i][0], cases[i][1]);
		assert_string_equal(buf_cstr(&out), cases[i][2]);
		buf_free(&out);
	}
}

static void check_tabw(const char *in, int minwidth, int padding, const char *want)
{
	struct buf out = BUF_INIT;
	tabw_format(&out, in, strlen(in), minwidth, padding);
	assert_string_equal(buf_cstr(&out), want);
	buf_free(&out);
}

static void test_tabw(void **state)
{
	(void)state;
	/* a line without tabs ends the column block */
	check_tabw("a\tb\nccc\td\nplain\nee\tf\n", 0, 1, "a   b\nccc d\nplain\nee f\n");
	/* nested columns; the text after the last tab is not a column */
	check_tabw("a\tb\tc\naa\tbbbb\tc\nx\ty\n", 0, 2, "a   b     c\naa  bbbb  c\nx   y\n");
	/* widths count code points, not bytes */
	check_tabw("é\t1\nab\t2", 0, 1, "é  1\nab 2");
	/* minwidth */
	check_tabw("a\tb", 5, 1, "a    b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_pairs), cmocka_unit_test(test_parse_big_flags),
	    cmocka_unit_test(test_detailed),	cmocka_unit_test(test_export),
	    cmocka_unit_test(test_b64),		cmocka_unit_test(test_path_join),
	    cmocka_unit_test(test_tabw),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
