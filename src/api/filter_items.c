/*
 * Filter schemas and value trees for catalog entries, and the per-request
 * selections of the catalog and health list endpoints (see filter_items.h).
 * Loop thread; trees live in the query's arena until the next match.
 */
#include "api/filter_items.h"

#include "base/alloc.h"
#include "base/err.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- schemas ---- */

#define S FILTER_STRING
#define I FILTER_INT
#define B FILTER_BOOL

/* The selectors of a ConnectProxyConfig under prefix P (Consul's docs table). */
#define PROXY_ROWS(P)                                                                              \
	{P ".DestinationServiceID", S}, {P ".DestinationServiceName", S},                          \
	    {P ".LocalServiceAddress", S}, {P ".LocalServicePort", I},                             \
	    {P ".LocalServiceSocketPath", S}, {P ".Mode", S},                                      \
	    {P ".TransparentProxy.OutboundListenerPort", I},                                       \
	    {P ".TransparentProxy.DialedDirectly", B}, {P ".MeshGateway.Mode", S},                 \
	    {P ".Expose.Checks", B}, {P ".Upstreams", FILTER_OBJECTS},                             \
	    {P ".Upstreams.Datacenter", S}, {P ".Upstreams.DestinationName", S},                   \
	    {P ".Upstreams.DestinationNamespace", S}, {P ".Upstreams.DestinationPartition", S},    \
	    {P ".Upstreams.DestinationPeer", S}, {P ".Upstreams.DestinationType", S},              \
	    {P ".Upstreams.LocalBindAddress", S}, {P ".Upstreams.LocalBindPort", I},               \
	    {P ".Upstreams.LocalBindSocketPath", S},                                               \
	{                                                                                          \
		P ".Upstreams.MeshGateway.Mode", S                                                 \
	}

/* The selectors of a NodeService under prefix P ("" for the item itself). */
#define NODE_SERVICE_ROWS(P)                                                                       \
	{P "Kind", S}, {P "ID", S}, {P "Service", S}, {P "Tags", FILTER_STRINGS},                  \
	    {P "Address", S}, {P "TaggedAddresses", FILTER_MAP},                                   \
	    {P "TaggedAddresses.*.Address", S}, {P "TaggedAddresses.*.Port", I},                   \
	    {P "Meta", FILTER_MAP}, {P "Port", I}, {P "SocketPath", S}, {P "Weights.Passing", I},  \
	    {P "Weights.Warning", I}, {P "EnableTagOverride", B}, PROXY_ROWS(P "Proxy"),           \
	    {P "Connect.Native", B},                                                               \
	{                                                                                          \
		P "PeerName", S                                                                    \
	}

#define NODE_ROWS(P)                                                                               \
	{P "ID", S}, {P "Node", S}, {P "Address", S}, {P "Datacenter", S},                         \
	    {P "TaggedAddresses", FILTER_MAP},                                                     \
	{                                                                                          \
		P "Meta", FILTER_MAP                                                               \
	}

#define CHECK_ROWS(P)                                                                              \
	{P "Node", S}, {P "CheckID", S}, {P "Name", S}, {P "Status", S}, {P "Notes", S},           \
	    {P "Output", S}, {P "ServiceID", S}, {P "ServiceName", S},                             \
	    {P "ServiceTags", FILTER_STRINGS}, {P "Type", S}, {P "Interval", S}, {P "Timeout", S}, \
	    {P "ExposedPort", I},                                                                  \
	{                                                                                          \
		P "PeerName", S                                                                    \
	}

const struct filter_field filter_node_fields[] = {NODE_ROWS(""), {NULL, 0}};

const struct filter_field filter_service_node_fields[] = {
    NODE_ROWS(""),
    {"NodeMeta", FILTER_MAP},
    {"ServiceKind", S},
    {"ServiceID", S},
    {"ServiceName", S},
    {"ServiceTags", FILTER_STRINGS},
    {"ServiceAddress", S},
    {"ServiceTaggedAddresses", FILTER_MAP},
    {"ServiceTaggedAddresses.*.Address", S},
    {"ServiceTaggedAddresses.*.Port", I},
    {"ServiceWeights.Passing", I},
    {"ServiceWeights.Warning", I},
    {"ServiceMeta", FILTER_MAP},
    {"ServicePort", I},
    {"ServiceSocketPath", S},
    {"ServiceEnableTagOverride", B},
    PROXY_ROWS("ServiceProxy"),
    {"ServiceConnect.Native", B},
    {"PeerName", S},
    {NULL, 0},
};

const struct filter_field filter_node_service_fields[] = {NODE_SERVICE_ROWS(""), {NULL, 0}};

