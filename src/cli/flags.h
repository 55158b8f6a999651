/*
 * Command-line flags, parsed the way Go's flag package parses them.
 *
 * Consul's commands are Go programs built on package flag, and scripts depend on its
 * rules, so this parser follows them exactly:
 *   -flag, --flag          a boolean set to true (a bool never takes the next argument)
 *   -flag=value            any flag; "-b=false" for booleans
 *   -flag value            non-boolean flags
 *   a repeated flag        the last value wins, except FLAG_STRINGS, which collects all
 *   parsing stops at the first non-flag argument, at "-" and after "--" (consumed).
 * Errors print Go's message ("flag provided but not defined: -x") followed by Go's
 * default usage ("Usage:" and PrintDefaults) to stderr; the command then exits 1.
 *
 * A command describes its flags as one const table of struct flag_def, terminated by a
 * row with a NULL name. Each row names the flag, its type, and the offset of its value
 * in the command's options struct, so the same table drives parsing, the -h text (in
 * Consul's "HTTP API Options" / "Command Options" layout) and the error usage. The HTTP
 * flags shared by API commands come from macros in cli/httpc.h.
 *
 * String values point into argv or at the default literal and are never freed; only
 * FLAG_STRINGS allocates (free with flag_strings_free). No global state.
 */
#ifndef CAIRN_CLI_FLAGS_H
#define CAIRN_CLI_FLAGS_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum flag_type {
	FLAG_BOOL,     /* bool */
	FLAG_STRING,   /* const char * (NULL until set, unless the caller preset it) */
	FLAG_UINT64,   /* uint64_t, decimal, 0x hex or 0 octal as Go's ParseUint(s, 0, 64) */
	FLAG_INT,      /* int64_t, as Go's ParseInt(s, 0, 64) */
	FLAG_DURATION, /* int64_t nanoseconds, a Go duration ("10s", "1m30s") */
	FLAG_STRINGS,  /* struct flag_strings: every occurrence appended */
};

/* Where the -h text lists a flag (Consul's flags.Usage sections). */
enum flag_section {
	FLAG_SECT_CMD = 0, /* "Command Options" */
	FLAG_SECT_HTTP,	   /* "HTTP API Options" */
};

struct flag_def {
	const char *name;	   /* without the dash; NULL ends the table */
	enum flag_type type;	   /* how the value is parsed and stored */
	size_t offset;		   /* of the value in the options struct */
	const char *usage;	   /* help text; a `word` in backquotes names the argument */
	const char *def;	   /* default as Go prints it in PrintDefaults, NULL if zero */
	const char *argname;	   /* argument name when not from usage/type (Consul: "value") */
	enum flag_section section; /* -h section */
};

/* A command-section row: flag `n` of type t stored in field f of options struct T, with
 * usage u and Go's printed default d (NULL for the zero value). */
#define FLAG_DEF(n, t, T, f, u, d)                                                                 \
	{                                                                                          \
		.name = (n), .type = (t), .offset = offsetof(T, f), .usage = (u), .def = (d),      \
		.section = FLAG_SECT_CMD                                                           \
	}
#define FLAG_END                                                                                   \
	{                                                                                          \
		.name = NULL                                                                       \
	}

/* Value of a FLAG_STRINGS flag. */
struct flag_strings {
	const char **v; /* values in command-line order (point into argv) */
	size_t n;	/* count */
};

void flag_strings_free(struct flag_strings *s);

/*
 * Parse argv[first..argc) against defs, storing into opts. On success returns 0 and
 * sets *rest to the index of the first positional argument. On error prints Go's message
 * and usage to stderr and returns -1 (the command should exit 1).
 */
int flags_parse(const struct flag_def *defs, void *opts, int argc, char **argv, int first,
		int *rest);

/* Go's FlagSet.PrintDefaults for the table (flags sorted by name). */
void flags_print_defaults(struct buf *out, const struct flag_def *defs);

/*
 * Consul's flags.Usage: the trimmed usage text, then the "HTTP API Options" and
 * "Command Options" sections (each flag wrapped at 72 columns), no trailing newline.
 * defs may be NULL (text only).
 */
void flags_help(struct buf *out, const char *usage, const struct flag_def *defs);

/*
 * Wrap text into lines of at most lim columns with minimal raggedness (the algorithm
 * of github.com/kr/text, which Consul uses), each line prefixed by pad spaces.
 */
void flags_wrap(struct buf *out, const char *text, int lim, int pad);

#endif
