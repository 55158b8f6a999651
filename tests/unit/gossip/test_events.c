/*
 * Unit tests of user events (src/gossip/events*.c): the broadcast bytes and
 * their strict decoder, Consul's validation messages, serf's de-duplication
 * window, the ring of the last 256 with Consul's list index, the node /
 * service / tag filters, and the JSON shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "gossip/events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void make_id(uint8_t id[16], unsigned n)
{
	memset(id, 0, 16);
	id[0] = 0xab;
	id[14] = (uint8_t)(n >> 8);
	id[15] = (uint8_t)n;
}

static void deploy(struct event *e, unsigned n)
{
	uint8_t id[16];
	make_id(id, n);
	event_set(e, id, "deploy", "1609030", 7, "", "web", "v1");
	e->ltime = 1000 + n;
}

static void test_roundtrip(void **state)
{
	struct event e, d;
	deploy(&e, 7);
	struct buf b = BUF_INIT;
	assert_int_equal(event_encode(&e, &b, NULL), 0);
	assert_int_equal(b.len, EVENT_HEADER_SIZE + 6 + 7 + 3 + 2);
	assert_int_equal((uint8_t)b.data[0], EVENT_WIRE_KIND);
	assert_int_equal((uint8_t)b.data[1], EVENT_WIRE_VERSION);
	assert_int_equal((uint8_t)b.data[2], EVENT_VERSION);
	assert_int_equal((uint8_t)b.data[10], 0x03); /* ltime 1007 = 0x3ef */
	assert_int_equal((uint8_t)b.data[11], 0xef);
	assert_int_equal(event_decode(b.data, b.len, &d), 0);
	assert_memory_equal(d.id, e.id, 16);
	assert_string_equal(d.name, "deploy");
	assert_int_equal(d.payload_len, 7);
	assert_memory_equal(d.payload, "1609030", 7);
	assert_string_equal(d.node_filter, "");
	assert_string_equal(d.service_filter, "web");
	assert_string_equal(d.tag_filter, "v1");
	assert_int_equal(d.version, 1);
	assert_int_equal(d.ltime, 1007);
	event_free(&d);
	/* no payload, binary payload */
	event_free(&e);
	uint8_t id[16] = {1};
	event_set(&e, id, "x", NULL, 0, NULL, NULL, NULL);
	buf_reset(&b);
	assert_int_equal(event_encode(&e, &b, NULL), 0);
	assert_int_equal(event_decode(b.data, b.len, &d), 0);
	assert_null(d.payload);
	assert_int_equal(d.payload_len, 0);
	event_free(&d);
	event_free(&e);
	event_set(&e, id, "bin", "\0\1\2\0", 4, NULL, NULL, NULL);
	buf_reset(&b);
	assert_int_equal(event_encode(&e, &b, NULL), 0);
	assert_int_equal(event_decode(b.data, b.len, &d), 0);
	assert_memory_equal(d.payload, "\0\1\2\0", 4);
	event_free(&d);
	event_free(&e);
	buf_free(&b);
}

static void test_limits(void **state)
{
	static char payload[EVENT_SIZE_LIMIT];
	uint8_t id[16] = {0};
	struct event e;
	struct buf b = BUF_INIT, err = BUF_INIT;
	event_set(&e, id, "abc", payload, EVENT_SIZE_LIMIT - 3, NULL, NULL, NULL);
	assert_int_equal(event_encode(&e, &b, NULL), 0);
	assert_int_equal(event_validate(&e, NULL), 0);
	event_free(&e);
	event_set(&e, id, "abcd", payload, EVENT_SIZE_LIMIT - 3, NULL, NULL, NULL);
	assert_int_equal(event_encode(&e, &b, &err), CAIRN_E_TOOBIG);
	assert_string_equal(buf_cstr(&err), "user event exceeds configured limit of 512 bytes");
	buf_reset(&err);
	assert_int_equal(event_validate(&e, &err), CAIRN_E_TOOBIG);
	event_free(&e);
	/* filters push the whole past the broadcast size */
	char filt[400];
	memset(filt, '.', sizeof(filt) - 1);
	filt[399] = 0;
	event_set(&e, id, "n", payload, 300, filt, filt, NULL);
	buf_reset(&err);
	assert_int_equal(event_encode(&e, &b, &err), CAIRN_E_TOOBIG);
	assert_string_equal(buf_cstr(&err),
			    "user event exceeds sane limit of 1024 bytes after encoding");
	event_free(&e);
	buf_free(&b);
	buf_free(&err);
}

