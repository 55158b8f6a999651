/*
 * A reader for the subset of HCL (version 1) that Consul configuration uses,
 * producing the same JSON object tree a .json file decodes to.
 *
 *   body      := { attribute | block | "," }
 *   attribute := key "=" value
 *   block     := key { label } "{" body "}"      labels nest: a "b" { } -> {"a":{"b":{}}}
 *   key       := identifier | "quoted string"
 *   value     := string | number | true | false | list | "{" body "}" | heredoc
 *   list      := "[" [ value { "," value } [","] ] "]"
 *   heredoc   := "<<" ["-"] MARKER newline lines MARKER
 * Comments: "#" and "//" to end of line, "/" "*" ... "*" "/". Newlines are plain
 * whitespace. Strings take JSON's escapes; "${...}" is kept literally.
 *
 * A key given twice keeps the last value, except blocks: a repeated block turns
 * into an array of objects (two `service { }` blocks are two services), as HCL's
 * decoder does. Errors are "At LINE:COL: message". Nesting is bounded so hostile
 * input cannot exhaust the stack. Pure function; no global state.
 */
#include "config/loader.h"

#include "base/alloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct hcl {
	const char *start, *p, *end;
	struct buf *err;
	bool failed;
	int depth;
};

static void *error_at(struct hcl *h, const char *at, const char *msg)
{
	if (h->failed)
		return NULL;
	int line = 1, col = 1;
	for (const char *q = h->start; q < at && q < h->end; q++) {
		if (*q == '\n')
			line++, col = 1;
		else
			col++;
	}
	buf_printf(h->err, "At %d:%d: %s", line, col, msg);
	h->failed = true;
	return NULL;
}

/* Skip whitespace and comments; false on an unterminated comment. */
static bool skip(struct hcl *h)
{
	while (h->p < h->end) {
		char c = *h->p;
		if (isspace((unsigned char)c)) {
			h->p++;
		} else if (c == '#' || (c == '/' && h->p + 1 < h->end && h->p[1] == '/')) {
			while (h->p < h->end && *h->p != '\n')
				h->p++;
		} else if (c == '/' && h->p + 1 < h->end && h->p[1] == '*') {
			const char *open = h->p;
			h->p += 2;
			while (h->p + 1 < h->end && !(h->p[0] == '*' && h->p[1] == '/'))
				h->p++;
			if (h->p + 1 >= h->end)
				return error_at(h, open, "comment not terminated"), false;
			h->p += 2;
		} else {
			break;
		}
	}
	return true;
}

static bool peek(struct hcl *h, char c)
{
	return h->p < h->end && *h->p == c;
}

static bool ident_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' ||
	       (!first && (isdigit((unsigned char)c) || c == '-' || c == '.' || c == ':'));
}

