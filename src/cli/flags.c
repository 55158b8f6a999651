/*
 * Go-style flag parsing and the two usage layouts built from a flag table (see flags.h).
 *
 * parse_one mirrors Go's FlagSet.parseOne step by step, so that the same command line
 * is accepted or refused, with the same message, as by the Consul binary. Help output
 * follows Go's PrintDefaults (for errors) and Consul's flags.Usage (for -h), both of
 * which list flags sorted by name.
 */
#include "cli/flags.h"

#include "base/alloc.h"
#include "base/duration.h"
#include "base/strconv.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void flag_strings_free(struct flag_strings *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static const struct flag_def *lookup(const struct flag_def *defs, const char *name, size_t n)
{
	for (; defs && defs->name; defs++)
		if (strlen(defs->name) == n && memcmp(defs->name, name, n) == 0)
			return defs;
	return NULL;
}

/* strconv.ParseUint/ParseInt with base 0. Returns 0, or a Go error text. */
static const char *parse_num(const char *s, bool is_signed, uint64_t *u, int64_t *i)
{
	const char *p = s;
	if (is_signed && (*p == '-' || *p == '+'))
		p++;
	if (*p < '0' || *p > '9')
		return "parse error";
	char *end;
	errno = 0;
	if (is_signed)
		*i = strtoll(s, &end, 0);
	else
		*u = strtoull(s, &end, 0);
	if (*end != '\0' || end == s)
		return "parse error";
	if (errno == ERANGE)
		return "value out of range";
	return NULL;
}

static void print_usage(const struct flag_def *defs)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "Usage:\n");
	flags_print_defaults(&b, defs);
	fputs(buf_cstr(&b), stderr);
	buf_free(&b);
}

static int failf(const struct flag_def *defs, const char *fmt, const char *a, const char *b,
		 const char *c)
{
	fprintf(stderr, fmt, a, b, c);
	fputc('\n', stderr);
	print_usage(defs);
	return -1;
}

static int set_value(const struct flag_def *d, void *opts, const char *value)
{
	char *p = (char *)opts + d->offset;
	const char *err = NULL;
	switch (d->type) {
	case FLAG_BOOL:
		return strconv_parse_bool(value, (bool *)p);
	case FLAG_STRING:
		*(const char **)p = value;
		return 0;
	case FLAG_UINT64:
		err = parse_num(value, false, (uint64_t *)p, NULL);
		break;
	case FLAG_INT:
		err = parse_num(value, true, NULL, (int64_t *)p);
		break;
	case FLAG_DURATION:
		if (duration_parse(value, false, (int64_t *)p) < 0)
			err = "parse error";
		break;
	case FLAG_STRINGS: {
		struct flag_strings *s = (struct flag_strings *)p;
		s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
		s->v[s->n++] = value;
		return 0;
	}
	}
	if (err) {
		fprintf(stderr, "invalid value \"%s\" for flag -%s: %s\n", value, d->name, err);
		return -2;
	}
	return 0;
}

/* One step of Go's parseOne: 1 = a flag was consumed, 0 = flags end, -1 = error. */
static int parse_one(const struct flag_def *defs, void *opts, int argc, char **argv, int *i)
{
	const char *s = argv[*i];
	if (strlen(s) < 2 || s[0] != '-')
		return 0;
	int minuses = s[1] == '-' ? 2 : 1;
	if (minuses == 2 && s[2] == '\0') {
		(*i)++; /* "--" ends the flags and is consumed */
		return 0;
	}
	const char *name = s + minuses;
	if (name[0] == '\0' || name[0] == '-' || name[0] == '=')
		return failf(defs, "bad flag syntax: %s%s%s", s, "", "");
	(*i)++;
	const char *eq = strchr(name + 1, '=');
	size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
	const char *value = eq ? eq + 1 : NULL;
	const struct flag_def *d = lookup(defs, name, nlen);
	if (!d) {
		if ((nlen == 1 && name[0] == 'h') || (nlen == 4 && memcmp(name, "help", 4) == 0)) {
			print_usage(defs);
			return -1;
		}
		char *n = xstrndup(name, nlen);
		failf(defs, "flag provided but not defined: -%s%s%s", n, "", "");
		free(n);
		return -1;
	}
	if (d->type == FLAG_BOOL) {
		if (value && set_value(d, opts, value) < 0)
			return failf(defs, "invalid boolean value \"%s\" for -%s: %s", value,
				     d->name, "parse error");
		if (!value)
			*(bool *)((char *)opts + d->offset) = true;
		return 1;
	}
	if (!value && *i < argc)
		value = argv[(*i)++];
	if (!value)
		return failf(defs, "flag needs an argument: -%s%s%s", d->name, "", "");
	if (set_value(d, opts, value) < 0) {
		print_usage(defs);
		return -1;
	}
	return 1;
}

