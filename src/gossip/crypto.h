/*
 * Gossip encryption: AES-GCM sealing of gossip packets and streams, byte for byte
 * as memberlist (Consul's gossip library) does it, so that a keyed cairn and a keyed
 * Consul agent understand each other's packets.
 *
 * Model. A key is 16, 24 or 32 bytes and selects AES-128, AES-192 or AES-256. The
 * sender seals with one key (the keyring's primary); the receiver tries every key it
 * holds, primary first, and takes the first whose tag verifies. That is what lets a
 * cluster rotate keys: install the new key everywhere, make it primary everywhere,
 * then remove the old one (keyring.h).
 *
 * Sealed layout (offsets in bytes, n = plaintext length):
 *
 *     offset   size   field
 *     0        1      version: 1 (what we send), or 0 (legacy: the plaintext was
 *                     PKCS#7-padded to a multiple of 16 before sealing; accepted)
 *     1        12     nonce, random per message
 *     13       m      ciphertext (m = n for version 1; n rounded up to the next
 *                     multiple of 16, 1..16 bytes of padding, for version 0)
 *     13+m     16     GCM tag over the ciphertext and the additional data
 *
 * Additional data ("aad") is authenticated but not sent. memberlist passes the
 * gossip label for packets; for streams it passes the 5-byte stream header (the
 * encrypt message type byte and the big-endian u32 length of the sealed part)
 * followed by the label. The caller builds it; here it is just bytes.
 *
 * Errors are CAIRN_E_* codes plus a one-line message in memberlist's words when the
 * caller passes an err buffer (GCRYPT_ERR_MAX bytes):
 *   CAIRN_E_PARSE    "Cannot decrypt empty payload", "Payload is too small to decrypt: N"
 *   CAIRN_E_VERSION  "Unsupported encryption version N"
 *   CAIRN_E_PERM     "No installed keys could decrypt the message" (wrong key,
 *                    tampered bytes, wrong aad, or no key at all)
 *   CAIRN_E_INVAL    a key of a bad length, an unknown version to seal with
 *   CAIRN_E_TOOBIG   a message over GCRYPT_MSG_MAX
 *   CAIRN_E_INTERNAL the random source or libcrypto failed
 * No input, however short or malformed, makes these functions crash or read out of
 * bounds: the version byte and the length are checked before anything else.
 *
 * Pure: no libuv, no global state (libcrypto's RAND_bytes is the default random
 * source); safe to call from any thread. Key bytes are only held by the caller.
 */
#ifndef CAIRN_GOSSIP_CRYPTO_H
#define CAIRN_GOSSIP_CRYPTO_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GCRYPT_VSN_PADDED 0  /* legacy version: PKCS#7 padding inside the seal */
#define GCRYPT_VSN	  1  /* the version we send (memberlist protocol >= 3) */
#define GCRYPT_NONCE_LEN  12 /* GCM standard nonce */
#define GCRYPT_TAG_LEN	  16 /* GCM tag */
#define GCRYPT_OVERHEAD	  (1 + GCRYPT_NONCE_LEN + GCRYPT_TAG_LEN) /* 29 for version 1 */
#define GCRYPT_MSG_MAX	  (64u << 20) /* largest message sealed or opened (push-pull bound) */
#define GCRYPT_ERR_MAX	  128	      /* size of an error message buffer */
#define GKEY_MAX	  32	      /* longest key (AES-256) */

/* One key: len is 16, 24 or 32 once validated (gkey_valid). */
struct gkey {
	uint8_t len;	     /* bytes used in b */
	uint8_t b[GKEY_MAX]; /* key material */
};

/* True when n is a valid key length (16, 24 or 32). */
bool gkey_valid_len(size_t n);

/* The random source for nonces: fill n bytes at out, return 0 (or nonzero on failure).
 * Tests inject a deterministic one; NULL everywhere means libcrypto's RAND_bytes. */
struct gcrypt_rand {
	int (*fill)(void *ctx, uint8_t *out, size_t n);
	void *ctx;
};

/* Size of the sealed form of an n-byte message in version vsn (0 or 1). */
size_t gcrypt_sealed_len(int vsn, size_t n);

/*
 * Seal n bytes at msg with key, appending version, nonce, ciphertext and tag to out.
 * vsn is GCRYPT_VSN (or GCRYPT_VSN_PADDED, to talk to very old peers and in tests).
 * aad may be NULL when aad_len is 0. rnd may be NULL (RAND_bytes). err may be NULL.
 * Returns 0, or a CAIRN_E_* code with out unchanged.
 */
int gcrypt_seal(const struct gkey *key, int vsn, const void *msg, size_t n, const void *aad,
		size_t aad_len, const struct gcrypt_rand *rnd, struct buf *out, char *err);

/*
 * Open a sealed message of n bytes at pkt, trying keys[0..nkeys) in order (pass the
 * keyring's keys, primary first), and append the plaintext to out. On success
 * *used (if not NULL) is the index of the key that worked. Returns 0, or a CAIRN_E_*
 * code with out unchanged (no unauthenticated byte is ever left in it).
 */
int gcrypt_open(const struct gkey *keys, size_t nkeys, const void *pkt, size_t n, const void *aad,
		size_t aad_len, struct buf *out, size_t *used, char *err);

/*
 * The additional data memberlist authenticates for an encrypted stream: the 5-byte
 * stream header (msg_type, the encrypt message's type byte, then sealed_len as a
 * big-endian u32; the sealed part follows it on the wire) and the stream label.
 * Appended to aad; pass aad.data/aad.len to gcrypt_seal/gcrypt_open.
 */
void gcrypt_stream_aad(uint8_t msg_type, uint32_t sealed_len, const char *label, size_t label_len,
		       struct buf *aad);

#endif
