/*
 * Unit tests: the serf layer's codecs (serf_wire.c): join/leave intents and
 * the push-pull blob. Round trips, the exact bytes of serf.h's tables, and
 * strict rejection (truncated, trailing bytes, bad kind/version, reserved
 * flag bits, name length 0 or too long, NUL in a name).
 */
#include "gossip/serf_int.h"

#include "base/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static struct serf_intent intent(uint8_t kind, bool prune, uint64_t ltime, const char *name)
{
	struct serf_intent in = {.kind = kind, .prune = prune, .ltime = ltime};
	strcpy(in.name, name);
	return in;
}

static void test_intent_round_trip(void **state)
{
	(void)state;
	uint8_t b[SERF_INTENT_MAX];
	size_t len;
	struct serf_intent in = intent(SERF_WIRE_LEAVE, true, 0x0102030405060708ull, "node-1");
	assert_int_equal(serf_intent_encode(&in, b, sizeof(b), &len), 0);
	static const uint8_t want[] = {'L', 1, 1, 1,   2,   3,	 4,   5,   6,
				       7,   8, 6, 'n', 'o', 'd', 'e', '-', '1'};
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
	struct serf_intent out;
	assert_int_equal(serf_intent_decode(b, len, &out), 0);
	assert_int_equal(out.kind, SERF_WIRE_LEAVE);
	assert_true(out.prune);
	assert_true(out.ltime == in.ltime);
	assert_string_equal(out.name, "node-1");

	/* a join, and the longest name */
	char name[GOSSIP_NAME_MAX + 1];
	memset(name, 'a', GOSSIP_NAME_MAX);
	name[GOSSIP_NAME_MAX] = '\0';
	in = intent(SERF_WIRE_JOIN, false, 7, name);
	assert_int_equal(serf_intent_encode(&in, b, sizeof(b), &len), 0);
	assert_int_equal(len, SERF_INTENT_MAX);
	assert_int_equal(serf_intent_decode(b, len, &out), 0);
	assert_int_equal(out.kind, SERF_WIRE_JOIN);
	assert_false(out.prune);
	assert_string_equal(out.name, name);
}

static void test_intent_encode_refuses(void **state)
{
	(void)state;
	uint8_t b[SERF_INTENT_MAX];
	size_t len;
	struct serf_intent in = intent(SERF_WIRE_JOIN, true, 1, "a"); /* prune on a join */
	assert_int_equal(serf_intent_encode(&in, b, sizeof(b), &len), CAIRN_E_INVAL);
	in = intent('X', false, 1, "a");
	assert_int_equal(serf_intent_encode(&in, b, sizeof(b), &len), CAIRN_E_INVAL);
	in = intent(SERF_WIRE_LEAVE, false, 1, "");
	assert_int_equal(serf_intent_encode(&in, b, sizeof(b), &len), CAIRN_E_INVAL);
	in = intent(SERF_WIRE_LEAVE, false, 1, "abc");
	assert_int_equal(serf_intent_encode(&in, b, 14, &len), CAIRN_E_TOOBIG);
	assert_int_equal(serf_intent_encode(&in, b, 15, &len), 0);
}

static void test_intent_decode_strict(void **state)
{
	(void)state;
	uint8_t b[SERF_INTENT_MAX + 1];
	size_t len;
	struct serf_intent in = intent(SERF_WIRE_LEAVE, false, 9, "node"), out;
	assert_int_equal(serf_intent_encode(&in, b, sizeof(b), &len), 0);
	/* every truncation */
	for (size_t n = 0; n < len; n++)
		assert_int_equal(serf_intent_decode(b, n, &out), CAIRN_E_PARSE);
	/* a trailing byte */
	b[len] = 'x';
	assert_int_equal(serf_intent_decode(b, len + 1, &out), CAIRN_E_PARSE);
	/* another kind, another version */
	uint8_t c[sizeof(b)];
	memcpy(c, b, len);
	c[0] = 'Q';
	assert_int_equal(serf_intent_decode(c, len, &out), CAIRN_E_VERSION);
	assert_int_equal(serf_intent_decode(c, 1, &out), CAIRN_E_VERSION);
	memcpy(c, b, len);
	c[1] = 2;
	assert_int_equal(serf_intent_decode(c, len, &out), CAIRN_E_VERSION);
	/* reserved flag bits; prune on a join */
	for (int bit = 1; bit < 8; bit++) {
		memcpy(c, b, len);
		c[2] = (uint8_t)(1u << bit);
		assert_int_equal(serf_intent_decode(c, len, &out), CAIRN_E_PARSE);
	}
	memcpy(c, b, len);
	c[0] = SERF_WIRE_JOIN;
	c[2] = 1;
	assert_int_equal(serf_intent_decode(c, len, &out), CAIRN_E_PARSE);
	/* name length 0, a length past the end, a NUL in the name */
	memcpy(c, b, len);
	c[11] = 0;
	assert_int_equal(serf_intent_decode(c, 12, &out), CAIRN_E_PARSE);
	memcpy(c, b, len);
	c[11] = 5;
	assert_int_equal(serf_intent_decode(c, len, &out), CAIRN_E_PARSE);
	memcpy(c, b, len);
	c[13] = 0;
	assert_int_equal(serf_intent_decode(c, len, &out), CAIRN_E_PARSE);
	/* a name longer than GOSSIP_NAME_MAX */
	uint8_t big[12 + 200];
	memset(big, 'n', sizeof(big));
	memcpy(big, b, 11);
	big[11] = GOSSIP_NAME_MAX + 1;
	assert_int_equal(serf_intent_decode(big, 12 + GOSSIP_NAME_MAX + 1, &out), CAIRN_E_PARSE);
}