static void test_strict_decode(void **state)
{
	struct event e, d;
	deploy(&e, 1);
	struct buf b = BUF_INIT;
	event_encode(&e, &b, NULL);
	uint8_t w[256];
	size_t n = b.len;
	memcpy(w, b.data, n);
	assert_int_equal(event_decode(w, n - 1, &d), CAIRN_E_PARSE);
	assert_int_equal(event_decode(w, 1, &d), CAIRN_E_PARSE);
	assert_int_equal(event_decode(w, 20, &d), CAIRN_E_PARSE);
	w[n] = 0;
	assert_int_equal(event_decode(w, n + 1, &d), CAIRN_E_PARSE);
	w[0] = 'L';
	assert_int_equal(event_decode(w, n, &d), CAIRN_E_VERSION);
	w[0] = EVENT_WIRE_KIND;
	w[1] = 2;
	assert_int_equal(event_decode(w, n, &d), CAIRN_E_VERSION);
	w[1] = 1;
	w[3] = 1; /* flags */
	assert_int_equal(event_decode(w, n, &d), CAIRN_E_PARSE);
	w[3] = 0;
	w[EVENT_HEADER_SIZE + 1] = 0; /* NUL in the name */
	assert_int_equal(event_decode(w, n, &d), CAIRN_E_PARSE);
	w[EVENT_HEADER_SIZE + 1] = 'e';
	w[35] = 0; /* service filter length 0 with a tag filter: shift it to the name */
	w[29] = 6 + 3;
	assert_int_equal(event_decode(w, n, &d), CAIRN_E_PARSE);
	w[35] = 3;
	w[29] = 0; /* empty name */
	w[31] += 6;
	assert_int_equal(event_decode(w, n, &d), CAIRN_E_PARSE);
	w[29] = 6;
	w[31] -= 6;
	assert_int_equal(event_decode(w, n, &d), 0);
	event_free(&d);
	event_free(&e);
	buf_free(&b);
}

static void test_validate(void **state)
{
	uint8_t id[16] = {0};
	struct event e;
	struct buf err = BUF_INIT;
	event_set(&e, id, "", NULL, 0, NULL, NULL, NULL);
	assert_int_equal(event_validate(&e, &err), CAIRN_E_INVAL);
	assert_string_equal(buf_cstr(&err), "User event missing name");
	event_free(&e);
	buf_reset(&err);
	event_set(&e, id, "x", NULL, 0, NULL, NULL, "v1");
	assert_int_equal(event_validate(&e, &err), CAIRN_E_INVAL);
	assert_string_equal(buf_cstr(&err), "Cannot provide tag filter without service filter");
	event_free(&e);
	buf_reset(&err);
	event_set(&e, id, "x", NULL, 0, "web(", NULL, NULL);
	assert_int_equal(event_validate(&e, &err), CAIRN_E_INVAL);
	assert_string_equal(buf_cstr(&err),
			    "Invalid node filter: error parsing regexp: missing closing ): `web(`");
	event_free(&e);
	buf_reset(&err);
	event_set(&e, id, "x", NULL, 0, NULL, "a**", NULL);
	assert_int_equal(event_validate(&e, &err), CAIRN_E_INVAL);
	assert_string_equal(buf_cstr(&err),
			    "Invalid service filter: error parsing regexp: invalid nested "
			    "repetition operator: `**`");
	event_free(&e);
	buf_reset(&err);
	event_set(&e, id, "x", NULL, 0, "^node-[0-9]+$", "web", "v\\d");
	assert_int_equal(event_validate(&e, &err), 0);
	event_free(&e);
	buf_free(&err);
}

