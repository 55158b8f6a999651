/*
 * Unit tests of gossip encryption (src/gossip/crypto.c): the sealed layout against a
 * published AES-GCM vector, round trips for every key size and both versions, and
 * every way an input can be wrong (key, tag, any byte, length, label, version),
 * each of which must fail cleanly and leave the output buffer as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "gossip/crypto.h"

#include <stdio.h>
#include <string.h>

/* A deterministic random source: repeats seed bytes, counting calls. */
struct fake_rand {
	uint8_t next;
	int calls;
	bool broken;
};

static int fake_fill(void *ctx, uint8_t *out, size_t n)
{
	struct fake_rand *f = ctx;
	f->calls++;
	if (f->broken)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = f->next++;
	return 0;
}

static struct gkey key_of(size_t len, uint8_t base)
{
	struct gkey k = {.len = (uint8_t)len};
	for (size_t i = 0; i < len; i++)
		k.b[i] = (uint8_t)(base + i * 7);
	return k;
}

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	for (; s[0] && s[1]; s += 2) {
		unsigned v;
		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* NIST GCM spec test case 4 (AES-128, 60-byte plaintext, 20-byte aad): our sealed
 * form must be version 1, the nonce, then exactly Go's gcm.Seal output. */
static int kat_fill(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	assert_int_equal(n, GCRYPT_NONCE_LEN);
	unhex("cafebabefacedbaddecaf888", out);
	return 0;
}

static void test_known_answer(void **state)
{
	(void)state;
	struct gkey k = {.len = 16};
	uint8_t msg[64], aad[32], want[128];
	unhex("feffe9928665731c6d6a8f9467308308", k.b);
	size_t n = unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c"
			 "95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
			 msg);
	size_t an = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad);
	size_t wn = unhex("01cafebabefacedbaddecaf888"
			  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d5"
			  "14b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"
			  "5bc94fbc3221a5db94fae95ae7121a47",
			  want);
	struct gcrypt_rand rnd = {kat_fill, NULL};
	struct buf out = BUF_INIT;
	assert_int_equal(gcrypt_seal(&k, GCRYPT_VSN, msg, n, aad, an, &rnd, &out, NULL), 0);
	assert_int_equal(out.len, wn);
	assert_int_equal(out.len, gcrypt_sealed_len(GCRYPT_VSN, n));
	assert_memory_equal(out.data, want, wn);

	struct buf plain = BUF_INIT;
	size_t used = 99;
	assert_int_equal(gcrypt_open(&k, 1, want, wn, aad, an, &plain, &used, NULL), 0);
	assert_int_equal(used, 0);
	assert_int_equal(plain.len, n);
	assert_memory_equal(plain.data, msg, n);
	buf_free(&out);
	buf_free(&plain);
}

static void round_trip(size_t klen, int vsn, size_t n, const char *label)
{
	struct gkey k = key_of(klen, (uint8_t)n);
	uint8_t msg[300];
	for (size_t i = 0; i < n; i++)
		msg[i] = (uint8_t)(i * 31 + klen);
	size_t ln = label ? strlen(label) : 0;
	struct buf out = BUF_INIT, plain = BUF_INIT;
	buf_puts(&out, "prefix");
	buf_puts(&plain, "keep");
	assert_int_equal(gcrypt_seal(&k, vsn, msg, n, label, ln, NULL, &out, NULL), 0);
	assert_int_equal(out.len, 6 + gcrypt_sealed_len(vsn, n));
	assert_int_equal((uint8_t)out.data[6], vsn);
	assert_int_equal(
	    gcrypt_open(&k, 1, out.data + 6, out.len - 6, label, ln, &plain, NULL, NULL), 0);
	assert_int_equal(plain.len, 4 + n);
	assert_memory_equal(plain.data, "keep", 4);
	if (n)
		assert_memory_equal(plain.data + 4, msg, n);
	assert_int_equal(plain.data[plain.len], '\0');
	buf_free(&out);
	buf_free(&plain);
}

