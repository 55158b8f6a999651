/* Unit tests: Raft command codec and KV operation semantics. */
#include "base/err.h"
#include "consensus/cmd.h"
#include "consensus/fsm.h"
#include "consensus/kvops.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_roundtrip(void **state)
{
	(void)state;
	struct kv_op ops[2] = {
	    {.verb = KV_CAS,
	     .key = "a/b",
	     .value = "v\0x",
	     .value_len = 3,
	     .has_value = true,
	     .flags = 42,
	     .index = 7},
	    {.verb = KV_DELETE_TREE, .key = "a/", .session = "sess"},
	};
	struct cmd c = {.type = CMD_KV_TXN, .u.kv = {ops, 2}}, d;
	struct buf enc = BUF_INIT;
	cmd_encode(&c, &enc);
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), 0);
	assert_int_equal(d.u.kv.n, 2);
	assert_int_equal(d.u.kv.ops[0].verb, KV_CAS);
	assert_string_equal(d.u.kv.ops[0].key, "a/b");
	assert_int_equal(d.u.kv.ops[0].value_len, 3);
	assert_memory_equal(d.u.kv.ops[0].value, "v\0x", 3);
	assert_int_equal(d.u.kv.ops[0].flags, 42);
	assert_int_equal(d.u.kv.ops[0].index, 7);
	assert_null(d.u.kv.ops[0].session);
	assert_false(d.u.kv.ops[1].has_value);
	assert_string_equal(d.u.kv.ops[1].session, "sess");
	/* every truncation is rejected */
	for (size_t n = 0; n < enc.len; n++) {
		struct cmd t;
		assert_int_not_equal(cmd_decode(enc.data, n, &t), 0);
	}
	cmd_free(&d);
	buf_free(&enc);
}

static void test_versions(void **state)
{
	(void)state;
	struct cmd c;
	unsigned char newer[] = {CMD_KV_REAP, 9, 1, 0, 0, 0, 0, 0, 0, 0};
	assert_int_equal(cmd_decode(newer, sizeof(newer), &c), CAIRN_E_VERSION);
	unsigned char unknown[] = {200, 1};
	assert_int_equal(cmd_decode(unknown, sizeof(unknown), &c), CAIRN_E_VERSION);
	unsigned char reap[] = {CMD_KV_REAP, 1, 5, 0, 0, 0, 0, 0, 0, 0};
	assert_int_equal(cmd_decode(reap, sizeof(reap), &c), 0);
	assert_int_equal(c.u.reap_index, 5);
	/* trailing garbage */
	unsigned char extra[] = {CMD_KV_REAP, 1, 5, 0, 0, 0, 0, 0, 0, 0, 1};
	assert_int_equal(cmd_decode(extra, sizeof(extra), &c), CAIRN_E_PARSE);
}

static void test_verbs(void **state)
{
	(void)state;
	for (int v = 0; v < KV_VERB_COUNT_; v++)
		assert_int_equal(kv_verb_parse(kv_verb_name(v)), v);
	assert_int_equal(kv_verb_parse("nope"), -1);
	assert_true(kv_verb_is_read(KV_GET_TREE));
	assert_false(kv_verb_is_read(KV_DELETE_CAS));
}

static void apply(struct store *s, uint64_t index, struct kv_op *ops, size_t n,
		  struct txn_result *res, int want)
{
	struct store_txn *t = store_txn_begin(s, index);
	int rv = kvops_eval(s, t, ops, n, res);
	assert_int_equal(rv, want);
	if (rv)
		store_txn_abort(t);
	else
		store_txn_commit(t);
}

static void test_txn_semantics(void **state)
{
	(void)state;
	struct store *s = store_new();
	struct txn_result res;
	struct kv_op set[] = {
	    {.verb = KV_SET, .key = "k", .value = "1", .value_len = 1, .has_value = true}};
	apply(s, 2, set, 1, &res, 0);
	assert_int_equal(res.nitems, 1);
	assert_false(res.items[0].with_value);
	assert_int_equal(res.items[0].entry->modify_index, 2);
	txn_result_free(&res);

	/* a failing cas rolls back the set before it, and reports its op index */
	struct kv_op mixed[] = {
	    {.verb = KV_SET, .key = "other", .value = "x", .value_len = 1, .has_value = true},
	    {.verb = KV_CAS,
	     .key = "k",
	     .value = "2",
	     .value_len = 1,
	     .has_value = true,
	     .index = 99},
	    {.verb = KV_CHECK_NOT_EXISTS, .key = "k"},
	};
	apply(s, 3, mixed, 3, &res, CAIRN_E_CAS);
	assert_int_equal(res.nerrors, 2);
	assert_int_equal(res.errors[0].op_index, 1);
	assert_string_equal(res.errors[0].what, "failed to set key \"k\", index is stale");
	assert_string_equal(res.errors[1].what, "key \"k\" exists");
	assert_int_equal(res.nitems, 0);
	assert_null(kv_get(s, "other"));
	txn_result_free(&res);

	/* read-only evaluation needs no transaction, and refuses writes */
	struct kv_op reads[] = {{.verb = KV_GET, .key = "k"},
				{.verb = KV_CHECK_INDEX, .key = "k", .index = 2}};
	assert_int_equal(kvops_eval(s, NULL, reads, 2, &res), 0);
	assert_int_equal(res.nitems, 2);
	assert_true(res.items[0].with_value);
	txn_result_free(&res);
	assert_int_equal(kvops_eval(s, NULL, set, 1, &res), CAIRN_E_CAS);
	txn_result_free(&res);
	store_free(s);
}

/* Every framed entry is a multiple of 8 bytes (libraft's loader needs it) and
 * unframes to the exact command; damaged frames are rejected. */
static void test_frame(void **state)
{
	(void)state;
	char cmd[40];
	for (size_t i = 0; i < sizeof(cmd); i++)
		cmd[i] = (char)(i + 1);
	for (size_t n = 0; n <= sizeof(cmd); n++) {
		struct raft_buffer b;
		const void *body;
		size_t len;
		assert_int_equal(fsm_frame(cmd, n, &b), 0);
		assert_int_equal(b.len % 8, 0);
		assert_int_equal(fsm_unframe(&b, &body, &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(body, cmd, n);
		((unsigned char *)b.base)[0] = (unsigned char)(n + 9); /* claims too much */
		assert_int_not_equal(fsm_unframe(&b, &body, &len), 0);
		raft_free(b.base);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_versions),
	    cmocka_unit_test(test_verbs),     cmocka_unit_test(test_txn_semantics),
	    cmocka_unit_test(test_frame),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
