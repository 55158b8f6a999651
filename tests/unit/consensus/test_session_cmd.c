/*
 * Session commands and KV lock verbs: the create/destroy codec round-trips
 * every field and re-encodes to the same bytes; every truncation, a bad
 * behavior and trailing bytes are rejected; applying through session_ops
 * commits or aborts with Consul's message; kvops gives lock, unlock and
 * check-session Consul's results and error texts, with `code` set for a
 * missing or unknown session (the KV endpoint's 500).
 *
 * With CAIRN_WRITE_CMD_CORPUS=<dir>, test_write_corpus writes seeds for
 * tests/fuzz/corpus/cmd/.
 */
#include "base/err.h"
#include "consensus/catalog_ops.h"
#include "consensus/cmd.h"
#include "consensus/kvops.h"
#include "consensus/session_ops.h"
#include "state/catalog.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char *nchecks[] = {"serfHealth", "disk"};
static const char *legacy[] = {"old"};
static struct session_svc_check schecks[] = {{"web", ""}, {"db", "ns1"}};

static const struct session full = {.id = "5b3bd4a4-0b2a-4c1d-9e0f-1a2b3c4d5e6f",
				    .name = "leader",
				    .node = "n1",
				    .lock_delay_ns = 15000000000ULL,
				    .behavior = SESSION_DELETE,
				    .ttl = "10s",
				    .node_checks = nchecks,
				    .nnode_checks = 2,
				    .svc_checks = schecks,
				    .nsvc_checks = 2,
				    .checks = legacy,
				    .nchecks = 1};

static void encode(struct buf *b, const struct cmd *c)
{
	buf_reset(b);
	cmd_encode(c, b);
}

static void test_roundtrip(void **state)
{
	(void)state;
	struct cmd c = {.type = CMD_SESSION_CREATE, .u.sess = full}, d;
	struct buf enc = BUF_INIT, again = BUF_INIT;
	encode(&enc, &c);
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), 0);
	assert_int_equal(d.type, CMD_SESSION_CREATE);
	assert_string_equal(d.u.sess.id, full.id);
	assert_string_equal(d.u.sess.ttl, "10s");
	assert_int_equal(d.u.sess.behavior, SESSION_DELETE);
	assert_int_equal(d.u.sess.lock_delay_ns, 15000000000ULL);
	assert_int_equal(d.u.sess.nnode_checks, 2);
	assert_string_equal(d.u.sess.svc_checks[1].ns, "ns1");
	assert_string_equal(d.u.sess.checks[0], "old");
	encode(&again, &d);
	assert_int_equal(again.len, enc.len);
	assert_memory_equal(again.data, enc.data, enc.len);
	cmd_free(&d);
	for (size_t n = 0; n < enc.len; n++)
		assert_int_not_equal(cmd_decode(enc.data, n, &d), 0);
	buf_putc(&enc, 0);
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), CAIRN_E_PARSE);

	struct cmd x = {.type = CMD_SESSION_DESTROY, .u.session_id = "abc"};
	encode(&enc, &x);
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), 0);
	assert_string_equal(d.u.session_id, "abc");
	cmd_free(&d);
	buf_free(&enc);
	buf_free(&again);
}

static void test_bad_behavior(void **state)
{
	(void)state;
	struct session s = full;
	s.node_checks = NULL;
	s.nnode_checks = 0;
	s.nsvc_checks = 0;
	s.nchecks = 0;
	struct cmd c = {.type = CMD_SESSION_CREATE, .u.sess = s}, d;
	struct buf enc = BUF_INIT;
	encode(&enc, &c);
	/* header 2, id 4+36, name 4+6, node 4+2, lock delay 8: behavior next */
	size_t at = 2 + 40 + 10 + 6 + 8;
	assert_int_equal((unsigned char)enc.data[at], SESSION_DELETE);
	enc.data[at] = 2;
	assert_int_equal(cmd_decode(enc.data, enc.len, &d), CAIRN_E_PARSE);
	buf_free(&enc);
}

/* A store with node n1 (serfHealth passing) at index 1. */
static struct store *with_node(void)
{
	struct store *s = store_new();
	struct cat_node n = {.name = "n1", .address = "10.0.0.1", .datacenter = "dc1"};
	struct cat_check c = {.id = "serfHealth", .name = "Serf", .status = CAT_PASSING};
	struct cat_register r = {.node = &n, .checks = &c, .nchecks = 1};
	char *why = NULL;
	struct store_txn *t = store_txn_begin(s, 1);
	assert_int_equal(catalog_txn_register(t, &r, &why), 0);
	store_txn_commit(t);
	return s;
}

static void apply(struct store *s, uint64_t index, const struct cmd *c, struct txn_result *res)
{
	memset(res, 0, sizeof(*res));
	session_ops_apply(store_txn_begin(s, index), c, index, res);
}