static void test_state_round_trip(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_append(&b, "xx", 2); /* the blob may start mid-buffer */
	size_t start = b.len;
	serf_state_begin(&b, 0x1122, 0x3344);
	size_t sec = serf_state_section(&b);
	serf_state_add(&b, sec, 5, "gone");
	serf_state_add(&b, sec, 0xffffffffffffffffull, "b");
	sec = serf_state_section(&b);
	serf_state_add(&b, sec, 9, "up");
	sec = serf_state_section(&b);
	serf_state_event(&b, sec, (const uint8_t *)"E1", 2);
	serf_state_event(&b, sec, (const uint8_t *)"Exyz", 4);
	const uint8_t *p = (const uint8_t *)b.data + start;
	size_t n = b.len - start;
	static const uint8_t head[] = {'S', 1, 0, 0, 0, 0,    0,    0, 0x11, 0x22, 0,
				       0,   0, 0, 0, 0, 0x33, 0x44, 0, 0,    0,	   2};
	assert_memory_equal(p, head, sizeof(head));
	assert_int_equal(n, sizeof(head) + (9 + 4) + (9 + 1) + 4 + (9 + 2) + 4 + (2 + 2) + (2 + 4));
	struct serf_state st;
	assert_int_equal(serf_state_decode(p, n, &st), 0);
	assert_true(st.clock == 0x1122 && st.event_clock == 0x3344);
	assert_int_equal(st.left.n, 2);
	assert_int_equal(st.stamps.n, 1);
	assert_int_equal(st.events.n, 2);
	size_t cur = 0;
	uint64_t lt;
	char name[GOSSIP_NAME_MAX + 1];
	assert_true(serf_state_next(&st.left, &cur, &lt, name));
	assert_true(lt == 5);
	assert_string_equal(name, "gone");
	assert_true(serf_state_next(&st.left, &cur, &lt, name));
	assert_true(lt == UINT64_MAX);
	assert_string_equal(name, "b");
	assert_false(serf_state_next(&st.left, &cur, &lt, name));
	cur = 0;
	assert_true(serf_state_next(&st.stamps, &cur, &lt, name));
	assert_true(lt == 9);
	assert_string_equal(name, "up");
	assert_false(serf_state_next(&st.stamps, &cur, &lt, name));
	const uint8_t *ev;
	size_t evlen;
	cur = 0;
	assert_true(serf_state_next_event(&st.events, &cur, &ev, &evlen));
	assert_int_equal(evlen, 2);
	assert_memory_equal(ev, "E1", 2);
	assert_true(serf_state_next_event(&st.events, &cur, &ev, &evlen));
	assert_int_equal(evlen, 4);
	assert_memory_equal(ev, "Exyz", 4);
	assert_false(serf_state_next_event(&st.events, &cur, &ev, &evlen));

	/* strictness: every truncation, a trailing byte, counts that do not add
	 * up, another kind or version, an empty name, an event not an event */
	for (size_t k = 0; k < n; k++)
		assert_int_not_equal(serf_state_decode(p, k, &st), 0);
	buf_putc(&b, 'z');
	p = (const uint8_t *)b.data + start;
	assert_int_equal(serf_state_decode(p, n + 1, &st), CAIRN_E_PARSE);
	uint8_t c[128];
	assert_true(n <= sizeof(c));
	for (uint8_t cnt = 0; cnt < 5; cnt++) {
		if (cnt == 2)
			continue;
		memcpy(c, p, n);
		c[21] = cnt;
		assert_int_equal(serf_state_decode(c, n, &st), CAIRN_E_PARSE);
	}
	memcpy(c, p, n);
	c[18] = 0xff;
	assert_int_equal(serf_state_decode(c, n, &st), CAIRN_E_PARSE);
	memcpy(c, p, n);
	c[1] = 9;
	assert_int_equal(serf_state_decode(c, n, &st), CAIRN_E_VERSION);
	c[0] = 'J';
	assert_int_equal(serf_state_decode(c, n, &st), CAIRN_E_VERSION);
	assert_int_equal(serf_state_decode(c, 1, &st), CAIRN_E_VERSION);
	memcpy(c, p, n);
	c[22 + 8] = 0; /* empty name */
	assert_int_equal(serf_state_decode(c, n, &st), CAIRN_E_PARSE);
	memcpy(c, p, n);
	c[22 + 9 + 1] = 0; /* NUL in a name */
	assert_int_equal(serf_state_decode(c, n, &st), CAIRN_E_PARSE);
	memcpy(c, p, n);
	c[n - 4] = 'X'; /* not an event */
	assert_int_equal(serf_state_decode(c, n, &st), CAIRN_E_PARSE);
	memcpy(c, p, n);
	c[n - 6] = 0; /* an empty event */
	c[n - 5] = 0;
	assert_int_equal(serf_state_decode(c, n, &st), CAIRN_E_PARSE);
	buf_free(&b);

	/* empty: the header and three zero counts */
	struct buf e = BUF_INIT;
	serf_state_begin(&e, 0, 0);
	serf_state_section(&e);
	serf_state_section(&e);
	serf_state_section(&e);
	assert_int_equal(e.len, 30);
	assert_int_equal(serf_state_decode((const uint8_t *)e.data, e.len, &st), 0);
	assert_int_equal(st.left.n + st.stamps.n + st.events.n, 0);
	buf_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_intent_round_trip),
	    cmocka_unit_test(test_intent_encode_refuses),
	    cmocka_unit_test(test_intent_decode_strict),
	    cmocka_unit_test(test_state_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
