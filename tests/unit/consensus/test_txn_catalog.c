/*
 * /v1/txn Node, Service and Check operations: the CMD_KV_TXN version 2 codec
 * (round trip to the same bytes, KV-only transactions still written as
 * version 1, every truncation and bad kind or verb rejected) and the
 * semantics of txn_catalog.c through kvops_eval on a real store (Consul's
 * texts, cas and delete-cas, all-or-nothing with KV ops, indexes, read-only
 * evaluation).
 *
 * With CAIRN_WRITE_CMD_CORPUS=<dir>, test_write_corpus writes a seed for
 * tests/fuzz/corpus/cmd/.
 */
#include "base/err.h"
#include "consensus/cmd.h"
#include "consensus/kvops.h"
#include "state/catalog.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct cat_pair meta[] = {{"k2", "v2"}, {"k1", "v1"}};
static const char *tags[] = {"t1", "t2"};

static struct txn_cat_op node_n1 = {
    .node = {.name = "n1", .address = "10.0.0.1", .datacenter = "dc1", .meta = meta, .nmeta = 2}};
static struct txn_cat_op svc_web = {
    .node = {.name = "n1"},
    .svc = {.id = "web1", .name = "web", .tags = tags, .ntags = 2, .port = 80}};
static struct txn_cat_op chk_web = {
    .chk = {.node = "n1", .id = "c1", .name = "c", .status = CAT_PASSING, .service_id = "web1"}};
static struct txn_cat_op chk_node = {
    .chk = {.node = "n1", .name = "nodecheck", .status = CAT_CRITICAL}};

static struct kv_op cop(enum txn_op_kind kind, enum kv_verb verb, struct txn_cat_op *cat,
			uint64_t index)
{
	return (struct kv_op){.kind = kind, .verb = verb, .cat = cat, .index = index};
}

static void test_codec(void **state)
{
	(void)state;
	struct kv_op ops[] = {
	    {.verb = KV_SET, .key = "k", .value = "v", .value_len = 1, .has_value = true},
	    cop(TXN_OP_NODE, KV_CAS, &node_n1, 7),
	    cop(TXN_OP_SERVICE, KV_SET, &svc_web, 0),
	    cop(TXN_OP_CHECK, KV_DELETE_CAS, &chk_web, 9),
	};
	struct cmd c = {.type = CMD_KV_TXN, .u.kv = {ops, 4}}, d;
	struct buf enc = BUF_INIT, again = BUF_INIT;
	cmd_encode(&c, &enc);
	assert_int_equal((unsigned char)enc.data[1], 2);
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), 0);
	assert_int_equal(d.version, 2);
	assert_int_equal(d.u.kv.n, 4);
	assert_int_equal(d.u.kv.ops[0].kind, TXN_OP_KV);
	assert_string_equal(d.u.kv.ops[0].key, "k");
	assert_int_equal(d.u.kv.ops[1].kind, TXN_OP_NODE);
	assert_int_equal(d.u.kv.ops[1].verb, KV_CAS);
	assert_int_equal(d.u.kv.ops[1].index, 7);
	assert_string_equal(d.u.kv.ops[1].cat->node.address, "10.0.0.1");
	assert_int_equal(d.u.kv.ops[1].cat->node.nmeta, 2);
	assert_string_equal(d.u.kv.ops[2].cat->node.name, "n1");
	assert_string_equal(d.u.kv.ops[2].cat->svc.tags[1], "t2");
	assert_int_equal(d.u.kv.ops[2].cat->svc.port, 80);
	assert_string_equal(d.u.kv.ops[3].cat->chk.node, "n1");
	assert_string_equal(d.u.kv.ops[3].cat->chk.service_id, "web1");
	assert_int_equal(d.u.kv.ops[3].index, 9);
	cmd_encode(&d, &again);
	assert_int_equal(again.len, enc.len);
	assert_memory_equal(again.data, enc.data, enc.len);
	cmd_free(&d);
	for (size_t n = 0; n < enc.len; n++)
		assert_int_not_equal(cmd_decode(enc.data, n, &d), 0);

	/* a KV-only transaction keeps the version 1 layout; a version 2 body
	 * without a catalog op is not canonical and refused */
	buf_reset(&enc);
	c.u.kv.n = 1;
	cmd_encode(&c, &enc);
	assert_int_equal((unsigned char)enc.data[1], 1);
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), 0);
	cmd_free(&d);
	struct buf v2 = BUF_INIT;
	buf_append(&v2, "\x01\x02\x01\x00\x00", 5); /* type, v2, 1 op, kind KV */
	buf_append(&v2, enc.data + 4, enc.len - 4);
	assert_int_equal(cmd_decode(v2.data, v2.len, &d), CAIRN_E_PARSE);

	/* get-tree is no Node verb; kind 9 does not exist */
	buf_reset(&enc);
	struct kv_op bad = cop(TXN_OP_NODE, KV_GET, &node_n1, 0);
	c.u.kv.ops = &bad;
	cmd_encode(&c, &enc);
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), 0);
	cmd_free(&d);
	enc.data[5] = KV_GET_TREE;
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), CAIRN_E_PARSE);
	enc.data[5] = KV_GET;
	enc.data[4] = 9;
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), CAIRN_E_PARSE);
	buf_free(&v2);
	buf_free(&enc);
	buf_free(&again);
}

