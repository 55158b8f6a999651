/*
 * Fuzz target: prepared-query definitions (api/query_def.c). Any input is
 * decoded or refused with a message; a decoded definition is validated
 * (template compile and test render included), then its command encoding
 * must decode to the same binary form, and its JSON rendering must be
 * valid JSON.
 */
// fuzz-lib: api
#include "api/query_def.h"
#include "api/query_int.h"
#include "consensus/cmd.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT;
	struct prepared_query *q = query_def_decode((const char *)data, size, &err);
	if (!q) {
		if (!err.len)
			abort(); /* a refusal always says why */
		buf_free(&err);
		return 0;
	}
	query_def_validate(q, &err);
	struct cmd c = {.type = CMD_QUERY_SET, .u.query = {true, q}}, d;
	struct buf enc = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
	cmd_encode(&c, &enc);
	if (cmd_decode(enc.data, enc.len, &d) != 0)
		abort();
	pquery_wire_put(&a, q);
	pquery_wire_put(&b, d.u.query.q);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort();
	struct buf out = BUF_INIT;
	struct jsonw w;
	jsonw_init(&w, &out, false);
	query_json(&w, q);
	json_t *back = json_loadb(out.data, out.len, 0, NULL);
	if (!back)
		abort();
	json_decref(back);
	cmd_free(&d);
	buf_free(&enc);
	buf_free(&a);
	buf_free(&b);
	buf_free(&out);
	buf_free(&err);
	pquery_unref(q);
	return 0;
}