static void test_dedupe(void **state)
{
	struct event_dedupe d;
	struct lamport clock;
	event_dedupe_init(&d);
	lamport_init(&clock);
	uint8_t a[16], b[16];
	make_id(a, 1);
	make_id(b, 2);
	assert_int_equal(event_dedupe_offer(&d, &clock, 5, a), EVENT_NEW);
	assert_int_equal(lamport_time(&clock), 6); /* witnessed */
	assert_int_equal(event_dedupe_offer(&d, &clock, 5, a), EVENT_DUPLICATE);
	assert_int_equal(event_dedupe_offer(&d, &clock, 5, b), EVENT_NEW); /* same time */
	assert_int_equal(event_dedupe_offer(&d, &clock, 5, b), EVENT_DUPLICATE);
	/* the clock jumps: time 5 falls out of the window */
	assert_int_equal(event_dedupe_offer(&d, &clock, 5 + EVENT_WINDOW, a), EVENT_NEW);
	assert_int_equal(event_dedupe_offer(&d, &clock, 5, a), EVENT_TOO_OLD);
	assert_int_equal(event_dedupe_offer(&d, &clock, 6, b), EVENT_NEW); /* at the edge */
	assert_int_equal(event_dedupe_offer(&d, &clock, 5 + EVENT_WINDOW, a), EVENT_DUPLICATE);
	/* a slot reused by a newer time forgets the old one */
	assert_int_equal(event_dedupe_offer(&d, &clock, 6 + EVENT_WINDOW, b), EVENT_NEW);
	/* ignore-old after a join */
	event_dedupe_set_min(&d, 100 + EVENT_WINDOW);
	assert_int_equal(event_dedupe_offer(&d, &clock, 99 + EVENT_WINDOW, b), EVENT_TOO_OLD);
	assert_int_equal(event_dedupe_offer(&d, &clock, 100 + EVENT_WINDOW, b), EVENT_NEW);
	/* a slot holds at most EVENT_SLOT_MAX events */
	uint8_t id[16];
	for (unsigned i = 0; i < EVENT_SLOT_MAX; i++) {
		make_id(id, 1000 + i);
		assert_int_equal(event_dedupe_offer(&d, &clock, 700, id), EVENT_NEW);
	}
	make_id(id, 5000);
	assert_int_equal(event_dedupe_offer(&d, &clock, 700, id), EVENT_DROPPED);
	make_id(id, 1000);
	assert_int_equal(event_dedupe_offer(&d, &clock, 700, id), EVENT_DUPLICATE);
	event_dedupe_free(&d);
}

static void test_ring(void **state)
{
	static struct event_ring r;
	static const struct event *out[EVENT_RING_SIZE];
	event_ring_init(&r);
	uint64_t index;
	assert_int_equal(event_ring_list(&r, NULL, out, &index), 0);
	assert_int_equal(index, 1);
	struct event e;
	for (unsigned i = 0; i < 300; i++) {
		deploy(&e, i);
		if (i % 3 == 0) {
			free(e.name);
			e.name = strdup("restart");
		}
		event_ring_add(&r, &e);
		event_free(&e);
	}
	assert_int_equal(r.added, 300);
	size_t n = event_ring_list(&r, NULL, out, &index);
	assert_int_equal(n, EVENT_RING_SIZE);
	assert_int_equal(out[0]->ltime, 1000 + 300 - 256); /* oldest kept */
	assert_int_equal(out[255]->ltime, 1299);
	assert_int_equal(index, event_id_index(out[255]->id));
	n = event_ring_list(&r, "restart", out, &index);
	assert_int_equal(n, 85); /* i % 3 == 0 for i in 44..299 */
	for (size_t i = 0; i < n; i++)
		assert_string_equal(out[i]->name, "restart");
	assert_int_equal(out[n - 1]->ltime, 1297);
	assert_int_equal(index, event_id_index(out[n - 1]->id));
	assert_int_equal(event_ring_list(&r, "nope", out, &index), 0);
	assert_int_equal(index, 1);
	event_ring_free(&r);
}

static void test_ids(void **state)
{
	uint8_t id[16], back[16];
	assert_int_equal(event_id_parse("b54fe110-7af5-cafc-d1fb-afc8ba432b1c", id), 0);
	char s[37];
	event_id_format(id, s);
	assert_string_equal(s, "b54fe110-7af5-cafc-d1fb-afc8ba432b1c");
	/* Consul: 0xb54fe1107af5cafc ^ 0xd1fbafc8ba432b1c */
	assert_true(event_id_index(id) == (0xb54fe1107af5cafcULL ^ 0xd1fbafc8ba432b1cULL));
	assert_int_equal(event_id_parse("B54FE110-7AF5-CAFC-D1FB-AFC8BA432B1C", back), 0);
	assert_memory_equal(id, back, 16);
	assert_int_equal(event_id_parse("b54fe110-7af5-cafc-d1fb-afc8ba432b1", back),
			 CAIRN_E_PARSE);
	assert_int_equal(event_id_parse("b54fe110x7af5-cafc-d1fb-afc8ba432b1c", back),
			 CAIRN_E_PARSE);
	assert_int_equal(event_id_parse("g54fe110-7af5-cafc-d1fb-afc8ba432b1c", back),
			 CAIRN_E_PARSE);
}

