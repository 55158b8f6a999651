/*
 * What the catalog should hold for this node (templates for
 * CMD_CATALOG_REGISTER) and the full compare against what it holds (Consul's
 * local.State.updateSyncState). See local.h for the model.
 */
#include "local/sync.h"

#include "base/alloc.h"
#include "base/version.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the node ---- */

static const char *keep(struct sync_node *n, const char *s)
{
	char *c = xstrdup(s ? s : "");
	n->owned = xrealloc(n->owned, (n->nowned + 1) * sizeof(char *));
	n->owned[n->nowned++] = c;
	return c;
}

static void add_pair(struct sync_node *n, struct cat_pair **arr, size_t *len, const char *k,
		     const char *v)
{
	for (size_t i = 0; i < *len; i++)
		if (strcmp((*arr)[i].key, k) == 0) {
			(*arr)[i].value = keep(n, v);
			return;
		}
	*arr = xrealloc(*arr, (*len + 1) * sizeof(**arr));
	(*arr)[*len].key = keep(n, k);
	(*arr)[*len].value = keep(n, v);
	(*len)++;
}

static int cmp_pair(const void *a, const void *b)
{
	return strcmp(((const struct cat_pair *)a)->key, ((const struct cat_pair *)b)->key);
}

static bool is_ipv4(const char *a)
{
	unsigned char tmp[4];
	return inet_pton(AF_INET, a, tmp) == 1;
}

/* Consul's tagged addresses: lan/wan plus their _ipv4 (or _ipv6) forms, then
 * the configured extras. */
static void node_tagged(const struct local_state *ls, struct sync_node *n)
{
	const struct config *c = ls->cfg;
	add_pair(n, &n->node.tagged, &n->node.ntagged, "lan", ls->advertise);
	add_pair(n, &n->node.tagged, &n->node.ntagged,
		 is_ipv4(ls->advertise) ? "lan_ipv4" : "lan_ipv6", ls->advertise);
	add_pair(n, &n->node.tagged, &n->node.ntagged, "wan", ls->advertise_wan);
	add_pair(n, &n->node.tagged, &n->node.ntagged,
		 is_ipv4(ls->advertise_wan) ? "wan_ipv4" : "wan_ipv6", ls->advertise_wan);
	for (size_t i = 0; i < c->tagged_addresses.len; i++)
		add_pair(n, &n->node.tagged, &n->node.ntagged, c->tagged_addresses.keys[i],
			 c->tagged_addresses.values[i]);
	qsort(n->node.tagged, n->node.ntagged, sizeof(struct cat_pair), cmp_pair);
}

static void node_meta(const struct local_state *ls, struct sync_node *n)
{
	const struct config *c = ls->cfg;
	for (size_t i = 0; i < c->node_meta.len; i++)
		add_pair(n, &n->node.meta, &n->node.nmeta, c->node_meta.keys[i],
			 c->node_meta.values[i]);
	add_pair(n, &n->node.meta, &n->node.nmeta, "consul-network-segment", "");
	add_pair(n, &n->node.meta, &n->node.nmeta, "consul-version", CAIRN_CONSUL_VERSION);
	qsort(n->node.meta, n->node.nmeta, sizeof(struct cat_pair), cmp_pair);
}

