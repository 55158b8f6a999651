/* Unit tests: the gossip wire codec (gossip/wire.h): round trips of every
 * message type, compound packets, stream frames, and strict rejection. */
#include "base/err.h"
#include "gossip/wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct gaddr v4(uint8_t last, uint16_t port)
{
	struct gaddr a = {.family = 4, .ip = {10, 0, 0, last}, .port = port};
	return a;
}

/* One valid message of each packet type. */
static int sample(int i, struct gmsg *m)
{
	memset(m, 0, sizeof(*m));
	switch (i) {
	case 0:
		m->type = GMSG_PING;
		m->u.ping.seq = 7;
		strcpy(m->u.ping.node, "node-b");
		m->u.ping.source = v4(1, 8301);
		strcpy(m->u.ping.source_node, "node-a");
		return 1;
	case 1:
		m->type = GMSG_INDIRECT_PING;
		m->u.indirect.seq = 0xfffffffe;
		m->u.indirect.target.family = 6;
		memset(m->u.indirect.target.ip, 0xab, 16);
		m->u.indirect.target.port = 8302;
		strcpy(m->u.indirect.node, "c");
		m->u.indirect.want_nack = true;
		m->u.indirect.source = v4(2, 1);
		return 1;
	case 2:
		m->type = GMSG_ACK;
		m->u.ack.seq = 9;
		m->u.ack.payload_len = 3;
		memcpy(m->u.ack.payload, "xyz", 3);
		return 1;
	case 3:
		m->type = GMSG_NACK;
		m->u.nack.seq = 10;
		return 1;
	case 4:
	case 6:
		m->type = i == 4 ? GMSG_SUSPECT : GMSG_DEAD;
		m->u.suspect.incarnation = 42;
		strcpy(m->u.suspect.node, "victim");
		strcpy(m->u.suspect.from, "accuser");
		return 1;
	case 5:
		m->type = GMSG_ALIVE;
		strcpy(m->u.alive.name, "n1");
		m->u.alive.addr = v4(3, 8301);
		m->u.alive.incarnation = 5;
		memcpy(m->u.alive.vsn, "\1\5\2\2\5\4", 6);
		m->u.alive.meta_len = 4;
		memcpy(m->u.alive.meta, "dc=x", 4);
		return 1;
	case 7:
		m->type = GMSG_USER;
		m->u.user.len = 5;
		memcpy(m->u.user.data, "event", 5);
		return 1;
	default:
		return 0;
	}
}

static void test_roundtrip_each(void **state)
{
	(void)state;
	struct gmsg m, d;
	for (int i = 0; sample(i, &m); i++) {
		struct buf b = BUF_INIT;
		gwire_packet_begin(&b);
		gwire_put_msg(&b, &m);
		assert_int_equal(b.len, GWIRE_PKT_HDR + gwire_msg_size(&m));
		assert_int_equal(gwire_packet_check((uint8_t *)b.data, b.len), 1);
		struct gwire_iter it;
		assert_int_equal(gwire_iter_init(&it, (uint8_t *)b.data, b.len), 0);
		assert_int_equal(gwire_iter_next(&it, &d), 1);
		assert_int_equal(d.type, m.type);
		struct buf b2 = BUF_INIT;
		gwire_packet_begin(&b2);
		gwire_put_msg(&b2, &d);
		assert_int_equal(b2.len, b.len);
		assert_memory_equal(b2.data, b.data, b.len);
		assert_int_equal(gwire_iter_next(&it, &d), 0);
		buf_free(&b);
		buf_free(&b2);
	}
	sample(5, &m);
	struct buf b = BUF_INIT;
	gwire_packet_begin(&b);
	gwire_put_msg(&b, &m);
	struct gwire_iter it;
	gwire_iter_init(&it, (uint8_t *)b.data, b.len);
	assert_int_equal(gwire_iter_next(&it, &d), 1);
	assert_string_equal(d.u.alive.name, "n1");
	assert_int_equal(d.u.alive.incarnation, 5);
	assert_memory_equal(d.u.alive.meta, "dc=x", 4);
	assert_true(gaddr_equal(&d.u.alive.addr, &m.u.alive.addr));
	buf_free(&b);
}

static void test_compound(void **state)
{
	(void)state;
	struct gmsg m;
	struct buf b = BUF_INIT;
	gwire_packet_begin(&b);
	int n = 0;
	for (int i = 0; sample(i, &m); i++, n++)
		gwire_put_msg(&b, &m);
	assert_int_equal(gwire_packet_check((uint8_t *)b.data, b.len), n);
	for (size_t cut = 1; cut < b.len; cut++) {
		int r = gwire_packet_check((uint8_t *)b.data, cut);
		/* a cut exactly at a message boundary leaves a valid shorter packet */
		assert_true(r < 0 || r < n);
	}
	buf_free(&b);
}

static void expect_bad(const uint8_t *p, size_t n)
{
	assert_int_equal(gwire_packet_check(p, n), CAIRN_E_PARSE);
}

