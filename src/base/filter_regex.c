/*
 * Regular expressions for "matches": Go's RE2 syntax, run by POSIX <regex.h>
 * (glibc, extended syntax, compiled once at parse time).
 *
 * The pattern is read once, checked the way Go's regexp/syntax checks it, and
 * rewritten into POSIX ERE. The two agree on the core (. * + ? {m,n} | () []
 * ^ $ [[:alpha:]], escaped punctuation); the rewriting covers the RE2 forms
 * filters use:
 *
 *     (?i) at the start     -> case-insensitive compilation
 *     (?:..) (?P<n>..) (?<n>..) -> (..)
 *     x*? x+? x?? x{n}?     -> the greedy form (same answer to "does it match")
 *     \d \D                 -> [0-9] [^0-9]    (\s \S \w \W \b \B: glibc has them)
 *     \A \z                 -> ^ $
 *     \a \f \t \n \r \v, \123, \x7f, \x{263a} -> the character
 *     { not starting m}, {m,}, {m,n} -> a literal {
 *     in brackets: \d \s \w -> 0-9 [:space:] [:alnum:]_; \n \t.. -> the character;
 *                  \] \- \^ and escaped punctuation -> literal
 *
 * Refused as Go refuses them, with Go's words ("error parsing regexp: ..."):
 * nested repetition (a**), repetition of nothing (*a), counts over 1000,
 * unbalanced parentheses, unknown escapes and backreferences (\1), and
 * patterns whose repetitions would expand beyond RX_MAX_SIZE nodes: glibc
 * expands counted and "+" repetitions by copying, so (a{1000}){1000} or a
 * long run of "+" would otherwise take gigabytes at regcomp. Also refused,
 * though RE2 has them: other flag groups ((?s), (?m), (?i) later on), \p{..},
 * \Q..\E, \C, and \D \S \W inside brackets. Still read differently:
 * repetitions of a multi-byte character (glibc repeats its last byte in the C
 * locale). POSIX finds the leftmost-longest match where RE2 finds the
 * leftmost-first, which never changes whether a string matches. Matching uses
 * REG_STARTEND so values may hold NUL bytes.
 */
#include "base/filter_internal.h"
#include "base/hex.h"

#include <stdio.h>
#include <string.h>

#define RX_MAX_DEPTH  100   /* nested groups */
#define RX_MAX_REPEAT 1000  /* Go's limit on {m,n} */
#define RX_MAX_SIZE   10000 /* atoms after glibc copies repetitions, per pattern */

struct rx {
	const char *s;		       /* the pattern */
	size_t len, i;		       /* its length; next byte */
	struct buf *o;		       /* the POSIX pattern */
	size_t size[RX_MAX_DEPTH + 1]; /* atoms in each open group */
	int depth;		       /* open groups */
	size_t last;		       /* atoms of the last atom or group; 0: nothing to repeat */
	size_t quant_at;	       /* where the last repetition began */
	int quant;		       /* 1 after a repetition, 2 after its lazy "?" */
	char err[128];		       /* Go's message, when refused */
};

static bool rx_fail(struct rx *x, const char *code, size_t from, size_t to)
{
	snprintf(x->err, sizeof(x->err), "error parsing regexp: %s: `%.*s`", code,
		 (int)(to - from > 60 ? 60 : to - from), x->s + from);
	return false;
}

/* regcomp() takes a C string: a NUL cannot be in the pattern. */
static bool rx_nul(struct rx *x)
{
	snprintf(x->err, sizeof(x->err), "NUL byte in pattern");
	return false;
}

static void put_literal(struct buf *o, uint32_t c)
{
	if (c < 0x80) {
		if (c && strchr(".[]()*+?{}|^$\\", (int)c))
			buf_putc(o, '\\');
		buf_putc(o, (char)c);
		return;
	}
	char u[4];
	int n = c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
	for (int k = n - 1; k > 0; k--, c >>= 6)
		u[k] = (char)(0x80 | (c & 0x3f));
	u[0] = (char)((n == 2 ? 0xc0 : n == 3 ? 0xe0 : 0xf0) | c);
	buf_append(o, u, (size_t)n);
}

static bool atom(struct rx *x, size_t n)
{
	x->size[x->depth] += n;
	x->last = n;
	x->quant = 0;
	return true;
}

/* \x7f or \x{10ffff}, at x->i == the 'x'. */
static bool hex_escape(struct rx *x, size_t start)
{
	uint32_t v = 0;
	size_t i = x->i + 1, n = 0;
	bool braced = i < x->len && x->s[i] == '{';
	i += braced;
	while (i < x->len && hexval(x->s[i]) >= 0 && (braced || n < 2) && v <= 0x10ffff) {
		v = v * 16 + (uint32_t)hexval(x->s[i++]);
		n++;
	}
	if (braced && (i >= x->len || x->s[i] != '}'))
		n = 0;
	if (!n || (!braced && n != 2) || v > 0x10ffff)
		return rx_fail(x, "invalid escape sequence", start, i < x->len ? i + 1 : i);
	if (!v)
		return rx_nul(x);
	x->i = i + braced;
	put_literal(x->o, v);
	return atom(x, 1);
}

