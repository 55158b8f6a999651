/*
 * Unit tests: the keyring operation messages (pool_keyring_wire.c). The exact
 * bytes of pool_keyring.h's tables, round trips, the size limit, and strict
 * rejection (other kind/version, unknown operation, reserved flag bits,
 * truncation, trailing bytes, bad name/key/message lengths, NUL bytes).
 */
#include "gossip/pool_keyring.h"

#include "base/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static struct pool_keyring_wire request(uint8_t op, const char *name, size_t keylen)
{
	struct pool_keyring_wire m = {.kind = POOL_KEYRING_REQ, .op = op, .primary = 0xff};
	m.qid = 0x0102030405060708ull;
	strcpy(m.name, name);
	m.key.len = (uint8_t)keylen;
	for (size_t i = 0; i < keylen; i++)
		m.key.b[i] = (uint8_t)(0xa0 + i);
	return m;
}

static struct pool_keyring_wire response(uint8_t op, bool ok, const char *name, const char *msg,
					 size_t nkeys)
{
	struct pool_keyring_wire m = {.kind = POOL_KEYRING_RESP, .op = op, .ok = ok};
	m.qid = 42;
	strcpy(m.name, name);
	strcpy(m.msg, msg);
	m.nkeys = (uint8_t)nkeys;
	m.primary = nkeys ? 0 : 0xff;
	for (size_t i = 0; i < nkeys; i++) {
		m.keys[i].len = 16;
		memset(m.keys[i].b, (int)i + 1, 16);
	}
	return m;
}

static void test_request_bytes(void **state)
{
	(void)state;
	uint8_t b[GOSSIP_USER_MAX];
	size_t len;
	struct pool_keyring_wire m = request(POOL_KEYRING_USE, "n1", 16);
	assert_int_equal(pool_keyring_encode(&m, b, sizeof(b), &len), 0);
	static const uint8_t head[] = {'K', 1, 2, 0, 1, 2, 3, 4, 5, 6, 7, 8, 2, 'n', '1', 16};
	assert_int_equal(len, sizeof(head) + 16);
	assert_memory_equal(b, head, sizeof(head));
	assert_memory_equal(b + sizeof(head), m.key.b, 16);

	struct pool_keyring_wire out;
	assert_int_equal(pool_keyring_decode(b, len, &out), 0);
	assert_int_equal(out.kind, POOL_KEYRING_REQ);
	assert_int_equal(out.op, POOL_KEYRING_USE);
	assert_true(out.qid == m.qid);
	assert_string_equal(out.name, "n1");
	assert_int_equal(out.key.len, 16);
	assert_memory_equal(out.key.b, m.key.b, 16);

	/* a list carries no key; a wrong-sized key still travels (members refuse it) */
	m = request(POOL_KEYRING_LIST, "n1", 0);
	assert_int_equal(pool_keyring_encode(&m, b, sizeof(b), &len), 0);
	assert_int_equal(len, 16);
	assert_int_equal(pool_keyring_decode(b, len, &out), 0);
	m = request(POOL_KEYRING_INSTALL, "n1", 10);
	assert_int_equal(pool_keyring_encode(&m, b, sizeof(b), &len), 0);
	assert_int_equal(pool_keyring_decode(b, len, &out), 0);
	assert_int_equal(out.key.len, 10);
}

static void test_response_bytes(void **state)
{
	(void)state;
	uint8_t b[GOSSIP_USER_MAX];
	size_t len;
	struct pool_keyring_wire m = response(POOL_KEYRING_LIST, true, "n2", "hi", 2);
	m.primary = 1;
	assert_int_equal(pool_keyring_encode(&m, b, sizeof(b), &len), 0);
	static const uint8_t head[] = {'R', 1, 4,   1,	 0, 0, 0,   0,	 0, 0, 0,
				       42,  2, 'n', '2', 0, 2, 'h', 'i', 2, 1, 16};
	assert_int_equal(len, sizeof(head) + 16 + 1 + 16);
	assert_memory_equal(b, head, sizeof(head));

	struct pool_keyring_wire out;
	assert_int_equal(pool_keyring_decode(b, len, &out), 0);
	assert_int_equal(out.kind, POOL_KEYRING_RESP);
	assert_true(out.ok);
	assert_string_equal(out.msg, "hi");
	assert_int_equal(out.nkeys, 2);
	assert_int_equal(out.primary, 1);
	assert_memory_equal(out.keys[1].b, m.keys[1].b, 16);

	/* a failure with its message, no keys */
	m = response(POOL_KEYRING_REMOVE, false, "n3", "Removing the primary key is not allowed",
		     0);
	assert_int_equal(pool_keyring_encode(&m, b, sizeof(b), &len), 0);
	assert_int_equal(pool_keyring_decode(b, len, &out), 0);
	assert_false(out.ok);
	assert_int_equal(out.primary, 0xff);
	assert_string_equal(out.msg, "Removing the primary key is not allowed");
}

