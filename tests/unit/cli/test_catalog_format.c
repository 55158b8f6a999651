/*
 * Unit tests for the text formats of the catalog, services and maint commands against
 * fixed inputs: columnize (catalog nodes), the nodes table in both forms and for
 * service instances, the services list with and without -tags, the -node conversion,
 * Go's %q, and the key=value map flags.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli/catalog_commands.h"
#include "cli/catalog_format.h"

static json_t *parse(const char *s)
{
	json_t *v = json_loads(s, JSON_DECODE_ANY, NULL);
	assert_non_null(v);
	return v;
}

static void test_columnize(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	const char in[] = "a\x1f"
			  "bb\x1f"
			  "c\n"
			  "dddd\x1f e \x1f"
			  "ffffff\n"
			  "x\n";
	catcli_columnize(&out, in, strlen(in));
	assert_string_equal(out.data, "a     bb  c\n"
				      "dddd  e   ffffff\n"
				      "x");
	buf_reset(&out);
	/* widths count code points, not bytes */
	const char utf[] = "\xc3\xa9t\xc3\xa9\x1fz\nab\x1fy\n";
	catcli_columnize(&out, utf, strlen(utf));
	assert_string_equal(out.data, "\xc3\xa9t\xc3\xa9  z\nab   y");
	buf_free(&out);
}

static const char nodes_json[] =
    "[{\"ID\":\"1b662d97-8b5c-3cc2-0ac0-96f55ad423b5\",\"Node\":\"worker-01\","
    "\"Address\":\"10.4.5.31\",\"Datacenter\":\"dc1\","
    "\"TaggedAddresses\":{\"wan\":\"10.4.5.31\",\"lan\":\"10.4.5.31\"},"
    "\"Meta\":{\"rack\":\"r2\",\"env\":\"prod\"}},"
    "{\"ID\":\"\",\"Node\":\"ext\",\"Address\":\"192.168.1.100\",\"Datacenter\":\"dc1\","
    "\"TaggedAddresses\":null,\"Meta\":null}]";

static void test_nodes_simple(void **state)
{
	(void)state;
	json_t *nodes = parse(nodes_json);
	struct buf out = BUF_INIT;
	catcli_format_nodes(&out, nodes, false, false);
	assert_string_equal(out.data, "Node       ID        Address        DC\n"
				      "worker-01  1b662d97  10.4.5.31      dc1\n"
				      "ext                  192.168.1.100  dc1");
	json_decref(nodes);
	buf_free(&out);
}

static void test_nodes_detailed(void **state)
{
	(void)state;
	json_t *nodes = parse(nodes_json);
	struct buf out = BUF_INIT;
	catcli_format_nodes(&out, nodes, true, false);
	assert_string_equal(out.data,
			    "Node       ID                                    Address        DC   "
			    "TaggedAddresses               Meta\n"
			    "worker-01  1b662d97-8b5c-3cc2-0ac0-96f55ad423b5  10.4.5.31      dc1  "
			    "lan=10.4.5.31, wan=10.4.5.31  env=prod, rack=r2\n"
			    "ext                                              192.168.1.100  dc1"
			    "                                "); /* columnize pads empty cells */
	json_decref(nodes);
	buf_free(&out);
}

static void test_nodes_of_service(void **state)
{
	(void)state;
	/* /v1/catalog/service entries carry node meta as NodeMeta */
	json_t *nodes = parse("[{\"ID\":\"abc-def\",\"Node\":\"n1\",\"Address\":\"10.0.0.1\","
			      "\"Datacenter\":\"dc1\",\"TaggedAddresses\":{},"
			      "\"NodeMeta\":{\"k\":\"v\"},\"ServiceID\":\"web\"}]");
	struct buf out = BUF_INIT;
	catcli_format_nodes(&out, nodes, true, true);
	assert_string_equal(out.data, "Node  ID       Address   DC   TaggedAddresses  Meta\n"
				      "n1    abc-def  10.0.0.1  dc1                   k=v");
	buf_reset(&out);
	catcli_format_nodes(&out, nodes, false, true);
	assert_string_equal(out.data, "Node  ID   Address   DC\n"
				      "n1    abc  10.0.0.1  dc1");
	json_decref(nodes);
	buf_free(&out);
}