const struct filter_field filter_check_fields[] = {CHECK_ROWS(""), {NULL, 0}};

const struct filter_field filter_check_service_node_fields[] = {
    NODE_ROWS("Node."),
    NODE_SERVICE_ROWS("Service."),
    {"Checks", FILTER_OBJECTS},
    CHECK_ROWS("Checks."),
    {NULL, 0},
};

#undef S
#undef I
#undef B

/* ---- building trees ---- */

static void ref(struct fv_arena *a, struct fvalue *map, const char *key, const char *s)
{
	fv_set_str_ref(fv_map_put(a, map, key), s ? s : "");
}

static void pairs(struct fv_arena *a, struct fvalue *map, const char *key, const struct cat_pair *p,
		  size_t n)
{
	struct fvalue *v = fv_map_put(a, map, key);
	if (n == 0)
		return; /* a nil map */
	fv_set_map(v);
	for (size_t i = 0; i < n; i++)
		ref(a, v, p[i].key, p[i].value);
}

static void str_list(struct fv_arena *a, struct fvalue *map, const char *key, const char *const *s,
		     size_t n)
{
	struct fvalue *l = fv_map_add_list(a, map, key);
	for (size_t i = 0; i < n; i++)
		fv_set_str_ref(fv_list_push(a, l), s[i]);
}

static void node_fields(struct fv_arena *a, struct fvalue *m, const struct cat_node *n,
			const char *meta_key)
{
	ref(a, m, "ID", n ? n->id : "");
	ref(a, m, "Node", n ? n->name : "");
	ref(a, m, "Address", n ? n->address : "");
	ref(a, m, "Datacenter", n ? n->datacenter : "");
	pairs(a, m, "TaggedAddresses", n ? n->tagged : NULL, n ? n->ntagged : 0);
	pairs(a, m, meta_key, n ? n->meta : NULL, n ? n->nmeta : 0);
}

static void svc_addrs(struct fv_arena *a, struct fvalue *m, const char *key,
		      const struct cat_service *svc)
{
	struct fvalue *v = fv_map_put(a, m, key);
	if (svc->ntagged == 0)
		return;
	fv_set_map(v);
	for (size_t i = 0; i < svc->ntagged; i++) {
		struct fvalue *e = fv_map_add_map(a, v, svc->tagged[i].key);
		ref(a, e, "Address", svc->tagged[i].address);
		fv_map_add_int(a, e, "Port", svc->tagged[i].port);
	}
}

static void weights(struct fv_arena *a, struct fvalue *m, const char *key,
		    const struct cat_service *svc)
{
	struct fvalue *w = fv_map_add_map(a, m, key);
	fv_map_add_int(a, w, "Passing", svc->weight_passing);
	fv_map_add_int(a, w, "Warning", svc->weight_warning);
}

/* A string member of a parsed object, copied into the arena ("" when absent). */
static void json_str(struct fv_arena *a, struct fvalue *m, const char *key, json_t *obj)
{
	const char *s = json_string_value(json_object_get(obj, key));
	fv_map_add_str(a, m, key, s ? s : "");
}

static void json_int(struct fv_arena *a, struct fvalue *m, const char *key, json_t *obj)
{
	fv_map_add_int(a, m, key, (int64_t)json_integer_value(json_object_get(obj, key)));
}

static void json_mode(struct fv_arena *a, struct fvalue *m, const char *key, json_t *obj)
{
	struct fvalue *g = fv_map_add_map(a, m, key);
	json_str(a, g, "Mode", json_object_get(obj, key));
}

static void upstreams(struct fv_arena *a, struct fvalue *p, json_t *list)
{
	struct fvalue *l = fv_map_put(a, p, "Upstreams");
	if (!json_array_size(list))
		return; /* nil slice */
	fv_set_list(l);
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *u = json_array_get(list, i);
		struct fvalue *e = fv_list_add_map(a, l);
		static const char *const strs[] = {"DestinationType",	   "DestinationNamespace",
						   "DestinationPartition", "DestinationPeer",
						   "DestinationName",	   "Datacenter",
						   "LocalBindAddress",	   "LocalBindSocketPath"};
		for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
			json_str(a, e, strs[k], u);
		json_int(a, e, "LocalBindPort", u);
		json_mode(a, e, "MeshGateway", u);
	}
}