static void test_kinds_and_verbs(void **state)
{
	(void)state;
	assert_string_equal(txn_op_kind_name(TXN_OP_SERVICE), "Service");
	assert_true(txn_verb_allowed(TXN_OP_KV, KV_GET_TREE));
	assert_false(txn_verb_allowed(TXN_OP_CHECK, KV_LOCK));
	assert_true(txn_verb_allowed(TXN_OP_CHECK, KV_DELETE_CAS));
	assert_false(txn_verb_allowed(TXN_OP_KIND_COUNT_, KV_SET));
}

/* Evaluate ops at index, commit or abort; res is left for the caller. */
static int run(struct store *s, uint64_t index, struct kv_op *ops, size_t n, struct txn_result *res)
{
	struct store_txn *t = store_txn_begin(s, index);
	int rv = kvops_eval(s, t, ops, n, res);
	if (rv)
		store_txn_abort(t);
	else
		store_txn_commit(t);
	return rv;
}

/* The text of the only error of a one-op transaction ("" when it worked). */
static const char *one(struct store *s, uint64_t index, struct kv_op o)
{
	static char text[256];
	struct txn_result res;
	run(s, index, &o, 1, &res);
	snprintf(text, sizeof(text), "%s", res.nerrors ? res.errors[0].what : "");
	txn_result_free(&res);
	return text;
}

static void test_node_ops(void **state)
{
	(void)state;
	struct store *s = store_new();
	struct txn_result res;
	assert_string_equal(one(s, 2, cop(TXN_OP_NODE, KV_GET, &node_n1, 0)),
			    "node \"n1\" doesn't exist");
	struct kv_op set = cop(TXN_OP_NODE, KV_SET, &node_n1, 0);
	assert_int_equal(run(s, 3, &set, 1, &res), 0);
	assert_int_equal(res.nitems, 1);
	assert_int_equal(res.items[0].kind, TXN_OP_NODE);
	assert_string_equal(res.items[0].node->address, "10.0.0.1");
	assert_int_equal(res.items[0].node->modify_index, 3);
	txn_result_free(&res);
	assert_int_equal(catalog_node_index(s, "n1"), 3);
	assert_int_equal(catalog_nodes_index(s), 3);

	/* cas: 0 only creates; a stale index fails; the current one works */
	assert_string_equal(one(s, 4, cop(TXN_OP_NODE, KV_CAS, &node_n1, 0)),
			    "failed to set node \"n1\", index is stale");
	assert_string_equal(one(s, 5, cop(TXN_OP_NODE, KV_CAS, &node_n1, 2)),
			    "failed to set node \"n1\", index is stale");
	struct txn_cat_op moved = node_n1;
	moved.node.address = "10.0.0.2";
	assert_string_equal(one(s, 6, cop(TXN_OP_NODE, KV_CAS, &moved, 3)), "");
	assert_string_equal(catalog_node(s, "n1")->address, "10.0.0.2");
	assert_int_equal(catalog_node_index(s, "n1"), 6);

	/* delete-cas: stale, then current; deleting a node takes its services */
	assert_string_equal(one(s, 7, cop(TXN_OP_SERVICE, KV_SET, &svc_web, 0)), "");
	assert_string_equal(one(s, 8, cop(TXN_OP_NODE, KV_DELETE_CAS, &node_n1, 3)),
			    "failed to delete node \"n1\", index is stale");
	assert_string_equal(one(s, 9, cop(TXN_OP_NODE, KV_DELETE_CAS, &node_n1, 6)), "");
	assert_null(catalog_node(s, "n1"));
	assert_int_equal(catalog_service_count(s), 0);
	assert_int_equal(catalog_service_index(s, "web"), 9);
	/* deleting what is not there succeeds; delete-cas of it does not */
	assert_string_equal(one(s, 10, cop(TXN_OP_NODE, KV_DELETE, &node_n1, 0)), "");
	assert_string_equal(one(s, 11, cop(TXN_OP_NODE, KV_DELETE_CAS, &node_n1, 0)),
			    "failed to delete node \"n1\", index is stale");
	store_free(s);
}