static void test_round_trip_sizes(void **state)
{
	(void)state;
	static const size_t klens[] = {16, 24, 32};
	static const size_t lens[] = {0, 1, 15, 16, 17, 255, 300};
	for (size_t i = 0; i < 3; i++) {
		for (size_t j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			round_trip(klens[i], GCRYPT_VSN, lens[j], NULL);
			round_trip(klens[i], GCRYPT_VSN, lens[j], "my-label");
			round_trip(klens[i], GCRYPT_VSN_PADDED, lens[j], NULL);
			round_trip(klens[i], GCRYPT_VSN_PADDED, lens[j], "lbl");
		}
	}
	assert_int_equal(gcrypt_sealed_len(GCRYPT_VSN, 10), 39);
	assert_int_equal(gcrypt_sealed_len(GCRYPT_VSN_PADDED, 0), 45);
	assert_int_equal(gcrypt_sealed_len(GCRYPT_VSN_PADDED, 16), 61);
}

static void test_nonce_from_source(void **state)
{
	(void)state;
	struct gkey k = key_of(32, 1);
	struct fake_rand f = {.next = 0x40};
	struct gcrypt_rand rnd = {fake_fill, &f};
	struct buf a = BUF_INIT, b = BUF_INIT;
	assert_int_equal(gcrypt_seal(&k, GCRYPT_VSN, "hi", 2, NULL, 0, &rnd, &a, NULL), 0);
	assert_int_equal(f.calls, 1);
	for (int i = 0; i < GCRYPT_NONCE_LEN; i++)
		assert_int_equal((uint8_t)a.data[1 + i], 0x40 + i);
	/* a fresh nonce each time: the same message seals differently */
	assert_int_equal(gcrypt_seal(&k, GCRYPT_VSN, "hi", 2, NULL, 0, &rnd, &b, NULL), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_not_equal(a.data, b.data, a.len);
	/* the real source too */
	buf_reset(&a);
	buf_reset(&b);
	assert_int_equal(gcrypt_seal(&k, GCRYPT_VSN, "hi", 2, NULL, 0, NULL, &a, NULL), 0);
	assert_int_equal(gcrypt_seal(&k, GCRYPT_VSN, "hi", 2, NULL, 0, NULL, &b, NULL), 0);
	assert_memory_not_equal(a.data + 1, b.data + 1, GCRYPT_NONCE_LEN);
	buf_free(&a);
	buf_free(&b);
}

static void test_seal_errors(void **state)
{
	(void)state;
	char err[GCRYPT_ERR_MAX];
	struct buf out = BUF_INIT;
	buf_puts(&out, "x");
	struct gkey bad = key_of(20, 0);
	assert_int_equal(gcrypt_seal(&bad, GCRYPT_VSN, "m", 1, NULL, 0, NULL, &out, err),
			 CAIRN_E_INVAL);
	assert_string_equal(err, "key size must be 16, 24 or 32 bytes");
	assert_int_equal(gcrypt_seal(NULL, GCRYPT_VSN, "m", 1, NULL, 0, NULL, &out, err),
			 CAIRN_E_INVAL);
	struct gkey k = key_of(16, 0);
	assert_int_equal(gcrypt_seal(&k, 2, "m", 1, NULL, 0, NULL, &out, err), CAIRN_E_INVAL);
	assert_string_equal(err, "Unsupported encryption version 2");
	struct fake_rand f = {.broken = true};
	struct gcrypt_rand rnd = {fake_fill, &f};
	assert_int_equal(gcrypt_seal(&k, GCRYPT_VSN, "m", 1, NULL, 0, &rnd, &out, err),
			 CAIRN_E_INTERNAL);
	assert_int_equal(
	    gcrypt_seal(&k, GCRYPT_VSN, "m", GCRYPT_MSG_MAX + 1, NULL, 0, NULL, &out, err),
	    CAIRN_E_TOOBIG);
	assert_int_equal(out.len, 1);
	assert_string_equal(out.data, "x");
	buf_free(&out);
}

/* Seal msg with k and the label; returns the sealed bytes in out. */
static void seal(const struct gkey *k, const char *msg, const char *label, struct buf *out)
{
	buf_reset(out);
	assert_int_equal(gcrypt_seal(k, GCRYPT_VSN, msg, strlen(msg), label,
				     label ? strlen(label) : 0, NULL, out, NULL),
			 0);
}

static void expect_open_fails(const struct gkey *keys, size_t nkeys, const void *p, size_t n,
			      const char *label, int code, const char *msg)
{
	struct buf plain = BUF_INIT;
	buf_puts(&plain, "keep");
	char err[GCRYPT_ERR_MAX] = "";
	size_t used = 77;
	int rc =
	    gcrypt_open(keys, nkeys, p, n, label, label ? strlen(label) : 0, &plain, &used, err);
	assert_int_equal(rc, code);
	if (msg)
		assert_string_equal(err, msg);
	assert_int_equal(used, 77);
	assert_int_equal(plain.len, 4);
	assert_string_equal(plain.data, "keep");
	buf_free(&plain);
}

static void test_wrong_key(void **state)
{
	(void)state;
	struct gkey a = key_of(32, 1), b = key_of(32, 2), short_a = a;
	short_a.len = 16; /* same first bytes, different key */
	struct buf s = BUF_INIT;
	seal(&a, "hello gossip", NULL, &s);
	expect_open_fails(&b, 1, s.data, s.len, NULL, CAIRN_E_PERM,
			  "No installed keys could decrypt the message");
	expect_open_fails(&short_a, 1, s.data, s.len, NULL, CAIRN_E_PERM, NULL);
	expect_open_fails(NULL, 0, s.data, s.len, NULL, CAIRN_E_PERM,
			  "No installed keys could decrypt the message");
	buf_free(&s);
}

static void test_tampered(void **state)
{
	(void)state;
	struct gkey k = key_of(24, 9);
	struct buf s = BUF_INIT;
	seal(&k, "a message of some length", "lbl", &s);
	/* every bit of nonce, ciphertext and tag is covered by the tag */
	for (size_t i = 1; i < s.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			s.data[i] ^= (char)(1 << bit);
			expect_open_fails(&k, 1, s.data, s.len, "lbl", CAIRN_E_PERM, NULL);
			s.data[i] ^= (char)(1 << bit);
		}
	}
	s.data[0] = 7;
	expect_open_fails(&k, 1, s.data, s.len, "lbl", CAIRN_E_VERSION,
			  "Unsupported encryption version 7");
	buf_free(&s);
}

