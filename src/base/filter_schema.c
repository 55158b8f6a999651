/*
 * Parse-time checks of a filter: selectors against the endpoint's schema,
 * operators against the field's type, literals coerced to it, regular
 * expressions compiled. This is go-bexpr's validate pass over the field
 * configurations it derives from Consul's Go types, with the messages it
 * writes (Go's %q quoting, strconv's errors).
 *
 * A schema is a {NULL}-terminated table of dotted paths (filter.h). A selector
 * prefix is looked up segment by segment ("*" in a row matches any key):
 *
 *     a row with exactly its segments     -> that row's type
 *     else a longer row starting with it  -> an object (struct)
 *     else a FILTER_MAP row one shorter   -> a string (the map's value)
 *     else                                -> Selector "..." is not valid
 *
 * The operators each type admits are go-bexpr's (field_config.go), plus
 * "is empty" on strings, which newer go-bexpr allows.
 */
#include "base/filter_internal.h"

#include "base/alloc.h"
#include "base/strconv.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define OP(o) (1u << (o))

typedef bool (*coerce_fn)(const char *s, size_t len, struct buf *err);

static bool coerce_int(const char *s, size_t len, struct buf *err)
{
	int64_t i;
	return filter_parse_int(s, len, &i, err);
}

static bool coerce_float(const char *s, size_t len, struct buf *err)
{
	double f;
	return filter_parse_float(s, len, &f, err);
}

static bool coerce_bool(const char *s, size_t len, struct buf *err)
{
	bool b;
	return filter_parse_bool(s, len, &b, err);
}

static const struct {
	unsigned ops;	  /* base operators allowed (negations likewise) */
	coerce_fn coerce; /* the literal must pass, or NULL */
} types[] = {
    [FILTER_STRING] = {OP(FOP_EQ) | OP(FOP_IN) | OP(FOP_MATCHES) | OP(FOP_EMPTY), NULL},
    [FILTER_INT] = {OP(FOP_EQ), coerce_int},
    [FILTER_FLOAT] = {OP(FOP_EQ), coerce_float},
    [FILTER_BOOL] = {OP(FOP_EQ), coerce_bool},
    [FILTER_STRINGS] = {OP(FOP_IN) | OP(FOP_EMPTY), NULL},
    [FILTER_MAP] = {OP(FOP_IN) | OP(FOP_EMPTY), NULL},
    [FILTER_OBJECT] = {0, NULL},
    [FILTER_OBJECTS] = {OP(FOP_EMPTY), NULL},
};

/* How many leading segments of path match parts; *nsegs = segments in path. */
static size_t row_match(const char *path, const struct fstr *parts, size_t n, size_t *nsegs)
{
	size_t matched = 0, segs = 0;
	bool matching = true;
	for (const char *seg = path;; seg++) {
		size_t len = strcspn(seg, ".");
		if (matching && segs < n &&
		    ((len == 1 && seg[0] == '*') ||
		     (len == parts[segs].len && memcmp(seg, parts[segs].s, len) == 0)))
			matched++;
		else
			matching = false;
		segs++;
		seg += len;
		if (!*seg)
			break;
	}
	*nsegs = segs;
	return matched;
}

/* The type of the selector made of parts[0..n-1], or 0 if it is not valid. */
static enum filter_type lookup(const struct filter_field *schema, const struct fstr *parts,
			       size_t n)
{
	bool deeper = false, mapval = false;
	for (const struct filter_field *row = schema; row->path; row++) {
		size_t segs, m = row_match(row->path, parts, n, &segs);
		if (m == n && segs == n)
			return row->type;
		if (m == n && segs > n)
			deeper = true;
		if (m == segs && segs + 1 == n && row->type == FILTER_MAP)
			mapval = true;
	}
	return deeper ? FILTER_OBJECT : mapval ? FILTER_STRING : 0;
}

static int check_match(const struct fmatch *m, const struct filter_field *schema, struct buf *err)
{
	enum filter_type t = 0;
	for (size_t k = 1; k <= m->npath; k++) {
		if (!(t = lookup(schema, m->path, k))) {
			buf_puts(err, "Selector ");
			struct buf sel = BUF_INIT;
			filter_put_selector(&sel, m->path, k);
			filter_put_quoted(err, sel.data, sel.len);
			buf_free(&sel);
			buf_puts(err, " is not valid");
			return -1;
		}
	}
	struct buf sel = BUF_INIT;
	filter_put_selector(&sel, m->path, m->npath);
	int rc = 0;
	if (!(types[t].ops & OP(m->def->op))) {
		buf_printf(err, "Invalid match operator \"%s\" for selector ", m->def->name);
		filter_put_quoted(err, sel.data, sel.len);
		rc = -1;
	} else if (m->def->form != FF_SEL_OP && types[t].coerce) {
		struct buf why = BUF_INIT;
		if (!types[t].coerce(m->value.raw.s, m->value.raw.len, &why)) {
			buf_puts(err, "Failed to coerce value ");
			filter_put_quoted(err, m->value.raw.s, m->value.raw.len);
			buf_puts(err, " for selector ");
			filter_put_quoted(err, sel.data, sel.len);
			buf_printf(err, ": %s", buf_cstr(&why));
			rc = -1;
		}
		buf_free(&why);
	}
	buf_free(&sel);
	return rc;
}

