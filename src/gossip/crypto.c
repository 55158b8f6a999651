/*
 * AES-GCM sealing of gossip messages (see crypto.h for the layout and the contract).
 *
 * One EVP_CIPHER_CTX per call: gossip packets are small and infrequent enough (a few
 * per member per second) that context setup is noise, and no state outlives a call,
 * which keeps the functions thread-safe. Failed opens wipe whatever plaintext the
 * cipher produced before the tag check failed.
 */
#include "gossip/crypto.h"

#include "base/err.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

/* Key length -> cipher. */
static const struct {
	size_t len;
	const EVP_CIPHER *(*cipher)(void);
} ciphers[] = {
    {16, EVP_aes_128_gcm},
    {24, EVP_aes_192_gcm},
    {32, EVP_aes_256_gcm},
};

static const EVP_CIPHER *cipher_for(size_t len)
{
	for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
		if (ciphers[i].len == len)
			return ciphers[i].cipher();
	return NULL;
}

bool gkey_valid_len(size_t n)
{
	return cipher_for(n) != NULL;
}

static int fail(char *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, GCRYPT_ERR_MAX, fmt, ap);
		va_end(ap);
	}
	return code;
}

size_t gcrypt_sealed_len(int vsn, size_t n)
{
	if (vsn == GCRYPT_VSN_PADDED)
		n += 16 - n % 16;
	return GCRYPT_OVERHEAD + n;
}

static int default_fill(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	return RAND_bytes(out, (int)n) == 1 ? 0 : -1;
}

/* Encrypt under an initialised ctx, pieces in order; returns bytes written or -1. */
static int seal_update(EVP_CIPHER_CTX *ctx, uint8_t *dst, const void *src, size_t n)
{
	int outl = 0;
	if (n && EVP_EncryptUpdate(ctx, dst, &outl, src, (int)n) != 1)
		return -1;
	return outl;
}

int gcrypt_seal(const struct gkey *key, int vsn, const void *msg, size_t n, const void *aad,
		size_t aad_len, const struct gcrypt_rand *rnd, struct buf *out, char *err)
{
	const EVP_CIPHER *cipher = key ? cipher_for(key->len) : NULL;
	if (!cipher)
		return fail(err, CAIRN_E_INVAL, "key size must be 16, 24 or 32 bytes");
	if (vsn != GCRYPT_VSN && vsn != GCRYPT_VSN_PADDED)
		return fail(err, CAIRN_E_INVAL, "Unsupported encryption version %d", vsn);
	if (n > GCRYPT_MSG_MAX || aad_len > GCRYPT_MSG_MAX)
		return fail(err, CAIRN_E_TOOBIG, "Message is too large to encrypt: %zu", n);

	size_t total = gcrypt_sealed_len(vsn, n);
	size_t start = out->len;
	buf_reserve(out, total);
	uint8_t *p = (uint8_t *)out->data + start;
	uint8_t *nonce = p + 1;
	int (*fill)(void *, uint8_t *, size_t) = rnd && rnd->fill ? rnd->fill : default_fill;
	if (fill(rnd ? rnd->ctx : NULL, nonce, GCRYPT_NONCE_LEN) != 0)
		return fail(err, CAIRN_E_INTERNAL, "Error reading random data for the nonce");
	p[0] = (uint8_t)vsn; /* out->data[start] is the NUL until here */

	uint8_t pad[16];
	size_t padn = vsn == GCRYPT_VSN_PADDED ? 16 - n % 16 : 0;
	memset(pad, (int)padn, sizeof(pad));

	uint8_t *ct = nonce + GCRYPT_NONCE_LEN;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int rc = CAIRN_E_INTERNAL, a, b, c, fin = 0;
	if (!ctx || EVP_EncryptInit_ex(ctx, cipher, NULL, key->b, nonce) != 1)
		goto done;
	if (aad_len && EVP_EncryptUpdate(ctx, NULL, &a, aad, (int)aad_len) != 1)
		goto done;
	if ((a = seal_update(ctx, ct, msg, n)) < 0 || (b = seal_update(ctx, ct + a, pad, padn)) < 0)
		goto done;
	if (EVP_EncryptFinal_ex(ctx, ct + a + b, &fin) != 1)
		goto done;
	c = a + b + fin;
	if ((size_t)c != n + padn ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCRYPT_TAG_LEN, ct + c) != 1)
		goto done;
	out->len = start + total;
	out->data[out->len] = '\0';
	rc = 0;