static void test_service_and_check_ops(void **state)
{
	(void)state;
	struct store *s = store_new();
	struct txn_result res;
	assert_string_equal(one(s, 2, cop(TXN_OP_SERVICE, KV_SET, &svc_web, 0)),
			    "Missing node registration");
	assert_string_equal(one(s, 3, cop(TXN_OP_CHECK, KV_SET, &chk_node, 0)),
			    "Missing node registration");
	assert_string_equal(one(s, 4, cop(TXN_OP_NODE, KV_SET, &node_n1, 0)), "");
	assert_string_equal(one(s, 5, cop(TXN_OP_CHECK, KV_SET, &chk_web, 0)),
			    "Missing service registration");
	assert_string_equal(one(s, 6, cop(TXN_OP_SERVICE, KV_GET, &svc_web, 0)),
			    "service \"web1\" on node \"n1\" doesn't exist");

	/* service and its check in one transaction: results in op order */
	struct kv_op both[] = {cop(TXN_OP_SERVICE, KV_SET, &svc_web, 0),
			       cop(TXN_OP_CHECK, KV_SET, &chk_web, 0),
			       cop(TXN_OP_CHECK, KV_SET, &chk_node, 0)};
	assert_int_equal(run(s, 7, both, 3, &res), 0);
	assert_int_equal(res.nitems, 3);
	assert_int_equal(res.items[0].kind, TXN_OP_SERVICE);
	assert_string_equal(res.items[0].svc->name, "web");
	assert_int_equal(res.items[1].kind, TXN_OP_CHECK);
	assert_string_equal(res.items[1].chk->service_name, "web");
	assert_string_equal(res.items[2].chk->id, "nodecheck");
	txn_result_free(&res);
	assert_int_equal(catalog_service_index(s, "web"), 7);
	assert_int_equal(catalog_checks_index(s, CAT_CRITICAL), 7);

	assert_string_equal(one(s, 8, cop(TXN_OP_SERVICE, KV_CAS, &svc_web, 0)),
			    "failed to set service \"web1\" on node \"n1\", index is stale");
	assert_string_equal(one(s, 9, cop(TXN_OP_SERVICE, KV_DELETE_CAS, &svc_web, 1)),
			    "failed to delete service \"web1\" on node \"n1\", index is stale");
	assert_string_equal(one(s, 10, cop(TXN_OP_CHECK, KV_CAS, &chk_web, 1)),
			    "failed to set check \"c1\" on node \"n1\", index is stale");
	assert_string_equal(one(s, 11, cop(TXN_OP_CHECK, KV_DELETE_CAS, &chk_web, 1)),
			    "failed to delete check \"c1\" on node \"n1\", index is stale");
	struct txn_cat_op warn = chk_web;
	warn.chk.status = CAT_WARNING;
	assert_string_equal(one(s, 12, cop(TXN_OP_CHECK, KV_CAS, &warn, 7)), "");
	assert_int_equal(catalog_node_check(s, "n1", "c1")->status, CAT_WARNING);
	assert_string_equal(one(s, 13, cop(TXN_OP_CHECK, KV_DELETE_CAS, &chk_node, 7)), "");
	assert_null(catalog_node_check(s, "n1", "nodecheck"));
	assert_string_equal(one(s, 14, cop(TXN_OP_CHECK, KV_GET, &chk_node, 0)),
			    "check \"nodecheck\" on node \"n1\" doesn't exist");
	/* deleting a service deletes its checks */
	assert_string_equal(one(s, 15, cop(TXN_OP_SERVICE, KV_DELETE, &svc_web, 0)), "");
	assert_null(catalog_node_check(s, "n1", "c1"));
	assert_int_equal(catalog_check_count(s), 0);
	store_free(s);
}

