/*
 * Unit tests of the server RPC frame codec (src/rpc/wire.c): the header
 * layout as wire.h documents it, every payload's round trip, and refusal of
 * bad versions, types, lengths and truncated records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "rpc/wire.h"

#include <string.h>

static void test_frame_layout(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	rpc_frame_put(&b, RPC_APPLY, 0x0102030405060708ull, "abc", 3);
	static const uint8_t want[] = {0, 0, 0, 13, 1, 3, 1, 2, 3, 4, 5, 6, 7, 8, 'a', 'b', 'c'};
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	assert_int_equal(rpc_frame_need((const uint8_t *)b.data, 3), 0);
	assert_int_equal(rpc_frame_need((const uint8_t *)b.data, 4), 17);
	struct rpc_frame f;
	assert_int_equal(rpc_frame_decode((const uint8_t *)b.data, b.len, &f), 0);
	assert_int_equal(f.type, RPC_APPLY);
	assert_true(f.id == 0x0102030405060708ull);
	assert_int_equal(f.len, 3);
	assert_memory_equal(f.payload, "abc", 3);
	buf_free(&b);
}

static void test_frame_refusals(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	rpc_frame_put(&b, RPC_HTTP, 7, NULL, 0);
	struct rpc_frame f;
	uint8_t *p = (uint8_t *)b.data;
	assert_int_equal(rpc_frame_decode(p, b.len - 1, &f), CAIRN_E_PARSE); /* truncated */
	p[4] = 2;
	assert_int_equal(rpc_frame_decode(p, b.len, &f), CAIRN_E_VERSION);
	p[4] = RPC_WIRE_VERSION;
	p[5] = 0;
	assert_int_equal(rpc_frame_decode(p, b.len, &f), CAIRN_E_PARSE);
	p[5] = 99;
	assert_int_equal(rpc_frame_decode(p, b.len, &f), CAIRN_E_PARSE);
	static const uint8_t tiny[] = {0, 0, 0, 9};    /* shorter than the header */
	static const uint8_t huge[] = {0x7f, 0, 0, 0}; /* over RPC_FRAME_MAX */
	assert_int_equal(rpc_frame_need(tiny, 4), -1);
	assert_int_equal(rpc_frame_need(huge, 4), -1);
	buf_free(&b);
}

static void test_http_reply(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	const char *h = "Content-Type: application/json\r\nX-Consul-Index: 5\r\n";
	rpc_http_reply_put(&b, 404, h, strlen(h), "[]", 2);
	struct rpc_http_reply r;
	assert_int_equal(rpc_http_reply_decode((const uint8_t *)b.data, b.len, &r), 0);
	assert_int_equal(r.status, 404);
	assert_int_equal(r.hlen, strlen(h));
	assert_memory_equal(r.headers, h, r.hlen);
	assert_int_equal(r.blen, 2);
	assert_memory_equal(r.body, "[]", 2);
	/* a header block longer than the payload, a status out of range */
	((uint8_t *)b.data)[5] = 0xff;
	assert_int_equal(rpc_http_reply_decode((const uint8_t *)b.data, b.len, &r), CAIRN_E_PARSE);
	buf_reset(&b);
	rpc_http_reply_put(&b, 99, "", 0, "", 0);
	assert_int_equal(rpc_http_reply_decode((const uint8_t *)b.data, b.len, &r), CAIRN_E_PARSE);
	buf_free(&b);
}

static void test_apply_reply(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	rpc_apply_reply_begin(&b, 0, 42, 2);
	rpc_apply_reply_error(&b, 0, 0, "index is stale");
	rpc_apply_reply_error(&b, 3, CAIRN_E_NOTFOUND, "");
	struct rpc_apply_reply r;
	assert_int_equal(rpc_apply_reply_decode((const uint8_t *)b.data, b.len, &r), 0);
	assert_int_equal(r.status, 0);
	assert_true(r.index == 42);
	assert_int_equal(r.nerrors, 2);
	const uint8_t *cur = r.errors, *end = r.errors + r.errors_len;
	struct rpc_apply_error e;
	assert_true(rpc_apply_reply_next(&cur, end, &e));
	assert_int_equal(e.op_index, 0);
	assert_int_equal(e.what_len, strlen("index is stale"));
	assert_memory_equal(e.what, "index is stale", e.what_len);
	assert_true(rpc_apply_reply_next(&cur, end, &e));
	assert_int_equal(e.op_index, 3);
	assert_int_equal(e.code, CAIRN_E_NOTFOUND);
	assert_false(rpc_apply_reply_next(&cur, end, &e));
	/* one record missing, one byte too many: both refused */
	assert_int_equal(rpc_apply_reply_decode((const uint8_t *)b.data, b.len - 12, &r),
			 CAIRN_E_PARSE);
	buf_putc(&b, 0);
	assert_int_equal(rpc_apply_reply_decode((const uint8_t *)b.data, b.len, &r), CAIRN_E_PARSE);
	buf_reset(&b);
	rpc_apply_reply_begin(&b, CAIRN_E_NOLEADER, 0, 0);
	assert_int_equal(rpc_apply_reply_decode((const uint8_t *)b.data, b.len, &r), 0);
	assert_int_equal(r.status, CAIRN_E_NOLEADER);
	buf_free(&b);
}

static void test_error(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	rpc_error_put(&b, CAIRN_E_NOTLEADER, "10.0.0.1:8300");
	int code;
	const char *msg;
	size_t n;
	assert_int_equal(rpc_error_decode((const uint8_t *)b.data, b.len, &code, &msg, &n), 0);
	assert_int_equal(code, CAIRN_E_NOTLEADER);
	assert_int_equal(n, strlen("10.0.0.1:8300"));
	assert_memory_equal(msg, "10.0.0.1:8300", n);
	assert_int_equal(rpc_error_decode((const uint8_t *)b.data, 3, &code, &msg, &n),
			 CAIRN_E_PARSE);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frame_layout), cmocka_unit_test(test_frame_refusals),
	    cmocka_unit_test(test_http_reply),	 cmocka_unit_test(test_apply_reply),
	    cmocka_unit_test(test_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
