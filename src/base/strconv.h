/*
 * Go's strconv.ParseBool, which every Consul input that takes a boolean as
 * text goes through: query parameters (?passing, ?enable, ?local-only), CLI
 * flags and environment variables, config values given as strings and the
 * filter language. It accepts 1, t, T, TRUE, true, True and 0, f, F, FALSE,
 * false, False, nothing else. Pure; any thread.
 */
#ifndef CAIRN_BASE_STRCONV_H
#define CAIRN_BASE_STRCONV_H

#include <stdbool.h>
#include <stddef.h>

/* The len bytes at s as a Go bool: 0 with *out set, or -1 (*out untouched). */
int strconv_parse_bool_n(const char *s, size_t len, bool *out);
/* The same for a NUL-terminated string. */
int strconv_parse_bool(const char *s, bool *out);

#endif