static void test_all_or_nothing(void **state)
{
	(void)state;
	struct store *s = store_new();
	struct txn_result res;
	assert_string_equal(one(s, 2, cop(TXN_OP_NODE, KV_SET, &node_n1, 0)), "");
	uint64_t before = catalog_services_index(s);
	struct txn_cat_op other = svc_web;
	other.svc.id = "web2";
	struct kv_op ops[] = {
	    {.verb = KV_SET, .key = "k", .value = "v", .value_len = 1, .has_value = true},
	    cop(TXN_OP_SERVICE, KV_SET, &svc_web, 0),
	    cop(TXN_OP_NODE, KV_DELETE, &node_n1, 0),
	    cop(TXN_OP_SERVICE, KV_GET, &other, 0), /* fails: node and services gone */
	    {.verb = KV_GET, .key = "missing"},	    /* fails */
	};
	assert_int_equal(run(s, 3, ops, 5, &res), CAIRN_E_CAS);
	assert_int_equal(res.nerrors, 2);
	assert_int_equal(res.errors[0].op_index, 3);
	assert_string_equal(res.errors[0].what, "service \"web2\" on node \"n1\" doesn't exist");
	assert_int_equal(res.errors[1].op_index, 4);
	assert_int_equal(res.nitems, 0);
	txn_result_free(&res);
	/* nothing applied, no index moved */
	assert_null(kv_get(s, "k"));
	assert_non_null(catalog_node(s, "n1"));
	assert_int_equal(catalog_service_count(s), 0);
	assert_int_equal(catalog_services_index(s), before);
	assert_int_equal(catalog_node_index(s, "n1"), 2);

	/* a later op sees an earlier one: set then get in one transaction */
	struct kv_op seq[] = {cop(TXN_OP_SERVICE, KV_SET, &svc_web, 0),
			      cop(TXN_OP_SERVICE, KV_GET, &svc_web, 0)};
	assert_int_equal(run(s, 4, seq, 2, &res), 0);
	assert_int_equal(res.nitems, 2);
	assert_ptr_equal(res.items[0].svc, res.items[1].svc);
	txn_result_free(&res);

	/* read-only evaluation: gets work without a transaction, writes do not */
	struct kv_op reads[] = {cop(TXN_OP_NODE, KV_GET, &node_n1, 0),
				cop(TXN_OP_SERVICE, KV_GET, &svc_web, 0)};
	assert_int_equal(kvops_eval(s, NULL, reads, 2, &res), 0);
	assert_int_equal(res.nitems, 2);
	assert_string_equal(res.items[0].node->name, "n1");
	txn_result_free(&res);
	struct kv_op w = cop(TXN_OP_NODE, KV_DELETE, &node_n1, 0);
	assert_int_equal(kvops_eval(s, NULL, &w, 1, &res), CAIRN_E_CAS);
	txn_result_free(&res);
	assert_non_null(catalog_node(s, "n1"));
	store_free(s);
}

static void test_node_by_id(void **state)
{
	(void)state;
	struct store *s = store_new();
	struct txn_result res;
	struct txn_cat_op withid = node_n1;
	withid.node.id = "40e4a748-2192-161a-0510-9bf59fe950b5";
	assert_string_equal(one(s, 2, cop(TXN_OP_NODE, KV_SET, &withid, 0)), "");
	/* get by ID finds the node whatever name the op gives */
	struct txn_cat_op byid = {.node = {.id = withid.node.id, .name = "other"}};
	struct kv_op get = cop(TXN_OP_NODE, KV_GET, &byid, 0);
	assert_int_equal(kvops_eval(s, NULL, &get, 1, &res), 0);
	assert_string_equal(res.items[0].node->name, "n1");
	txn_result_free(&res);
	assert_ptr_equal(catalog_node_by_id(s, "40E4A748-2192-161A-0510-9BF59FE950B5"),
			 catalog_node(s, "n1"));
	assert_null(catalog_node_by_id(s, ""));
	store_free(s);
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void test_write_corpus(void **state)
{
	(void)state;
	const char *dir = getenv("CAIRN_WRITE_CMD_CORPUS");
	if (!dir)
		return;
	struct kv_op ops[] = {
	    {.verb = KV_SET, .key = "k", .value = "v", .value_len = 1, .has_value = true},
	    cop(TXN_OP_NODE, KV_CAS, &node_n1, 7),
	    cop(TXN_OP_SERVICE, KV_SET, &svc_web, 0),
	    cop(TXN_OP_CHECK, KV_DELETE_CAS, &chk_web, 9),
	};
	struct cmd c = {.type = CMD_KV_TXN, .u.kv = {ops, 4}};
	struct buf enc = BUF_INIT;
	cmd_encode(&c, &enc);
	write_file(dir, "txn_catalog", enc.data, enc.len);
	buf_free(&enc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_codec),	   cmocka_unit_test(test_kinds_and_verbs),
	    cmocka_unit_test(test_node_ops),	   cmocka_unit_test(test_service_and_check_ops),
	    cmocka_unit_test(test_all_or_nothing), cmocka_unit_test(test_node_by_id),
	    cmocka_unit_test(test_write_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