static void consul_service(const struct local_state *ls, struct sync_node *n)
{
	char num[16];
	struct cat_service *s = &n->consul;
	struct cat_pair **m = &s->meta;
	n->with_consul = ls->cfg->server;
	s->id = s->name = "consul";
	s->kind = s->address = s->socket_path = "";
	s->port = ls->cfg->ports.server;
	s->weight_passing = s->weight_warning = 1;
	if (ls->cfg->ports.grpc > 0) {
		snprintf(num, sizeof(num), "%d", ls->cfg->ports.grpc);
		add_pair(n, m, &s->nmeta, "grpc_port", num);
	}
	if (ls->cfg->ports.grpc_tls > 0) {
		snprintf(num, sizeof(num), "%d", ls->cfg->ports.grpc_tls);
		add_pair(n, m, &s->nmeta, "grpc_tls_port", num);
	}
	add_pair(n, m, &s->nmeta, "non_voter", "false");
	add_pair(n, m, &s->nmeta, "raft_version", "3");
	add_pair(n, m, &s->nmeta, "read_replica", "false");
	add_pair(n, m, &s->nmeta, "serf_protocol_current", "2");
	add_pair(n, m, &s->nmeta, "serf_protocol_max", "5");
	add_pair(n, m, &s->nmeta, "serf_protocol_min", "1");
	add_pair(n, m, &s->nmeta, "version", CAIRN_CONSUL_VERSION);
	qsort(s->meta, s->nmeta, sizeof(struct cat_pair), cmp_pair);
}

void sync_node_build(const struct local_state *ls, struct sync_node *n)
{
	memset(n, 0, sizeof(*n));
	n->node.id = keep(n, ls->node_id);
	n->node.name = keep(n, ls->cfg->node_name);
	n->node.address = keep(n, ls->advertise);
	n->node.datacenter = keep(n, ls->cfg->datacenter);
	node_tagged(ls, n);
	node_meta(ls, n);
	n->serf = (struct cat_check){
	    .id = LOCAL_SERF_CHECK_ID,
	    .name = LOCAL_SERF_CHECK_NAME,
	    .status = CAT_PASSING,
	    .notes = "",
	    .output = LOCAL_SERF_ALIVE_OUTPUT,
	    .service_id = "",
	    .type = "",
	    .interval = "",
	    .timeout = "",
	};
	consul_service(ls, n);
}

void sync_node_free(struct sync_node *n)
{
	for (size_t i = 0; i < n->nowned; i++)
		free(n->owned[i]);
	free(n->owned);
	free(n->node.tagged);
	free(n->node.meta);
	free(n->consul.meta);
	memset(n, 0, sizeof(*n));
}

static bool pairs_same(const struct cat_pair *a, size_t na, const struct cat_pair *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].key, b[i].key) != 0 || strcmp(a[i].value, b[i].value) != 0)
			return false;
	return true;
}

static bool consul_same(const struct cat_service *want, const struct cat_service *have)
{
	return have && have->port == want->port && !have->ntags &&
	       pairs_same(want->meta, want->nmeta, have->meta, have->nmeta);
}

bool sync_node_same(const struct local_state *ls, const struct sync_node *n)
{
	const struct cat_node *have = catalog_node(ls->store, n->node.name);
	if (!have || strcasecmp(have->id, n->node.id) != 0 ||
	    strcmp(have->address, n->node.address) != 0 ||
	    !pairs_same(n->node.tagged, n->node.ntagged, have->tagged, have->ntagged) ||
	    !pairs_same(n->node.meta, n->node.nmeta, have->meta, have->nmeta))
		return false;
	const struct cat_check *serf = catalog_node_check(ls->store, n->node.name, "serfHealth");
	if (!serf || serf->status != CAT_PASSING || strcmp(serf->output, n->serf.output) != 0)
		return false;
	return !n->with_consul ||
	       consul_same(&n->consul, catalog_node_service(ls->store, n->node.name, "consul"));
}

/* ---- services and checks ---- */

