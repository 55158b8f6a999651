/*
 * Streaming JSON writer.
 *
 * Responses are written field by field in Consul's exact order straight into a
 * struct buf, without building a tree. Output matches Go's encoding/json: HTML
 * characters (<, >, &) and U+2028/2029 escaped as \u003c..., invalid UTF-8
 * replaced by U+FFFD, and with pretty set, json.MarshalIndent(v, "", "    ")
 * layout (empty containers print as [] and {}).
 *
 * Usage: jsonw_obj_open; jsonw_key + a value, repeated; jsonw_obj_close. Commas
 * and indentation are handled here. Nesting depth is limited to JSONW_MAX_DEPTH.
 */
#ifndef CAIRN_BASE_JSONW_H
#define CAIRN_BASE_JSONW_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSONW_MAX_DEPTH 64

struct jsonw {
	struct buf *out;		 /* where text goes (not owned) */
	bool pretty;			 /* indent with 4 spaces per level */
	bool after_key;			 /* a key was written; the next value follows it */
	int depth;			 /* open containers */
	bool has_items[JSONW_MAX_DEPTH]; /* per level: an item was written (needs comma) */
};

void jsonw_init(struct jsonw *w, struct buf *out, bool pretty);
void jsonw_obj_open(struct jsonw *w);
void jsonw_obj_close(struct jsonw *w);
void jsonw_arr_open(struct jsonw *w);
void jsonw_arr_close(struct jsonw *w);
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_str(struct jsonw *w, const char *s); /* NULL writes null */
void jsonw_strn(struct jsonw *w, const char *s, size_t n);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_uint(struct jsonw *w, uint64_t v);
/* A float64 as Go's encoding/json writes it: shortest round-trip digits, plain
 * notation for 1e-6 <= |v| < 1e21, else 1.5e-7 / 1e+21 (non-finite: 0). */
void jsonw_double(struct jsonw *w, double v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
/* Base64 (standard alphabet, padded) of n bytes as a JSON string. */
void jsonw_base64(struct jsonw *w, const void *p, size_t n);
/* A pre-encoded JSON value, inserted as is (must be compact, valid JSON). */
void jsonw_raw(struct jsonw *w, const char *json, size_t n);

/* Shorthands: key followed by a value. */
void jsonw_kstr(struct jsonw *w, const char *key, const char *s);
void jsonw_kint(struct jsonw *w, const char *key, int64_t v);
void jsonw_kuint(struct jsonw *w, const char *key, uint64_t v);
void jsonw_kbool(struct jsonw *w, const char *key, bool v);

/* The text jsonw_double writes, appended to out. */
void json_put_float(struct buf *out, double v);
/* Append s escaped as a JSON string (with quotes) to out. */
void json_escape(struct buf *out, const char *s, size_t n);

#endif
