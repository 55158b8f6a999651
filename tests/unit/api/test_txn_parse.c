/*
 * /v1/txn body parsing for Node, Service and Check operations
 * (api/txn_parse_catalog.c): fields land in the op's owned templates, names
 * match case-insensitively, Consul's conversions (agent's datacenter, critical
 * by default, weights as given), which ops count as writes, the 409 body of an
 * unknown verb, and the bounds that keep every parsed body encodable.
 */
#include "api/txn_parse.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static int parse(const char *body, struct txn_parsed *p)
{
	return txn_parse(body, strlen(body), "dc9", p);
}

static void test_node_service_check(void **state)
{
	(void)state;
	struct txn_parsed p;
	const char *body =
	    "[{\"node\":{\"verb\":\"cas\",\"node\":{\"node\":\"n1\",\"address\":\"10.0.0.1\","
	    "\"Meta\":{\"a\":\"b\"},\"ModifyIndex\":4}}},"
	    "{\"Service\":{\"Verb\":\"set\",\"Node\":\"n1\",\"Service\":{\"ID\":\"w1\","
	    "\"Service\":\"web\",\"Tags\":[\"x\",\"y\"],\"Port\":80,\"Weights\":{\"Passing\":2},"
	    "\"TaggedAddresses\":{\"lan\":{\"Address\":\"1.2.3.4\",\"Port\":81}}}}},"
	    "{\"Check\":{\"Verb\":\"get\",\"Check\":{\"Node\":\"n1\",\"CheckID\":\"c1\","
	    "\"Definition\":{\"HTTP\":\"http://x/\",\"Interval\":\"5s\"}}}}]";
	assert_int_equal(parse(body, &p), 0);
	assert_int_equal(p.n, 3);
	assert_true(p.writes);
	const struct txn_cat_op *n = p.ops[0].cat;
	assert_int_equal(p.ops[0].kind, TXN_OP_NODE);
	assert_int_equal(p.ops[0].verb, KV_CAS);
	assert_int_equal(p.ops[0].index, 4);
	assert_string_equal(n->node.name, "n1");
	assert_string_equal(n->node.datacenter, "dc9");
	assert_int_equal(n->node.nmeta, 1);
	const struct cat_service *s = &p.ops[1].cat->svc;
	assert_string_equal(p.ops[1].cat->node.name, "n1");
	assert_string_equal(s->name, "web");
	assert_int_equal(s->ntags, 2);
	assert_int_equal(s->port, 80);
	assert_int_equal(s->weight_passing, 2);
	assert_int_equal(s->weight_warning, 0);
	assert_int_equal(s->ntagged, 1);
	assert_int_equal(s->tagged[0].port, 81);
	const struct cat_check *c = &p.ops[2].cat->chk;
	assert_int_equal(p.ops[2].verb, KV_GET);
	assert_int_equal(c->status, CAT_CRITICAL);
	assert_non_null(strstr(c->definition_json, "\"HTTP\":\"http://x/\""));
	txn_parsed_free(&p);
}

static void test_reads_only(void **state)
{
	(void)state;
	struct txn_parsed p;
	assert_int_equal(parse("[{\"Node\":{\"Verb\":\"get\",\"Node\":{\"Node\":\"n\"}}},"
			       "{\"KV\":{\"Verb\":\"get-tree\",\"Key\":\"a\"}}]",
			       &p),
			 0);
	assert_false(p.writes);
	txn_parsed_free(&p);
}

static void test_errors(void **state)
{
	(void)state;
	struct txn_parsed p;
	assert_int_equal(parse("[{\"Service\":{\"Verb\":\"get-tree\",\"Node\":\"n\"}}]", &p), -1);
	assert_int_equal(p.status, 409);
	assert_string_equal(buf_cstr(&p.err),
			    "{\"Results\":null,\"Errors\":[{\"OpIndex\":0,"
			    "\"What\":\"unknown Service verb \\\"get-tree\\\"\"}]}");
	txn_parsed_free(&p);
	const char *bad[] = {
	    "[{\"Node\":[]}]",
	    "[{\"Check\":{\"Verb\":\"set\",\"Check\":{\"Status\":\"meh\"}}}]",
	    "[{\"Check\":{\"Verb\":\"set\",\"Check\":{\"ExposedPort\":99999999999}}}]",
	    "[{\"Service\":{\"Verb\":\"set\",\"Node\":5}}]",
	    "[{\"Service\":{\"Verb\":\"set\",\"Service\":{\"TaggedAddresses\":{\"a\":1}}}}]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &p), -1);
		assert_int_equal(p.status, 400);
		assert_memory_equal(buf_cstr(&p.err), "Failed to parse body: ", 22);
		txn_parsed_free(&p);
	}
}

/* A map the command decoder would refuse (more than CMD_MAX_OPS entries) is
 * refused by the parser, so no parsed body makes an undecodable log entry. */
static void test_bounds(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_puts(&b, "[{\"Node\":{\"Verb\":\"set\",\"Node\":{\"Node\":\"n\",\"Meta\":{");
	for (int i = 0; i <= CMD_MAX_OPS; i++)
		buf_printf(&b, "%s\"k%d\":\"v\"", i ? "," : "", i);
	buf_puts(&b, "}}}}]");
	struct txn_parsed p;
	assert_int_equal(txn_parse(b.data, b.len, NULL, &p), -1);
	assert_int_equal(p.status, 400);
	txn_parsed_free(&p);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_node_service_check),
	    cmocka_unit_test(test_reads_only),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