static char *dump_json(const json_t *v)
{
	return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

void sync_service_tmpl(const struct local_service *s, struct cat_service *t)
{
	const struct service_def *d = &s->def;
	memset(t, 0, sizeof(*t));
	t->id = d->id;
	t->name = d->name;
	t->kind = d->kind;
	t->tags = (const char **)d->tags;
	t->ntags = d->n_tags;
	t->address = d->address;
	t->port = d->port;
	t->socket_path = d->socket_path;
	t->weight_passing = d->weight_passing;
	t->weight_warning = d->weight_warning;
	t->enable_tag_override = d->enable_tag_override;
	t->tagged = d->n_tagged ? xcalloc(d->n_tagged, sizeof(*t->tagged)) : NULL;
	for (size_t i = 0; i < d->n_tagged; i++)
		t->tagged[i] = (struct cat_svc_addr){d->tagged[i].tag, d->tagged[i].address,
						     d->tagged[i].port};
	t->ntagged = d->n_tagged;
	t->meta = d->n_meta ? xcalloc(d->n_meta, sizeof(*t->meta)) : NULL;
	for (size_t i = 0; i < d->n_meta; i++)
		t->meta[i] = (struct cat_pair){d->meta[i].key, d->meta[i].value};
	t->nmeta = d->n_meta;
	t->proxy_json = dump_json(d->proxy);
	t->connect_json = dump_json(d->connect);
}

void sync_service_tmpl_free(struct cat_service *t)
{
	free(t->tagged);
	free(t->meta);
	free((char *)t->proxy_json);
	free((char *)t->connect_json);
	memset(t, 0, sizeof(*t));
}

static enum cat_status cat_of(enum check_status st)
{
	return st == CHECK_PASSING ? CAT_PASSING : st == CHECK_WARNING ? CAT_WARNING : CAT_CRITICAL;
}

void sync_check_tmpl(const struct local_check *c, struct cat_check *t)
{
	memset(t, 0, sizeof(*t));
	t->id = c->id;
	t->name = c->name;
	t->status = cat_of(c->status);
	t->notes = c->notes;
	t->output = c->output;
	t->service_id = c->service_id;
	t->type = c->type;
	t->interval = c->interval;
	t->timeout = c->timeout;
}

static bool json_text_same(const json_t *mine, const char *theirs)
{
	if (!mine || !theirs)
		return !mine && !theirs;
	json_t *v = json_loads(theirs, JSON_DECODE_ANY, NULL);
	bool same = v && json_equal((json_t *)mine, v);
	json_decref(v);
	return same;
}

static bool tags_same(const struct service_def *d, const struct cat_service *c)
{
	if (d->n_tags != c->ntags)
		return false;
	for (size_t i = 0; i < d->n_tags; i++)
		if (strcmp(d->tags[i], c->tags[i]) != 0)
			return false;
	return true;
}

static bool maps_same(const struct service_def *d, const struct cat_service *c)
{
	if (d->n_meta != c->nmeta || d->n_tagged != c->ntagged)
		return false;
	for (size_t i = 0; i < d->n_meta; i++)
		if (strcmp(d->meta[i].key, c->meta[i].key) != 0 ||
		    strcmp(d->meta[i].value, c->meta[i].value) != 0)
			return false;
	for (size_t i = 0; i < d->n_tagged; i++)
		if (strcmp(d->tagged[i].tag, c->tagged[i].key) != 0 ||
		    strcmp(d->tagged[i].address, c->tagged[i].address) != 0 ||
		    d->tagged[i].port != c->tagged[i].port)
			return false;
	return true;
}

bool sync_service_same(const struct local_service *l, const struct cat_service *c)
{
	const struct service_def *d = &l->def;
	return strcmp(d->id, c->id) == 0 && strcmp(d->name, c->name) == 0 &&
	       strcmp(d->kind, c->kind) == 0 && strcmp(d->address, c->address) == 0 &&
	       strcmp(d->socket_path, c->socket_path) == 0 && d->port == c->port &&
	       d->weight_passing == c->weight_passing && d->weight_warning == c->weight_warning &&
	       d->enable_tag_override == c->enable_tag_override && tags_same(d, c) &&
	       maps_same(d, c) && json_text_same(d->proxy, c->proxy_json) &&
	       json_text_same(d->connect, c->connect_json);
}

bool sync_check_same(const struct local_check *l, const struct cat_check *c, bool ignore_output)
{
	return strcmp(l->id, c->id) == 0 && strcmp(l->name, c->name) == 0 &&
	       cat_of(l->status) == c->status && strcmp(l->notes, c->notes) == 0 &&
	       (ignore_output || strcmp(l->output, c->output) == 0) &&
	       strcmp(l->service_id, c->service_id) == 0 && strcmp(l->type, c->type) == 0 &&
	       strcmp(l->interval, c->interval) == 0 && strcmp(l->timeout, c->timeout) == 0;
}

/* ---- the full compare ---- */

static void take_catalog_tags(struct local_service *s, const struct cat_service *c)
{
	struct service_def *d = &s->def;
	if (tags_same(d, c))
		return;
	for (size_t i = 0; i < d->n_tags; i++)
		free(d->tags[i]);
	free(d->tags);
	d->tags = xcalloc(c->ntags + 1, sizeof(char *));
	for (size_t i = 0; i < c->ntags; i++)
		d->tags[i] = xstrdup(c->tags[i]);
	d->n_tags = c->ntags;
}

static int compare_service(void *ctx, const struct cat_service *c)
{
	struct local_state *ls = ctx;
	struct local_service *s = local_service_mut(ls, c->id);
	if (!s) {
		/* the servers' own service is managed by the node sync */
		if (strcmp(c->id, "consul") != 0)
			idmap_put(&ls->dereg_services, c->id, ls);
		return 0;
	}
	if (s->def.enable_tag_override)
		take_catalog_tags(s, c);
	if (!sync_service_same(s, c))
		local_dirty_service(ls, s);
	return 0;
}

static int compare_check(void *ctx, const struct cat_check *c)
{
	struct local_state *ls = ctx;
	struct local_check *l = local_check_mut(ls, c->id);
	if (!l) {
		/* serfHealth is the cluster's, not this agent's */
		if (strcmp(c->id, LOCAL_SERF_CHECK_ID) != 0)
			idmap_put(&ls->dereg_checks, c->id, ls);
		return 0;
	}
	/* a deferred output update is the defer timer's business */
	bool ignore_output = l->defer_until != 0 && ls->cfg->check_update_interval > 0;
	if (!sync_check_same(l, c, ignore_output))
		local_dirty_check(ls, l);
	return 0;
}

static void missing_remotely(struct local_state *ls)
{
	void **vals;
	const char *node = ls->cfg->node_name;
	size_t n = idmap_values(&ls->services, &vals);
	for (size_t i = 0; i < n; i++) {
		struct local_service *s = vals[i];
		if (!catalog_node_service(ls->store, node, s->def.id))
			local_dirty_service(ls, s);
	}
	free(vals);
	n = idmap_values(&ls->checks, &vals);
	for (size_t i = 0; i < n; i++) {
		struct local_check *c = vals[i];
		if (!catalog_node_check(ls->store, node, c->id))
			local_dirty_check(ls, c);
	}
	free(vals);
}

void sync_compare(struct local_state *ls)
{
	struct sync_node n;
	if (!ls->store)
		return;
	sync_node_build(ls, &n);
	ls->node_in_sync = sync_node_same(ls, &n);
	sync_node_free(&n);
	catalog_node_services(ls->store, ls->cfg->node_name, compare_service, ls);
	catalog_node_checks(ls->store, ls->cfg->node_name, compare_check, ls);
	missing_remotely(ls);
}

/* ---- views for the agent endpoints' ?filter ---- */

void local_service_view(const struct local_state *ls, const struct local_service *s,
			struct cat_service *out)
{
	sync_service_tmpl(s, out);
	out->node = ls->cfg->node_name;
}

void local_service_view_free(struct cat_service *v)
{
	sync_service_tmpl_free(v);
}

void local_check_view(const struct local_state *ls, const struct local_check *c,
		      struct cat_check *out)
{
	const struct local_service *s = c->service_id[0] ? local_service(ls, c->service_id) : NULL;
	sync_check_tmpl(c, out);
	out->node = ls->cfg->node_name;
	out->service_name = s ? s->def.name : "";
	out->service_tags = s ? (const char **)s->def.tags : NULL;
	out->nservice_tags = s ? s->def.n_tags : 0;
}