static void test_apply(void **state)
{
	(void)state;
	struct store *s = with_node();
	struct txn_result res;
	struct cmd c = {.type = CMD_SESSION_CREATE, .u.sess = full};
	apply(s, 2, &c, &res);
	assert_string_equal(catalog_ops_error(&res), "Missing check 'old' registration");
	txn_result_free(&res);
	struct session ok = {.id = "s1", .node = "n1", .node_checks = nchecks, .nnode_checks = 1};
	c.u.sess = ok;
	apply(s, 3, &c, &res);
	assert_null(catalog_ops_error(&res));
	assert_int_equal(res.index, 3);
	txn_result_free(&res);
	assert_non_null(session_get(s, "s1"));
	struct cmd d = {.type = CMD_SESSION_DESTROY, .u.session_id = "s1"};
	apply(s, 4, &d, &res);
	assert_null(catalog_ops_error(&res));
	txn_result_free(&res);
	assert_null(session_get(s, "s1"));
	store_free(s);
}

static struct kv_op op(enum kv_verb v, const char *key, const char *sess)
{
	struct kv_op o = {.verb = v, .key = (char *)key, .session = (char *)sess};
	if (v == KV_LOCK || v == KV_UNLOCK) {
		o.value = (char *)"val";
		o.value_len = 3;
		o.has_value = true;
	}
	return o;
}

/* Evaluate one op at index; returns the error text ("" when none). */
static const char *eval1(struct store *s, uint64_t index, struct kv_op o, int *code)
{
	static char text[256];
	struct txn_result res;
	struct store_txn *t = store_txn_begin(s, index);
	if (kvops_eval(s, t, &o, 1, &res) == 0)
		store_txn_commit(t);
	else
		store_txn_abort(t);
	snprintf(text, sizeof(text), "%s", res.nerrors ? res.errors[0].what : "");
	*code = res.nerrors ? res.errors[0].code : 0;
	txn_result_free(&res);
	return text;
}

static void test_kv_lock_verbs(void **state)
{
	(void)state;
	struct store *s = with_node();
	struct txn_result res;
	int code;
	struct cmd c = {
	    .type = CMD_SESSION_CREATE,
	    .u.sess = {.id = "a", .node = "n1", .node_checks = nchecks, .nnode_checks = 1}};
	apply(s, 2, &c, &res);
	txn_result_free(&res);
	c.u.sess.id = "b";
	apply(s, 3, &c, &res);
	txn_result_free(&res);

	assert_string_equal(eval1(s, 4, op(KV_LOCK, "k", NULL), &code), "missing session");
	assert_int_not_equal(code, 0);
	assert_string_equal(eval1(s, 5, op(KV_LOCK, "k", "zz"), &code), "invalid session \"zz\"");
	assert_int_not_equal(code, 0);
	assert_string_equal(eval1(s, 6, op(KV_LOCK, "k", "a"), &code), "");
	assert_string_equal(eval1(s, 7, op(KV_LOCK, "k", "b"), &code),
			    "failed to lock key \"k\", lock is already held");
	assert_int_equal(code, 0);
	assert_string_equal(eval1(s, 8, op(KV_CHECK_SESSION, "k", "a"), &code), "");
	assert_string_equal(eval1(s, 9, op(KV_CHECK_SESSION, "k", "b"), &code),
			    "failed session check for key \"k\", current session \"a\" != \"b\"");
	assert_string_equal(eval1(s, 10, op(KV_CHECK_SESSION, "nope", "b"), &code),
			    "failed to check session, key \"nope\" doesn't exist");
	assert_string_equal(eval1(s, 11, op(KV_UNLOCK, "k", "b"), &code),
			    "failed to unlock key \"k\", lock isn't held, or is held by another "
			    "session");
	assert_string_equal(eval1(s, 12, op(KV_UNLOCK, "k", "a"), &code), "");
	assert_null(kv_get(s, "k")->session);
	store_free(s);
}

static void write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

static void test_write_corpus(void **state)
{
	(void)state;
	const char *dir = getenv("CAIRN_WRITE_CMD_CORPUS");
	if (!dir)
		return;
	struct buf enc = BUF_INIT;
	struct cmd c = {.type = CMD_SESSION_CREATE, .u.sess = full};
	encode(&enc, &c);
	write_file(dir, "session_create", enc.data, enc.len);
	write_file(dir, "session_create_trunc", enc.data, enc.len - 3);
	struct cmd d = {.type = CMD_SESSION_DESTROY, .u.session_id = full.id};
	encode(&enc, &d);
	write_file(dir, "session_destroy", enc.data, enc.len);
	struct kv_op ops[3] = {op(KV_LOCK, "svc/leader", full.id),
			       op(KV_CHECK_SESSION, "svc/leader", full.id),
			       op(KV_UNLOCK, "svc/leader", full.id)};
	struct cmd k = {.type = CMD_KV_TXN, .u.kv = {ops, 3}};
	encode(&enc, &k);
	write_file(dir, "kv_lock_unlock", enc.data, enc.len);
	buf_free(&enc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),	 cmocka_unit_test(test_bad_behavior),
	    cmocka_unit_test(test_apply),	 cmocka_unit_test(test_kv_lock_verbs),
	    cmocka_unit_test(test_write_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
