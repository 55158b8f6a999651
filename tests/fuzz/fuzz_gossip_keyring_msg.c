/*
 * Fuzz target: the keyring operation messages (src/gossip/pool_keyring_wire.c),
 * the user broadcasts that carry `keyring -install/-use/-remove/-list` across
 * a gossip pool. Every input is refused or decoded; a decoded message
 * re-encodes to exactly the same bytes (the format is canonical) and its
 * strings are NUL-terminated within their bounds.
 */
// fuzz-lib: gossip
#include "gossip/pool_keyring.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pool_keyring_wire m;
	if (pool_keyring_decode(data, size, &m) != 0)
		return 0;
	if (strnlen(m.name, sizeof(m.name)) == sizeof(m.name) ||
	    strnlen(m.msg, sizeof(m.msg)) == sizeof(m.msg))
		abort();
	uint8_t out[GOSSIP_USER_MAX];
	size_t len = 0;
	if (pool_keyring_encode(&m, out, sizeof(out), &len) != 0 || len != size ||
	    memcmp(out, data, size) != 0)
		abort();
	return 0;
}
