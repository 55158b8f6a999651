/*
 * Fuzz target: network coordinates from peers (src/gossip/vivaldi_codec.c,
 * vivaldi.c). Every input is refused or decoded; a decoded coordinate
 * re-encodes to the same bytes, is written as JSON and fed to a Vivaldi
 * client as a peer's, which must keep our own coordinate valid whatever the
 * peer claims (huge or negative heights, errors, adjustments).
 */
// fuzz-lib: gossip
#include "gossip/vivaldi.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vivaldi v;
	static bool ready;
	if (!ready) {
		vivaldi_init(&v, NULL, 1);
		ready = true;
	}
	struct vivaldi_coord c;
	if (vivaldi_decode(data, size, &c) != 0)
		return 0;
	uint8_t out[VIVALDI_WIRE_SIZE];
	vivaldi_encode(&c, out);
	if (memcmp(out, data, size) != 0)
		abort();
	struct buf b = BUF_INIT;
	struct jsonw w;
	jsonw_init(&w, &b, false);
	vivaldi_json(&w, &c);
	buf_free(&b);
	int64_t rtt = (int64_t)(data[2] * 1000003LL);
	if (vivaldi_update(&v, "peer", &c, rtt, NULL) != 0 || !vivaldi_coord_valid(&v.coord))
		abort();
	vivaldi_distance_ns(&v.coord, &c);
	return 0;
}