static void test_truncated(void **state)
{
	(void)state;
	struct gkey k = key_of(16, 3);
	struct buf s = BUF_INIT;
	seal(&k, "truncate me", NULL, &s);
	expect_open_fails(&k, 1, s.data, 0, NULL, CAIRN_E_PARSE, "Cannot decrypt empty payload");
	expect_open_fails(&k, 1, s.data, 28, NULL, CAIRN_E_PARSE,
			  "Payload is too small to decrypt: 28");
	for (size_t n = 1; n < s.len; n++)
		expect_open_fails(&k, 1, s.data, n, NULL, n < 29 ? CAIRN_E_PARSE : CAIRN_E_PERM,
				  NULL);
	/* a version-0 header needs room for at least one block of padding */
	s.data[0] = GCRYPT_VSN_PADDED;
	expect_open_fails(&k, 1, s.data, 44, NULL, CAIRN_E_PARSE,
			  "Payload is too small to decrypt: 44");
	/* and a longer input (extra bytes after the tag) fails as well */
	buf_putc(&s, 'x');
	s.data[0] = GCRYPT_VSN;
	expect_open_fails(&k, 1, s.data, s.len, NULL, CAIRN_E_PERM, NULL);
	buf_free(&s);
}

static void test_multi_key(void **state)
{
	(void)state;
	struct gkey keys[3] = {key_of(16, 1), key_of(24, 2), key_of(32, 3)};
	struct buf s = BUF_INIT, plain = BUF_INIT;
	for (size_t which = 0; which < 3; which++) {
		seal(&keys[which], "rotating", "L", &s);
		size_t used = 99;
		buf_reset(&plain);
		assert_int_equal(gcrypt_open(keys, 3, s.data, s.len, "L", 1, &plain, &used, NULL),
				 0);
		assert_int_equal(used, which);
		assert_string_equal(plain.data, "rotating");
		/* without that key, nothing opens it */
		struct gkey others[2];
		size_t m = 0;
		for (size_t i = 0; i < 3; i++)
			if (i != which)
				others[m++] = keys[i];
		expect_open_fails(others, 2, s.data, s.len, "L", CAIRN_E_PERM, NULL);
	}
	buf_free(&s);
	buf_free(&plain);
}