/* ConnectProxyConfig: zero values, or the stored JSON's (read with jansson). */
static void proxy(struct fv_arena *a, struct fvalue *m, const char *key, const char *text)
{
	json_t *p = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	struct fvalue *v = fv_map_add_map(a, m, key);
	json_str(a, v, "DestinationServiceName", p);
	json_str(a, v, "DestinationServiceID", p);
	json_str(a, v, "LocalServiceAddress", p);
	json_int(a, v, "LocalServicePort", p);
	json_str(a, v, "LocalServiceSocketPath", p);
	json_str(a, v, "Mode", p);
	upstreams(a, v, json_object_get(p, "Upstreams"));
	json_mode(a, v, "MeshGateway", p);
	struct fvalue *e = fv_map_add_map(a, v, "Expose");
	fv_map_add_bool(a, e, "Checks",
			json_is_true(json_object_get(json_object_get(p, "Expose"), "Checks")));
	struct fvalue *t = fv_map_add_map(a, v, "TransparentProxy");
	json_t *tp = json_object_get(p, "TransparentProxy");
	json_int(a, t, "OutboundListenerPort", tp);
	fv_map_add_bool(a, t, "DialedDirectly",
			json_is_true(json_object_get(tp, "DialedDirectly")));
	json_decref(p);
}

static void connect_cfg(struct fv_arena *a, struct fvalue *m, const char *key, const char *text)
{
	json_t *c = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	struct fvalue *v = fv_map_add_map(a, m, key);
	fv_map_add_bool(a, v, "Native", json_is_true(json_object_get(c, "Native")));
	json_decref(c);
}

static void node_service_fields(struct fv_arena *a, struct fvalue *m, const struct cat_service *s)
{
	ref(a, m, "Kind", s->kind);
	ref(a, m, "ID", s->id);
	ref(a, m, "Service", s->name);
	str_list(a, m, "Tags", s->tags, s->ntags);
	ref(a, m, "Address", s->address);
	svc_addrs(a, m, "TaggedAddresses", s);
	pairs(a, m, "Meta", s->meta, s->nmeta);
	fv_map_add_int(a, m, "Port", s->port);
	ref(a, m, "SocketPath", s->socket_path);
	weights(a, m, "Weights", s);
	fv_map_add_bool(a, m, "EnableTagOverride", s->enable_tag_override);
	proxy(a, m, "Proxy", s->proxy_json);
	connect_cfg(a, m, "Connect", s->connect_json);
	ref(a, m, "PeerName", "");
}

static void check_fields(struct fv_arena *a, struct fvalue *m, const struct cat_check *c)
{
	ref(a, m, "Node", c->node);
	ref(a, m, "CheckID", c->id);
	ref(a, m, "Name", c->name);
	ref(a, m, "Status", cat_status_name(c->status));
	ref(a, m, "Notes", c->notes);
	ref(a, m, "Output", c->output);
	ref(a, m, "ServiceID", c->service_id);
	ref(a, m, "ServiceName", c->service_name);
	str_list(a, m, "ServiceTags", c->service_tags, c->nservice_tags);
	ref(a, m, "Type", c->type);
	ref(a, m, "Interval", c->interval);
	ref(a, m, "Timeout", c->timeout);
	fv_map_add_int(a, m, "ExposedPort", c->exposed_port);
	ref(a, m, "PeerName", "");
}

struct fvalue *fitem_node(struct fv_arena *a, const struct cat_node *n)
{
	struct fvalue *m = fv_new_map(a);
	node_fields(a, m, n, "Meta");
	return m;
}

struct fvalue *fitem_service_node(struct fv_arena *a, const struct cat_node *n,
				  const struct cat_service *s)
{
	struct fvalue *m = fv_new_map(a);
	node_fields(a, m, n, "NodeMeta");
	ref(a, m, "ServiceKind", s->kind);
	ref(a, m, "ServiceID", s->id);
	ref(a, m, "ServiceName", s->name);
	str_list(a, m, "ServiceTags", s->tags, s->ntags);
	ref(a, m, "ServiceAddress", s->address);
	svc_addrs(a, m, "ServiceTaggedAddresses", s);
	weights(a, m, "ServiceWeights", s);
	pairs(a, m, "ServiceMeta", s->meta, s->nmeta);
	fv_map_add_int(a, m, "ServicePort", s->port);
	ref(a, m, "ServiceSocketPath", s->socket_path);
	fv_map_add_bool(a, m, "ServiceEnableTagOverride", s->enable_tag_override);
	proxy(a, m, "ServiceProxy", s->proxy_json);
	connect_cfg(a, m, "ServiceConnect", s->connect_json);
	ref(a, m, "PeerName", "");
	return m;
}

struct fvalue *fitem_node_service(struct fv_arena *a, const struct cat_service *svc)
{
	struct fvalue *m = fv_new_map(a);
	node_service_fields(a, m, svc);
	return m;
}

struct fvalue *fitem_check(struct fv_arena *a, const struct cat_check *c)
{
	struct fvalue *m = fv_new_map(a);
	check_fields(a, m, c);
	return m;
}

