/* Base64 (see b64.h). */
#include "base/b64.h"

#include <stdbool.h>
#include <stdint.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void b64_encode(struct buf *out, const void *p, size_t n)
{
	const unsigned char *s = p;
	buf_reserve(out, (n + 2) / 3 * 4);
	char *o = out->data + out->len;
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = alphabet[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
}

static int value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int b64_decode(struct buf *out, const char *s, size_t n)
{
	if (n % 4 != 0)
		return -1;
	buf_reserve(out, n / 4 * 3);
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			char c = s[i + k];
			if (c == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad) {
				return -1;
			} else if ((v[k] = value(c)) < 0) {
				return -1;
			}
		}
		uint32_t x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			     (uint32_t)v[3];
		unsigned char bytes[3] = {(unsigned char)(x >> 16), (unsigned char)(x >> 8),
					  (unsigned char)x};
		buf_append(out, bytes, (size_t)(3 - pad));
	}
	return 0;
}

static bool is_newline(char c)
{
	return c == '\r' || c == '\n';
}

static int next_char(const char *s, size_t n, size_t *i)
{
	while (*i < n && is_newline(s[*i]))
		(*i)++;
	return *i < n ? (unsigned char)s[(*i)++] : -1;
}

/* The offset Go's decoder names for input b64_decode_go refused: the error paths
 * of Go's decodeQuantum, quantum by quantum. */
static size_t go_bad_byte(const char *s, size_t n)
{
	size_t i = 0;
	for (;;) {
		for (int j = 0; j < 4; j++) {
			size_t at = i;
			int c = next_char(s, n, &i);
			if (c < 0)
				return j == 0 ? n : i - (size_t)j;
			if (c == '=') {
				int pad2 = j == 2 ? next_char(s, n, &i) : '=';
				/* Go: the '=' itself, the end of input, or the byte before the
				 * one that should have been the second '=' */
				if (j < 2 || pad2 != '=')
					return j < 2 ? at : pad2 < 0 ? n : i - 2;
				size_t rest = i;
				return next_char(s, n, &rest) >= 0 ? rest - 1 : n;
			}
			if (value((char)c) < 0)
				return at;
		}
	}
}

int b64_decode_go(struct buf *out, const char *s, size_t n, size_t *bad_at)
{
	size_t i = 0;
	int c;
	char q[4];
	int k = 0;
	buf_reserve(out, n / 4 * 3 + 3); /* no reallocation midway: no stray copies */
	while ((c = next_char(s, n, &i)) >= 0) {
		q[k++] = (char)c;
		if (k < 4)
			continue;
		k = 0;
		size_t rest = i;
		bool last = next_char(s, n, &rest) < 0;
		/* a quantum with padding must be the last one */
		if ((q[2] == '=' || q[3] == '=') && !last)
			goto bad;
		if (b64_decode(out, q, 4) != 0)
			goto bad;
	}
	if (k == 0)
		return 0;
bad:
	*bad_at = go_bad_byte(s, n);
	return -1;
}
