/* Streaming JSON writer (see jsonw.h). */
#include "base/jsonw.h"

#include "base/b64.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jsonw_init(struct jsonw *w, struct buf *out, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->pretty = pretty;
}

static void newline_indent(struct jsonw *w)
{
	buf_putc(w->out, '\n');
	for (int i = 0; i < w->depth; i++)
		buf_append(w->out, "    ", 4);
}

/* Separator and indentation before a value or a key. */
static void before_item(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth == 0)
		return;
	if (w->has_items[w->depth - 1])
		buf_putc(w->out, ',');
	w->has_items[w->depth - 1] = true;
	if (w->pretty)
		newline_indent(w);
}

static void open(struct jsonw *w, char c)
{
	before_item(w);
	buf_putc(w->out, c);
	if (w->depth < JSONW_MAX_DEPTH)
		w->has_items[w->depth] = false;
	w->depth++;
}

static void close(struct jsonw *w, char c)
{
	w->depth--;
	if (w->pretty && w->depth < JSONW_MAX_DEPTH && w->has_items[w->depth])
		newline_indent(w);
	buf_putc(w->out, c);
}

void jsonw_obj_open(struct jsonw *w)
{
	open(w, '{');
}

void jsonw_obj_close(struct jsonw *w)
{
	close(w, '}');
}

void jsonw_arr_open(struct jsonw *w)
{
	open(w, '[');
}

void jsonw_arr_close(struct jsonw *w)
{
	close(w, ']');
}

/* Bytes copied as they are inside a JSON string: printable ASCII except the
 * quote, the backslash and Go's HTML escapes (<, >, &). One load per byte. */
static const bool plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
    1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, /* 0x30 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x70 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x80 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x90 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xa0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xb0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xc0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xd0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xe0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xf0 */
};

/* Keys are program constants or user map keys; the common plain ones are copied
 * in one append instead of going through the escaper. */
static void put_key(struct buf *out, const char *key)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++, n++) {
		if (!plain[*p]) {
			json_escape(out, key, strlen(key));
			return;
		}
	}
	buf_reserve(out, n + 2);
	out->data[out->len++] = '"';
	memcpy(out->data + out->len, key, n);
	out->len += n;
	out->data[out->len++] = '"';
	out->data[out->len] = '\0';
}

void jsonw_key(struct jsonw *w, const char *key)
{
	before_item(w);
	put_key(w->out, key);
	if (w->pretty)
		buf_append(w->out, ": ", 2);
	else
		buf_putc(w->out, ':');
	w->after_key = true;
}

/* Length of the valid UTF-8 sequence at s (max n bytes), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) {
		len = 2;
		min = 0x80;
		c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3;
		min = 0x800;
		c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4;
		min = 0x10000;
		c &= 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

void json_escape(struct buf *out, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	buf_reserve(out, n + 2);
	buf_putc(out, '"');
	size_t i = 0;
	while (i < n) {
		size_t start = i;
		/* copy the run of bytes that need no escaping */
		while (i < n && plain[s[i]])
			i++;
		if (i > start)
			buf_append(out, s + start, i - start);
		if (i >= n)
			break;
		unsigned char c = s[i];
		if (c < 0x80) {
			switch (c) {
			case '"':
				buf_append(out, "\\\"", 2);
				break;
			case '\\':
				buf_append(out, "\\\\", 2);
				break;
			case '\n':
				buf_append(out, "\\n", 2);
				break;
			case '\r':
				buf_append(out, "\\r", 2);
				break;
			case '\t':
				buf_append(out, "\\t", 2);
				break;
			default: {
				char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
				buf_append(out, e, 6);
			}
			}
			i++;
			continue;
		}
		size_t len = utf8_len(s + i, n - i);
		if (len == 0) {
			buf_append(out, "\\ufffd", 6);
			i++;
		} else if (len == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 &&
			   (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			buf_append(out, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
			i += 3;
		} else {
			buf_append(out, s + i, len);
			i += len;
		}
	}
	buf_putc(out, '"');
}

void jsonw_str(struct jsonw *w, const char *s)
{
	if (!s) {
		jsonw_null(w);
		return;
	}
	jsonw_strn(w, s, strlen(s));
}

void jsonw_strn(struct jsonw *w, const char *s, size_t n)
{
	before_item(w);
	json_escape(w->out, s, n);
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	before_item(w);
	buf_put_i64(w->out, v);
}

void jsonw_uint(struct jsonw *w, uint64_t v)
{
	before_item(w);
	buf_put_u64(w->out, v);
}

void json_put_float(struct buf *out, double v)
{
	if (!isfinite(v)) { /* Go refuses to marshal these; never valid here */
		buf_putc(out, '0');
		return;
	}
	if (v == 0) {
		buf_puts(out, signbit(v) ? "-0" : "0");
		return;
	}
	/* Shortest digit string that round-trips. */
	char e[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec - 1, v);
		if (strtod(e, NULL) == v)
			break;
	}
	/* e is "[-]d[.ddd]e±xx": split into sign, digits and exponent. */
	const char *s = e;
	bool neg = *s == '-';
	s += neg;
	char digits[24];
	size_t nd = 0;
	for (; *s != 'e'; s++)
		if (*s != '.')
			digits[nd++] = *s;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	int exp = atoi(s + 1);
	if (neg)
		buf_putc(out, '-');
	double a = fabs(v);
	if (a < 1e-6 || a >= 1e21) {
		buf_putc(out, digits[0]);
		if (nd > 1) {
			buf_putc(out, '.');
			buf_append(out, digits + 1, nd - 1);
		}
		buf_printf(out, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
		/* Go trims one leading zero of a negative exponent only: e-07 -> e-7 */
		if (exp < 0 && exp > -10) {
			out->data[out->len - 2] = out->data[out->len - 1];
			out->data[--out->len] = '\0';
		}
		return;
	}
	if (exp < 0) {
		buf_puts(out, "0.");
		for (int i = 0; i < -exp - 1; i++)
			buf_putc(out, '0');
		buf_append(out, digits, nd);
		return;
	}
	size_t whole = (size_t)exp + 1;
	for (size_t i = 0; i < whole; i++)
		buf_putc(out, i < nd ? digits[i] : '0');
	if (nd > whole) {
		buf_putc(out, '.');
		buf_append(out, digits + whole, nd - whole);
	}
}

void jsonw_double(struct jsonw *w, double v)
{
	before_item(w);
	json_put_float(w->out, v);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	before_item(w);
	buf_puts(w->out, v ? "true" : "false");
}

void jsonw_null(struct jsonw *w)
{
	before_item(w);
	buf_puts(w->out, "null");
}

void jsonw_base64(struct jsonw *w, const void *p, size_t n)
{
	before_item(w);
	buf_putc(w->out, '"');
	b64_encode(w->out, p, n);
	buf_putc(w->out, '"');
}

void jsonw_raw(struct jsonw *w, const char *json, size_t n)
{
	before_item(w);
	buf_append(w->out, json, n);
}

void jsonw_kstr(struct jsonw *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	jsonw_str(w, s);
}

void jsonw_kint(struct jsonw *w, const char *key, int64_t v)
{
	jsonw_key(w, key);
	jsonw_int(w, v);
}

void jsonw_kuint(struct jsonw *w, const char *key, uint64_t v)
{
	jsonw_key(w, key);
	jsonw_uint(w, v);
}

void jsonw_kbool(struct jsonw *w, const char *key, bool v)
{
	jsonw_key(w, key);
	jsonw_bool(w, v);
}