struct svc_list {
	struct event_service s[3];
	size_t n;
};

static bool list_services(void *ctx, size_t i, struct event_service *out)
{
	struct svc_list *l = ctx;
	if (i >= l->n)
		return false;
	*out = l->s[i];
	return true;
}

static bool match(const char *node, const char *svc, const char *tag)
{
	static const char *const web_tags[] = {"v1", "primary"};
	static const char *const db_tags[] = {"replica"};
	struct svc_list l = {
	    .s = {{"web-1", "web", web_tags, 2},
		  {"db", "db", db_tags, 1},
		  {"cache", "redis", NULL, 0}},
	    .n = 3,
	};
	uint8_t id[16] = {0};
	struct event e;
	event_set(&e, id, "x", NULL, 0, node, svc, tag);
	bool ok = event_match_local(&e, "node-12", list_services, &l);
	event_free(&e);
	return ok;
}

static void test_filters(void **state)
{
	assert_true(match(NULL, NULL, NULL));
	assert_true(match("node-1", NULL, NULL)); /* unanchored, as Go's MatchString */
	assert_true(match("^node-[0-9]+$", NULL, NULL));
	assert_false(match("^node-1$", NULL, NULL));
	assert_false(match("(", NULL, NULL)); /* bad regex selects nothing */
	assert_true(match(NULL, "web", NULL));
	assert_true(match(NULL, "^web-1$", NULL)); /* by ID */
	assert_true(match(NULL, "^redis$", NULL)); /* by name */
	assert_false(match(NULL, "^api$", NULL));
	assert_true(match(NULL, "web", "^v1$"));
	assert_true(match(NULL, ".", "replica")); /* any service with the tag */
	assert_false(match(NULL, "web", "replica"));
	assert_false(match(NULL, "cache", "."));  /* no tags at all */
	assert_false(match(NULL, NULL, "v1"));	  /* tag filter alone */
	assert_false(match("node", "web", "v2")); /* all filters must pass */
	assert_true(match("node", "web", "(?i)PRIMARY"));
	/* no service iterator: a service filter selects nothing */
	uint8_t id[16] = {0};
	struct event e;
	event_set(&e, id, "x", NULL, 0, NULL, "web", NULL);
	assert_false(event_match_local(&e, "n", NULL, NULL));
	event_free(&e);
}

static void test_json(void **state)
{
	struct event e;
	uint8_t id[16];
	event_id_parse("b54fe110-7af5-cafc-d1fb-afc8ba432b1c", id);
	event_set(&e, id, "deploy", "1609030", 7, NULL, NULL, NULL);
	e.ltime = 19;
	struct buf b = BUF_INIT;
	struct jsonw w;
	jsonw_init(&w, &b, false);
	event_json(&w, &e);
	assert_string_equal(buf_cstr(&b),
			    "{\"ID\":\"b54fe110-7af5-cafc-d1fb-afc8ba432b1c\",\"Name\":\"deploy\","
			    "\"Payload\":\"MTYwOTAzMA==\",\"NodeFilter\":\"\",\"ServiceFilter\":"
			    "\"\",\"TagFilter\":\"\",\"Version\":1,\"LTime\":19}");
	event_free(&e);
	event_set(&e, id, "x", NULL, 0, "n<", "s", "t");
	buf_reset(&b);
	jsonw_init(&w, &b, false);
	event_json(&w, &e);
	assert_string_equal(buf_cstr(&b), "{\"ID\":\"b54fe110-7af5-cafc-d1fb-afc8ba432b1c\","
					  "\"Name\":\"x\",\"Payload\":null,\"NodeFilter\":"
					  "\"n\\u003c\",\"ServiceFilter\":\"s\",\"TagFilter\":"
					  "\"t\",\"Version\":1,\"LTime\":0}");
	event_free(&e);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),	  cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_strict_decode), cmocka_unit_test(test_validate),
	    cmocka_unit_test(test_dedupe),	  cmocka_unit_test(test_ring),
	    cmocka_unit_test(test_ids),		  cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
