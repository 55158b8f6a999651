/*
 * The loader: one configuration being built from its sources (internal to config/).
 *
 * A loader wraps the struct config under construction and remembers, per option row,
 * the name of the source that last set it ("command line", a file path,
 * "flags-0.hcl"); NULL means the table or -dev default. That lets computed defaults
 * ask "did the user set this?" (leave_on_terminate follows server only when unset)
 * and lets every error name the file it came from. Errors are collected as lines in
 * err; warnings as lines in warnings, which the caller logs or prints.
 *
 * Life cycle: loader_init -> loader_apply_* / loader_path (in merge order) ->
 * loader_finish (computed defaults) -> loader_validate -> loader_done. The loader
 * owns nothing of the config; loader_done frees the bookkeeping only.
 */
#ifndef CAIRN_CONFIG_LOADER_H
#define CAIRN_CONFIG_LOADER_H

#include "base/buf.h"
#include "config/config.h"
#include "config/options.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>

struct loader {
	struct config *c;	 /* being built (not owned) */
	const char **origin;	 /* per row: source name of the last set, NULL = default */
	const char *src;	 /* current source name (points into names) */
	struct strlist names;	 /* every source name used (owned) */
	struct buf *err;	 /* error lines, "\n"-terminated (not owned) */
	int nerr;		 /* errors so far */
	struct strlist warnings; /* warning lines (owned) */
	const char *format;	 /* forced file format ("json", "hcl") or NULL */
};

#define SRC_FLAGS "command line"

void loader_init(struct loader *ld, struct config *c, struct buf *err);
void loader_done(struct loader *ld);

/* Make name the current source (copied). */
void loader_source(struct loader *ld, const char *name);
/* Did a user source (not a default) set this row? */
bool loader_set_by_user(const struct loader *ld, const struct opt *o);
/* Origin of a row by key, NULL when default. */
const char *loader_origin(const struct loader *ld, const char *key);

/* Record an error line "<src>: <msg>" (no prefix when src is NULL). */
void loader_error(struct loader *ld, const char *src, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Record a warning line, same shape. */
void loader_warn(struct loader *ld, const char *src, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record an error for key, prefixed by the source that set key; returns false. */
bool loader_fail(struct loader *ld, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Table defaults, then (dev) the -dev column. */
void loader_defaults(struct loader *ld, bool dev);

/* Set a row from text under the current source; flag names the flag for messages. */
int loader_set_text(struct loader *ld, const struct opt *o, const char *text, const char *flag);

/* Apply a decoded config object (a file's top level) under the current source. */
void loader_apply_tree(struct loader *ld, json_t *root);

/* Parse data (format "json" or "hcl") named name and apply it. Empty data is skipped. */
void loader_apply_text(struct loader *ld, const char *name, const char *data, size_t len,
		       const char *format);

/* Load a -config-file / -config-dir path: a file, or a directory's *.json and *.hcl files
 * in byte order (not recursive). */
void loader_path(struct loader *ld, const char *path);

/* Computed defaults after all sources (node name, node ID, primary DC, leave flags...). */
void loader_finish(struct loader *ld);

/* Address checks (validate.c), run first by loader_validate. */
bool loader_validate_addresses(struct loader *ld);
/* Consul's semantic validation: the first error is recorded; warnings collected. */
void loader_validate(struct loader *ld);

/* Parse an agent command line into ld's config (flags stage by stage); see load.c. */
struct cmdline;
int cmdline_parse(struct loader *ld, int argc, char **argv, struct cmdline **out);
void cmdline_apply_lists(struct loader *ld, const struct cmdline *cl);
void cmdline_apply_values(struct loader *ld, const struct cmdline *cl);
bool cmdline_dev(const struct cmdline *cl);
void cmdline_paths(const struct cmdline *cl, struct strlist *out);
void cmdline_free(struct cmdline *cl);

/* Build a config from parsed sources; shared by config_load and config_validate_paths.
 * warnings receives the warning lines. Returns 0 or CAIRN_E_INVAL. */
int config_build(int argc, char **argv, struct config *out, struct buf *err,
		 struct strlist *warnings);

/* HCL subset reader: text -> JSON object tree (see hcl.c). NULL and "At L:C: msg" in err
 * on error. */
json_t *hcl_parse(const char *text, size_t len, struct buf *err);

#endif
