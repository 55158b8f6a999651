/*
 * Unit tests of member tags (src/gossip/tags.c, tags_consul.c): the sorted
 * map, the canonical wire form and its strict decoder, the 512-byte limit,
 * and Consul's tag conventions as `consul members` shows them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "gossip/tags.h"

#include <string.h>

static void test_map(void **state)
{
	struct tags t = TAGS_INIT;
	assert_int_equal(tags_set(&t, "role", "node"), 0);
	assert_int_equal(tags_set(&t, "dc", "dc1"), 0);
	assert_int_equal(tags_set(&t, "build", "1.17.0:abc"), 0);
	assert_int_equal(tags_set(&t, "dc", "dc2"), 0); /* replace */
	assert_int_equal(t.n, 3);
	assert_string_equal(t.items[0].key, "build");
	assert_string_equal(t.items[1].key, "dc");
	assert_string_equal(tags_get(&t, "dc"), "dc2");
	assert_null(tags_get(&t, "nope"));
	assert_true(tags_del(&t, "build"));
	assert_false(tags_del(&t, "build"));
	assert_int_equal(t.n, 2);
	assert_int_equal(tags_set(&t, "", "x"), CAIRN_E_INVAL);
	char longkey[300];
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[299] = 0;
	assert_int_equal(tags_set(&t, longkey, "x"), CAIRN_E_INVAL);
	tags_free(&t);
}

static void test_roundtrip(void **state)
{
	struct tags t = TAGS_INIT, u = TAGS_INIT;
	tags_set(&t, "role", "consul");
	tags_set(&t, "dc", "dc1");
	tags_set(&t, "port", "8300");
	tags_set(&t, "bootstrap", "");
	tags_set(&t, "x-future-tag", "kept \xe2\x9c\x93");
	uint8_t buf[TAGS_META_MAX];
	size_t len;
	assert_int_equal(tags_encode(&t, buf, sizeof(buf), &len, NULL), 0);
	assert_int_equal(len, tags_encoded_size(&t));
	assert_int_equal(buf[0], TAGS_WIRE_VERSION);
	assert_int_equal(buf[1], 5);
	/* first pair: "bootstrap" = "" */
	assert_int_equal(buf[2], 9);
	assert_memory_equal(buf + 3, "bootstrap\0\0", 11);
	assert_int_equal(tags_decode(buf, len, &u), 0);
	assert_true(tags_equal(&t, &u));
	assert_string_equal(tags_get(&u, "x-future-tag"), "kept \xe2\x9c\x93");
	/* empty map */
	struct tags e = TAGS_INIT;
	assert_int_equal(tags_encode(&e, buf, sizeof(buf), &len, NULL), 0);
	assert_int_equal(len, 2);
	assert_int_equal(tags_decode(buf, len, &u), 0);
	assert_int_equal(u.n, 0);
	tags_free(&t);
	tags_free(&u);
}

static void test_too_big(void **state)
{
	struct tags t = TAGS_INIT;
	char val[200];
	memset(val, 'v', sizeof(val) - 1);
	val[199] = 0;
	tags_set(&t, "a", val);
	tags_set(&t, "b", val);
	uint8_t buf[TAGS_META_MAX];
	size_t len;
	assert_int_equal(tags_encode(&t, buf, sizeof(buf), &len, NULL), 0);
	tags_set(&t, "c", val);
	struct buf err = BUF_INIT;
	assert_int_equal(tags_encode(&t, buf, sizeof(buf), &len, &err), CAIRN_E_TOOBIG);
	assert_string_equal(buf_cstr(&err),
			    "node tags are too large: 611 bytes encoded, the limit is 512 bytes");
	buf_free(&err);
	tags_free(&t);
}

static int decode(const char *bytes, size_t n)
{
	struct tags t = TAGS_INIT;
	int rc = tags_decode(bytes, n, &t);
	if (rc)
		assert_int_equal(t.n, 0);
	tags_free(&t);
	return rc;
}

