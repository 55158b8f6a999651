/*
 * Filter evaluation: one parsed filter against one item (model in filter.h).
 *
 * A match walks its selector through the item. Maps are stepped into by key;
 * a list met before the selector ends is searched, true when the rest of the
 * match (operator and negation included) is true for ANY element, as
 * go-bexpr v0.1.2 does for slices of structs. At the end of the selector the
 * base operator runs and a negated operator inverts it. A missing key or a
 * null instead gives the operator's "not present" answer, so that nothing
 * equals, contains or matches what is not there. Pure and allocation-free.
 */
#include "base/filter_internal.h"

#include <string.h>

/* go-bexpr's NotPresentDisposition for the base operators (negated: !). */
static const bool absent[] = {
    [FOP_EQ] = false,
    [FOP_IN] = false,
    [FOP_EMPTY] = true,
    [FOP_MATCHES] = false,
};

static bool missing(const struct fmatch *m)
{
	return absent[m->def->op] != m->def->negate;
}

/* A scalar equals the literal, the literal coerced to the scalar's type. */
static bool equal(const struct fvalue *v, const struct flit *lit)
{
	switch (v->kind) {
	case FV_STR:
		return v->u.str.len == lit->raw.len &&
		       memcmp(v->u.str.s, lit->raw.s, lit->raw.len) == 0;
	case FV_INT:
		return lit->is_int && v->u.i == lit->i;
	case FV_FLOAT:
		return lit->is_float && v->u.f == lit->f;
	case FV_BOOL:
		return lit->is_bool && v->u.b == lit->b;
	default:
		return false;
	}
}

static bool contains(const struct fvalue *v, const struct flit *lit)
{
	switch (v->kind) {
	case FV_STR:
		return lit->raw.len == 0 ||
		       memmem(v->u.str.s, v->u.str.len, lit->raw.s, lit->raw.len) != NULL;
	case FV_LIST:
		for (const struct fv_member *e = v->u.kids.head; e; e = e->next)
			if (equal(&e->v, lit))
				return true;
		return false;
	case FV_MAP:
		return fv_map_get(v, lit->raw.s, lit->raw.len) != NULL;
	default:
		return false;
	}
}

static bool empty(const struct fvalue *v)
{
	switch (v->kind) {
	case FV_STR:
		return v->u.str.len == 0;
	case FV_LIST:
	case FV_MAP:
		return v->u.kids.n == 0;
	default:
		return false;
	}
}

/* The operator on the value the selector reached. */
static bool leaf(const struct fmatch *m, const struct fvalue *v)
{
	if (v->kind == FV_NULL)
		return missing(m);
	bool r = false;
	switch (m->def->op) {
	case FOP_EQ:
		r = equal(v, &m->value);
		break;
	case FOP_IN:
		r = contains(v, &m->value);
		break;
	case FOP_EMPTY:
		r = empty(v);
		break;
	case FOP_MATCHES:
		r = v->kind == FV_STR && filter_regex_match(m, v->u.str.s, v->u.str.len);
		break;
	}
	return r != m->def->negate;
}

/* The match from selector part i on, at value v. */
static bool walk(const struct fmatch *m, const struct fvalue *v, size_t i)
{
	for (;;) {
		if (i == m->npath)
			return leaf(m, v);
		if (v->kind == FV_LIST) {
			for (const struct fv_member *e = v->u.kids.head; e; e = e->next)
				if (walk(m, &e->v, i))
					return true;
			return false;
		}
		if (v->kind != FV_MAP)
			return missing(m);
		v = fv_map_get(v, m->path[i].s, m->path[i].len);
		if (!v)
			return missing(m);
		i++;
	}
}

static bool eval(const struct fnode *n, const struct fvalue *item)
{
	switch (n->kind) {
	case FN_AND:
		for (size_t i = 0; i < n->n; i++)
			if (!eval(n->kids[i], item))
				return false;
		return true;
	case FN_OR:
		for (size_t i = 0; i < n->n; i++)
			if (eval(n->kids[i], item))
				return true;
		return false;
	case FN_NOT:
		return !eval(n->kids[0], item);
	case FN_MATCH:
		return walk(&n->m, item, 0);
	}
	return false;
}

bool filter_match(const struct filter *f, const struct fvalue *item)
{
	return !f || eval(f->root, item);
}