static int validate(struct fnode *n, const struct filter_field *schema, size_t *budget,
		    struct buf *err)
{
	for (size_t i = 0; i < n->n; i++)
		if (validate(n->kids[i], schema, budget, err) != 0)
			return -1;
	if (n->kind != FN_MATCH)
		return 0;
	if (schema && check_match(&n->m, schema, err) != 0)
		return -1;
	if (n->m.def->op == FOP_MATCHES)
		return filter_regex_compile(&n->m, budget, err);
	return 0;
}

int filter_validate(struct fnode *n, const struct filter_field *schema, struct buf *err)
{
	size_t budget = FILTER_REGEX_BUDGET;
	return validate(n, schema, &budget, err);
}

/* ---- Go's strconv, as far as go-bexpr's coercions use it ---- */

static void strconv_error(struct buf *err, const char *fn, const char *s, size_t len,
			  const char *what)
{
	if (!err)
		return;
	buf_printf(err, "strconv.%s: parsing ", fn);
	filter_put_quoted(err, s, len);
	buf_printf(err, ": %s", what);
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'z' ? c - 'a' + 10 : 99;
}

/* strconv.ParseInt(s, 0, 64): sign, 0x/0o/0b/0 prefixes, "_" between digits. */
bool filter_parse_int(const char *s, size_t len, int64_t *out, struct buf *err)
{
	size_t i = 0;
	bool neg = false;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	unsigned base = 10;
	bool after_digit = false; /* a "_" may follow a digit or a prefix */
	bool any = false, range = false, last_us = false;
	if (len - i >= 2 && s[i] == '0') {
		char c = s[i + 1] | 0x20;
		base = c == 'x' ? 16 : c == 'b' ? 2 : 8;
		any = !(c == 'x' || c == 'b' || c == 'o'); /* a bare leading 0 is a digit */
		i += any ? 1 : 2;
		after_digit = true;
	}
	uint64_t v = 0;
	for (; i < len; i++) {
		if (s[i] == '_' && after_digit) {
			after_digit = false;
			last_us = true;
			continue;
		}
		unsigned d = (unsigned)digit_value(s[i]);
		if (d >= base)
			goto syntax;
		any = after_digit = true;
		last_us = false;
		if (v > (UINT64_MAX - d) / base)
			range = true;
		else
			v = v * base + d;
	}
	if (last_us || !any)
		goto syntax;
	if (range || v > (uint64_t)INT64_MAX + neg) {
		strconv_error(err, "ParseInt", s, len, "value out of range");
		return false;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
syntax:
	strconv_error(err, "ParseInt", s, len, "invalid syntax");
	return false;
}

/* strconv.ParseFloat(s, 64), by strtod: decimal, exponent, hex, inf, nan. */
bool filter_parse_float(const char *s, size_t len, double *out, struct buf *err)
{
	if (len == 0 || memchr(s, '\0', len) || memchr(s, '(', len) || strchr(" \t\n\v\f\r", s[0]))
		goto syntax;
	char *tmp = xmalloc(len + 1), *end;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		bool sep = s[i] == '_' && i > 0 && i + 1 < len && digit_value(s[i - 1]) < 16 &&
			   digit_value(s[i + 1]) < 16;
		if (!sep)
			tmp[n++] = s[i];
	}
	tmp[n] = '\0';
	errno = 0;
	double d = strtod(tmp, &end);
	bool whole = !*end;
	free(tmp);
	if (!whole)
		goto syntax;
	if (errno == ERANGE && isinf(d)) {
		strconv_error(err, "ParseFloat", s, len, "value out of range");
		return false;
	}
	*out = d;
	return true;
syntax:
	strconv_error(err, "ParseFloat", s, len, "invalid syntax");
	return false;
}

bool filter_parse_bool(const char *s, size_t len, bool *out, struct buf *err)
{
	if (strconv_parse_bool_n(s, len, out) == 0)
		return true;
	strconv_error(err, "ParseBool", s, len, "invalid syntax");
	return false;
}

void filter_put_quoted(struct buf *b, const char *s, size_t len)
{
	static const char named[] = "\a\b\f\n\r\t\v\"\\";
	static const char letter[] = "abfnrtv\"\\";
	buf_putc(b, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e = c ? strchr(named, c) : NULL;
		if (e)
			buf_printf(b, "\\%c", letter[e - named]);
		else if (c < 0x20 || c == 0x7f)
			buf_printf(b, "\\x%02x", c);
		else
			buf_putc(b, (char)c);
	}
	buf_putc(b, '"');
}

void filter_put_selector(struct buf *b, const struct fstr *path, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(b, '.');
		buf_append(b, path[i].s, path[i].len);
	}
}