struct fvalue *fitem_check_service_node(struct fv_arena *a, const struct cat_node *n,
					const struct cat_service *svc,
					const struct cat_check *const *checks, size_t nchecks)
{
	struct fvalue *m = fv_new_map(a);
	node_fields(a, fv_map_add_map(a, m, "Node"), n, "Meta");
	node_service_fields(a, fv_map_add_map(a, m, "Service"), svc);
	struct fvalue *l = fv_map_add_list(a, m, "Checks");
	for (size_t i = 0; i < nchecks; i++)
		check_fields(a, fv_list_add_map(a, l), checks[i]);
	return m;
}

/* ---- request selections ---- */

/* ?node-meta=k:v as Consul's ParseMetaPair: split at the first ':', no ':' means
 * an empty value; a repeated key keeps the last value. */
static void add_meta(struct item_query *q, const char *raw)
{
	const char *colon = strchr(raw, ':');
	size_t klen = colon ? (size_t)(colon - raw) : strlen(raw);
	const char *value = colon ? colon + 1 : "";
	for (size_t i = 0; i < q->nmeta; i++) {
		if (strlen(q->meta[i].key) == klen && memcmp(q->meta[i].key, raw, klen) == 0) {
			q->meta[i].value = value;
			return;
		}
	}
	q->meta = xrealloc(q->meta, (q->nmeta + 1) * sizeof(*q->meta));
	q->meta[q->nmeta++] = (struct cat_pair){xstrndup(raw, klen), value};
}

int item_query_init(struct item_query *q, const struct http_request *req,
		    const struct filter_field *schema, bool with_tags, struct buf *err)
{
	memset(q, 0, sizeof(*q));
	for (size_t i = 0; i < req->nparams; i++) {
		const struct http_param *p = &req->params[i];
		if (strcmp(p->name, "node-meta") == 0) {
			add_meta(q, p->value);
		} else if (with_tags && strcmp(p->name, "tag") == 0) {
			q->tags = xrealloc(q->tags, (q->ntags + 1) * sizeof(*q->tags));
			q->tags[q->ntags++] = p->value;
		}
	}
	const struct http_param *f = http_param_get(req, "filter");
	if (f && f->value[0] &&
	    filter_parse(f->value, strlen(f->value), schema, &q->filter, err) != 0) {
		item_query_free(q);
		return CAIRN_E_PARSE;
	}
	return 0;
}

void item_query_free(struct item_query *q)
{
	filter_free(q->filter);
	for (size_t i = 0; i < q->nmeta; i++)
		free((char *)q->meta[i].key);
	free(q->meta);
	free(q->tags);
	fv_arena_free(&q->arena);
	memset(q, 0, sizeof(*q));
}

bool item_query_node_ok(const struct item_query *q, const struct cat_node *n)
{
	if (q->nmeta == 0)
		return true;
	return n && catalog_node_meta_match(n, q->meta, q->nmeta);
}

bool item_query_tags_ok(const struct item_query *q, const struct cat_service *svc)
{
	for (size_t i = 0; i < q->ntags; i++) {
		size_t k = 0;
		while (k < svc->ntags && strcasecmp(svc->tags[k], q->tags[i]) != 0)
			k++;
		if (k == svc->ntags)
			return false;
	}
	return true;
}

bool item_query_match(struct item_query *q, const struct fvalue *item)
{
	bool ok = filter_match(q->filter, item);
	fv_arena_reset(&q->arena);
	return ok;
}

bool item_query_check(struct http_request *req, const struct filter_field *schema)
{
	const struct http_param *f = http_param_get(req, "filter");
	if (!f || !f->value[0])
		return true;
	struct filter *flt = NULL;
	struct buf err = BUF_INIT;
	int rc = filter_parse(f->value, strlen(f->value), schema, &flt, &err);
	filter_free(flt);
	if (rc != 0)
		api_error(req, 400, "%s", buf_cstr(&err));
	buf_free(&err);
	return rc == 0;
}

bool item_list_open(struct item_list *l, struct api *a, struct http_request *req,
		    const struct filter_field *schema, bool with_tags)
{
	l->a = a;
	l->req = req;
	l->n = 0;
	l->spans = NULL;
	l->nspans = l->cap = 0;
	l->near_src = api_near_source(a, req);
	if (item_query_init(&l->q, req, schema, with_tags, NULL) != 0)
		return false;
	api_json_begin(a, req, &l->w);
	return true;
}

void item_list_close(struct item_list *l)
{
	item_list_sort_near(l);
	free(l->spans);
	l->spans = NULL;
	api_json_end(l->req, &l->w);
	item_query_free(&l->q);
}
