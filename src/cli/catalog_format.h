/*
 * Pure pieces of the catalog, services and maint commands: the text formats they print
 * and the argument conventions they share, kept apart from the HTTP calls so that unit
 * tests can run them on fixed inputs.
 *
 *   columnize      ryanuber/columnize, which `catalog nodes` uses with a 0x1f delimiter:
 *                  cells trimmed, every column but the last padded to its widest cell
 *                  (in code points) and joined by two spaces, no trailing newline.
 *   nodes          `catalog nodes` rows: Node ID Address DC (ID cut at its first '-'),
 *                  and with -detailed the full ID, TaggedAddresses and Meta as sorted
 *                  "k=v, k=v" lists.
 *   services       `catalog services`: names sorted bytewise, one per line, or with
 *                  -tags a tabwriter(0, 2, 6) table of "name  tag,tag" (tags sorted).
 *   map flags      Go's FlagMapValue ("-node-meta key=value", "-meta key=value"): the
 *                  last value of a key wins, a value without '=' is Go's flag error.
 *   %q             Go's strconv.Quote, used in a few error messages.
 *
 * Inputs are jansson trees as decoded from the HTTP API; nothing here owns them.
 */
#ifndef CAIRN_CLI_CATALOG_FORMAT_H
#define CAIRN_CLI_CATALOG_FORMAT_H

#include "base/buf.h"
#include "cli/flags.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Cell delimiter of the columnize input (ASCII unit separator, as Consul uses). */
#define CATALOG_DELIM "\x1f"

/* Format text (lines separated by '\n', cells by CATALOG_DELIM) into out. */
void catcli_columnize(struct buf *out, const char *text, size_t len);

/* Consul's mapToKV: an object of strings as "k=v" pairs sorted by key, joined by sep. */
void catcli_map_kv(struct buf *out, json_t *obj, const char *sep);

/* The `catalog nodes` table for a JSON array of nodes: /v1/catalog/nodes entries, or
 * /v1/catalog/service/:name entries when service_nodes (node meta is "NodeMeta"). */
void catcli_format_nodes(struct buf *out, json_t *nodes, bool detailed, bool service_nodes);

/* The `catalog services` output for an object mapping service name to an array of tags.
 * Returns the number of services (0: nothing was written). */
size_t catcli_format_services(struct buf *out, json_t *services, bool tags);

/* From a /v1/catalog/node/:node body, the name -> tags object `catalog services -node`
 * prints (tags of instances of one service appended). Caller decrefs; never NULL. */
json_t *catcli_node_services(json_t *node);

/*
 * Collect repeated "key=value" flag values into a JSON object (last value of a key wins).
 * On a value without '=' prints Go's flag error and the usage of defs to stderr and
 * returns -1 (the command exits 1); *out is then NULL.
 */
int catcli_map_flag(const struct flag_def *defs, const char *name, const struct flag_strings *v,
		    json_t **out);

/* Go's strconv.Quote of s. */
void catcli_go_quote(struct buf *out, const char *s);

#endif