static void test_strict_decode(void **state)
{
	/* good: {"a":"x","b":""} */
	assert_int_equal(decode("\1\2\1a\0\1x\1b\0\0", 11), 0);
	assert_int_equal(decode("", 0), CAIRN_E_PARSE);
	assert_int_equal(decode("\2\0", 2), CAIRN_E_VERSION);
	assert_int_equal(decode("\1", 1), CAIRN_E_PARSE);
	assert_int_equal(decode("\1\2\1a\0\1x\1b\0\0\0", 13), CAIRN_E_PARSE); /* trailing */
	assert_int_equal(decode("\1\2\1a\0\1x\1b\0", 10), CAIRN_E_PARSE);     /* short */
	assert_int_equal(decode("\1\2\1b\0\1x\1a\0\0", 11), CAIRN_E_PARSE);   /* unsorted */
	assert_int_equal(decode("\1\2\1a\0\1x\1a\0\0", 11), CAIRN_E_PARSE);   /* duplicate */
	assert_int_equal(decode("\1\2\2ab\0\0\1a\0\0", 11), CAIRN_E_PARSE);   /* "ab" > "a" */
	assert_int_equal(decode("\1\2\1a\0\0\2ab\0\0", 11), 0);		      /* "a" < "ab" */
	assert_int_equal(decode("\1\1\0\0\0", 5), CAIRN_E_PARSE);	      /* empty key */
	assert_int_equal(decode("\1\1\1\0\0\0", 6), CAIRN_E_PARSE);	      /* NUL key */
	assert_int_equal(decode("\1\1\1a\0\1\0", 7), CAIRN_E_PARSE);	      /* NUL value */
	assert_int_equal(decode("\1\1\1a\xff\xff", 6), CAIRN_E_PARSE);	      /* long value */
	assert_int_equal(decode("\1\1\xff", 3), CAIRN_E_PARSE);		      /* long key */
	char big[TAGS_META_MAX + 1] = {1, 0};
	assert_int_equal(decode(big, sizeof(big)), CAIRN_E_PARSE);
}

static void test_consul_server(void **state)
{
	struct tags t = TAGS_INIT;
	struct consul_tags in = {
	    .role = CONSUL_ROLE_SERVER,
	    .dc = "dc1",
	    .id = "f6c5f6f8-6a44-4b8b-8f3a-4a8d3a5a9b0c",
	    .build = "1.17.0:4e3f428b",
	    .vsn = 2,
	    .vsn_min = 2,
	    .vsn_max = 3,
	    .raft_vsn = 3,
	    .port = 8300,
	    .wan_join_port = 8302,
	    .expect = 3,
	};
	consul_tags_put(&in, &t);
	tags_set(&t, "ft_fs", "1"); /* a tag we do not model */
	assert_string_equal(tags_get(&t, "role"), "consul");
	assert_string_equal(tags_get(&t, "expect"), "3");
	assert_null(tags_get(&t, "bootstrap"));
	struct consul_tags out;
	assert_int_equal(consul_tags_parse(&t, &out, NULL), 0);
	assert_int_equal(out.role, CONSUL_ROLE_SERVER);
	assert_string_equal(out.dc, "dc1");
	assert_int_equal(out.port, 8300);
	assert_int_equal(out.expect, 3);
	assert_int_equal(out.raft_vsn, 3);
	assert_false(out.bootstrap);
	assert_string_equal(consul_tags_type(&out), "server");
	assert_string_equal(consul_tags_segment(&out), "<all>");
	assert_string_equal(consul_tags_partition(&out), "default");
	struct buf b = BUF_INIT;
	consul_tags_build(&out, &b);
	assert_string_equal(buf_cstr(&b), "1.17.0");
	buf_free(&b);
	assert_string_equal(tags_get(&t, "ft_fs"), "1");
	/* a server without a port, or a bad number, is refused */
	tags_del(&t, "port");
	struct buf err = BUF_INIT;
	assert_int_equal(consul_tags_parse(&t, &out, &err), CAIRN_E_PARSE);
	assert_string_equal(buf_cstr(&err), "server member has no port tag");
	buf_reset(&err);
	tags_set(&t, "port", "83x0");
	assert_int_equal(consul_tags_parse(&t, &out, &err), CAIRN_E_PARSE);
	assert_string_equal(buf_cstr(&err), "member tag port is not a valid number: \"83x0\"");
	tags_set(&t, "port", "-1");
	assert_int_equal(consul_tags_parse(&t, &out, NULL), CAIRN_E_PARSE);
	tags_set(&t, "port", "99999999999");
	assert_int_equal(consul_tags_parse(&t, &out, NULL), CAIRN_E_PARSE);
	buf_free(&err);
	tags_free(&t);
}

static void test_consul_client(void **state)
{
	struct tags t = TAGS_INIT;
	tags_set(&t, "role", "node");
	tags_set(&t, "dc", "dc1");
	tags_set(&t, "vsn", "2");
	struct consul_tags ct;
	assert_int_equal(consul_tags_parse(&t, &ct, NULL), 0);
	assert_string_equal(consul_tags_type(&ct), "client");
	assert_string_equal(consul_tags_segment(&ct), "<default>");
	assert_int_equal(ct.port, -1);
	assert_int_equal(ct.vsn, 2);
	struct buf b = BUF_INIT;
	consul_tags_build(&ct, &b);
	assert_string_equal(buf_cstr(&b), "< 0.3");
	buf_free(&b);
	tags_set(&t, "role", "nomad");
	tags_set(&t, "bootstrap", "1");
	assert_int_equal(consul_tags_parse(&t, &ct, NULL), 0);
	assert_string_equal(consul_tags_type(&ct), "unknown");
	assert_true(ct.bootstrap);
	tags_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_map),		  cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_too_big),	  cmocka_unit_test(test_strict_decode),
	    cmocka_unit_test(test_consul_server), cmocka_unit_test(test_consul_client),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
