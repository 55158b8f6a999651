/*
 * The lexemes of a filter: whitespace, words, strings, numbers and selectors
 * (grammar in filter.h), read straight from the text at the parser's position.
 *
 * Each reader either consumes its lexeme and returns true, or leaves the
 * position alone and returns false, recording a failure only when the text
 * was clearly meant as its lexeme (an opening quote without a closing one, a
 * number running into letters, "[" without an index). Messages that go-bexpr
 * writes itself are kept word for word.
 *
 * Strings: a double-quoted string takes Go's escapes (\a \b \f \n \r \t \v
 * \\ \" \xHH \ooo \uHHHH \UHHHHHHHH) and may not hold a raw newline, as
 * strconv.Unquote, which go-bexpr calls, requires; a backquoted string is raw,
 * with carriage returns dropped as Go does.
 */
#include "base/filter_lex.h"

#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>

void lex_fail(struct parser *P, size_t at, const char *why)
{
	if (P->fatal || (P->failed && at <= P->fail_at))
		return;
	P->failed = true;
	P->fail_at = at;
	P->why = why;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int peek(const struct parser *P, size_t ahead)
{
	return P->pos + ahead < P->len ? (unsigned char)P->s[P->pos + ahead] : -1;
}

size_t lex_ws(struct parser *P)
{
	size_t start = P->pos;
	while (P->pos < P->len && is_ws(P->s[P->pos]))
		P->pos++;
	return P->pos - start;
}

bool lex_word(struct parser *P, const char *w)
{
	size_t n = strlen(w);
	if (P->len - P->pos < n || memcmp(P->s + P->pos, w, n) != 0)
		return false;
	P->pos += n;
	return true;
}

/* ---- strings ---- */

static void put_utf8(struct buf *b, uint32_t cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_append(b, u, n);
}

/* n digits in base at s; false if one is missing. */
static bool digits(const char *s, size_t avail, int n, int base, uint32_t *out)
{
	uint32_t v = 0;
	if ((size_t)n > avail)
		return false;
	for (int i = 0; i < n; i++) {
		int c = (unsigned char)s[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		if (d >= base)
			return false;
		v = v * (uint32_t)base + (uint32_t)d;
	}
	*out = v;
	return true;
}

static const struct {
	char c;	   /* after the backslash */
	char byte; /* what it stands for */
} simple_escapes[] = {
    {'a', '\a'}, {'b', '\b'}, {'f', '\f'},  {'n', '\n'}, {'r', '\r'},
    {'t', '\t'}, {'v', '\v'}, {'\\', '\\'}, {'"', '"'},
};

/* The escape at s[0] == '\\' (avail bytes); returns its length, 0 if bad. */
static size_t unescape(const char *s, size_t avail, struct buf *out)
{
	if (avail < 2)
		return 0;
	for (size_t i = 0; i < sizeof(simple_escapes) / sizeof(simple_escapes[0]); i++) {
		if (s[1] == simple_escapes[i].c) {
			buf_putc(out, simple_escapes[i].byte);
			return 2;
		}
	}
	uint32_t v;
	switch (s[1]) {
	case 'x':
		if (!digits(s + 2, avail - 2, 2, 16, &v))
			return 0;
		buf_putc(out, (char)v);
		return 4;
	case 'u':
	case 'U': {
		int n = s[1] == 'u' ? 4 : 8;
		if (!digits(s + 2, avail - 2, n, 16, &v) || v > 0x10ffff ||
		    (v >= 0xd800 && v < 0xe000))
			return 0;
		put_utf8(out, v);
		return 2 + (size_t)n;
	}
	default:
		if (!digits(s + 1, avail - 1, 3, 8, &v) || v > 255)
			return 0;
		buf_putc(out, (char)v);
		return 4;
	}
}

static bool lex_quoted(struct parser *P, struct buf *out)
{
	size_t start = P->pos, i = P->pos + 1;
	while (i < P->len && P->s[i] != '"') {
		if (P->s[i] == '\n') {
			lex_fail(P, i, "Invalid string literal: newline in string");
			return false;
		}
		if (P->s[i] != '\\') {
			buf_putc(out, P->s[i++]);
			continue;
		}
		if (i + 1 >= P->len)
			break; /* unterminated */
		size_t used = unescape(P->s + i, P->len - i, out);
		if (!used) {
			lex_fail(P, i, "Invalid escape sequence in string literal");
			return false;
		}
		i += used;
	}
	if (i >= P->len) {
		lex_fail(P, start, "Unterminated string literal");
		return false;
	}
	P->pos = i + 1;
	return true;
}

static bool lex_raw(struct parser *P, struct buf *out)
{
	const char *end = memchr(P->s + P->pos + 1, '`', P->len - P->pos - 1);
	if (!end) {
		lex_fail(P, P->pos, "Unterminated string literal");
		return false;
	}
	for (const char *c = P->s + P->pos + 1; c < end; c++)
		if (*c != '\r')
			buf_putc(out, *c);
	P->pos = (size_t)(end - P->s) + 1;
	return true;
}

bool lex_string(struct parser *P, struct fstr *out)
{
	int q = peek(P, 0);
	if (q != '"' && q != '`')
		return false;
	struct buf b = BUF_INIT;
	if (!(q == '"' ? lex_quoted(P, &b) : lex_raw(P, &b))) {
		buf_free(&b);
		return false;
	}
	out->len = b.len;
	out->s = buf_steal(&b);
	return true;
}

/* ---- numbers ---- */

bool lex_number(struct parser *P, struct fstr *out)
{
	size_t start = P->pos, i = P->pos;
	if (i < P->len && P->s[i] == '-')
		i++;
	if (i >= P->len || !is_digit(P->s[i]))
		return false;
	if (P->s[i++] != '0')
		while (i < P->len && is_digit(P->s[i]))
			i++;
	if (i + 1 < P->len && P->s[i] == '.' && is_digit(P->s[i + 1])) {
		i++;
		while (i < P->len && is_digit(P->s[i]))
			i++;
	}
	/* go-bexpr: a number is followed by whitespace, ")" or the end */
	if (i < P->len && !is_ws(P->s[i]) && P->s[i] != ')') {
		lex_fail(P, start, "Invalid number literal");
		return false;
	}
	out->s = xstrndup(P->s + start, i - start);
	out->len = i - start;
	P->pos = i;
	return true;
}

/* ---- selectors ---- */

static void parts_push(struct parts *p, char *s, size_t len)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4;
		p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	p->v[p->n].s = s;
	p->v[p->n].len = len;
	p->n++;
}

void parts_free(struct parts *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].s);
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}

