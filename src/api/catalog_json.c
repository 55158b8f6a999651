/*
 * Consul's JSON for nodes, services and checks (see catalog_json.h for the field
 * orders and conventions). Each writer emits one complete value.
 */
#include "api/catalog_json.h"

#include "config/config.h"

#include <jansson.h>
#include <string.h>

/* ---- stored JSON texts ---- */

void catalog_json_raw(struct jsonw *w, const char *text, const char *dflt)
{
	if (!text)
		text = dflt;
	if (!w->pretty) {
		jsonw_raw(w, text, strlen(text));
		return;
	}
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
	if (!v) {
		jsonw_raw(w, text, strlen(text));
		return;
	}
	config_write_json(w, v, false);
	json_decref(v);
}

/* ---- shared pieces ---- */

/* A string map: null when empty (see catalog_json.h), else keys in stored order. */
static void write_pairs(struct jsonw *w, const char *key, const struct cat_pair *p, size_t n)
{
	jsonw_key(w, key);
	if (n == 0) {
		jsonw_null(w);
		return;
	}
	jsonw_obj_open(w);
	for (size_t i = 0; i < n; i++)
		jsonw_kstr(w, p[i].key, p[i].value);
	jsonw_obj_close(w);
}

/* A tag list: [] when empty, never null. */
static void write_tags(struct jsonw *w, const char *key, const char *const *tags, size_t n)
{
	jsonw_key(w, key);
	jsonw_arr_open(w);
	for (size_t i = 0; i < n; i++)
		jsonw_str(w, tags[i]);
	jsonw_arr_close(w);
}

/* Service tagged addresses (structs.ServiceAddress: Address, Port); the caller
 * omits the key when there are none. */
static void write_svc_addrs(struct jsonw *w, const char *key, const struct cat_service *svc)
{
	jsonw_key(w, key);
	jsonw_obj_open(w);
	for (size_t i = 0; i < svc->ntagged; i++) {
		jsonw_key(w, svc->tagged[i].key);
		jsonw_obj_open(w);
		jsonw_kstr(w, "Address", svc->tagged[i].address);
		jsonw_kint(w, "Port", svc->tagged[i].port);
		jsonw_obj_close(w);
	}
	jsonw_obj_close(w);
}

static void write_weights(struct jsonw *w, const char *key, const struct cat_service *svc)
{
	jsonw_key(w, key);
	jsonw_obj_open(w);
	jsonw_kint(w, "Passing", svc->weight_passing);
	jsonw_kint(w, "Warning", svc->weight_warning);
	jsonw_obj_close(w);
}

static void write_raft_index(struct jsonw *w, uint64_t create, uint64_t modify)
{
	jsonw_kuint(w, "CreateIndex", create);
	jsonw_kuint(w, "ModifyIndex", modify);
}

#define EMPTY_PROXY "{\"Mode\":\"\",\"MeshGateway\":{},\"Expose\":{}}"

/* ---- entries ---- */

static void render_node(struct jsonw *w, const struct cat_node *n)
{
	jsonw_obj_open(w);
	jsonw_kstr(w, "ID", n->id);
	jsonw_kstr(w, "Node", n->name);
	jsonw_kstr(w, "Address", n->address);
	jsonw_kstr(w, "Datacenter", n->datacenter);
	write_pairs(w, "TaggedAddresses", n->tagged, n->ntagged);
	write_pairs(w, "Meta", n->meta, n->nmeta);
	write_raft_index(w, n->create_index, n->modify_index);
	jsonw_obj_close(w);
}

static void service_node_node_fields(struct jsonw *w, const struct cat_node *n,
				     const struct cat_service *svc)
{
	jsonw_kstr(w, "ID", n ? n->id : "");
	jsonw_kstr(w, "Node", n ? n->name : svc->node);
	jsonw_kstr(w, "Address", n ? n->address : "");
	jsonw_kstr(w, "Datacenter", n ? n->datacenter : "");
	write_pairs(w, "TaggedAddresses", n ? n->tagged : NULL, n ? n->ntagged : 0);
	write_pairs(w, "NodeMeta", n ? n->meta : NULL, n ? n->nmeta : 0);
}

void catalog_json_service_node(struct jsonw *w, const struct cat_node *n,
			       const struct cat_service *svc)
{
	jsonw_obj_open(w);
	service_node_node_fields(w, n, svc);
	jsonw_kstr(w, "ServiceKind", svc->kind);
	jsonw_kstr(w, "ServiceID", svc->id);
	jsonw_kstr(w, "ServiceName", svc->name);
	write_tags(w, "ServiceTags", svc->tags, svc->ntags);
	jsonw_kstr(w, "ServiceAddress", svc->address);
	if (svc->ntagged)
		write_svc_addrs(w, "ServiceTaggedAddresses", svc);
	write_weights(w, "ServiceWeights", svc);
	write_pairs(w, "ServiceMeta", svc->meta, svc->nmeta);
	jsonw_kint(w, "ServicePort", svc->port);
	jsonw_kstr(w, "ServiceSocketPath", svc->socket_path);
	jsonw_kbool(w, "ServiceEnableTagOverride", svc->enable_tag_override);
	jsonw_key(w, "ServiceProxy");
	catalog_json_raw(w, svc->proxy_json, EMPTY_PROXY);
	jsonw_key(w, "ServiceConnect");
	catalog_json_raw(w, svc->connect_json, "{}");
	jsonw_key(w, "ServiceLocality");
	catalog_json_raw(w, svc->locality_json, "null");
	write_raft_index(w, svc->create_index, svc->modify_index);
	jsonw_obj_close(w);
}

