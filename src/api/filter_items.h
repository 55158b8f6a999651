/*
 * Which catalog entries a list query keeps: ?filter= expressions (base/filter.h)
 * evaluated on value trees built from catalog entries, plus the older ?node-meta=
 * and ?tag= selections Consul still honours.
 *
 * Schemas. Consul checks a filter against the Go type of the endpoint's items and
 * answers 400 for a selector the type lacks. The tables below list the selectors of
 * each item type, after the tables of Consul's API docs (fields tagged bexpr:"-",
 * such as CreateIndex or a check's Definition, are not selectable):
 *
 *   filter_node_fields               Node          /v1/catalog/nodes
 *   filter_service_node_fields       ServiceNode   /v1/catalog/service/:s,
 *                                                  /v1/catalog/services
 *   filter_node_service_fields       NodeService   /v1/catalog/node/:n,
 *                                                  /v1/catalog/node-services/:n
 *   filter_check_fields              HealthCheck   /v1/health/node|checks|state
 *   filter_check_service_node_fields CheckServiceNode  /v1/health/service/:s
 *
 * Items. fitem_* build the tree of one entry in an arena (filter_value.h), shaped
 * like the Go struct bexpr walks: every field present, zero values included, maps
 * with the entry's keys. Strings are borrowed from the entries, so a tree must be
 * matched before the next store write. Proxy and Connect, stored as JSON texts,
 * are read with jansson only when present.
 *
 * Queries. struct item_query holds the selections of one request (parsed once per
 * run of a read's query function) and answers "keep this entry?".
 */
#ifndef CAIRN_API_FILTER_ITEMS_H
#define CAIRN_API_FILTER_ITEMS_H

#include "api/api.h"
#include "base/buf.h"
#include "base/filter.h"
#include "base/filter_value.h"
#include "http/http.h"
#include "state/catalog.h"

#include <stdbool.h>
#include <stddef.h>

extern const struct filter_field filter_node_fields[];
extern const struct filter_field filter_service_node_fields[];
extern const struct filter_field filter_node_service_fields[];
extern const struct filter_field filter_check_fields[];
extern const struct filter_field filter_check_service_node_fields[];

struct fvalue *fitem_node(struct fv_arena *a, const struct cat_node *n);
/* n may be NULL (node fields empty). */
struct fvalue *fitem_service_node(struct fv_arena *a, const struct cat_node *n,
				  const struct cat_service *svc);
struct fvalue *fitem_node_service(struct fv_arena *a, const struct cat_service *svc);
struct fvalue *fitem_check(struct fv_arena *a, const struct cat_check *c);
struct fvalue *fitem_check_service_node(struct fv_arena *a, const struct cat_node *n,
					const struct cat_service *svc,
					const struct cat_check *const *checks, size_t nchecks);

/* The selections of one list request. */
struct item_query {
	struct filter *filter; /* ?filter=, NULL when absent or empty */
	struct cat_pair *meta; /* ?node-meta=k:v (repeated; last value of a key wins) */
	size_t nmeta;	       /* entries in meta */
	const char **tags;     /* ?tag= (repeated; all must match, case-insensitively) */
	size_t ntags;	       /* entries in tags */
	struct fv_arena arena; /* trees of the item being matched */
};

/*
 * Read ?filter (checked against schema), ?node-meta and, when with_tags, ?tag from
 * req. Returns 0, or CAIRN_E_PARSE with Consul's 400 message in err (q is then
 * released). Strings point into req: q must not outlive it.
 */
int item_query_init(struct item_query *q, const struct http_request *req,
		    const struct filter_field *schema, bool with_tags, struct buf *err);
void item_query_free(struct item_query *q);

/* ?node-meta: the node has every pair (a NULL node has none). */
bool item_query_node_ok(const struct item_query *q, const struct cat_node *n);
/* ?tag: the service has every tag, compared case-insensitively as Consul does. */
bool item_query_tags_ok(const struct item_query *q, const struct cat_service *svc);
/* ?filter on a built tree (true without a filter); resets the arena. */
bool item_query_match(struct item_query *q, const struct fvalue *item);

/*
 * One list response being written by a read's query function: the request's
 * selections and the JSON writer over the response body. item_list_open parses the
 * selections (the handler checked ?filter already, so it cannot fail then) and starts
 * the body; item_list_close finishes it and releases the selections.
 */
struct item_span {
	const char *node; /* the element's node (borrowed from the store entry) */
	size_t start;	  /* element text in the response body, separator included */
	size_t end;
};

struct item_list {
	struct api *a;		  /* the API (store, config) */
	struct http_request *req; /* the request being answered */
	struct jsonw w;		  /* writer over req->resp.body */
	struct item_query q;	  /* ?filter, ?node-meta, ?tag */
	size_t n;		  /* items written */
	/* ?near (near.c): elements are recorded as written and reordered by
	 * estimated RTT from near_src when the list closes */
	const struct vivaldi_coord *near_src; /* NULL: no sorting */
	struct item_span *spans;
	size_t nspans, cap;
};

/* Bracket every array element of a list that ?near may sort (no-ops without
 * ?near). node: the element's node name. */
void item_list_begin(struct item_list *l, const char *node);
void item_list_end(struct item_list *l);
/* The coordinate ?near names (_agent, or a node), or NULL (near.c). */
const struct vivaldi_coord *api_near_source(struct api *a, const struct http_request *req);
/* Reorder the recorded elements (item_list_close calls it). */
void item_list_sort_near(struct item_list *l);

bool item_list_open(struct item_list *l, struct api *a, struct http_request *req,
		    const struct filter_field *schema, bool with_tags);
void item_list_close(struct item_list *l);

/* Validate the request's ?filter against schema before a read starts; on a bad
 * filter answers 400 with Consul's message and returns false. */
bool item_query_check(struct http_request *req, const struct filter_field *schema);

#endif
