/*
 * The option table and typed access to struct config fields (internal to config/).
 *
 * Each row of config_options[] describes one option: where it lives in a file
 * (key path), what type it has, its default and -dev default (as text, in the form
 * a command-line flag value would take), whether a reload applies it, which flags
 * set it, its DebugConfig name and the offset of its field in struct config. The
 * loader, the flag parser, the dump and the reload diff all iterate this table;
 * adding an option is adding a row (and a field).
 *
 * Values arrive either as text (flags, defaults: opt_set_text) or as JSON (files:
 * opt_set_json). Both report problems in Consul's words into the loader's error
 * list; neither allocates on failure.
 */
#ifndef CAIRN_CONFIG_OPTIONS_H
#define CAIRN_CONFIG_OPTIONS_H

#include "base/buf.h"
#include "config/config.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum opt_type {
	OPT_BOOL,     /* bool */
	OPT_INT,      /* int (JSON numbers are truncated, as mapstructure does) */
	OPT_UINT,     /* unsigned; negatives rejected */
	OPT_SIZE,     /* uint64_t; negatives rejected */
	OPT_FLOAT,    /* double */
	OPT_STRING,   /* char *, never NULL after config_defaults */
	OPT_DURATION, /* int64_t ns; files give Go duration strings */
	OPT_LIST,     /* struct strlist; later sources append */
	OPT_MAP,      /* struct strmap of strings; later sources merge */
	OPT_JSON,     /* json_t * object; later sources deep-merge */
	OPT_OBJLIST,  /* json_t * array of objects; a single object or an array is appended */
};

/* Row flags. */
#define OPTF_RELOAD   0x01 /* applied by a reload */
#define OPTF_SECRET   0x02 /* DebugConfig shows "hidden" when set */
#define OPTF_PORT     0x04 /* <= 0 means disabled (-1); > 65535 is an error */
#define OPTF_FLAGONLY 0x08 /* command line only; not a file key */
#define OPTF_INTERNAL 0x10 /* not user-settable; a file key is ignored */
#define OPTF_SPLIT    0x20 /* DebugConfig shows a string as a list of its words */
#define OPTF_LOWER    0x40 /* value is lowercased */

struct opt {
	const char *key; /* path in a config file: "ports.http" */
	enum opt_type type;
	unsigned flags;	   /* OPTF_* */
	const char *def;   /* default as flag text (NULL: zero/empty) */
	const char *dev;   /* -dev default as flag text (NULL: none) */
	const char *cli;   /* flag names without dash, space-separated (NULL: none) */
	const char *debug; /* DebugConfig name(s), space-separated; '.' nests */
	size_t off;	   /* offsetof(struct config, field) */
};

extern const struct opt config_options[];
extern const size_t config_options_len;

/* Renamed keys: a file key old is read as new; warn says whether Consul warns. */
struct opt_alias {
	const char *old; /* key path as found in a file */
	const char *new; /* row key it sets */
	bool warn;	 /* log Consul's deprecation warning */
};

extern const struct opt_alias config_aliases[];
extern const size_t config_aliases_len;

/* Row for a file key path (exact, then case-insensitive as mapstructure matches);
 * NULL if none. Flag-only rows are not found. */
const struct opt *opt_find(const char *path);
/* Row with this flag name; NULL if none. */
const struct opt *opt_find_flag(const char *name);
/* True when some row key (or alias) starts with "prefix." (prefix is a block). */
bool opt_is_block(const char *prefix);
/* The JSON row whose key is the longest prefix of path ("tls" for "tls.defaults.x"): it
 * keeps keys under it that no row models. NULL if none. */
const struct opt *opt_find_bag(const char *path);
/* Alias for a file key path, NULL if none. */
const struct opt_alias *opt_find_alias(const char *path);
/* Index of a row in config_options. */
size_t opt_index(const struct opt *o);

/* Field address. */
static inline void *opt_field(struct config *c, const struct opt *o)
{
	return (char *)c + o->off;
}
static inline const void *opt_cfield(const struct config *c, const struct opt *o)
{
	return (const char *)c + o->off;
}

/*
 * Set from text (a flag value or a table default). Lists append one item, maps take
 * "key:value". flag names the flag for Go's error wording ("-http-port"), or NULL for
 * defaults. Returns 0, or -1 after appending one message line to err.
 */
int opt_set_text(struct config *c, const struct opt *o, const char *text, const char *flag,
		 struct buf *err);

/*
 * Set from a JSON value found at path in a file (path is the key as written, for the
 * message). Scalars replace, lists append, maps merge, JSON deep-merges. Returns 0, or
 * -1 after appending "'path' expected type ..." style lines to err.
 */
int opt_set_json(struct config *c, const struct opt *o, json_t *v, const char *path,
		 struct buf *err);

/* Free a field and zero it. */
void opt_free(struct config *c, const struct opt *o);
/* Replace dst's field with a deep copy of src's. */
void opt_copy(struct config *dst, const struct config *src, const struct opt *o);
/* Deep equality of one field. */
bool opt_equal(const struct config *a, const struct config *b, const struct opt *o);
/* The field as a new JSON value, for DebugConfig (secrets "hidden"). */
json_t *opt_to_json(const struct config *c, const struct opt *o);

/* strlist / strmap helpers */
void strlist_add(struct strlist *l, const char *s);
void strlist_free(struct strlist *l);
void strmap_set(struct strmap *m, const char *k, const char *v);
const char *strmap_get(const struct strmap *m, const char *k);
void strmap_free(struct strmap *m);

/* Merge src into *dst: objects recursively, arrays appended, scalars replaced. */
void json_deep_merge(json_t **dst, json_t *src);

/* Go's %T name of a JSON value as encoding/json decodes it ("float64", "string"...). */
const char *json_go_type(const json_t *v);
/* Go's %v rendering of a JSON value (appended to out). */
void json_go_value(struct buf *out, const json_t *v);

#endif