/* An identifier, or after a dot a run of digits. */
static void lex_part(struct parser *P, struct parts *out)
{
	size_t start = P->pos;
	bool num = is_digit(P->s[start]);
	P->pos++;
	while (P->pos < P->len) {
		char c = P->s[P->pos];
		if (!is_digit(c) && (num || (!is_alpha(c) && c != '_')))
			break;
		P->pos++;
	}
	parts_push(out, xstrndup(P->s + start, P->pos - start), P->pos - start);
}

/* ["key"]: false (position unchanged) if there is none. */
static bool lex_index(struct parser *P, struct parts *out)
{
	size_t open = P->pos;
	P->pos++;
	lex_ws(P);
	struct fstr key;
	if (!lex_string(P, &key)) {
		lex_fail(P, P->pos, "Invalid index");
		P->pos = open;
		return false;
	}
	lex_ws(P);
	if (peek(P, 0) != ']') {
		lex_fail(P, P->pos, "Unclosed index expression");
		free(key.s);
		P->pos = open;
		return false;
	}
	P->pos++;
	parts_push(out, key.s, key.len);
	return true;
}

bool lex_selector(struct parser *P, struct parts *out)
{
	if (peek(P, 0) < 0 || !is_alpha((char)peek(P, 0)))
		return false;
	lex_part(P, out);
	for (;;) {
		int c = peek(P, 0), next = peek(P, 1);
		if (c == '.' && next >= 0 && (is_alpha((char)next) || is_digit((char)next))) {
			P->pos++;
			lex_part(P, out);
		} else if (c == '[') {
			if (!lex_index(P, out))
				break;
		} else {
			break;
		}
	}
	return true;
}
