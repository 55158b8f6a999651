/*
 * The keyring's keys and operations, and the verify_incoming/outgoing policy (see
 * keyring.h). Files are in keyring_file.c.
 *
 * Keys are compared in full (length and bytes). Memory that held key material is
 * wiped before it is freed or reused.
 */
#include "gossip/keyring_int.h"

#include "base/alloc.h"
#include "base/b64.h"
#include "base/err.h"

#include <openssl/crypto.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void keyring_init(struct keyring *kr)
{
	kr->keys = NULL;
	kr->n = 0;
	kr->cap = 0;
}

void keyring_free(struct keyring *kr)
{
	if (kr->keys)
		OPENSSL_cleanse(kr->keys, kr->cap * sizeof(kr->keys[0]));
	free(kr->keys);
	keyring_init(kr);
}

int keyring_fail(char *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, KEYRING_ERR_MAX, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* ---- base64 text <-> key ---- */

/* Decode text; check_len also requires a valid key length. */
static int decode(const char *text, struct gkey *out, bool check_len, char *err)
{
	struct buf b = BUF_INIT;
	size_t at;
	int rc = 0;
	if (b64_decode_go(&b, text, strlen(text), &at) != 0)
		rc = keyring_fail(err, CAIRN_E_INVAL, "illegal base64 data at input byte %zu", at);
	else if (b.len > GKEY_MAX || (check_len && !gkey_valid_len(b.len)))
		rc = keyring_fail(err, CAIRN_E_INVAL, "key size must be 16, 24 or 32 bytes");
	if (rc == 0) {
		memset(out, 0, sizeof(*out));
		out->len = (uint8_t)b.len;
		if (b.len)
			memcpy(out->b, b.data, b.len);
	}
	if (b.data)
		OPENSSL_cleanse(b.data, b.cap);
	buf_free(&b);
	return rc;
}

int keyring_decode_key(const char *text, struct gkey *out, char *err)
{
	return decode(text, out, true, err);
}

void keyring_encode_key(const struct gkey *k, struct buf *out)
{
	b64_encode(out, k->b, k->len);
}

/* ---- operations ---- */

const struct gkey *keyring_primary(const struct keyring *kr)
{
	return kr->n ? &kr->keys[0] : NULL;
}

static bool same(const struct gkey *a, const struct gkey *b)
{
	return a->len == b->len && CRYPTO_memcmp(a->b, b->b, a->len) == 0;
}

/* Index of k in kr, or -1. */
static long find(const struct keyring *kr, const struct gkey *k)
{
	for (size_t i = 0; i < kr->n; i++)
		if (same(&kr->keys[i], k))
			return (long)i;
	return -1;
}

int keyring_install_key(struct keyring *kr, const struct gkey *k, char *err)
{
	if (!gkey_valid_len(k->len))
		return keyring_fail(err, CAIRN_E_INVAL,
				    "Invalid key: key size must be 16, 24 or 32 bytes");
	if (find(kr, k) >= 0)
		return 0;
	if (kr->n == kr->cap) {
		/* grow by copying, so no stale key material is left in freed memory */
		size_t cap = kr->cap ? kr->cap * 2 : 4;
		struct gkey *keys = xcalloc(cap, sizeof(*keys));
		if (kr->n)
			memcpy(keys, kr->keys, kr->n * sizeof(*keys));
		size_t n = kr->n;
		keyring_free(kr);
		kr->keys = keys;
		kr->n = n;
		kr->cap = cap;
	}
	kr->keys[kr->n++] = *k;
	return 0;
}

int keyring_install(struct keyring *kr, const char *text, char *err)
{
	struct gkey k;
	char why[KEYRING_ERR_MAX];
	int rc = decode(text, &k, true, why);
	if (rc != 0)
		return keyring_fail(err, rc, "Invalid key: %s", why);
	rc = keyring_install_key(kr, &k, err);
	OPENSSL_cleanse(&k, sizeof(k));
	return rc;
}

/* Where the key given as text is in the ring (-1: absent); rc after a bad key. */
static int locate(const struct keyring *kr, const char *text, long *at, char *err)
{
	struct gkey k;
	char why[KEYRING_ERR_MAX];
	int rc = decode(text, &k, false, why);
	if (rc != 0)
		return keyring_fail(err, rc, "Invalid key: %s", why);
	*at = find(kr, &k);
	OPENSSL_cleanse(&k, sizeof(k));
	return 0;
}

int keyring_use(struct keyring *kr, const char *text, char *err)
{
	long i;
	int rc = locate(kr, text, &i, err);
	if (rc != 0)
		return rc;
	if (i < 0)
		return keyring_fail(err, CAIRN_E_NOTFOUND, "Requested key is not in the keyring");
	struct gkey chosen = kr->keys[i];
	memmove(&kr->keys[1], &kr->keys[0], (size_t)i * sizeof(kr->keys[0]));
	kr->keys[0] = chosen;
	OPENSSL_cleanse(&chosen, sizeof(chosen));
	return 0;
}

int keyring_remove(struct keyring *kr, const char *text, char *err)
{
	long i;
	int rc = locate(kr, text, &i, err);
	if (rc != 0)
		return rc;
	if (i == 0)
		return keyring_fail(err, CAIRN_E_INVAL, "Removing the primary key is not allowed");
	if (i < 0)
		return 0; /* memberlist: removing an absent key succeeds */
	size_t tail = kr->n - (size_t)i - 1;
	memmove(&kr->keys[i], &kr->keys[i + 1], tail * sizeof(kr->keys[0]));
	kr->n--;
	OPENSSL_cleanse(&kr->keys[kr->n], sizeof(kr->keys[0]));
	return 0;
}

void keyring_key_text(const struct keyring *kr, size_t i, struct buf *out)
{
	if (i < kr->n)
		keyring_encode_key(&kr->keys[i], out);
}

/* ---- policy ---- */

bool keyring_encrypt_outgoing(const struct keyring *kr, bool verify_outgoing)
{
	return kr->n > 0 && verify_outgoing;
}

enum keyring_in keyring_incoming_packet(const struct keyring *kr, bool verify_incoming, int open_rc)
{
	if (kr->n == 0)
		return KEYRING_IN_PLAIN;
	if (open_rc == 0)
		return KEYRING_IN_DECRYPTED;
	return verify_incoming ? KEYRING_IN_DROP : KEYRING_IN_PLAIN;
}

enum keyring_in keyring_incoming_stream(const struct keyring *kr, bool verify_incoming,
					bool encrypted, int open_rc, const char **why)
{
	const char *reason = NULL;
	enum keyring_in r = KEYRING_IN_PLAIN;
	if (encrypted && kr->n == 0) {
		reason = "Remote state is encrypted and encryption is not configured";
		r = KEYRING_IN_DROP;
	} else if (encrypted) {
		r = open_rc == 0 ? KEYRING_IN_DECRYPTED : KEYRING_IN_DROP;
		if (open_rc != 0)
			reason = "No installed keys could decrypt the message";
	} else if (kr->n > 0 && verify_incoming) {
		reason = "Encryption is configured but remote state is not encrypted";
		r = KEYRING_IN_DROP;
	}
	if (why)
		*why = reason;
	return r;
}