static void render_node_service(struct jsonw *w, const struct cat_service *svc)
{
	jsonw_obj_open(w);
	if (svc->kind[0])
		jsonw_kstr(w, "Kind", svc->kind);
	jsonw_kstr(w, "ID", svc->id);
	jsonw_kstr(w, "Service", svc->name);
	write_tags(w, "Tags", svc->tags, svc->ntags);
	jsonw_kstr(w, "Address", svc->address);
	if (svc->ntagged)
		write_svc_addrs(w, "TaggedAddresses", svc);
	write_pairs(w, "Meta", svc->meta, svc->nmeta);
	if (svc->port)
		jsonw_kint(w, "Port", svc->port);
	if (svc->socket_path[0])
		jsonw_kstr(w, "SocketPath", svc->socket_path);
	write_weights(w, "Weights", svc);
	jsonw_kbool(w, "EnableTagOverride", svc->enable_tag_override);
	if (svc->locality_json) {
		jsonw_key(w, "Locality");
		catalog_json_raw(w, svc->locality_json, "null");
	}
	jsonw_key(w, "Proxy");
	catalog_json_raw(w, svc->proxy_json, EMPTY_PROXY);
	jsonw_key(w, "Connect");
	catalog_json_raw(w, svc->connect_json, "{}");
	jsonw_kstr(w, "PeerName", "");
	write_raft_index(w, svc->create_index, svc->modify_index);
	jsonw_obj_close(w);
}

static void render_check(struct jsonw *w, const struct cat_check *c)
{
	jsonw_obj_open(w);
	jsonw_kstr(w, "Node", c->node);
	jsonw_kstr(w, "CheckID", c->id);
	jsonw_kstr(w, "Name", c->name);
	jsonw_kstr(w, "Status", cat_status_name(c->status));
	jsonw_kstr(w, "Notes", c->notes);
	jsonw_kstr(w, "Output", c->output);
	jsonw_kstr(w, "ServiceID", c->service_id);
	jsonw_kstr(w, "ServiceName", c->service_name);
	write_tags(w, "ServiceTags", c->service_tags, c->nservice_tags);
	jsonw_kstr(w, "Type", c->type);
	jsonw_kstr(w, "Interval", c->interval);
	jsonw_kstr(w, "Timeout", c->timeout);
	jsonw_kint(w, "ExposedPort", c->exposed_port);
	jsonw_key(w, "Definition");
	catalog_json_raw(w, c->definition_json, "{}");
	write_raft_index(w, c->create_index, c->modify_index);
	jsonw_obj_close(w);
}

/* ---- cached renderings ---- */

/*
 * Compact output of an entry comes from its cache (state/catalog.h, struct
 * cat_json), rendered on first use: a health query then costs a few copies per
 * instance instead of escaping every field again (bench/catalog.sh). Pretty
 * output depends on the nesting depth, so it is rendered each time.
 */
struct cached {
	struct jsonw *w;   /* where the renderer writes */
	struct jsonw *out; /* the caller's writer */
	struct cat_json *cj;
	struct jsonw own; /* compact writer into text, while filling the cache */
	struct buf text;
};

/* False when the entry was written from its cache; true when the caller must
 * render into c->w and then call cached_close. */
static bool cached_open(struct cached *c, struct jsonw *w, const struct cat_json *cj)
{
	c->out = w;
	c->w = w;
	c->cj = NULL;
	if (w->pretty)
		return true;
	if (cj->text) {
		jsonw_raw(w, cj->text, cj->len);
		return false;
	}
	c->cj = (struct cat_json *)cj; /* a cache, filled through the const entry */
	buf_init(&c->text);
	jsonw_init(&c->own, &c->text, false);
	c->w = &c->own;
	return true;
}

static void cached_close(struct cached *c)
{
	if (!c->cj)
		return;
	c->cj->len = c->text.len;
	c->cj->text = buf_steal(&c->text);
	jsonw_raw(c->out, c->cj->text, c->cj->len);
}

void catalog_json_node(struct jsonw *w, const struct cat_node *n)
{
	struct cached c;
	if (cached_open(&c, w, &n->json)) {
		render_node(c.w, n);
		cached_close(&c);
	}
}

void catalog_json_node_service(struct jsonw *w, const struct cat_service *svc)
{
	struct cached c;
	if (cached_open(&c, w, &svc->json)) {
		render_node_service(c.w, svc);
		cached_close(&c);
	}
}

void catalog_json_check(struct jsonw *w, const struct cat_check *c)
{
	struct cached cc;
	if (cached_open(&cc, w, &c->json)) {
		render_check(cc.w, c);
		cached_close(&cc);
	}
}

void catalog_json_check_service_node(struct jsonw *w, const struct cat_node *n,
				     const struct cat_service *svc,
				     const struct cat_check *const *checks, size_t nchecks)
{
	jsonw_obj_open(w);
	jsonw_key(w, "Node");
	if (n)
		catalog_json_node(w, n);
	else
		jsonw_null(w);
	jsonw_key(w, "Service");
	catalog_json_node_service(w, svc);
	jsonw_key(w, "Checks");
	jsonw_arr_open(w);
	for (size_t i = 0; i < nchecks; i++)
		catalog_json_check(w, checks[i]);
	jsonw_arr_close(w);
	jsonw_obj_close(w);
}
