/*
 * Fuzz target: the gossip wire decoders (gossip/wire.c). Every input is tried
 * as a UDP packet and as a TCP stream frame; each must be rejected or decoded,
 * and whatever decodes must re-encode to exactly the same bytes (the format is
 * canonical, so a lenient decoder would show up here).
 */
// fuzz-lib: gossip
#include "gossip/wire.h"

#include <stdlib.h>
#include <string.h>

static void packet(const uint8_t *data, size_t size)
{
	int n = gwire_packet_check(data, size);
	if (n < 0)
		return;
	struct gwire_iter it;
	struct gmsg m;
	struct buf out = BUF_INIT;
	if (gwire_iter_init(&it, data, size) != 0)
		abort();
	gwire_packet_begin(&out);
	int got = 0;
	while (gwire_iter_next(&it, &m) == 1) {
		gwire_put_msg(&out, &m);
		got++;
	}
	if (got != n || out.len != size || memcmp(out.data, data, size) != 0)
		abort();
	buf_free(&out);
}

static void stream(const uint8_t *data, size_t size)
{
	size_t total;
	if (gwire_stream_need(data, size, &total) != 0 || total != size)
		return;
	struct gmsg m;
	if (gwire_stream_decode(data, size, &m) != 0)
		return;
	struct buf out = BUF_INIT;
	gwire_stream_encode(&out, &m);
	if (out.len != size || memcmp(out.data, data, size) != 0)
		abort();
	buf_free(&out);
	gmsg_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	packet(data, size);
	stream(data, size);
	return 0;
}
