/*
 * Fuzz target: the keyring file reader (gossip/keyring_file.c). Any bytes must load
 * or fail with a message; a keyring that loads must write back to JSON that loads
 * to the same keys.
 */
// fuzz-lib: gossip
#include "gossip/keyring.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyring kr, back;
	keyring_init(&kr);
	keyring_init(&back);
	char err[KEYRING_ERR_MAX];
	if (keyring_parse_json(&kr, (const char *)data, size, err) == 0) {
		struct buf json = BUF_INIT;
		keyring_to_json(&kr, &json);
		if (keyring_parse_json(&back, json.data, json.len, err) != 0 || back.n != kr.n)
			abort();
		for (size_t i = 0; i < kr.n; i++)
			if (back.keys[i].len != kr.keys[i].len ||
			    memcmp(back.keys[i].b, kr.keys[i].b, kr.keys[i].len) != 0)
				abort();
		buf_free(&json);
	} else if (kr.n != 0 || err[0] == '\0') {
		abort();
	}
	keyring_free(&kr);
	keyring_free(&back);
	return 0;
}
