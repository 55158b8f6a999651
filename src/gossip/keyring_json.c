/*
 * The keyring file's JSON (see keyring.h): writing serf's indented array, and a
 * reader that accepts exactly what Go's json.Unmarshal into a []string accepts for
 * these files (an array of strings, or null, any JSON whitespace, the standard
 * escapes) and reports Go's messages for the common mistakes, e.g. a bare key
 * written without brackets: "invalid character 'i' looking for beginning of value".
 * Keys go through keyring_install_key, so duplicates collapse as in memberlist.
 */
#include "gossip/keyring_int.h"

#include "base/err.h"
#include "base/hex.h"

#include <openssl/crypto.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void keyring_to_json(const struct keyring *kr, struct buf *out)
{
	if (kr->n == 0) {
		buf_puts(out, "[]");
		return;
	}
	buf_puts(out, "[\n");
	for (size_t i = 0; i < kr->n; i++) {
		buf_puts(out, "  \"");
		keyring_key_text(kr, i, out);
		buf_puts(out, i + 1 < kr->n ? "\",\n" : "\"\n");
	}
	buf_putc(out, ']');
}

/* ---- JSON reader ---- */

struct rd {
	const char *s; /* input */
	size_t n;      /* its length */
	size_t i;      /* next byte */
};

static void skip_ws(struct rd *r)
{
	while (r->i < r->n && (r->s[r->i] == ' ' || r->s[r->i] == '\t' || r->s[r->i] == '\n' ||
			       r->s[r->i] == '\r'))
		r->i++;
}

/* Go's message for an unexpected byte (or the end) in context ctx. */
static int bad_char(const struct rd *r, const char *ctx, char *err)
{
	if (r->i >= r->n)
		return keyring_fail(err, CAIRN_E_PARSE, "unexpected end of JSON input");
	unsigned char c = (unsigned char)r->s[r->i];
	if (c == '"' || c == '-' || (c >= '0' && c <= '9') || c == '{' || c == '[' || c == 't' ||
	    c == 'f' || c == 'n')
		return keyring_fail(err, CAIRN_E_PARSE,
				    "keyring file must be a JSON array of strings");
	if (c < 0x20 || c >= 0x7f)
		return keyring_fail(err, CAIRN_E_PARSE, "invalid character '\\x%02x' %s", c, ctx);
	return keyring_fail(err, CAIRN_E_PARSE, "invalid character '%c' %s", c, ctx);
}

/* A string at r->s[r->i] == '"' into out (escapes resolved; \u above 0x7f, which
 * cannot be part of a base64 key, becomes '?' so that the key fails to decode). */
static int read_string(struct rd *r, struct buf *out, char *err)
{
	static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";
	r->i++;
	while (r->i < r->n) {
		char c = r->s[r->i++];
		if (c == '"')
			return 0;
		if ((unsigned char)c < 0x20)
			return keyring_fail(err, CAIRN_E_PARSE,
					    "invalid character in string literal");
		if (c != '\\') {
			buf_putc(out, c);
			continue;
		}
		if (r->i >= r->n)
			break;
		char e = r->s[r->i++];
		const char *hit = e ? strchr(esc_in, e) : NULL;
		if (hit) {
			buf_putc(out, esc_out[hit - esc_in]);
			continue;
		}
		if (e != 'u' || r->n - r->i < 4)
			return keyring_fail(err, CAIRN_E_PARSE, "invalid escape in string literal");
		int v = 0;
		for (int k = 0; k < 4; k++) {
			int h = hexval(r->s[r->i++]);
			if (h < 0)
				return keyring_fail(err, CAIRN_E_PARSE,
						    "invalid escape in string literal");
			v = v * 16 + h;
		}
		buf_putc(out, v < 0x80 ? (char)v : '?');
	}
	return keyring_fail(err, CAIRN_E_PARSE, "unexpected end of JSON input");
}

/* Decode one key string and add it (dedup as memberlist's NewKeyring). */
static int add_text(struct keyring *kr, const struct buf *text, char *err)
{
	const char *nul = text->len ? memchr(text->data, '\0', text->len) : NULL;
	if (nul) /* a \u0000 escape: not base64, and would cut the C string short */
		return keyring_fail(err, CAIRN_E_INVAL, "illegal base64 data at input byte %zu",
				    (size_t)(nul - text->data));
	struct gkey k;
	char why[KEYRING_ERR_MAX];
	int rc = keyring_decode_key(buf_cstr(text), &k, why);
	if (rc != 0)
		return keyring_fail(err, rc, "%s", why);
	rc = keyring_install_key(kr, &k, err);
	OPENSSL_cleanse(&k, sizeof(k));
	return rc;
}

static int read_array(struct rd *r, struct keyring *kr, char *err)
{
	skip_ws(r);
	if (r->n - r->i >= 4 && memcmp(r->s + r->i, "null", 4) == 0) {
		r->i += 4;
		return 0;
	}
	if (r->i >= r->n || r->s[r->i] != '[')
		return bad_char(r, "looking for beginning of value", err);
	r->i++;
	skip_ws(r);
	if (r->i < r->n && r->s[r->i] == ']') {
		r->i++;
		return 0;
	}
	struct buf text = BUF_INIT;
	int rc = 0;
	for (;;) {
		skip_ws(r);
		if (r->i >= r->n || r->s[r->i] != '"') {
			rc = bad_char(r, "looking for beginning of value", err);
			break;
		}
		buf_reset(&text);
		if ((rc = read_string(r, &text, err)) != 0 || (rc = add_text(kr, &text, err)) != 0)
			break;
		skip_ws(r);
		if (r->i < r->n && r->s[r->i] == ',') {
			r->i++;
			continue;
		}
		if (r->i < r->n && r->s[r->i] == ']') {
			r->i++;
			break;
		}
		rc = bad_char(r, "after array element", err);
		break;
	}
	if (text.data)
		OPENSSL_cleanse(text.data, text.cap);
	buf_free(&text);
	return rc;
}

int keyring_parse_json(struct keyring *kr, const char *data, size_t n, char *err)
{
	struct rd r = {data, n, 0};
	struct keyring tmp;
	keyring_init(&tmp);
	int rc = read_array(&r, &tmp, err);
	if (rc == 0) {
		skip_ws(&r);
		if (r.i < r.n)
			rc = bad_char(&r, "after top-level value", err);
	}
	if (rc == 0 && tmp.n == 0)
		rc = keyring_fail(err, CAIRN_E_INVAL, "no keys present in keyring");
	if (rc != 0) {
		keyring_free(&tmp);
		return rc;
	}
	keyring_free(kr);
	*kr = tmp;
	return 0;
}
