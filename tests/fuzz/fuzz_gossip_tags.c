/*
 * Fuzz target: member tags (src/gossip/tags.c, tags_consul.c). Every input
 * is refused or decoded; decoded tags re-encode to exactly the same bytes,
 * survive a second decode unchanged, and Consul's conventions are read from
 * them (a refusal must say why).
 */
// fuzz-lib: gossip
#include "gossip/tags.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tags t = TAGS_INIT, u = TAGS_INIT;
	if (tags_decode(data, size, &t) != 0) {
		if (t.n != 0)
			abort();
		return 0;
	}
	uint8_t out[TAGS_META_MAX];
	size_t len = 0;
	if (tags_encode(&t, out, sizeof(out), &len, NULL) != 0 || len != size ||
	    memcmp(out, data, size) != 0)
		abort();
	if (tags_decode(out, len, &u) != 0 || !tags_equal(&t, &u))
		abort();
	struct consul_tags ct;
	struct buf err = BUF_INIT, col = BUF_INIT;
	if (consul_tags_parse(&t, &ct, &err) != 0) {
		if (err.len == 0)
			abort();
	} else {
		consul_tags_build(&ct, &col);
		if (!consul_tags_type(&ct) || !consul_tags_segment(&ct) ||
		    !consul_tags_partition(&ct))
			abort();
	}
	buf_free(&err);
	buf_free(&col);
	tags_free(&t);
	tags_free(&u);
	return 0;
}
