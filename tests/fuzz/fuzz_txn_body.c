/*
 * Fuzz target: /v1/txn body parsing (api/txn_parse.c). Any input is parsed or
 * refused with a status; a parsed body must encode to a command that decodes.
 */
// fuzz-lib: api
#include "api/txn_parse.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct txn_parsed p;
	if (txn_parse(data, size, "dc1", &p) == 0 && p.n > 0) {
		struct cmd c = {.type = CMD_KV_TXN, .u.kv = {p.ops, p.n}}, d;
		struct buf enc = BUF_INIT;
		cmd_encode(&c, &enc);
		if (cmd_decode(enc.data, enc.len, &d) != 0)
			abort();
		cmd_free(&d);
		buf_free(&enc);
	} else if (p.status != 0 && p.status != 400 && p.status != 409 && p.status != 413) {
		abort();
	}
	txn_parsed_free(&p);
	return 0;
}
