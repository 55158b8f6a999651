/*
 * Unit tests of the filter parser (src/base/filter_parse.c, filter_lex.c,
 * filter_schema.c): text in, tree or Consul's 400 message out. Trees are
 * compared through filter_dump(); the tables below are the specification.
 * Evaluation is in test_filter_eval.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "base/filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fields of one /v1/health/service item, as the API layer declares them. */
static const struct filter_field health_fields[] = {
    {"Node.ID", FILTER_STRING},
    {"Node.Node", FILTER_STRING},
    {"Node.Address", FILTER_STRING},
    {"Node.Datacenter", FILTER_STRING},
    {"Node.TaggedAddresses", FILTER_MAP},
    {"Node.Meta", FILTER_MAP},
    {"Service.ID", FILTER_STRING},
    {"Service.Service", FILTER_STRING},
    {"Service.Tags", FILTER_STRINGS},
    {"Service.Address", FILTER_STRING},
    {"Service.Meta", FILTER_MAP},
    {"Service.Port", FILTER_INT},
    {"Service.EnableTagOverride", FILTER_BOOL},
    {"Service.Weights.Passing", FILTER_INT},
    {"Service.Weights.Warning", FILTER_INT},
    {"Service.TaggedAddresses", FILTER_MAP},
    {"Service.TaggedAddresses.*.Address", FILTER_STRING},
    {"Service.TaggedAddresses.*.Port", FILTER_INT},
    {"Checks", FILTER_OBJECTS},
    {"Checks.CheckID", FILTER_STRING},
    {"Checks.Name", FILTER_STRING},
    {"Checks.Status", FILTER_STRING},
    {"Checks.ServiceTags", FILTER_STRINGS},
    {"Checks.Score", FILTER_FLOAT},
    {NULL, 0},
};

/* Parse s; on success return its dump, else the error message (caller frees). */
static char *run(const char *s, size_t len, const struct filter_field *schema, int *rc)
{
	struct filter *f = (struct filter *)1;
	struct buf out = BUF_INIT;
	*rc = filter_parse(s, len, schema, &f, &out);
	if (*rc == 0) {
		filter_dump(f, &out);
		filter_free(f);
	} else {
		assert_null(f);
	}
	return buf_steal(&out);
}

static void expect_tree(const char *s, const char *tree)
{
	int rc;
	char *got = run(s, strlen(s), NULL, &rc);
	if (rc != 0 || strcmp(got, tree) != 0)
		fail_msg("%s\n  want %s\n  got  %s", s, tree, got);
	free(got);
}

static void expect_error(const char *s, const struct filter_field *schema, const char *why)
{
	int rc;
	char *got = run(s, strlen(s), schema, &rc);
	char want[512];
	snprintf(want, sizeof(want), "%s%s", FILTER_ERR_PREFIX, why);
	if (rc != CAIRN_E_PARSE || strcmp(got, want) != 0)
		fail_msg("%s\n  want %s\n  got  %s", s, want, got);
	free(got);
}

/* The message starts with why (regcomp's wording varies between libcs). */
static void expect_error_start(const char *s, const struct filter_field *schema, const char *why)
{
	int rc;
	char *got = run(s, strlen(s), schema, &rc);
	char want[512];
	snprintf(want, sizeof(want), "%s%s", FILTER_ERR_PREFIX, why);
	if (rc != CAIRN_E_PARSE || strncmp(got, want, strlen(want)) != 0 ||
	    strlen(got) == strlen(want))
		fail_msg("%s\n  want %s...\n  got  %s", s, want, got);
	free(got);
}