static void put_utf8(struct buf *b, unsigned long cp)
{
	if (cp < 0x80) {
		buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		buf_putc(b, (char)(0xC0 | (cp >> 6)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		buf_putc(b, (char)(0xE0 | (cp >> 12)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else {
		buf_putc(b, (char)(0xF0 | (cp >> 18)));
		buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	}
}

/* One escape after the backslash at h->p[-1]; false on a bad one. */
static bool escape(struct hcl *h, struct buf *b)
{
	static const char from[] = "\"\\/nrtbf", to[] = "\"\\/\n\r\t\b\f";
	const char *at = h->p - 1;
	if (h->p >= h->end)
		return error_at(h, at, "literal not terminated"), false;
	char c = *h->p++;
	const char *k = strchr(from, c);
	if (k && c) {
		buf_putc(b, to[k - from]);
		return true;
	}
	int digits = c == 'u' ? 4 : c == 'U' ? 8 : 0;
	if (!digits || h->end - h->p < digits)
		return error_at(h, at, "unknown escape sequence"), false;
	unsigned long cp = 0;
	for (int i = 0; i < digits; i++, h->p++) {
		if (!isxdigit((unsigned char)*h->p))
			return error_at(h, at, "unknown escape sequence"), false;
		cp = cp * 16 + (unsigned long)(isdigit((unsigned char)*h->p)
						   ? *h->p - '0'
						   : tolower((unsigned char)*h->p) - 'a' + 10);
	}
	if (cp > 0x10FFFF || cp == 0)
		return error_at(h, at, "invalid unicode escape"), false;
	put_utf8(b, cp);
	return true;
}

/* A quoted string at h->p (on the quote); returns an owned C string. */
static char *quoted(struct hcl *h)
{
	const char *open = h->p++;
	struct buf b = BUF_INIT;
	while (h->p < h->end && *h->p != '"') {
		char c = *h->p++;
		if (c == '\n' || c == 0) {
			buf_free(&b);
			return error_at(h, open, "literal not terminated");
		}
		if (c == '\\' && !escape(h, &b)) {
			buf_free(&b);
			return NULL;
		}
		if (c != '\\')
			buf_putc(&b, c);
	}
	if (h->p >= h->end) {
		buf_free(&b);
		return error_at(h, open, "literal not terminated");
	}
	h->p++;
	return buf_steal(&b);
}

static bool utf8_ok(const char *s)
{
	json_t *t = json_string(s);
	json_decref(t);
	return t != NULL;
}

static char *key(struct hcl *h)
{
	if (peek(h, '"')) {
		const char *at = h->p;
		char *k = quoted(h);
		if (k && !utf8_ok(k)) {
			free(k);
			return error_at(h, at, "invalid UTF-8 in key");
		}
		return k;
	}
	const char *s = h->p;
	if (h->p >= h->end || !ident_char(*h->p, true))
		return error_at(h, h->p, "expected: IDENT | STRING");
	while (h->p < h->end && ident_char(*h->p, false))
		h->p++;
	return xstrndup(s, (size_t)(h->p - s));
}

static json_t *value(struct hcl *h);
static bool body(struct hcl *h, json_t *obj, char close);

static json_t *number(struct hcl *h)
{
	const char *s = h->p;
	if (*h->p == '-' || *h->p == '+')
		h->p++;
	while (h->p < h->end &&
	       (isalnum((unsigned char)*h->p) || *h->p == '.' ||
		((*h->p == '-' || *h->p == '+') && (h->p[-1] == 'e' || h->p[-1] == 'E'))))
		h->p++;
	char *tok = xstrndup(s, (size_t)(h->p - s)), *end;
	const char *digits = tok + (*tok == '-' || *tok == '+');
	bool hex = digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
	json_t *v = NULL;
	errno = 0;
	if (!hex && strpbrk(tok, ".eE")) {
		double d = strtod(tok, &end);
		if (!*end && !errno && *digits)
			v = json_real(d);
	} else {
		long long n = strtoll(tok, &end, 0);
		if (!*end && !errno && *digits)
			v = json_integer(n);
	}
	free(tok);
	return v ? v : error_at(h, s, "invalid number");
}

static json_t *list(struct hcl *h)
{
	json_t *a = json_array();
	h->p++;
	for (;;) {
		if (!skip(h))
			break;
		if (peek(h, ']')) {
			h->p++;
			return a;
		}
		json_t *v = value(h);
		if (!v || !skip(h))
			break;
		json_array_append_new(a, v);
		if (peek(h, ',')) {
			h->p++;
			continue;
		}
		if (peek(h, ']')) {
			h->p++;
			return a;
		}
		error_at(h, h->p, "expected: COMMA | RBRACK");
		break;
	}
	json_decref(a);
	return NULL;
}

/* Leading blanks of a line, for <<- heredocs. */
static size_t indent_of(const char *s, const char *e)
{
	size_t n = 0;
	while (s + n < e && (s[n] == ' ' || s[n] == '\t'))
		n++;
	return n;
}

/* Lines [body, stop) with the common indentation removed when indent. */
static json_t *heredoc_text(const char *body, const char *stop, bool indent)
{
	size_t min = (size_t)-1;
	for (const char *l = body; indent && l < stop;) {
		const char *e = memchr(l, '\n', (size_t)(stop - l));
		e = e ? e : stop;
		size_t n = indent_of(l, e);
		if (l + n < e && n < min)
			min = n;
		l = e + 1;
	}
	struct buf b = BUF_INIT;
	for (const char *l = body; l < stop;) {
		const char *e = memchr(l, '\n', (size_t)(stop - l));
		e = e ? e : stop;
		size_t cut = indent ? indent_of(l, e) : 0;
		cut = cut < min ? cut : (min == (size_t)-1 ? cut : min);
		buf_append(&b, l + cut, (size_t)(e - l) - cut);
		buf_putc(&b, '\n');
		l = e + 1;
	}
	json_t *v = json_stringn(buf_cstr(&b), b.len);
	buf_free(&b);
	return v;
}

static json_t *heredoc(struct hcl *h)
{
	const char *open = h->p;
	h->p += 2;
	bool indent = peek(h, '-');
	h->p += indent;
	const char *m = h->p;
	while (h->p < h->end && ident_char(*h->p, h->p == m))
		h->p++;
	size_t mlen = (size_t)(h->p - m);
	if (peek(h, '\r'))
		h->p++;
	if (!mlen || !peek(h, '\n'))
		return error_at(h, open, "heredoc expected marker");
	const char *body = ++h->p;
	for (const char *l = body; l < h->end;) {
		const char *e = memchr(l, '\n', (size_t)(h->end - l));
		e = e ? e : h->end;
		const char *t = l + indent_of(l, e), *te = e > t && e[-1] == '\r' ? e - 1 : e;
		if ((size_t)(te - t) == mlen && memcmp(t, m, mlen) == 0) {
			h->p = e;
			json_t *v = heredoc_text(body, l > body ? l - 1 : body, indent);
			return v ? v : error_at(h, open, "invalid UTF-8 in heredoc");
		}
		l = e + 1;
	}
	return error_at(h, open, "heredoc not terminated");
}

static json_t *word(struct hcl *h)
{
	const char *s = h->p;
	while (h->p < h->end && ident_char(*h->p, h->p == s))
		h->p++;
	size_t n = (size_t)(h->p - s);
	if (n == 4 && memcmp(s, "true", 4) == 0)
		return json_true();
	if (n == 5 && memcmp(s, "false", 5) == 0)
		return json_false();
	return error_at(h, s, n ? "Unknown token: IDENT" : "Unknown token");
}

static json_t *value(struct hcl *h)
{
	if (!skip(h))
		return NULL;
	if (h->p >= h->end)
		return error_at(h, h->p, "expected value, got EOF");
	char c = *h->p;
	if (c == '"') {
		const char *at = h->p;
		char *s = quoted(h);
		json_t *v = s ? json_string(s) : NULL;
		if (s && !v)
			error_at(h, at, "invalid UTF-8 in string");
		free(s);
		return v;
	}
	if (c == '<' && h->p + 1 < h->end && h->p[1] == '<')
		return heredoc(h);
	if (isdigit((unsigned char)c) || c == '-' || c == '+' || c == '.')
		return number(h);
	if (c != '[' && c != '{')
		return word(h);
	if (++h->depth > MAX_DEPTH)
		return error_at(h, h->p, "nesting too deep");
	json_t *v = NULL;
	if (c == '[') {
		v = list(h);
	} else {
		h->p++;
		v = json_object();
		if (!body(h, v, '}')) {
			json_decref(v);
			v = NULL;
		}
	}
	h->depth--;
	return v;
}

/* Add a block's object under key: a repeated block becomes an array of objects. */
static void add_block(json_t *obj, const char *k, json_t *child)
{
	json_t *cur = json_object_get(obj, k);
	if (json_is_object(cur)) {
		json_t *arr = json_array();
		json_array_append(arr, cur);
		json_array_append_new(arr, child);
		json_object_set_new(obj, k, arr);
	} else if (json_is_array(cur) && json_array_size(cur) > 0 &&
		   json_is_object(json_array_get(cur, 0))) {
		json_array_append_new(cur, child);
	} else {
		json_object_set_new(obj, k, child);
	}
}

/* key { label } "{" body "}" with the key already read; labels nest objects. */
static bool block(struct hcl *h, json_t *obj, char *k)
{
	json_t *child = json_object(), *inner = child;
	char *label;
	while (skip(h) && (peek(h, '"') || (h->p < h->end && ident_char(*h->p, true)))) {
		if (!(label = key(h)))
			break;
		json_t *next = json_object();
		json_object_set_new(inner, label, next);
		free(label);
		inner = next;
	}
	if (h->failed || !skip(h) || !peek(h, '{')) {
		json_decref(child);
		return error_at(h, h->p, "expected: ASSIGN | LBRACE"), false;
	}
	h->p++;
	if (!body(h, inner, '}')) {
		json_decref(child);
		return false;
	}
	add_block(obj, k, child);
	return true;
}

static bool item(struct hcl *h, json_t *obj)
{
	char *k = key(h);
	bool ok = k != NULL;
	if (ok && skip(h) && peek(h, '=')) {
		h->p++;
		json_t *v = value(h);
		if (v)
			json_object_set_new(obj, k, v);
		ok = v != NULL;
	} else if (ok) {
		ok = block(h, obj, k);
	}
	free(k);
	return ok;
}

static bool body(struct hcl *h, json_t *obj, char close)
{
	if (++h->depth > MAX_DEPTH)
		return error_at(h, h->p, "nesting too deep"), false;
	for (;;) {
		if (!skip(h))
			return false;
		if (h->p >= h->end) {
			if (close)
				return error_at(h, h->p, "expected: RBRACE got: EOF"), false;
			break;
		}
		if (*h->p == close) {
			h->p++;
			break;
		}
		if (*h->p == ',') {
			h->p++;
			continue;
		}
		if (!item(h, obj))
			return false;
	}
	h->depth--;
	return true;
}

json_t *hcl_parse(const char *text, size_t len, struct buf *err)
{
	struct hcl h = {text, text, text + len, err, false, 0};
	json_t *root = json_object();
	if (!body(&h, root, 0)) {
		json_decref(root);
		return NULL;
	}
	return root;
}