static bool escape(struct rx *x)
{
	static const struct {
		char c;		 /* after the backslash */
		const char *ere; /* its POSIX form */
	} map[] = {
	    {'d', "[0-9]"}, {'D', "[^0-9]"}, {'s', "\\s"}, {'S', "\\S"}, {'w', "\\w"}, {'W', "\\W"},
	    {'b', "\\b"},   {'B', "\\B"},    {'A', "^"},   {'z', "$"},	 {'a', "\a"},  {'f', "\f"},
	    {'t', "\t"},    {'n', "\n"},     {'r', "\r"},  {'v', "\v"},
	};
	size_t start = x->i++;
	if (x->i >= x->len)
		return rx_fail(x, "trailing backslash at end of expression", x->len, x->len);
	char c = x->s[x->i];
	if (c == 'x')
		return hex_escape(x, start);
	if (c >= '0' && c <= '7' &&
	    (c == '0' || (x->i + 1 < x->len && x->s[x->i + 1] >= '0' && x->s[x->i + 1] <= '7'))) {
		uint32_t v = 0;
		for (int n = 0; n < 3 && x->i < x->len && x->s[x->i] >= '0' && x->s[x->i] <= '7';
		     n++)
			v = v * 8 + (uint32_t)(x->s[x->i++] - '0');
		if (!v)
			return rx_nul(x);
		put_literal(x->o, v);
		return atom(x, 1);
	}
	x->i++;
	for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
		if (map[k].c == c) {
			buf_puts(x->o, map[k].ere);
			return atom(x, 1);
		}
	}
	if ((unsigned char)c >= 0x80 || (c >= '0' && c <= '9') ||
	    ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
		return rx_fail(x, "invalid escape sequence", start, x->i);
	put_literal(x->o, (unsigned char)c);
	return atom(x, 1);
}

/* A bracket expression at x->i == '['. */
static bool bracket(struct rx *x)
{
	size_t start = x->i++;
	bool neg = x->i < x->len && x->s[x->i] == '^', rb = false, dash = false, caret = false;
	struct buf body = BUF_INIT;
	x->i += neg;
	for (bool first = true; x->i < x->len && (x->s[x->i] != ']' || first); first = false) {
		const char *p = x->s + x->i;
		if (p[0] == '[' && x->i + 1 < x->len && p[1] == ':') { /* [:class:] as is */
			const char *end = memmem(p, x->len - x->i, ":]", 2);
			size_t n = end ? (size_t)(end - p) + 2 : x->len - x->i;
			buf_append(&body, p, n);
			x->i += n;
		} else if (p[0] == '\\' && x->i + 1 < x->len) {
			static const char *const cls[] = {
			    ['d'] = "0-9", ['s'] = "[:space:]", ['w'] = "[:alnum:]_",
			    ['n'] = "\n",  ['t'] = "\t",	['r'] = "\r",
			    ['f'] = "\f",  ['v'] = "\v",	['a'] = "\a"};
			char c = p[1];
			x->i += 2;
			if (c > 0 && (size_t)c < sizeof(cls) / sizeof(cls[0]) && cls[(int)c]) {
				buf_puts(&body, cls[(int)c]);
			} else if ((unsigned char)c >= 0x80 ||
				   ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
				buf_free(&body); /* \D \S \W \pL have no POSIX form here */
				return rx_fail(x, "invalid escape sequence in a character class",
					       x->i - 2, x->i);
			} else if (c == ']')
				rb = true;
			else if (c == '-')
				dash = true;
			else if (c == '^')
				caret = true;
			else
				buf_putc(&body, c);
		} else if (p[0] == ']') { /* first: literal */
			rb = true;
			x->i++;
		} else {
			buf_putc(&body, p[0]);
			x->i++;
		}
	}
	if (x->i >= x->len) {
		buf_free(&body);
		return rx_fail(x, "missing closing ]", start, x->len);
	}
	x->i++;
	buf_printf(x->o, "[%s%s%s%s%s]", neg ? "^" : "", rb ? "]" : "", buf_cstr(&body),
		   caret ? "^" : "", dash ? "-" : "");
	buf_free(&body);
	return atom(x, 1);
}

/* Decimal digits at *i, saturating; -1 if there are none. */
static long count(const struct rx *x, size_t *i)
{
	long v = -1;
	while (*i < x->len && x->s[*i] >= '0' && x->s[*i] <= '9') {
		v = (v < 0 ? 0 : v) * 10 + (x->s[*i] - '0');
		if (v > 1000000)
			v = 1000000;
		(*i)++;
	}
	return v;
}

/* {m}, {m,} or {m,n} at x->i: its counts (hi -1: none), or false if not one. */
static bool interval(const struct rx *x, size_t *end, long *lo, long *hi)
{
	size_t i = x->i + 1;
	*lo = *hi = count(x, &i);
	if (*lo < 0)
		return false;
	if (i < x->len && x->s[i] == ',') {
		i++;
		*hi = count(x, &i);
	}
	if (i >= x->len || x->s[i] != '}')
		return false;
	*end = i + 1;
	return true;
}