done:
	EVP_CIPHER_CTX_free(ctx);
	if (rc != 0) {
		out->data[start] = '\0';
		return fail(err, rc, "AES-GCM encryption failed");
	}
	return 0;
}

/* Try one key: ciphertext ct of m bytes into dst. Returns 0 when the tag verifies. */
static int open_one(const struct gkey *key, const uint8_t *nonce, const uint8_t *ct, size_t m,
		    const void *aad, size_t aad_len, uint8_t *dst)
{
	const EVP_CIPHER *cipher = cipher_for(key->len);
	if (!cipher)
		return -1;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int ok = 0, a = 0, b = 0, fin = 0;
	uint8_t tag[GCRYPT_TAG_LEN];
	memcpy(tag, ct + m, sizeof(tag)); /* set_tag wants a mutable pointer */
	if (!ctx || EVP_DecryptInit_ex(ctx, cipher, NULL, key->b, nonce) != 1)
		goto done;
	if (aad_len && EVP_DecryptUpdate(ctx, NULL, &a, aad, (int)aad_len) != 1)
		goto done;
	if (m && EVP_DecryptUpdate(ctx, dst, &b, ct, (int)m) != 1)
		goto done;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GCRYPT_TAG_LEN, tag) != 1)
		goto done;
	ok = EVP_DecryptFinal_ex(ctx, dst + b, &fin) == 1 && (size_t)(b + fin) == m;
done:
	EVP_CIPHER_CTX_free(ctx);
	if (!ok && m)
		OPENSSL_cleanse(dst, m);
	return ok ? 0 : -1;
}

/* Length of a PKCS#7-padded plaintext of m bytes without its padding, or -1. */
static long unpad(const uint8_t *p, size_t m)
{
	if (m == 0 || m % 16)
		return -1;
	uint8_t k = p[m - 1];
	if (k < 1 || k > 16)
		return -1;
	for (size_t i = m - k; i < m; i++)
		if (p[i] != k)
			return -1;
	return (long)(m - k);
}

int gcrypt_open(const struct gkey *keys, size_t nkeys, const void *pkt, size_t n, const void *aad,
		size_t aad_len, struct buf *out, size_t *used, char *err)
{
	const uint8_t *p = pkt;
	if (n == 0)
		return fail(err, CAIRN_E_PARSE, "Cannot decrypt empty payload");
	if (p[0] != GCRYPT_VSN && p[0] != GCRYPT_VSN_PADDED)
		return fail(err, CAIRN_E_VERSION, "Unsupported encryption version %d", p[0]);
	if (n < gcrypt_sealed_len(p[0], 0))
		return fail(err, CAIRN_E_PARSE, "Payload is too small to decrypt: %zu", n);
	if (n > GCRYPT_MSG_MAX + gcrypt_sealed_len(p[0], 0) || aad_len > GCRYPT_MSG_MAX)
		return fail(err, CAIRN_E_TOOBIG, "Payload is too large to decrypt: %zu", n);

	const uint8_t *nonce = p + 1;
	const uint8_t *ct = nonce + GCRYPT_NONCE_LEN;
	size_t m = n - GCRYPT_OVERHEAD;
	size_t start = out->len;
	buf_reserve(out, m);
	uint8_t *dst = (uint8_t *)out->data + start;
	for (size_t i = 0; i < nkeys; i++) {
		if (open_one(&keys[i], nonce, ct, m, aad, aad_len, dst) != 0)
			continue;
		size_t len = m;
		if (p[0] == GCRYPT_VSN_PADDED) {
			long u = unpad(dst, m);
			if (u < 0) {
				/* authentic but malformed: a peer bug, not noise */
				OPENSSL_cleanse(dst, m);
				out->data[start] = '\0';
				return fail(err, CAIRN_E_PARSE, "Invalid PKCS7 padding");
			}
			OPENSSL_cleanse(dst + u, m - (size_t)u);
			len = (size_t)u;
		}
		out->len = start + len;
		out->data[out->len] = '\0';
		if (used)
			*used = i;
		return 0;
	}
	out->data[start] = '\0';
	return fail(err, CAIRN_E_PERM, "No installed keys could decrypt the message");
}

void gcrypt_stream_aad(uint8_t msg_type, uint32_t sealed_len, const char *label, size_t label_len,
		       struct buf *aad)
{
	uint8_t hdr[5] = {msg_type, (uint8_t)(sealed_len >> 24), (uint8_t)(sealed_len >> 16),
			  (uint8_t)(sealed_len >> 8), (uint8_t)sealed_len};
	buf_append(aad, hdr, sizeof(hdr));
	if (label_len)
		buf_append(aad, label, label_len);
}