static void test_label(void **state)
{
	(void)state;
	struct gkey k = key_of(32, 5);
	struct buf s = BUF_INIT;
	seal(&k, "labelled", "dc1-lan", &s);
	expect_open_fails(&k, 1, s.data, s.len, "dc2-lan", CAIRN_E_PERM, NULL);
	expect_open_fails(&k, 1, s.data, s.len, NULL, CAIRN_E_PERM, NULL);
	expect_open_fails(&k, 1, s.data, s.len, "dc1-la", CAIRN_E_PERM, NULL);
	seal(&k, "unlabelled", NULL, &s);
	expect_open_fails(&k, 1, s.data, s.len, "dc1-lan", CAIRN_E_PERM, NULL);
	buf_free(&s);
}

/* The version byte is outside the tag (as in memberlist), so a version-1 message
 * relabelled 0 opens, and then its "padding" must be checked. */
static void test_bad_padding(void **state)
{
	(void)state;
	struct gkey k = key_of(16, 8);
	uint8_t msg[16] = {0};
	struct buf s = BUF_INIT;
	assert_int_equal(gcrypt_seal(&k, GCRYPT_VSN, msg, 16, NULL, 0, NULL, &s, NULL), 0);
	s.data[0] = GCRYPT_VSN_PADDED;
	expect_open_fails(&k, 1, s.data, s.len, NULL, CAIRN_E_PARSE, "Invalid PKCS7 padding");
	msg[15] = 17;
	buf_reset(&s);
	assert_int_equal(gcrypt_seal(&k, GCRYPT_VSN, msg, 16, NULL, 0, NULL, &s, NULL), 0);
	s.data[0] = GCRYPT_VSN_PADDED;
	expect_open_fails(&k, 1, s.data, s.len, NULL, CAIRN_E_PARSE, NULL);
	msg[15] = 2; /* claims two bytes of padding, but msg[14] is 0 */
	buf_reset(&s);
	assert_int_equal(gcrypt_seal(&k, GCRYPT_VSN, msg, 16, NULL, 0, NULL, &s, NULL), 0);
	s.data[0] = GCRYPT_VSN_PADDED;
	expect_open_fails(&k, 1, s.data, s.len, NULL, CAIRN_E_PARSE, NULL);
	buf_free(&s);
}

static void test_garbage(void **state)
{
	(void)state;
	struct gkey keys[2] = {key_of(16, 1), key_of(32, 2)};
	uint8_t junk[200];
	uint32_t x = 12345;
	for (int round = 0; round < 200; round++) {
		size_t n = (size_t)round;
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245 + 12345;
			junk[i] = (uint8_t)(x >> 16);
		}
		if (n)
			junk[0] = (uint8_t)(round % 3); /* versions 0, 1 and a bad one */
		struct buf plain = BUF_INIT;
		assert_int_not_equal(gcrypt_open(keys, 2, junk, n, NULL, 0, &plain, NULL, NULL), 0);
		assert_int_equal(plain.len, 0);
		buf_free(&plain);
	}
}

static void test_stream_aad(void **state)
{
	(void)state;
	struct buf aad = BUF_INIT;
	gcrypt_stream_aad(10, 0x01020304, "lbl", 3, &aad);
	assert_int_equal(aad.len, 8);
	assert_memory_equal(aad.data, "\x0a\x01\x02\x03\x04lbl", 8);
	buf_reset(&aad);
	gcrypt_stream_aad(10, 29, NULL, 0, &aad);
	assert_int_equal(aad.len, 5);
	assert_memory_equal(aad.data, "\x0a\x00\x00\x00\x1d", 5);
	buf_free(&aad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_answer),
	    cmocka_unit_test(test_round_trip_sizes),
	    cmocka_unit_test(test_nonce_from_source),
	    cmocka_unit_test(test_seal_errors),
	    cmocka_unit_test(test_wrong_key),
	    cmocka_unit_test(test_tampered),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_multi_key),
	    cmocka_unit_test(test_label),
	    cmocka_unit_test(test_bad_padding),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_stream_aad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
