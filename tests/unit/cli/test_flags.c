/*
 * Unit tests for the Go-style flag parser and the help layouts (src/cli/flags.c):
 * every accepted form, where parsing stops, the error cases (which must fail the
 * way Go's flag package fails), PrintDefaults and Consul's -h sections, and kr/text
 * wrapping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli/flags.h"

struct opts {
	bool b;
	bool c;
	const char *s;
	uint64_t u;
	int64_t i;
	int64_t d;
	struct flag_strings multi;
};

static const struct flag_def defs[] = {
    FLAG_DEF("b", FLAG_BOOL, struct opts, b, "a short bool", NULL),
    FLAG_DEF("cas", FLAG_BOOL, struct opts, c, "a long bool", NULL),
    FLAG_DEF("sep", FLAG_STRING, struct opts, s, "the `char` to use", "/"),
    FLAG_DEF("flags", FLAG_UINT64, struct opts, u, "a number", NULL),
    FLAG_DEF("n", FLAG_INT, struct opts, i, "signed", NULL),
    FLAG_DEF("wait", FLAG_DURATION, struct opts, d, "how long", NULL),
    FLAG_DEF("tag", FLAG_STRINGS, struct opts, multi, "repeatable", NULL),
    FLAG_END,
};

/* Parse a NULL-terminated list of arguments (argv[0] is "cmd"). */
static int parse(struct opts *o, int *rest, int *argc_out, char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	*argc_out = argc;
	memset(o, 0, sizeof(*o));
	return flags_parse(defs, o, argc, argv, 1, rest);
}

static void test_forms(void **state)
{
	(void)state;
	struct opts o;
	int rest, argc;
	char *argv[] = {"cmd",	 "-b",	 "--cas", "-sep=:", "-flags", "42", "--n=-7", "-wait",
			"1m30s", "-tag", "a",	  "-tag=b", "key",    "-b", NULL};
	assert_int_equal(parse(&o, &rest, &argc, argv), 0);
	assert_true(o.b);
	assert_true(o.c);
	assert_string_equal(o.s, ":");
	assert_int_equal(o.u, 42);
	assert_int_equal(o.i, -7);
	assert_int_equal(o.d, 90LL * 1000000000LL);
	assert_int_equal(o.multi.n, 2);
	assert_string_equal(o.multi.v[0], "a");
	assert_string_equal(o.multi.v[1], "b");
	assert_int_equal(rest, 12); /* stops at "key"; the later -b is an argument */
	flag_strings_free(&o.multi);
}

static void test_bool_values(void **state)
{
	(void)state;
	struct opts o;
	int rest, argc;
	char *a1[] = {"cmd", "-b=false", "-cas=1", NULL};
	assert_int_equal(parse(&o, &rest, &argc, a1), 0);
	assert_false(o.b);
	assert_true(o.c);
	/* a bool never takes the next argument: "false" is positional */
	char *a2[] = {"cmd", "-b", "false", NULL};
	assert_int_equal(parse(&o, &rest, &argc, a2), 0);
	assert_true(o.b);
	assert_int_equal(rest, 2);
}

static void test_terminators(void **state)
{
	(void)state;
	struct opts o;
	int rest, argc;
	char *a1[] = {"cmd", "-b", "--", "-cas", NULL};
	assert_int_equal(parse(&o, &rest, &argc, a1), 0);
	assert_int_equal(rest, 3); /* "--" consumed */
	assert_false(o.c);
	char *a2[] = {"cmd", "-", "-b", NULL};
	assert_int_equal(parse(&o, &rest, &argc, a2), 0);
	assert_int_equal(rest, 1); /* "-" is an argument */
	char *a3[] = {"cmd", NULL};
	assert_int_equal(parse(&o, &rest, &argc, a3), 0);
	assert_int_equal(rest, 1);
	/* the last value of a repeated flag wins */
	char *a4[] = {"cmd", "-sep=a", "-sep", "b", NULL};
	assert_int_equal(parse(&o, &rest, &argc, a4), 0);
	assert_string_equal(o.s, "b");
}

static void test_errors(void **state)
{
	(void)state;
	struct opts o;
	int rest, argc;
	char *bad[][4] = {
	    {"cmd", "-x", NULL},	 /* not defined */
	    {"cmd", "-flags", NULL},	 /* needs an argument */
	    {"cmd", "-flags=abc", NULL}, /* parse error */
	    {"cmd", "-flags=-1", NULL},	 /* unsigned */
	    {"cmd", "-b=maybe", NULL},	 /* invalid boolean */
	    {"cmd", "---b", NULL},	 /* bad syntax */
	    {"cmd", "-=x", NULL},	 /* bad syntax */
	    {"cmd", "-wait=10", NULL},	 /* durations need a unit */
	    {"cmd", "-h", NULL},	 /* help is an error for the command */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(&o, &rest, &argc, bad[i]), -1);
}

static void test_print_defaults(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	flags_print_defaults(&b, defs);
	assert_string_equal(b.data, "  -b\ta short bool\n"
				    "  -cas\n    \ta long bool\n"
				    "  -flags uint\n    \ta number\n"
				    "  -n int\n    \tsigned\n"
				    "  -sep char\n    \tthe char to use (default \"/\")\n"
				    "  -tag value\n    \trepeatable\n"
				    "  -wait duration\n    \thow long\n");
	buf_free(&b);
}

static void test_help_sections(void **state)
{
	(void)state;
	static const struct flag_def h[] = {
	    {.name = "zeta", .type = FLAG_BOOL, .usage = "last", .section = FLAG_SECT_CMD},
	    {.name = "addr",
	     .type = FLAG_STRING,
	     .usage = "The `address` to use.",
	     .argname = "value",
	     .section = FLAG_SECT_HTTP},
	    {.name = "alpha", .type = FLAG_UINT64, .usage = "first", .section = FLAG_SECT_CMD},
	    FLAG_END,
	};
	struct buf b = BUF_INIT;
	flags_help(&b, "\nUsage: consul x [options]\n\n  Does x.\n", h);
	assert_string_equal(b.data, "Usage: consul x [options]\n\n  Does x.\n\n"
				    "HTTP API Options\n\n"
				    "  -addr=<address>\n     The `address` to use.\n\n"
				    "Command Options\n\n"
				    "  -alpha=<uint>\n     first\n\n"
				    "  -zeta\n     last");
	buf_reset(&b);
	flags_help(&b, "\nUsage: consul kv <subcommand>\n", NULL);
	assert_string_equal(b.data, "Usage: consul kv <subcommand>");
	buf_free(&b);
}

static void test_wrap(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int width, indent;
		const char *want;
	} cases[] = {
	    {"aaa bbb ccc ddd", 7, 2, "  aaa bbb\n  ccc ddd"},
	    /* minimal raggedness, not greedy: greedy would give "aaa bb" / "cc" / "ddddd e" */
	    {"aaa bb cc ddddd e", 7, 0, "aaa\nbb cc\nddddd e"},
	    /* the last line costs nothing, so it may be short */
	    {"aa bb cc dddddd", 9, 0, "aa bb cc\ndddddd"},
	    {"  short  ", 20, 1, " short"},
	    {"averyveryverylongword x", 5, 0, "averyveryverylongword\nx"},
	};
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		flags_wrap(&b, cases[i].in, cases[i].width, cases[i].indent);
		assert_string_equal(b.data, cases[i].want);
	}
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forms),	   cmocka_unit_test(test_bool_values),
	    cmocka_unit_test(test_terminators),	   cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_print_defaults), cmocka_unit_test(test_help_sections),
	    cmocka_unit_test(test_wrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
