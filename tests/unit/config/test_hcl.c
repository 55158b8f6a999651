/*
 * The HCL subset reader: each construct, compared with the JSON a .json file would
 * hold, and its error messages.
 */
#include "helpers.h"

#include "config/loader.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

/* Parse hcl and compare with the expected JSON text. */
static void same(const char *hcl, const char *json)
{
	struct buf err = BUF_INIT;
	json_t *got = hcl_parse(hcl, strlen(hcl), &err);
	if (!got)
		fail_msg("parse failed: %s\n%s", buf_cstr(&err), hcl);
	json_t *want = json_loads(json, 0, NULL);
	assert_non_null(want);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_SORT_KEYS);
		fail_msg("got %s\nwant %s", g, json);
	}
	json_decref(got);
	json_decref(want);
	buf_free(&err);
}

static void fails(const char *hcl, const char *msg)
{
	struct buf err = BUF_INIT;
	json_t *got = hcl_parse(hcl, strlen(hcl), &err);
	assert_null(got);
	if (!strstr(buf_cstr(&err), msg))
		fail_msg("error %s lacks %s", buf_cstr(&err), msg);
	buf_free(&err);
}

static void test_attributes(void **state)
{
	same("datacenter = \"dc1\"\nserver = true\nbootstrap_expect = 3\nrate = 1.5\n"
	     "neg = -2\nhex = 0x10\nexp = 1e3\n",
	     "{\"datacenter\": \"dc1\", \"server\": true, \"bootstrap_expect\": 3, \"rate\": 1.5,"
	     " \"neg\": -2, \"hex\": 16, \"exp\": 1000.0}");
	same("\"quoted key\" = false", "{\"quoted key\": false}");
	same("a = 1 b = 2, c = 3", "{\"a\": 1, \"b\": 2, \"c\": 3}");
	same("", "{}");
}

static void test_lists_and_objects(void **state)
{
	same("retry_join = [\"a\", \"b\",]\nempty = []\nnested = [[1], [2, 3]]",
	     "{\"retry_join\": [\"a\", \"b\"], \"empty\": [], \"nested\": [[1], [2, 3]]}");
	same("ports = { http = 8500, dns = -1 }", "{\"ports\": {\"http\": 8500, \"dns\": -1}}");
	same("checks = [{ id = \"a\" }, { id = \"b\" }]",
	     "{\"checks\": [{\"id\": \"a\"}, {\"id\": \"b\"}]}");
}

static void test_blocks(void **state)
{
	same("ports {\n  http = 8500\n  dns  = 8600\n}",
	     "{\"ports\": {\"http\": 8500, \"dns\": 8600}}");
	same("acl { enabled = true\n tokens { agent = \"x\" } }",
	     "{\"acl\": {\"enabled\": true, \"tokens\": {\"agent\": \"x\"}}}");
	/* repeated blocks become an array of objects */
	same("service { name = \"a\" }\nservice { name = \"b\" }\nservice { name = \"c\" }",
	     "{\"service\": [{\"name\": \"a\"}, {\"name\": \"b\"}, {\"name\": \"c\"}]}");
	/* labels nest */
	same("audit { sink \"file\" { type = \"file\" } }",
	     "{\"audit\": {\"sink\": {\"file\": {\"type\": \"file\"}}}}");
	same("service {\n  name = \"web\"\n  check {\n    http = \"http://localhost/\"\n"
	     "    interval = \"10s\"\n  }\n}",
	     "{\"service\": {\"name\": \"web\", \"check\": {\"http\": \"http://localhost/\","
	     " \"interval\": \"10s\"}}}");
}

static void test_comments_and_strings(void **state)
{
	same("# hash\n// slashes\n/* block\n comment */ a = \"x\" # trailing\nb = 2 // more",
	     "{\"a\": \"x\", \"b\": 2}");
	same("s = \"tab\\t quote\\\" slash\\\\ nl\\n \\u00e9 \\U0001F600 ${var}\"",
	     "{\"s\": \"tab\\t quote\\\" slash\\\\ nl\\n \\u00e9 \\ud83d\\ude00 ${var}\"}");
	same("key = \"汉字\"", "{\"key\": \"汉字\"}");
}

static void test_heredoc(void **state)
{
	same("script = <<EOF\nline one\n  line two\nEOF\nx = 1",
	     "{\"script\": \"line one\\n  line two\\n\", \"x\": 1}");
	same("script = <<-EOT\n    indented\n      more\n    EOT\n",
	     "{\"script\": \"indented\\n  more\\n\"}");
}

static void test_errors(void **state)
{
	fails("a = ", "At 1:5: expected value, got EOF");
	fails("a = \"unterminated", "At 1:5: literal not terminated");
	fails("ports {\n http = 1\n", "expected: RBRACE got: EOF");
	fails("a = [1 2]", "expected: COMMA | RBRACK");
	fails("a = nope", "Unknown token");
	fails("/* open", "comment not terminated");
	fails("a = \"\\q\"", "unknown escape sequence");
	fails("a = <<EOF\nno end", "heredoc not terminated");
	fails("a b c", "expected: ASSIGN | LBRACE");
	fails("= 1", "expected: IDENT | STRING");
	fails("a = 12abc", "invalid number");
	char deep[400] = "a = ";
	for (int i = 0; i < 150; i++)
		strcat(deep, "[");
	fails(deep, "nesting too deep");
	char blocks[1200] = "";
	for (int i = 0; i < 150; i++)
		strcat(blocks, "a { ");
	fails(blocks, "nesting too deep");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_attributes), cmocka_unit_test(test_lists_and_objects),
	    cmocka_unit_test(test_blocks),     cmocka_unit_test(test_comments_and_strings),
	    cmocka_unit_test(test_heredoc),    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
