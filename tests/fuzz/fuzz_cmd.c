/*
 * Fuzz target: the Raft command decoder (consensus/cmd.c). Every input must be
 * rejected or decoded; a decoded command must re-encode to the same bytes.
 */
// fuzz-lib: consensus
#include "consensus/cmd.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmd c;
	if (cmd_decode(data, size, &c) != 0)
		return 0;
	struct buf out = BUF_INIT;
	cmd_encode(&c, &out);
	if (out.len != size || memcmp(out.data, data, size) != 0)
		abort();
	buf_free(&out);
	cmd_free(&c);
	return 0;
}
