/*
 * Parser state and lexeme readers shared by filter_lex.c and filter_parse.c.
 * Internal to the filter module.
 */
#ifndef CAIRN_BASE_FILTER_LEX_H
#define CAIRN_BASE_FILTER_LEX_H

#include "base/filter_internal.h"

struct parser {
	const char *s;	 /* the text (not NUL-terminated) */
	size_t len;	 /* its bytes */
	size_t pos;	 /* next byte to read */
	int depth;	 /* nesting of "not" and parentheses */
	bool failed;	 /* a failure is recorded */
	bool fatal;	 /* ...and it ends the parse (nesting too deep) */
	size_t fail_at;	 /* offset of the farthest failure */
	const char *why; /* its message (static) */
};

/* Selector parts being collected. */
struct parts {
	struct fstr *v;
	size_t n, cap;
};

/* Record a failure at offset at, unless one lies farther (or is fatal). */
void lex_fail(struct parser *P, size_t at, const char *why);

/* Skip whitespace; returns how many bytes. */
size_t lex_ws(struct parser *P);
/* Consume the literal w if it is next. */
bool lex_word(struct parser *P, const char *w);

bool lex_string(struct parser *P, struct fstr *out);
bool lex_number(struct parser *P, struct fstr *out);
bool lex_selector(struct parser *P, struct parts *out);
void parts_free(struct parts *p);

#endif