static void test_operators(void **state)
{
	static const char *const cases[][2] = {
	    {"Foo == bar", "(== \"Foo\" \"bar\")"},
	    {"Foo==\"bar\"", "(== \"Foo\" \"bar\")"},
	    {"Foo != 3", "(!= \"Foo\" \"3\")"},
	    {"Foo.Bar contains \"x\"", "(contains \"Foo.Bar\" \"x\")"},
	    {"Foo not contains x", "(not contains \"Foo\" \"x\")"},
	    {"\"x\" in Foo", "(in \"Foo\" \"x\")"},
	    {"x not in Foo", "(not in \"Foo\" \"x\")"},
	    {"Foo is empty", "(is empty \"Foo\")"},
	    {"Foo is not empty", "(is not empty \"Foo\")"},
	    {"Foo matches \"^a.*$\"", "(matches \"Foo\" \"^a.*$\")"},
	    {"Foo not matches `\\d+`", "(not matches \"Foo\" \"\\\\d+\")"},
	    {"Foo == -1.25", "(== \"Foo\" \"-1.25\")"},
	    {"Foo == 0", "(== \"Foo\" \"0\")"},
	    {"Foo == true", "(== \"Foo\" \"true\")"},
	    {"Foo == Other.Sel", "(== \"Foo\" \"Other.Sel\")"},
	    {"\t Foo\n==\r\n1  ", "(== \"Foo\" \"1\")"},
	    /* a keyword where a selector is expected is a selector, as in the PEG */
	    {"not == 1", "(== \"not\" \"1\")"},
	    {"and == or", "(== \"and\" \"or\")"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_tree(cases[i][0], cases[i][1]);
}

static void test_selectors(void **state)
{
	expect_tree("Service.Meta.env == prod", "(== \"Service.Meta.env\" \"prod\")");
	expect_tree("Service.Meta[\"env\"] == prod", "(== \"Service.Meta.env\" \"prod\")");
	expect_tree("Meta[ `rack-id` ] == r1", "(== \"Meta.rack-id\" \"r1\")");
	expect_tree("Meta[\"a b\"][\"c\"].d_1 == x", "(== \"Meta.a b.c.d_1\" \"x\")");
	expect_tree("Checks.0.Status == x", "(== \"Checks.0.Status\" \"x\")");
	expect_tree("A1_b.C2 is empty", "(is empty \"A1_b.C2\")");
}

static void test_precedence(void **state)
{
	static const char *const cases[][2] = {
	    {"a == 1 or b == 2 and c == 3",
	     "(or (== \"a\" \"1\") (and (== \"b\" \"2\") (== \"c\" \"3\")))"},
	    {"a == 1 and b == 2 or c == 3",
	     "(or (and (== \"a\" \"1\") (== \"b\" \"2\")) (== \"c\" \"3\"))"},
	    {"not a == 1 and b == 2", "(and (not (== \"a\" \"1\")) (== \"b\" \"2\"))"},
	    {"not (a == 1 and b == 2)", "(not (and (== \"a\" \"1\") (== \"b\" \"2\")))"},
	    {"(a == 1 or b == 2) and c == 3",
	     "(and (or (== \"a\" \"1\") (== \"b\" \"2\")) (== \"c\" \"3\"))"},
	    {"a == 1 and b == 2 and c == 3",
	     "(and (== \"a\" \"1\") (== \"b\" \"2\") (== \"c\" \"3\"))"},
	    {"not not a == 1", "(== \"a\" \"1\")"},
	    {"not not not a == 1", "(not (== \"a\" \"1\"))"},
	    {"((a == 1))", "(== \"a\" \"1\")"},
	    {"( a == 1 )or( b == 2 )", NULL}, /* "or" needs whitespace around it */
	    {"a == 1 and not (b == 2 or c == 3)",
	     "(and (== \"a\" \"1\") (not (or (== \"b\" \"2\") (== \"c\" \"3\"))))"},
	    /* the documentation's example of standard precedence */
	    {"a == 1 and not b == 2 or c == 3", "(or (and (== \"a\" \"1\") (not (== \"b\" \"2\"))) "
						"(== \"c\" \"3\"))"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i][1]) {
			expect_tree(cases[i][0], cases[i][1]);
		} else {
			int rc;
			free(run(cases[i][0], strlen(cases[i][0]), NULL, &rc));
			assert_int_equal(rc, CAIRN_E_PARSE);
		}
	}
}

static void test_strings(void **state)
{
	static const char *const cases[][2] = {
	    {"x == \"a\\tb\\nc\"", "(== \"x\" \"a\\tb\\nc\")"},
	    {"x == \"\\\"q\\\" \\\\\"", "(== \"x\" \"\\\"q\\\" \\\\\")"},
	    {"x == \"\\x41\\101\\u00e9\\U0001F600\"", "(== \"x\" \"AAé\xf0\x9f\x98\x80\")"},
	    {"x == \"\\a\\b\\f\\r\\v\"", "(== \"x\" \"\\a\\b\\f\\r\\v\")"},
	    {"x == `raw \\n \"quoted\"`", "(== \"x\" \"raw \\\\n \\\"quoted\\\"\")"},
	    {"x == `a\r\nb`", "(== \"x\" \"a\\nb\")"}, /* Go drops CR in raw strings */
	    {"x == \"\"", "(== \"x\" \"\")"},
	    {"x == \"h\xc3\xa9\"", "(== \"x\" \"h\xc3\xa9\")"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_tree(cases[i][0], cases[i][1]);
	/* NUL bytes travel inside strings (the text is counted, not a C string) */
	static const char nul[] = "x == \"a\\x00b\" or y == \"c\0d\"";
	int rc;
	char *got = run(nul, sizeof(nul) - 1, NULL, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(got, "(or (== \"x\" \"a\\x00b\") (== \"y\" \"c\\x00d\"))");
	free(got);
}

static void test_syntax_errors(void **state)
{
	static const char *const cases[][2] = {
	    {"   ", "1:4 (3): no match found, expected: \"(\", \"not\" or a match expression"},
	    {"()", "1:2 (1): no match found, expected: \"(\", \"not\" or a match expression"},
	    {"Foo", "1:4 (3): no match found, expected: \"==\", \"!=\", \"contains\", \"not "
		    "contains\", \"matches\", \"not matches\", \"is empty\", \"is not empty\", "
		    "\"in\" or \"not in\""},
	    {"Foo ==", "1:7 (6): no match found, expected: a selector, a number or a string"},
	    {"Foo === 1", "1:7 (6): no match found, expected: a selector, a number or a string"},
	    {"Foo = 1", "1:5 (4): no match found, expected: \"==\", \"!=\", \"contains\", \"not "
			"contains\", \"matches\", \"not matches\", \"is empty\", \"is not empty\", "
			"\"in\" or \"not in\""},
	    {"Foo == \"abc", "1:8 (7): Unterminated string literal"},
	    {"Foo == `abc", "1:8 (7): Unterminated string literal"},
	    {"Foo == \"a\\qb\"", "1:10 (9): Invalid escape sequence in string literal"},
	    {"Foo == \"\\ud800\"", "1:9 (8): Invalid escape sequence in string literal"},
	    {"Foo == \"a\nb\"", "1:10 (9): Invalid string literal: newline in string"},
	    {"Foo == 1 and", "1:13 (12): no match found, expected: \"(\", \"not\" or a match "
			     "expression"},
	    {"Foo == 1 and ", "1:14 (13): no match found, expected: \"(\", \"not\" or a match "
			      "expression"},
	    {"or Foo == 1",
	     "1:4 (3): no match found, expected: \"==\", \"!=\", \"contains\", "
	     "\"not contains\", \"matches\", \"not matches\", \"is empty\", \"is not "
	     "empty\", \"in\" or \"not in\""},
	    {"Foo == 1 and(Bar == 2)", "1:13 (12): no match found, expected: whitespace"},
	    {"Foo == 1 Bar == 2", "1:10 (9): no match found, expected: \"and\", \"or\" or end "
				  "of input"},
	    {"Foo == 1)", "1:9 (8): no match found, expected: \"and\", \"or\" or end of input"},
	    {"(Foo == 1", "1:10 (9): Unmatched parentheses"},
	    {"(Foo == 1 and (Bar == 2)", "1:25 (24): Unmatched parentheses"},
	    {"Foo == 80a", "1:8 (7): Invalid number literal"},
	    {"Foo == 08", "1:8 (7): Invalid number literal"},
	    {"Meta[foo] == 1", "1:6 (5): Invalid index"},
	    {"Meta[\"x\" == 1", "1:10 (9): Unclosed index expression"},
	    {"x in 5", "1:6 (5): Invalid selector"},
	    {"\"abc\" == 1", "1:7 (6): no match found, expected: \"in\" or \"not in\""},
	    {"Foo is", "1:5 (4): no match found, expected: \"==\", \"!=\", \"contains\", \"not "
		       "contains\", \"matches\", \"not matches\", \"is empty\", \"is not empty\", "
		       "\"in\" or \"not in\""},
	    {"a == 1 and\n  b ==", "2:7 (17): no match found, expected: a selector, a number "
				   "or a string"},
	    {"\xc3\xa9 == 1", "1:1 (0): no match found, expected: \"(\", \"not\" or a match "
			      "expression"},
	    {"x == \"\xc3\xa9\" y", "1:10 (10): no match found, expected: \"and\", \"or\" or "
				    "end of input"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i][0], NULL, cases[i][1]);
}

static void test_nesting_limit(void **state)
{
	char deep[1024] = "", ok[1024] = "";
	for (int i = 0; i < 300; i++)
		strcat(deep, "(");
	strcat(deep, "a == 1");
	for (int i = 0; i < 300; i++)
		strcat(deep, ")");
	expect_error(deep, NULL, "1:65 (64): expression nested too deeply");
	for (int i = 0; i < 30; i++)
		strcat(ok, "not (");
	strcat(ok, "a == 1");
	for (int i = 0; i < 30; i++)
		strcat(ok, ")");
	int rc;
	free(run(ok, strlen(ok), NULL, &rc));
	assert_int_equal(rc, 0);
}

static void test_empty_is_no_filter(void **state)
{
	struct filter *f = (struct filter *)1;
	struct buf err = BUF_INIT;
	assert_int_equal(filter_parse("", 0, health_fields, &f, &err), 0);
	assert_null(f);
	assert_int_equal(err.len, 0);
	struct fvalue v = {.kind = FV_NULL};
	assert_true(filter_match(NULL, &v));
	filter_free(NULL);
	/* a NULL err is allowed */
	assert_int_equal(filter_parse("(", 1, NULL, &f, NULL), CAIRN_E_PARSE);
	assert_null(f);
}

static void test_schema_accepts(void **state)
{
	static const char *const ok[] = {
	    "Node.Node == \"node-1\"",
	    "Node.Meta.env == prod and Node.Meta[\"rack-id\"] != r1",
	    "env in Node.Meta",
	    "Node.Meta is not empty",
	    "Service.Tags contains primary",
	    "Service.Tags is empty",
	    "Service.Port == 8080",
	    "Service.Port != \"0x1f90\"",
	    "Service.EnableTagOverride == false",
	    "Service.Weights.Passing == 1",
	    "Service.TaggedAddresses.lan_ipv4.Address == \"10.0.0.1\"",
	    "Service.TaggedAddresses.lan_ipv4.Port == 8080",
	    "lan_ipv4 in Service.TaggedAddresses",
	    "Checks is not empty",
	    "Checks.Status == passing",
	    "Checks.ServiceTags contains primary",
	    "Checks.Score == 0.5",
	    "Node.Address contains \"10.\"",
	    "Node.Node matches \"^node-[0-9]+$\"",
	    "Node.Node is empty", /* newer go-bexpr; v0.1.2 refuses it on strings */
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int rc;
		char *got = run(ok[i], strlen(ok[i]), health_fields, &rc);
		if (rc != 0)
			fail_msg("%s: %s", ok[i], got);
		free(got);
	}
}

static void test_schema_errors(void **state)
{
	static const char *const cases[][2] = {
	    {"Foo == 1", "Selector \"Foo\" is not valid"},
	    {"Foo.Bar == 1", "Selector \"Foo\" is not valid"},
	    {"Service.Foo == 1", "Selector \"Service.Foo\" is not valid"},
	    {"service.ID == x", "Selector \"service\" is not valid"}, /* case-sensitive */
	    {"Service.Port.x == 1", "Selector \"Service.Port.x\" is not valid"},
	    {"Node.Meta.a.b == 1", "Selector \"Node.Meta.a.b\" is not valid"},
	    {"Service.TaggedAddresses.lan.Nope == 1",
	     "Selector \"Service.TaggedAddresses.lan.Nope\" is not valid"},
	    {"Checks.0.Status == x", "Selector \"Checks.0\" is not valid"},
	    {"x in Nope", "Selector \"Nope\" is not valid"},
	    {"Service.Tags == primary",
	     "Invalid match operator \"Equal\" for selector \"Service.Tags\""},
	    {"Service.Tags matches x", "Invalid match operator \"Matches\" for selector "
				       "\"Service.Tags\""},
	    {"Service.Port contains 8",
	     "Invalid match operator \"In\" for selector \"Service.Port\""},
	    {"Service.Port is empty", "Invalid match operator \"Is Empty\" for selector "
				      "\"Service.Port\""},
	    {"Service.Port not matches \"8\"",
	     "Invalid match operator \"Not Matches\" for selector "
	     "\"Service.Port\""},
	    {"Service == web", "Invalid match operator \"Equal\" for selector \"Service\""},
	    {"Checks != x", "Invalid match operator \"Not Equal\" for selector \"Checks\""},
	    {"Node.Meta == x", "Invalid match operator \"Equal\" for selector \"Node.Meta\""},
	    {"Service.TaggedAddresses.lan == x", "Invalid match operator \"Equal\" for selector "
						 "\"Service.TaggedAddresses.lan\""},
	    {"Service.Port == abc", "Failed to coerce value \"abc\" for selector \"Service.Port\": "
				    "strconv.ParseInt: parsing \"abc\": invalid syntax"},
	    {"Service.Port == 80.5", "Failed to coerce value \"80.5\" for selector "
				     "\"Service.Port\": strconv.ParseInt: parsing \"80.5\": "
				     "invalid syntax"},
	    {"Service.Port == 99999999999999999999", "Failed to coerce value "
						     "\"99999999999999999999\" for selector "
						     "\"Service.Port\": strconv.ParseInt: "
						     "parsing \"99999999999999999999\": value "
						     "out of range"},
	    {"Service.EnableTagOverride == yes", "Failed to coerce value \"yes\" for selector "
						 "\"Service.EnableTagOverride\": "
						 "strconv.ParseBool: parsing \"yes\": invalid "
						 "syntax"},
	    {"Checks.Score != \"x\\ty\"", "Failed to coerce value \"x\\ty\" for selector "
					  "\"Checks.Score\": strconv.ParseFloat: parsing "
					  "\"x\\ty\": invalid syntax"},
	    /* the first failing match expression is reported */
	    {"Node.Node == a or Bad == 1 or Worse == 2", "Selector \"Bad\" is not valid"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i][0], health_fields, cases[i][1]);
	/* regcomp's reason follows the pattern; without a schema only the
	 * regular expression is checked */
	expect_error_start("Node.Node matches \"(\"", health_fields,
			   "Failed to compile regular expression \"(\": ");
	expect_error_start("Foo matches \"a[\"", NULL,
			   "Failed to compile regular expression \"a[\": ");
	expect_error("Foo matches \"\\x00\"", NULL,
		     "Failed to compile regular expression \"\\x00\": NUL byte in pattern");
	int rc;
	free(run("Foo.Bar == abc", 14, NULL, &rc));
	assert_int_equal(rc, 0);
}

static void test_regex_errors(void **state)
{
	/* Go's regexp/syntax errors, refused before glibc sees the pattern:
	 * {pattern in a raw string, Go's %q of it, reason} */
	static const char *const cases[][3] = {
	    {"a++", "\"a++\"", "error parsing regexp: invalid nested repetition operator: `++`"},
	    {"a**?", "\"a**?\"", "error parsing regexp: invalid nested repetition operator: `**`"},
	    {"a+?+", "\"a+?+\"", "error parsing regexp: invalid nested repetition operator: `+?+`"},
	    {"*a", "\"*a\"", "error parsing regexp: missing argument to repetition operator: `*`"},
	    {"(+)", "\"(+)\"",
	     "error parsing regexp: missing argument to repetition operator: `+`"},
	    {"a{1001}", "\"a{1001}\"", "error parsing regexp: invalid repeat count: `{1001}`"},
	    {"a{2,1}", "\"a{2,1}\"", "error parsing regexp: invalid repeat count: `{2,1}`"},
	    {"(", "\"(\"", "error parsing regexp: missing closing ): `(`"},
	    {"a)", "\"a)\"", "error parsing regexp: unexpected ): `a)`"},
	    {"[a", "\"[a\"", "error parsing regexp: missing closing ]: `[a`"},
	    {"\\1", "\"\\\\1\"", "error parsing regexp: invalid escape sequence: `\\1`"},
	    {"\\q", "\"\\\\q\"", "error parsing regexp: invalid escape sequence: `\\q`"},
	    {"a\\", "\"a\\\\\"",
	     "error parsing regexp: trailing backslash at end of expression: ``"},
	    {"(?s)a", "\"(?s)a\"",
	     "error parsing regexp: invalid or unsupported Perl syntax: `(?s`"},
	    {"(a{1000}){1000}", "\"(a{1000}){1000}\"",
	     "error parsing regexp: expression too large: `(a{1000}){1000}`"},
	    {"[\\D]", "\"[\\\\D]\"",
	     "error parsing regexp: invalid escape sequence in a character class: `\\D`"},
	    {"\\x00", "\"\\\\x00\"", "NUL byte in pattern"},
	};
	char expr[128], why[256];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(expr, sizeof(expr), "x matches `%s`", cases[i][0]);
		snprintf(why, sizeof(why), "Failed to compile regular expression %s: %s",
			 cases[i][1], cases[i][2]);
		expect_error(expr, NULL, why);
	}
	/* patterns are small, and so is their sum over one filter */
	struct buf big = BUF_INIT;
	for (int i = 0; i < 6; i++)
		buf_printf(&big, "%sx matches \"(a{1000}b){9}\"", i ? " or " : "");
	int rc;
	char *got = run(big.data, big.len, NULL, &rc);
	assert_int_equal(rc, CAIRN_E_PARSE);
	assert_non_null(
	    strstr(got, ": error parsing regexp: expression too large: `(a{1000}b){9}`"));
	free(got);
	buf_free(&big);
}

static void test_integer_literals(void **state)
{
	/* Go's ParseInt with base 0, checked through the schema's coercion */
	static const char *const good[] = {"0",
					   "8080",
					   "-1",
					   "+7",
					   "0x1F90",
					   "0X1f90",
					   "0o17",
					   "017",
					   "0b101",
					   "1_000",
					   "0x_1f",
					   "9223372036854775807",
					   "-9223372036854775808"};
	static const char *const bad[] = {
	    "0x",  "0o", "08", "1__0", "_1", "1_", "0x1g", "--1", "9223372036854775808",
	    "1e3", "0_"};
	char expr[128];
	int rc;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(expr, sizeof(expr), "Service.Port == \"%s\"", good[i]);
		free(run(expr, strlen(expr), health_fields, &rc));
		if (rc != 0)
			fail_msg("%s refused", good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(expr, sizeof(expr), "Service.Port == \"%s\"", bad[i]);
		free(run(expr, strlen(expr), health_fields, &rc));
		if (rc == 0)
			fail_msg("%s accepted", bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_operators),	       cmocka_unit_test(test_selectors),
	    cmocka_unit_test(test_precedence),	       cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_syntax_errors),      cmocka_unit_test(test_nesting_limit),
	    cmocka_unit_test(test_empty_is_no_filter), cmocka_unit_test(test_schema_accepts),
	    cmocka_unit_test(test_schema_errors),      cmocka_unit_test(test_regex_errors),
	    cmocka_unit_test(test_integer_literals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
