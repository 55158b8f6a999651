/*
 * Filter syntax: text to tree (grammar and model in filter.h).
 *
 * A recursive-descent rendering of go-bexpr's PEG that backtracks like one:
 * an alternative that fails restores the position, frees what it built, and
 * the next alternative is tried. Failures are recorded as (offset, message);
 * when the input does not parse, the one that got farthest is reported, as
 * pigeon (the PEG generator go-bexpr uses) does. Where pigeon would list the
 * expected tokens ("no match found, expected: ...") the list is in words.
 *
 * The match operators are the table below: adding one is adding a row (and
 * its base operator in filter_eval.c).
 */
#include "base/filter_lex.h"

#include "base/alloc.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>

#define NO_MATCH  "no match found, expected: "
#define EXP_EXPR  NO_MATCH "\"(\", \"not\" or a match expression"
#define EXP_VALUE NO_MATCH "a selector, a number or a string"
#define EXP_OP                                                                                     \
	NO_MATCH "\"==\", \"!=\", \"contains\", \"not contains\", \"matches\", \"not matches\", "  \
		 "\"is empty\", \"is not empty\", \"in\" or \"not in\""
#define EXP_IN	 NO_MATCH "\"in\" or \"not in\""
#define EXP_WS	 NO_MATCH "whitespace"
#define EXP_END	 NO_MATCH "\"and\", \"or\" or end of input"
#define TOO_DEEP "expression nested too deeply"

