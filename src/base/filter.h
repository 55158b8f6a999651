/*
 * Consul's ?filter= expression language (hashicorp/go-bexpr), parsed once and
 * evaluated against one struct fvalue per list item (filter_value.h).
 *
 * API:
 *
 *     struct filter *f;
 *     struct buf err = BUF_INIT;
 *     if (filter_parse(text, len, health_service_fields, &f, &err) != 0)
 *             reply 400 with err.data;      (f is NULL: an empty text is no filter)
 *     for each item:
 *             build its fvalue in an arena; keep it if filter_match(f, v)
 *     filter_free(f);
 *
 * Grammar (go-bexpr's PEG; keywords lower case, "_" is one or more of
 * space, tab, CR, LF, and it is required where written):
 *
 *     input      = _? or _? EOF
 *     or         = and (_ "or" _ and)*
 *     and        = not (_ "and" _ not)*
 *     not        = "not" _ not | "(" _? or _? ")" | match
 *     match      = selector _? ("==" | "!=") _? value
 *                | selector _ ("contains" | "not" _ "contains"
 *                             | "matches" | "not" _ "matches") _ value
 *                | selector _ "is" _ ("empty" | "not" _ "empty")
 *                | value _ ("in" | "not" _ "in") _ selector
 *     selector   = ident ("." ident | "." [0-9]+ | "[" _? string _? "]")*
 *     ident      = [A-Za-z] [A-Za-z0-9_]*
 *     value      = selector | number | string     (a selector value is its text)
 *     number     = "-"? ("0" | [1-9][0-9]*) ("." [0-9]+)?   then _, ")" or EOF
 *     string     = '"' Go-escaped chars '"' | '`' raw chars '`'
 *
 * so "not" binds tighter than "and", which binds tighter than "or".
 * "contains" is "in" with its operands swapped.
 *
 * Model: a selector walks the item: a map step looks its key up (names are
 * case-sensitive); a list met before the selector ends is searched, and the
 * match is true when it is true for ANY element (Checks.Status == "passing"
 * is true when one check passes; on an empty list every operator is false).
 * At the end of the selector:
 *
 *     ==, !=          string: bytes equal; number/bool: the literal is coerced
 *                     to the field's type (Go's ParseInt base 0, ParseFloat,
 *                     ParseBool); a literal that does not coerce is not equal
 *     in, contains    string: substring; list: an element equal as above;
 *                     map: has the key
 *     is empty        string, list, map: no bytes/members
 *     matches         string: the regular expression (filter_regex.c) matches
 *
 * A selector that reaches a missing key or a null (a nil map in Go) takes
 * go-bexpr's "not present" answer: ==, in, matches and is not empty are
 * false; !=, not in, not matches and is empty are true. Operators that do not
 * apply to the value (== on a list, matches on a number) are false, their
 * negations true; with a schema such expressions are refused at parse time.
 *
 * Schema: Consul knows each endpoint's Go type and refuses a filter that names
 * a field it does not have. filter_parse() does the same given a table of the
 * item's fields (rows of dotted paths, "*" for any map key, ending with a
 * {NULL} row). Objects are implied by deeper rows ("Service" by
 * "Service.ID"); a FILTER_MAP has string values unless rows name fields below
 * "<map>.*". Each type admits go-bexpr's operators (filter_parse.c), and
 * number/bool literals must coerce. Without a schema every selector is
 * accepted and evaluates as missing when absent.
 *
 * Limits (go-bexpr has none): 64 levels of "not" and parentheses together;
 * regular expressions are bounded in size, each and summed over the filter
 * (filter_regex.c), since glibc's regcomp would otherwise let one query take
 * gigabytes.
 *
 * Errors: filter_parse() puts one line in err, exactly what Consul sends in
 * its 400 body:
 *
 *     Failed to create boolean expression evaluator: <reason>
 *
 * where a syntax error's reason starts "line:col (offset): " as go-bexpr's
 * parser reports it (col counts characters from 1, offset bytes from 0).
 *
 * Threads: a parsed filter is read-only; filter_match() may run anywhere.
 */
#ifndef CAIRN_BASE_FILTER_H
#define CAIRN_BASE_FILTER_H

#include "base/buf.h"
#include "base/filter_value.h"

#include <stdbool.h>
#include <stddef.h>

#define FILTER_ERR_PREFIX "Failed to create boolean expression evaluator: "

/* Field types of a schema row, after Go's: */
enum filter_type {
	FILTER_STRING = 1, /* string */
	FILTER_INT,	   /* any integer */
	FILTER_FLOAT,	   /* float32/64 */
	FILTER_BOOL,	   /* bool */
	FILTER_STRINGS,	   /* []string */
	FILTER_MAP,	   /* map[string]string, or map[string]struct with "*" rows */
	FILTER_OBJECT,	   /* struct (implied by deeper rows; may be omitted) */
	FILTER_OBJECTS,	   /* []struct: its fields are the rows below it */
};

struct filter_field {
	const char *path;      /* "Service.Meta", "Checks.Status", "X.*.Port" */
	enum filter_type type; /* what the path holds */
};

struct filter;

/*
 * Parse len bytes of text. schema may be NULL. Returns 0 and sets *out (NULL
 * for an empty text, which filters nothing, as Consul's nil filter), or
 * CAIRN_E_PARSE with *out NULL and the message appended to err (if not NULL).
 */
int filter_parse(const char *text, size_t len, const struct filter_field *schema,
		 struct filter **out, struct buf *err);

/* Whether item passes. A NULL filter passes everything. */
bool filter_match(const struct filter *f, const struct fvalue *item);

void filter_free(struct filter *f);

/* The parsed tree as one line of S-expressions, for tests and debugging:
 * (or (and (== "Service.Port" "80") (not (is empty "Node.Meta"))) ...). */
void filter_dump(const struct filter *f, struct buf *out);

#endif
