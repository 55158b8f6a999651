/*
 * The parsed form of a filter, shared by filter_parse.c (which builds and
 * validates it), filter_eval.c (which runs it) and filter_regex.c.
 *
 * A filter is a tree of nodes: AND/OR nodes have n children (a chain
 * "a and b and c" is one node, so evaluation depth is bounded by the nesting
 * of parentheses and "not", which the parser caps at FILTER_MAX_DEPTH); NOT
 * has one; MATCH is a leaf. Every node and string is malloc'ed and owned by
 * its parent; filter_free() releases the tree.
 */
#ifndef CAIRN_BASE_FILTER_INTERNAL_H
#define CAIRN_BASE_FILTER_INTERNAL_H

#include "base/buf.h"
#include "base/filter.h"

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FILTER_MAX_DEPTH 64

/* Base operators; each match operator is one of these, perhaps negated. */
enum fop {
	FOP_EQ,	     /* == */
	FOP_IN,	     /* in, contains */
	FOP_EMPTY,   /* is empty */
	FOP_MATCHES, /* matches */
};

/* A counted, NUL-terminated string (selector parts may hold any byte). */
struct fstr {
	char *s;
	size_t len;
};

/* A literal, with its coercions done once at parse time. */
struct flit {
	struct fstr raw; /* the text: unquoted string, number, or selector text */
	bool is_int;	 /* raw parses as a Go integer (ParseInt base 0) */
	bool is_float;	 /* raw parses as a Go float */
	bool is_bool;	 /* raw parses as a Go bool */
	int64_t i;
	double f;
	bool b;
};

/* Where the operands of a match operator go. */
enum fform {
	FF_SEL_OP_VALUE, /* Service.Port == 80 */
	FF_SEL_OP,	 /* Service.Tags is empty */
	FF_VALUE_OP_SEL, /* "primary" in Service.Tags */
};

/* One row of the match operator table (filter_parse.c). */
struct fopdef {
	const char *spell; /* words as written, one space apart: "not contains" */
	enum fop op;	   /* the base operator */
	bool negate;	   /* !=, not in, not contains, is not empty, not matches */
	enum fform form;
	const char *name; /* go-bexpr's name, for messages: "Not In" */
};

struct fmatch {
	const struct fopdef *def; /* the operator */
	struct fstr *path;	  /* selector parts */
	size_t npath;		  /* at least 1 */
	struct flit value;	  /* unused by is (not) empty */
	bool has_re;		  /* re compiled (matches / not matches) */
	regex_t re;		  /* POSIX form of value (filter_regex.c) */
};

enum fnode_kind { FN_AND, FN_OR, FN_NOT, FN_MATCH };

struct fnode {
	enum fnode_kind kind;
	struct fnode **kids; /* AND/OR: n >= 2 operands; NOT: one */
	size_t n;
	struct fmatch m; /* FN_MATCH */
};

struct filter {
	struct fnode *root;
};

void fnode_free(struct fnode *n);

/* Parse-time checks: the schema, coercions and regular expressions. Appends
 * the reason (without FILTER_ERR_PREFIX) to err and returns -1 on failure. */
int filter_validate(struct fnode *n, const struct filter_field *schema, struct buf *err);

/* Compile m->value as a regular expression into m->re (filter_regex.c),
 * taking its size from *budget, the atoms left for the whole filter. */
#define FILTER_REGEX_BUDGET 50000
int filter_regex_compile(struct fmatch *m, size_t *budget, struct buf *err);
bool filter_regex_match(const struct fmatch *m, const char *s, size_t len);

/* Go's strconv coercions; on failure append strconv's error text to err. */
bool filter_parse_int(const char *s, size_t len, int64_t *out, struct buf *err);
bool filter_parse_float(const char *s, size_t len, double *out, struct buf *err);
bool filter_parse_bool(const char *s, size_t len, bool *out, struct buf *err);

/* Go's %q of a byte string. */
void filter_put_quoted(struct buf *b, const char *s, size_t len);
/* The selector as Go prints it: parts joined with ".". */
void filter_put_selector(struct buf *b, const struct fstr *path, size_t n);

#endif