/* In PEG order: the first row whose words and operands match wins. */
static const struct fopdef ops[] = {
    {"==", FOP_EQ, false, FF_SEL_OP_VALUE, "Equal"},
    {"!=", FOP_EQ, true, FF_SEL_OP_VALUE, "Not Equal"},
    {"contains", FOP_IN, false, FF_SEL_OP_VALUE, "In"},
    {"not contains", FOP_IN, true, FF_SEL_OP_VALUE, "Not In"},
    {"matches", FOP_MATCHES, false, FF_SEL_OP_VALUE, "Matches"},
    {"not matches", FOP_MATCHES, true, FF_SEL_OP_VALUE, "Not Matches"},
    {"is empty", FOP_EMPTY, false, FF_SEL_OP, "Is Empty"},
    {"is not empty", FOP_EMPTY, true, FF_SEL_OP, "Is Not Empty"},
    {"in", FOP_IN, false, FF_VALUE_OP_SEL, "In"},
    {"not in", FOP_IN, true, FF_VALUE_OP_SEL, "Not In"},
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

static struct fnode *parse_or(struct parser *P);

static struct fnode *node_new(enum fnode_kind kind)
{
	struct fnode *n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	return n;
}

static void node_add(struct fnode *n, struct fnode *kid)
{
	n->kids = xrealloc(n->kids, (n->n + 1) * sizeof(*n->kids));
	n->kids[n->n++] = kid;
}

void fnode_free(struct fnode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		fnode_free(n->kids[i]);
	free(n->kids);
	if (n->kind == FN_MATCH) {
		for (size_t i = 0; i < n->m.npath; i++)
			free(n->m.path[i].s);
		free(n->m.path);
		free(n->m.value.raw.s);
		if (n->m.has_re)
			regfree(&n->m.re);
	}
	free(n);
}

/*
 * " word word ... " for a word operator (whitespace required before, between
 * and, unless it ends the match, after), or "==" with optional whitespace.
 */
static bool match_spelling(struct parser *P, const struct fopdef *op)
{
	if (op->spell[0] == '=' || op->spell[0] == '!') {
		lex_ws(P);
		if (!lex_word(P, op->spell))
			return false;
		lex_ws(P);
		return true;
	}
	char word[16];
	for (const char *w = op->spell; *w;) {
		size_t n = strcspn(w, " ");
		memcpy(word, w, n);
		word[n] = '\0';
		if (!lex_ws(P) || !lex_word(P, word))
			return false;
		w += n + (w[n] == ' ');
	}
	return op->form == FF_SEL_OP || lex_ws(P) > 0;
}

/* A value: a selector (as its text), a number or a string, with coercions. */
static bool parse_value(struct parser *P, struct flit *v)
{
	struct parts sel = {0};
	memset(v, 0, sizeof(*v));
	if (lex_selector(P, &sel)) {
		struct buf b = BUF_INIT;
		filter_put_selector(&b, sel.v, sel.n);
		parts_free(&sel);
		v->raw.len = b.len;
		v->raw.s = buf_steal(&b);
	} else if (!lex_number(P, &v->raw) && !lex_string(P, &v->raw)) {
		lex_fail(P, P->pos, EXP_VALUE);
		return false;
	}
	v->is_int = filter_parse_int(v->raw.s, v->raw.len, &v->i, NULL);
	v->is_float = filter_parse_float(v->raw.s, v->raw.len, &v->f, NULL);
	v->is_bool = filter_parse_bool(v->raw.s, v->raw.len, &v->b, NULL);
	return true;
}

static struct fnode *match_new(const struct fopdef *op, struct parts *sel, struct flit *v)
{
	struct fnode *n = node_new(FN_MATCH);
	n->m.def = op;
	n->m.path = sel->v;
	n->m.npath = sel->n;
	if (v)
		n->m.value = *v;
	return n;
}

/* selector op value | selector op */
static struct fnode *parse_sel_first(struct parser *P)
{
	struct parts sel = {0};
	if (!lex_selector(P, &sel))
		return NULL;
	size_t after = P->pos;
	for (size_t i = 0; i < NOPS; i++) {
		P->pos = after;
		if (ops[i].form == FF_VALUE_OP_SEL || !match_spelling(P, &ops[i]))
			continue;
		struct flit v;
		if (ops[i].form == FF_SEL_OP)
			return match_new(&ops[i], &sel, NULL);
		if (parse_value(P, &v))
			return match_new(&ops[i], &sel, &v);
	}
	P->pos = after;
	lex_ws(P);
	lex_fail(P, P->pos, EXP_OP);
	parts_free(&sel);
	return NULL;
}

/* value ("in" | "not in") selector */
static struct fnode *parse_value_first(struct parser *P)
{
	struct flit v;
	if (!parse_value(P, &v))
		return NULL;
	size_t after = P->pos;
	for (size_t i = 0; i < NOPS; i++) {
		P->pos = after;
		if (ops[i].form != FF_VALUE_OP_SEL || !match_spelling(P, &ops[i]))
			continue;
		struct parts sel = {0};
		if (lex_selector(P, &sel))
			return match_new(&ops[i], &sel, &v);
		lex_fail(P, P->pos, "Invalid selector");
	}
	P->pos = after;
	lex_ws(P);
	lex_fail(P, P->pos, EXP_IN);
	free(v.raw.s);
	return NULL;
}

static struct fnode *parse_match(struct parser *P)
{
	size_t start = P->pos;
	lex_fail(P, start, EXP_EXPR); /* first, to win over failures at the same place */
	struct fnode *n = parse_sel_first(P);
	if (n)
		return n;
	P->pos = start;
	if ((n = parse_value_first(P)))
		return n;
	P->pos = start;
	return NULL;
}

static struct fnode *parse_primary(struct parser *P)
{
	size_t open = P->pos;
	if (!lex_word(P, "("))
		return parse_match(P);
	lex_ws(P);
	struct fnode *e = parse_or(P);
	if (e) {
		lex_ws(P);
		if (lex_word(P, ")"))
			return e;
		lex_fail(P, P->pos, "Unmatched parentheses");
		fnode_free(e);
	}
	P->pos = open;
	lex_fail(P, open, EXP_EXPR);
	return NULL;
}

static struct fnode *negate(struct fnode *e)
{
	if (e->kind == FN_NOT) { /* not not x is x, as go-bexpr folds it */
		struct fnode *inner = e->kids[0];
		e->n = 0;
		fnode_free(e);
		return inner;
	}
	struct fnode *n = node_new(FN_NOT);
	node_add(n, e);
	return n;
}

static struct fnode *parse_not(struct parser *P)
{
	if (P->fatal)
		return NULL;
	if (P->depth >= FILTER_MAX_DEPTH) {
		lex_fail(P, P->pos, TOO_DEEP);
		P->fatal = true;
		return NULL;
	}
	P->depth++;
	size_t start = P->pos;
	struct fnode *e = NULL;
	if (lex_word(P, "not") && lex_ws(P) && (e = parse_not(P)))
		e = negate(e);
	if (!e && !P->fatal) {
		P->pos = start;
		e = parse_primary(P);
	}
	P->depth--;
	return e;
}

/* operand (_ word _ operand)*: one n-ary node for the chain. */
static struct fnode *parse_chain(struct parser *P, enum fnode_kind kind, const char *word,
				 struct fnode *(*operand)(struct parser *))
{
	struct fnode *first = operand(P), *chain = NULL;
	while (first && !P->fatal) {
		size_t save = P->pos;
		if (!lex_ws(P) || !lex_word(P, word)) {
			P->pos = save;
			break;
		}
		if (!lex_ws(P)) {
			lex_fail(P, P->pos, P->pos == P->len ? EXP_EXPR : EXP_WS);
			P->pos = save;
			break;
		}
		struct fnode *next = operand(P);
		if (!next) {
			P->pos = save;
			break;
		}
		if (!chain) {
			chain = node_new(kind);
			node_add(chain, first);
		}
		node_add(chain, next);
	}
	return chain ? chain : first;
}

static struct fnode *parse_and(struct parser *P)
{
	return parse_chain(P, FN_AND, "and", parse_not);
}

static struct fnode *parse_or(struct parser *P)
{
	return parse_chain(P, FN_OR, "or", parse_and);
}

/* "line:col (offset): why", col counting UTF-8 characters as Go does. */
static void put_failure(struct buf *err, const struct parser *P)
{
	size_t line = 1, col = 1;
	for (size_t i = 0; i < P->fail_at && i < P->len; i++) {
		unsigned char c = (unsigned char)P->s[i];
		if (c == '\n') {
			line++;
			col = 1;
		} else if ((c & 0xc0) != 0x80) {
			col++;
		}
	}
	buf_printf(err, "%zu:%zu (%zu): %s", line, col, P->fail_at, P->why);
}

int filter_parse(const char *text, size_t len, const struct filter_field *schema,
		 struct filter **out, struct buf *err)
{
	*out = NULL;
	if (len == 0)
		return 0;
	struct parser P = {.s = text, .len = len};
	lex_ws(&P);
	struct fnode *root = parse_or(&P);
	if (root && !P.fatal) {
		lex_ws(&P);
		if (P.pos != P.len)
			lex_fail(&P, P.pos, EXP_END);
	}
	struct buf why = BUF_INIT;
	if (!root || P.fatal || P.pos != P.len)
		put_failure(&why, &P);
	else if (filter_validate(root, schema, &why) == 0)
		why.len = 0;
	if (why.len) {
		if (err) {
			buf_puts(err, FILTER_ERR_PREFIX);
			buf_append(err, why.data, why.len);
		}
		buf_free(&why);
		fnode_free(root);
		return CAIRN_E_PARSE;
	}
	buf_free(&why);
	*out = xmalloc(sizeof(**out));
	(*out)->root = root;
	return 0;
}

void filter_free(struct filter *f)
{
	if (!f)
		return;
	fnode_free(f->root);
	free(f);
}

static void dump_node(const struct fnode *n, struct buf *out)
{
	static const char *const kind[] = {[FN_AND] = "and", [FN_OR] = "or", [FN_NOT] = "not"};
	if (n->kind != FN_MATCH) {
		buf_printf(out, "(%s", kind[n->kind]);
		for (size_t i = 0; i < n->n; i++) {
			buf_putc(out, ' ');
			dump_node(n->kids[i], out);
		}
		buf_putc(out, ')');
		return;
	}
	buf_printf(out, "(%s ", n->m.def->spell);
	struct buf sel = BUF_INIT;
	filter_put_selector(&sel, n->m.path, n->m.npath);
	filter_put_quoted(out, sel.data, sel.len);
	buf_free(&sel);
	if (n->m.def->form != FF_SEL_OP) {
		buf_putc(out, ' ');
		filter_put_quoted(out, n->m.value.raw.s, n->m.value.raw.len);
	}
	buf_putc(out, ')');
}

void filter_dump(const struct filter *f, struct buf *out)
{
	if (!f)
		buf_puts(out, "(true)");
	else
		dump_node(f->root, out);
}