/* A repetition at x->i: * + ? or an interval ending before end. */
static bool repeat(struct rx *x, size_t end, size_t factor)
{
	if (x->quant)
		return rx_fail(x, "invalid nested repetition operator", x->quant_at, end);
	if (!x->last)
		return rx_fail(x, "missing argument to repetition operator", x->i, end);
	buf_append(x->o, x->s + x->i, end - x->i);
	x->size[x->depth] += x->last * (factor - 1);
	x->last *= factor;
	x->quant_at = x->i;
	x->quant = 1;
	x->i = end;
	for (int d = 0; d <= x->depth; d++)
		if (x->size[d] > RX_MAX_SIZE || x->last > RX_MAX_SIZE)
			return rx_fail(x, "expression too large", 0, x->len);
	return true;
}

static bool group(struct rx *x)
{
	size_t start = x->i;
	const char *p = x->s + x->i, *gt;
	if (x->len - x->i >= 3 && p[1] == '?') {
		if (p[2] == ':') {
			x->i += 3;
		} else if ((p[2] == 'P' || p[2] == '<') &&
			   (gt = memchr(p, '>', x->len - x->i)) != NULL) {
			x->i = (size_t)(gt - x->s) + 1;
		} else {
			return rx_fail(x, "invalid or unsupported Perl syntax", start,
				       start + 3 > x->len ? x->len : start + 3);
		}
	} else {
		x->i++;
	}
	if (x->depth == RX_MAX_DEPTH)
		return rx_fail(x, "expression nests too deeply", start, x->i);
	buf_putc(x->o, '(');
	x->size[++x->depth] = 0;
	x->last = 0;
	x->quant = 0;
	return true;
}

static bool step(struct rx *x)
{
	char c = x->s[x->i];
	size_t end;
	long lo, hi;
	if (c == '?' && x->quant == 1) { /* lazy: drop it */
		x->quant = 2;
		x->i++;
		return true;
	}
	switch (c) {
	case '\\':
		return escape(x);
	case '[':
		return bracket(x);
	case '(':
		return group(x);
	case ')':
		if (!x->depth)
			return rx_fail(x, "unexpected )", 0, x->len);
		buf_putc(x->o, ')');
		x->i++;
		x->depth--;
		return atom(x, x->size[x->depth + 1]);
	case '|':
	case '^':
	case '$':
		buf_putc(x->o, c);
		x->i++;
		return atom(x, c != '|');
	case '*':
	case '?':
		return repeat(x, x->i + 1, 1);
	case '+':
		return repeat(x, x->i + 1, 2);
	case '{':
		if (!interval(x, &end, &lo, &hi))
			break;
		if (lo > RX_MAX_REPEAT || hi > RX_MAX_REPEAT || (hi >= 0 && hi < lo))
			return rx_fail(x, "invalid repeat count", x->i, end);
		return repeat(x, end, (size_t)(hi >= lo ? hi : lo) + 1);
	}
	if (c == '{' || c == '}' || c == ']') /* literal in RE2 when not syntax */
		buf_putc(x->o, '\\');
	buf_putc(x->o, c);
	x->i++;
	return atom(x, 1);
}

/* RE2 pattern s to POSIX in x->o; false with x->err set if refused. */
static bool translate(struct rx *x, int *flags)
{
	if (x->len >= 4 && memcmp(x->s, "(?i)", 4) == 0) {
		*flags |= REG_ICASE;
		x->i = 4;
	}
	while (x->i < x->len)
		if (!step(x))
			return false;
	if (x->depth)
		return rx_fail(x, "missing closing )", 0, x->len);
	return true;
}

int filter_regex_compile(struct fmatch *m, size_t *budget, struct buf *err)
{
	const struct fstr *p = &m->value.raw;
	struct buf ere = BUF_INIT;
	struct rx x = {.s = p->s, .len = p->len, .o = &ere};
	int flags = REG_EXTENDED | REG_NOSUB, rc = -1;
	if (memchr(p->s, '\0', p->len)) {
		rx_nul(&x);
	} else if (!translate(&x, &flags)) {
		/* x.err says why */
	} else if (x.size[0] > *budget) {
		rx_fail(&x, "expression too large", 0, x.len);
	} else {
		*budget -= x.size[0];
		rc = regcomp(&m->re, buf_cstr(&ere), flags);
		if (rc != 0)
			regerror(rc, &m->re, x.err, sizeof(x.err));
	}
	buf_free(&ere);
	if (rc == 0) {
		m->has_re = true;
		return 0;
	}
	buf_puts(err, "Failed to compile regular expression ");
	filter_put_quoted(err, p->s, p->len);
	buf_printf(err, ": %s", x.err);
	return -1;
}

bool filter_regex_match(const struct fmatch *m, const char *s, size_t len)
{
	regmatch_t span = {.rm_so = 0, .rm_eo = (regoff_t)len};
	return regexec(&m->re, s, 1, &span, REG_STARTEND) == 0;
}
