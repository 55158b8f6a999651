/*
 * Fuzz target: opening sealed gossip messages (gossip/crypto.c). Input layout:
 * byte 0 gives the label length L (mod 8), the next L bytes are the label (the
 * additional data), the rest is the packet, opened with a fixed keyring of one key
 * of each size. Anything must fail cleanly; a packet that opens must re-seal, with
 * the key that opened it and its own nonce, to exactly the same bytes.
 */
// fuzz-lib: gossip
#include "gossip/crypto.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t *replay_nonce;

static int replay_fill(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	memcpy(out, replay_nonce, n);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* keys: bytes 0x01.., 0x21.., 0x41.. (the corpus is sealed with these) */
	struct gkey keys[3] = {{.len = 16}, {.len = 24}, {.len = 32}};
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < keys[k].len; i++)
			keys[k].b[i] = (uint8_t)(0x20 * k + 1 + i);
	if (size == 0)
		return 0;
	size_t label_len = data[0] % 8;
	if (size < 1 + label_len)
		return 0;
	const uint8_t *label = data + 1, *pkt = data + 1 + label_len;
	size_t n = size - 1 - label_len;

	struct buf plain = BUF_INIT;
	size_t used = 0;
	char err[GCRYPT_ERR_MAX];
	if (gcrypt_open(keys, 3, pkt, n, label, label_len, &plain, &used, err) == 0) {
		if (used >= 3)
			abort();
		struct buf again = BUF_INIT;
		replay_nonce = pkt + 1;
		struct gcrypt_rand rnd = {replay_fill, NULL};
		if (gcrypt_seal(&keys[used], pkt[0], plain.data, plain.len, label, label_len, &rnd,
				&again, err) != 0)
			abort();
		if (again.len != n || memcmp(again.data, pkt, n) != 0)
			abort();
		buf_free(&again);
	} else if (plain.len != 0) {
		abort();
	}
	buf_free(&plain);
	return 0;
}