static void test_encode_limits(void **state)
{
	(void)state;
	uint8_t b[GOSSIP_USER_MAX];
	size_t len;
	/* 32 keys of 32 bytes with a long name do not fit one broadcast */
	char name[GOSSIP_NAME_MAX + 1];
	memset(name, 'a', GOSSIP_NAME_MAX);
	name[GOSSIP_NAME_MAX] = '\0';
	struct pool_keyring_wire m = response(POOL_KEYRING_LIST, true, name, "", 0);
	m.nkeys = POOL_KEYRING_KEYS_MAX;
	m.primary = 0;
	for (size_t i = 0; i < m.nkeys; i++)
		m.keys[i].len = 32;
	assert_int_equal(pool_keyring_encode(&m, b, sizeof(b), &len), CAIRN_E_TOOBIG);
	m.nkeys = 20;
	assert_int_equal(pool_keyring_encode(&m, b, sizeof(b), &len), 0);
	assert_int_equal(pool_keyring_encode(&m, b, 10, &len), CAIRN_E_TOOBIG);

	/* fields out of range */
	m.primary = 20;
	assert_int_equal(pool_keyring_encode(&m, b, sizeof(b), &len), CAIRN_E_INVAL);
	m = response(POOL_KEYRING_LIST, true, "n", "", 1);
	m.keys[0].len = 7;
	assert_int_equal(pool_keyring_encode(&m, b, sizeof(b), &len), CAIRN_E_INVAL);
	m = request(POOL_KEYRING_LIST, "n", 16); /* list with a key */
	assert_int_equal(pool_keyring_encode(&m, b, sizeof(b), &len), CAIRN_E_INVAL);
	m = request(9, "n", 0);
	assert_int_equal(pool_keyring_encode(&m, b, sizeof(b), &len), CAIRN_E_INVAL);
	m = request(POOL_KEYRING_USE, "", 16);
	assert_int_equal(pool_keyring_encode(&m, b, sizeof(b), &len), CAIRN_E_INVAL);
}

/* Decode after changing byte at to v. */
static int poke(const uint8_t *b, size_t len, size_t at, uint8_t v)
{
	uint8_t c[GOSSIP_USER_MAX];
	memcpy(c, b, len);
	c[at] = v;
	struct pool_keyring_wire out;
	return pool_keyring_decode(c, len, &out);
}

static void test_decode_strict(void **state)
{
	(void)state;
	uint8_t b[GOSSIP_USER_MAX];
	size_t len, rlen;
	struct pool_keyring_wire out;
	struct pool_keyring_wire m = request(POOL_KEYRING_INSTALL, "node", 16);
	assert_int_equal(pool_keyring_encode(&m, b, sizeof(b), &len), 0);

	assert_int_equal(poke(b, len, 0, 'E'), CAIRN_E_VERSION); /* another kind */
	assert_int_equal(poke(b, len, 1, 2), CAIRN_E_VERSION);	 /* another version */
	assert_int_equal(poke(b, len, 2, 0), CAIRN_E_PARSE);	 /* unknown operation */
	assert_int_equal(poke(b, len, 2, 5), CAIRN_E_PARSE);
	assert_int_equal(poke(b, len, 3, 1), CAIRN_E_PARSE);   /* flags on a request */
	assert_int_equal(poke(b, len, 12, 0), CAIRN_E_PARSE);  /* empty name */
	assert_int_equal(poke(b, len, 14, 0), CAIRN_E_PARSE);  /* NUL in the name */
	assert_int_equal(poke(b, len, 17, 33), CAIRN_E_PARSE); /* key too long */
	assert_int_equal(poke(b, len, 2, POOL_KEYRING_LIST), CAIRN_E_PARSE); /* list + key */
	for (size_t n = 0; n < len; n++)
		assert_int_not_equal(pool_keyring_decode(b, n, &out), 0);
	b[len] = 0;
	assert_int_equal(pool_keyring_decode(b, len + 1, &out), CAIRN_E_PARSE);

	uint8_t r[GOSSIP_USER_MAX];
	m = response(POOL_KEYRING_LIST, true, "node", "ok", 1);
	assert_int_equal(pool_keyring_encode(&m, r, sizeof(r), &rlen), 0);
	assert_int_equal(pool_keyring_decode(r, rlen, &out), 0);
	/* 'R' 1 op flags qid(8) 4 "node" 0 2 "ok" nkeys primary 16 key */
	assert_int_equal(poke(r, rlen, 3, 2), CAIRN_E_PARSE);	/* reserved flag bit */
	assert_int_equal(poke(r, rlen, 20, 'x'), 0);		/* message bytes are text */
	assert_int_equal(poke(r, rlen, 19, 0), CAIRN_E_PARSE);	/* NUL in the message */
	assert_int_equal(poke(r, rlen, 21, 2), CAIRN_E_PARSE);	/* more keys than bytes */
	assert_int_equal(poke(r, rlen, 21, 33), CAIRN_E_PARSE); /* over the key count limit */
	assert_int_equal(poke(r, rlen, 22, 1), CAIRN_E_PARSE);	/* primary out of range */
	assert_int_equal(poke(r, rlen, 22, 0xff), 0);		/* no primary */
	assert_int_equal(poke(r, rlen, 23, 20), CAIRN_E_PARSE); /* key length 20 */
	assert_int_equal(poke(r, rlen, 2, POOL_KEYRING_USE), CAIRN_E_PARSE); /* keys, not list */
	for (size_t n = 0; n < rlen; n++)
		assert_int_not_equal(pool_keyring_decode(r, n, &out), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_bytes),
	    cmocka_unit_test(test_response_bytes),
	    cmocka_unit_test(test_encode_limits),
	    cmocka_unit_test(test_decode_strict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