static void test_rejects(void **state)
{
	(void)state;
	/* wrong version, empty, header only */
	expect_bad((const uint8_t *)"\2\3\0\4\0\0\0\1", 8);
	expect_bad((const uint8_t *)"", 0);
	expect_bad((const uint8_t *)"\1", 1);
	/* nack with a short and a long body */
	expect_bad((const uint8_t *)"\1\4\0\3\0\0\0", 7);
	expect_bad((const uint8_t *)"\1\4\0\5\0\0\0\1\0", 9);
	/* length running past the end */
	expect_bad((const uint8_t *)"\1\4\0\x09\0\0\0\1", 8);
	/* unknown type, push_pull in a packet */
	expect_bad((const uint8_t *)"\1\x63\0\4\0\0\0\1", 8);
	expect_bad((const uint8_t *)"\1\x08\0\4\0\0\0\1", 8);
	/* suspect with an empty node name */
	expect_bad((const uint8_t *)"\1\5\0\7\0\0\0\1\0\1a", 11);
	/* name with a NUL */
	expect_bad((const uint8_t *)"\1\5\0\x09\0\0\0\1\2a\0\1a", 13);
	/* indirect with reserved flag bits */
	struct gmsg m;
	sample(1, &m);
	struct buf b = BUF_INIT;
	gwire_packet_begin(&b);
	gwire_put_msg(&b, &m);
	size_t flag_off = 1 + 3 + 4 + 1 + 16 + 2 + 2;
	assert_int_equal((uint8_t)b.data[flag_off], 1);
	b.data[flag_off] = 3;
	expect_bad((uint8_t *)b.data, b.len);
	b.data[flag_off] = 1;
	/* bad address family */
	b.data[1 + 3 + 4] = 5;
	expect_bad((uint8_t *)b.data, b.len);
	buf_free(&b);
	/* ack payload over the limit */
	sample(2, &m);
	m.u.ack.payload_len = GOSSIP_PAYLOAD_MAX;
	b = (struct buf)BUF_INIT;
	gwire_packet_begin(&b);
	gwire_put_msg(&b, &m);
	assert_int_equal(gwire_packet_check((uint8_t *)b.data, b.len), 1);
	b.data[1 + 3 + 4] = (char)(uint8_t)(GOSSIP_PAYLOAD_MAX + 1);
	expect_bad((uint8_t *)b.data, b.len);
	buf_free(&b);
}

static void test_stream_push_pull(void **state)
{
	(void)state;
	struct gmember mem[3];
	memset(mem, 0, sizeof(mem));
	for (int i = 0; i < 3; i++) {
		snprintf(mem[i].name, sizeof(mem[i].name), "m%d", i);
		mem[i].addr = v4((uint8_t)i, 8301);
		mem[i].incarnation = (uint32_t)i * 3;
		mem[i].state = (enum gstate)i;
		mem[i].meta_len = (uint16_t)i;
		memset(mem[i].meta, 'x', (size_t)i);
	}
	struct gmsg m = {.type = GMSG_PUSH_PULL};
	m.u.push_pull.join = true;
	m.u.push_pull.nmembers = 3;
	m.u.push_pull.members = mem;
	m.u.push_pull.user_len = 4;
	m.u.push_pull.user = (uint8_t *)"blob";
	struct buf b = BUF_INIT;
	gwire_stream_encode(&b, &m);
	assert_int_equal(b.len, GWIRE_STREAM_HDR + gwire_body_size(&m));
	size_t total = 0;
	assert_int_equal(gwire_stream_need((uint8_t *)b.data, 3, &total), 1);
	assert_int_equal(gwire_stream_need((uint8_t *)b.data, b.len, &total), 0);
	assert_int_equal(total, b.len);

	/* the streaming encoder gives the same bytes */
	struct buf b2 = BUF_INIT;
	size_t start = gwire_pp_begin(&b2, true, 3);
	for (int i = 0; i < 3; i++)
		gwire_pp_member(&b2, &mem[i]);
	gwire_pp_end(&b2, start, (const uint8_t *)"blob", 4);
	assert_int_equal(b2.len, b.len);
	assert_memory_equal(b2.data, b.data, b.len);

	struct gmsg d;
	assert_int_equal(gwire_stream_decode((uint8_t *)b.data, b.len, &d), 0);
	assert_int_equal(d.type, GMSG_PUSH_PULL);
	assert_true(d.u.push_pull.join);
	assert_int_equal(d.u.push_pull.nmembers, 3);
	assert_int_equal(d.u.push_pull.members[2].state, GSTATE_DEAD);
	assert_string_equal(d.u.push_pull.members[1].name, "m1");
	assert_memory_equal(d.u.push_pull.user, "blob", 4);
	gmsg_free(&d);

	/* truncations and bad state bytes are rejected */
	for (size_t cut = 0; cut < b.len; cut++)
		assert_int_equal(gwire_stream_decode((uint8_t *)b.data, cut, &d), CAIRN_E_PARSE);
	b.data[b.len - 9] = 4; /* last member's state byte */
	assert_int_equal(gwire_stream_decode((uint8_t *)b.data, b.len, &d), CAIRN_E_PARSE);
	/* a count the input cannot hold is refused before allocating */
	b.data[GWIRE_STREAM_HDR + 1] = 0x7f;
	assert_int_equal(gwire_stream_decode((uint8_t *)b.data, b.len, &d), CAIRN_E_PARSE);
	buf_free(&b);
	buf_free(&b2);

	/* a stream frame of a packet-only type is refused by the header check */
	assert_int_equal(gwire_stream_need((const uint8_t *)"\1\5\0\0\0\0", 6, &total),
			 CAIRN_E_PARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_each),
	    cmocka_unit_test(test_compound),
	    cmocka_unit_test(test_rejects),
	    cmocka_unit_test(test_stream_push_pull),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
