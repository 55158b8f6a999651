/*
 * Operator commands: the CMD_AUTOPILOT_SET and CMD_RESTORE codecs round-trip
 * and re-encode to the same bytes; truncations, unknown flag bits, an
 * oversized tag and an empty restore body are rejected; restore_ops_apply
 * replaces the store, leaves the index at or past the entry's (or at a newer
 * archive's), and refuses a damaged snapshot leaving the store as it was.
 */
#include "base/err.h"
#include "consensus/cmd.h"
#include "consensus/kvops.h"
#include "consensus/operator_ops.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct cmd autopilot_cmd(void)
{
	struct cmd c = {.type = CMD_AUTOPILOT_SET};
	autopilot_config_default(&c.u.autopilot.conf);
	c.u.autopilot.conf.cleanup_dead_servers = false;
	c.u.autopilot.conf.max_trailing_logs = 99;
	c.u.autopilot.conf.min_quorum = 3;
	strcpy(c.u.autopilot.conf.redundancy_zone_tag, "zone");
	strcpy(c.u.autopilot.conf.upgrade_version_tag, "build");
	c.u.autopilot.conf.disable_upgrade_migration = true;
	c.u.autopilot.cas = true;
	c.u.autopilot.cas_index = 42;
	return c;
}

static void test_autopilot_roundtrip(void **state)
{
	(void)state;
	struct cmd c = autopilot_cmd();
	struct buf b = BUF_INIT, again = BUF_INIT;
	cmd_encode(&c, &b);
	struct cmd d;
	assert_int_equal(cmd_decode(b.data, b.len, &d), 0);
	assert_int_equal(d.type, CMD_AUTOPILOT_SET);
	assert_false(d.u.autopilot.conf.cleanup_dead_servers);
	assert_true(d.u.autopilot.conf.disable_upgrade_migration);
	assert_int_equal(d.u.autopilot.conf.max_trailing_logs, 99);
	assert_int_equal(d.u.autopilot.conf.min_quorum, 3);
	assert_int_equal(d.u.autopilot.conf.last_contact_threshold_ns, 200000000);
	assert_int_equal(d.u.autopilot.conf.server_stabilization_time_ns, 10000000000ULL);
	assert_string_equal(d.u.autopilot.conf.redundancy_zone_tag, "zone");
	assert_string_equal(d.u.autopilot.conf.upgrade_version_tag, "build");
	assert_true(d.u.autopilot.cas);
	assert_int_equal(d.u.autopilot.cas_index, 42);
	cmd_encode(&d, &again);
	assert_int_equal(again.len, b.len);
	assert_memory_equal(again.data, b.data, b.len);
	cmd_free(&d);
	for (size_t n = 0; n < b.len; n++)
		assert_int_not_equal(cmd_decode(b.data, n, &d), 0);
	/* trailing bytes, unknown flag bits */
	buf_append(&b, "x", 1);
	assert_int_equal(cmd_decode(b.data, b.len, &d), CAIRN_E_PARSE);
	b.len--;
	b.data[2] |= 0x80;
	assert_int_equal(cmd_decode(b.data, b.len, &d), CAIRN_E_PARSE);
	buf_free(&b);
	buf_free(&again);
}

static void test_autopilot_long_tag(void **state)
{
	(void)state;
	struct cmd c = autopilot_cmd();
	struct buf b = BUF_INIT;
	cmd_encode(&c, &b);
	/* rebuild with a tag of AUTOPILOT_TAG_MAX bytes: str length at offset 35 */
	struct buf bad = BUF_INIT;
	buf_append(&bad, b.data, 35);
	unsigned char len[4] = {AUTOPILOT_TAG_MAX, 0, 0, 0};
	buf_append(&bad, len, 4);
	for (int i = 0; i < AUTOPILOT_TAG_MAX; i++)
		buf_append(&bad, "z", 1);
	buf_append(&bad, b.data + 35 + 4 + 4, b.len - 35 - 4 - 4);
	struct cmd d;
	assert_int_equal(cmd_decode(bad.data, bad.len, &d), CAIRN_E_PARSE);
	buf_free(&b);
	buf_free(&bad);
}

static void put(struct store *s, uint64_t index, const char *key, const char *val)
{
	struct kv_op o = {.verb = KV_SET,
			  .key = (char *)key,
			  .value = (char *)val,
			  .value_len = strlen(val),
			  .has_value = true};
	struct txn_result res;
	struct store_txn *t = store_txn_begin(s, index);
	assert_int_equal(kvops_eval(s, t, &o, 1, &res), 0);
	store_txn_commit(t);
	txn_result_free(&res);
}

static void snapshot_of(struct store *s, struct buf *out)
{
	struct store_frozen *f = store_freeze(s);
	store_frozen_encode(f, out);
	store_frozen_release(f);
}

static int apply(struct store *s, uint64_t index, const struct buf *snap, struct txn_result *res)
{
	struct cmd c = {.type = CMD_RESTORE};
	c.u.restore.data = snap->data;
	c.u.restore.len = snap->len;
	struct buf enc = BUF_INIT;
	cmd_encode(&c, &enc);
	struct cmd d;
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), 0);
	assert_int_equal(d.u.restore.len, snap->len);
	memset(res, 0, sizeof(*res));
	int rc = restore_ops_apply(s, store_txn_begin(s, index), &d, index, res);
	cmd_free(&d);
	buf_free(&enc);
	return rc;
}

static void test_restore_apply(void **state)
{
	(void)state;
	struct store *src = store_new(), *dst = store_new();
	put(src, 5, "keep", "v");
	struct buf snap = BUF_INIT;
	snapshot_of(src, &snap);
	for (uint64_t i = 1; i <= 10; i++)
		put(dst, i, "extra", "x");
	struct txn_result res;
	assert_int_equal(apply(dst, 11, &snap, &res), 0);
	assert_int_equal(res.nerrors, 0);
	assert_int_equal(res.index, 11);
	txn_result_free(&res);
	assert_non_null(kv_get(dst, "keep"));
	assert_null(kv_get(dst, "extra"));
	assert_int_equal(store_index(dst), 11);

	/* a damaged snapshot: refused, store untouched (index moves to the entry) */
	snap.data[snap.len / 2] ^= 0xff;
	assert_int_not_equal(apply(dst, 12, &snap, &res), 0);
	assert_int_equal(res.nerrors, 1);
	assert_non_null(strstr(res.errors[0].what, "failed to restore snapshot"));
	txn_result_free(&res);
	assert_non_null(kv_get(dst, "keep"));
	assert_int_equal(store_index(dst), 12);

	/* an archive newer than the log keeps its own index */
	put(src, 50, "late", "v");
	buf_reset(&snap);
	snapshot_of(src, &snap);
	assert_int_equal(apply(dst, 13, &snap, &res), 0);
	txn_result_free(&res);
	assert_int_equal(store_index(dst), 50);
	assert_non_null(kv_get(dst, "late"));

	/* an empty body does not decode */
	struct cmd d;
	unsigned char empty[2] = {CMD_RESTORE, 1};
	assert_int_equal(cmd_decode(empty, sizeof(empty), &d), CAIRN_E_PARSE);
	buf_free(&snap);
	store_free(src);
	store_free(dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_autopilot_roundtrip),
	    cmocka_unit_test(test_autopilot_long_tag),
	    cmocka_unit_test(test_restore_apply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