static void test_services(void **state)
{
	(void)state;
	json_t *svcs = parse("{\"redis\":[\"v1\",\"primary\"],\"consul\":[],"
			     "\"postgresql\":[\"leader\"]}");
	struct buf out = BUF_INIT;
	assert_int_equal(catcli_format_services(&out, svcs, false), 3);
	assert_string_equal(out.data, "consul\npostgresql\nredis");
	buf_reset(&out);
	assert_int_equal(catcli_format_services(&out, svcs, true), 3);
	/* tabwriter(0, 2, 6): widest name + 6; the empty last cell keeps its padding */
	assert_string_equal(out.data, "consul          \n"
				      "postgresql      leader\n"
				      "redis           primary,v1");
	json_decref(svcs);
	buf_reset(&out);
	json_t *none = json_object();
	assert_int_equal(catcli_format_services(&out, none, true), 0);
	assert_int_equal(out.len, 0);
	json_decref(none);
	buf_free(&out);
}

static void test_node_services(void **state)
{
	(void)state;
	json_t *node =
	    parse("{\"Node\":{\"Node\":\"n1\"},\"Services\":{"
		  "\"web-1\":{\"ID\":\"web-1\",\"Service\":\"web\",\"Tags\":[\"b\",\"a\"]},"
		  "\"web-2\":{\"ID\":\"web-2\",\"Service\":\"web\",\"Tags\":[\"c\"]},"
		  "\"db\":{\"ID\":\"db\",\"Service\":\"db\",\"Tags\":[]}}}");
	json_t *svcs = catcli_node_services(node);
	struct buf out = BUF_INIT;
	assert_int_equal(catcli_format_services(&out, svcs, true), 2);
	assert_string_equal(out.data, "db       \nweb      a,b,c");
	json_decref(svcs);
	json_decref(node);
	json_t *null = json_null();
	svcs = catcli_node_services(null);
	assert_int_equal(json_object_size(svcs), 0);
	json_decref(svcs);
	buf_free(&out);
}

static void test_go_quote(void **state)
{
	(void)state;
	struct buf out = BUF_INIT;
	catcli_go_quote(&out, "");
	assert_string_equal(out.data, "\"\"");
	buf_reset(&out);
	catcli_go_quote(&out, "a\"b\\c\n\x01\xc3\xa9");
	assert_string_equal(out.data, "\"a\\\"b\\\\c\\n\\x01\xc3\xa9\"");
	buf_free(&out);
}

struct opts {
	struct flag_strings meta;
};

static const struct flag_def defs[] = {
    FLAG_DEF("node-meta", FLAG_STRINGS, struct opts, meta, "Metadata `key=value`.", NULL),
    FLAG_END,
};

static void test_map_flag(void **state)
{
	(void)state;
	const char *vals[] = {"a=1", "b=x=y", "a=2", "c="};
	struct flag_strings v = {vals, 4};
	json_t *out;
	assert_int_equal(catcli_map_flag(defs, "node-meta", &v, &out), 0);
	assert_int_equal(json_object_size(out), 3);
	assert_string_equal(json_string_value(json_object_get(out, "a")), "2");
	assert_string_equal(json_string_value(json_object_get(out, "b")), "x=y");
	assert_string_equal(json_string_value(json_object_get(out, "c")), "");
	json_decref(out);
	const char *bad[] = {"novalue"};
	struct flag_strings b = {bad, 1};
	assert_int_equal(catcli_map_flag(defs, "node-meta", &b, &out), -1);
	assert_null(out);
}

static void test_no_args(void **state)
{
	(void)state;
	assert_int_equal(catcli_no_args(0), 0);
	assert_int_equal(catcli_no_args(2), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_columnize),	   cmocka_unit_test(test_nodes_simple),
	    cmocka_unit_test(test_nodes_detailed), cmocka_unit_test(test_nodes_of_service),
	    cmocka_unit_test(test_services),	   cmocka_unit_test(test_node_services),
	    cmocka_unit_test(test_go_quote),	   cmocka_unit_test(test_map_flag),
	    cmocka_unit_test(test_no_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