int flags_parse(const struct flag_def *defs, void *opts, int argc, char **argv, int first,
		int *rest)
{
	int i = first;
	int r;
	while (i < argc && (r = parse_one(defs, opts, argc, argv, &i)) != 0)
		if (r < 0)
			return -1;
	*rest = i;
	return 0;
}

/* ---- usage text ---- */

static int cmp_def(const void *a, const void *b)
{
	const struct flag_def *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

/* Pointers to the rows of defs (in section sect, or all if sect < 0), sorted by name. */
static const struct flag_def **sorted(const struct flag_def *defs, int sect, size_t *n)
{
	size_t count = 0;
	for (const struct flag_def *d = defs; d && d->name; d++)
		count++;
	const struct flag_def **v = xcalloc(count + 1, sizeof(*v));
	*n = 0;
	for (const struct flag_def *d = defs; d && d->name; d++)
		if (sect < 0 || (int)d->section == sect)
			v[(*n)++] = d;
	qsort(v, *n, sizeof(*v), cmp_def);
	return v;
}

/* Go's UnquoteUsage: the argument name, and the usage with the backquotes removed. */
static void unquote_usage(const struct flag_def *d, struct buf *name, struct buf *usage)
{
	const char *u = d->usage ? d->usage : "";
	const char *a = strchr(u, '`');
	const char *b = a ? strchr(a + 1, '`') : NULL;
	if (a && b) {
		buf_append(name, a + 1, (size_t)(b - a - 1));
		buf_append(usage, u, (size_t)(a - u));
		buf_append(usage, a + 1, (size_t)(b - a - 1));
		buf_puts(usage, b + 1);
		return;
	}
	buf_puts(usage, u);
	if (d->argname) {
		buf_puts(name, d->argname);
		return;
	}
	static const char *const by_type[] = {
	    [FLAG_BOOL] = "",	[FLAG_STRING] = "string",     [FLAG_UINT64] = "uint",
	    [FLAG_INT] = "int", [FLAG_DURATION] = "duration", [FLAG_STRINGS] = "value",
	};
	buf_puts(name, by_type[d->type]);
}

void flags_print_defaults(struct buf *out, const struct flag_def *defs)
{
	size_t n;
	const struct flag_def **v = sorted(defs, -1, &n);
	for (size_t i = 0; i < n; i++) {
		struct buf name = BUF_INIT, usage = BUF_INIT;
		unquote_usage(v[i], &name, &usage);
		size_t start = out->len;
		buf_printf(out, "  -%s", v[i]->name);
		if (name.len)
			buf_printf(out, " %s", name.data);
		buf_puts(out, out->len - start <= 4 ? "\t" : "\n    \t");
		for (const char *p = buf_cstr(&usage); *p; p++) {
			if (*p == '\n')
				buf_puts(out, "\n    \t");
			else
				buf_putc(out, *p);
		}
		if (v[i]->def)
			buf_printf(
			    out, v[i]->type == FLAG_STRING ? " (default \"%s\")" : " (default %s)",
			    v[i]->def);
		buf_putc(out, '\n');
		buf_free(&name);
		buf_free(&usage);
	}
	free(v);
}

static void help_section(struct buf *out, const struct flag_def *defs, int sect, const char *title)
{
	size_t n;
	const struct flag_def **v = sorted(defs, sect, &n);
	if (n)
		buf_printf(out, "%s\n\n", title);
	for (size_t i = 0; i < n; i++) {
		struct buf name = BUF_INIT, usage = BUF_INIT;
		unquote_usage(v[i], &name, &usage);
		if (name.len)
			buf_printf(out, "  -%s=<%s>\n", v[i]->name, name.data);
		else
			buf_printf(out, "  -%s\n", v[i]->name);
		flags_wrap(out, v[i]->usage ? v[i]->usage : "", 72 - 5, 5);
		buf_puts(out, "\n\n");
		buf_free(&name);
		buf_free(&usage);
	}
	free(v);
}

void flags_help(struct buf *out, const char *usage, const struct flag_def *defs)
{
	size_t start = out->len;
	const char *s = usage, *e = usage + strlen(usage);
	while (s < e && (*s == ' ' || *s == '\n' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t'))
		e--;
	buf_append(out, s, (size_t)(e - s));
	buf_puts(out, "\n\n");
	if (defs) {
		help_section(out, defs, FLAG_SECT_HTTP, "HTTP API Options");
		help_section(out, defs, FLAG_SECT_CMD, "Command Options");
	}
	while (out->len > start && out->data[out->len - 1] == '\n')
		out->data[--out->len] = '\0';
}

/* ---- kr/text word wrapping ---- */

static size_t runes(const char *s, size_t n)
{
	size_t r = 0;
	for (size_t i = 0; i < n; i++)
		r += ((unsigned char)s[i] & 0xc0) != 0x80;
	return r;
}

/*
 * kr/text's WrapWords: choose breaks minimising the sum of squared slack of every line
 * but the last; a line longer than lim costs an extra penalty of 100000.
 */
static void wrap_breaks(const size_t *start, size_t nwords, int lim, size_t *nbrk)
{
	long long *cost = xcalloc(nwords + 1, sizeof(*cost));
	for (size_t i = nwords; i-- > 0;) {
		long long len_to_end = (long long)(start[nwords] - start[i]) - 1;
		if (len_to_end <= lim || i == nwords - 1) {
			cost[i] = 0;
			nbrk[i] = nwords;
			continue;
		}
		cost[i] = INT_MAX;
		for (size_t j = i + 1; j < nwords; j++) {
			long long len = (long long)(start[j] - start[i]) - 1;
			long long d = lim - len;
			long long c = d * d + cost[j];
			if (len > lim)
				c += 100000;
			if (c < cost[i]) {
				cost[i] = c;
				nbrk[i] = j;
			}
		}
	}
	free(cost);
}

void flags_wrap(struct buf *out, const char *text, int lim, int pad)
{
	/* TrimSpace, newlines become spaces, split on single spaces (empty words kept) */
	const char *s = text, *e = text + strlen(text);
	while (s < e && (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	size_t nwords = 1;
	for (const char *p = s; p < e; p++)
		nwords += *p == ' ' || *p == '\n';
	const char **word = xcalloc(nwords, sizeof(*word));
	size_t *wlen = xcalloc(nwords, sizeof(*wlen));
	size_t *start = xcalloc(nwords + 1, sizeof(*start)); /* prefix sums of rune width + 1 */
	size_t w = 0;
	word[0] = s;
	for (const char *p = s; p <= e; p++) {
		if (p == e || *p == ' ' || *p == '\n') {
			wlen[w] = (size_t)(p - word[w]);
			start[w + 1] = start[w] + runes(word[w], wlen[w]) + 1;
			if (p < e)
				word[++w] = p + 1;
		}
	}
	size_t *nbrk = xcalloc(nwords, sizeof(*nbrk));
	wrap_breaks(start, nwords, lim, nbrk);
	for (size_t i = 0; i < nwords; i = nbrk[i]) {
		if (i)
			buf_putc(out, '\n');
		for (int k = 0; k < pad; k++)
			buf_putc(out, ' ');
		for (size_t j = i; j < nbrk[i]; j++) {
			if (j > i)
				buf_putc(out, ' ');
			buf_append(out, word[j], wlen[j]);
		}
	}
	free(word);
	free(wlen);
	free(start);
	free(nbrk);
}
