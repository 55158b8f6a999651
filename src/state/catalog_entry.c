/*
 * Catalog entries: packed, immutable, reference counted (model in catalog.h).
 *
 * Each entry is one allocation, built in two passes over its template (the
 * first counts, the second copies):
 *
 *   struct cat_node|cat_service|cat_check | arrays (8-aligned) | strings, NUL each
 *
 * so every pointer in an entry points into its own block and unref frees it
 * with one free(). Maps are sorted by key with byte order (Go marshals maps so)
 * and a repeated key keeps its last value; tag lists keep their order. refs is
 * changed on the loop thread only (the snapshot encoder reads, never counts).
 */
#include "state/catalog_int.h"

#include "base/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[CAT_STATUS_COUNT_] = {
    [CAT_PASSING] = "passing",
    [CAT_WARNING] = "warning",
    [CAT_CRITICAL] = "critical",
    [CAT_MAINTENANCE] = "maintenance",
};

const char *cat_status_name(enum cat_status st)
{
	if (st == CAT_ANY)
		return "any";
	return (unsigned)st < CAT_STATUS_COUNT_ ? status_names[st] : "unknown";
}

int cat_status_parse(const char *name)
{
	if (strcmp(name, "any") == 0)
		return CAT_ANY;
	for (int i = 0; i < CAT_STATUS_COUNT_; i++)
		if (strcmp(name, status_names[i]) == 0)
			return i;
	return -2;
}

/* ---- packing ---- */

/* Counting pass: arr/str NULL, lengths grow. Copying pass: cursors move. */
struct packer {
	char *arr;	/* next array byte */
	char *str;	/* next string byte */
	size_t arr_len; /* array bytes counted */
	size_t str_len; /* string bytes counted */
};

static const char *put_str(struct packer *pk, const char *s)
{
	if (!s)
		s = "";
	size_t n = strlen(s) + 1;
	if (!pk->str) {
		pk->str_len += n;
		return NULL;
	}
	char *p = pk->str;
	memcpy(p, s, n);
	pk->str += n;
	return p;
}

/* An optional string: absent stays NULL. */
static const char *put_ostr(struct packer *pk, const char *s)
{
	return s ? put_str(pk, s) : NULL;
}

static void *put_arr(struct packer *pk, size_t bytes)
{
	bytes = (bytes + 7) & ~(size_t)7;
	if (!pk->arr) {
		pk->arr_len += bytes;
		return NULL;
	}
	void *p = pk->arr;
	pk->arr += bytes;
	return p;
}

static const char **put_list(struct packer *pk, const char *const *src, size_t n)
{
	const char **dst = put_arr(pk, n * sizeof(*dst));
	for (size_t i = 0; i < n; i++) {
		const char *s = put_str(pk, src[i]);
		if (dst)
			dst[i] = s;
	}
	return n ? dst : NULL;
}

/* Elements whose first member is the key (struct cat_pair, cat_svc_addr). */
static int by_key(const void *a, const void *b)
{
	const char *const *x = *(const char *const *const *)a;
	const char *const *y = *(const char *const *const *)b;
	int c = strcmp(*x ? *x : "", *y ? *y : "");
	if (c)
		return c;
	return x < y ? -1 : x > y; /* template order: the last of a run wins */
}

/* Map order: pointers to n elements of size esize, sorted, repeats dropped. */
struct order {
	const void **v; /* chosen elements */
	size_t n;	/* how many */
};

static struct order sort_map(const void *src, size_t n, size_t esize)
{
	struct order o = {xmalloc((n ? n : 1) * sizeof(void *)), 0};
	for (size_t i = 0; i < n; i++)
		o.v[i] = (const char *)src + i * esize;
	qsort(o.v, n, sizeof(void *), by_key);
	for (size_t i = 0; i < n; i++) {
		const char *k = *(const char *const *)o.v[i];
		const char *next = i + 1 < n ? *(const char *const *)o.v[i + 1] : NULL;
		if (!next || strcmp(k ? k : "", next) != 0)
			o.v[o.n++] = o.v[i];
	}
	return o;
}

static struct cat_pair *put_pairs(struct packer *pk, struct order o)
{
	struct cat_pair *dst = put_arr(pk, o.n * sizeof(*dst));
	for (size_t i = 0; i < o.n; i++) {
		const struct cat_pair *p = o.v[i];
		const char *k = put_str(pk, p->key), *v = put_str(pk, p->value);
		if (dst)
			dst[i] = (struct cat_pair){k, v};
	}
	return o.n ? dst : NULL;
}

static struct cat_svc_addr *put_addrs(struct packer *pk, struct order o)
{
	struct cat_svc_addr *dst = put_arr(pk, o.n * sizeof(*dst));
	for (size_t i = 0; i < o.n; i++) {
		const struct cat_svc_addr *p = o.v[i];
		const char *k = put_str(pk, p->key), *a = put_str(pk, p->address);
		if (dst)
			dst[i] = (struct cat_svc_addr){k, a, p->port};
	}
	return o.n ? dst : NULL;
}

/* Allocate the block for a struct of head bytes after a counting pass. */
static void *block(struct packer *pk, size_t head)
{
	char *b = xmalloc(head + pk->arr_len + pk->str_len);
	memset(b, 0, head);
	pk->arr = b + head;
	pk->str = pk->arr + pk->arr_len;
	return b;
}

static void node_fill(struct packer *pk, struct cat_node *out, const struct cat_node *t,
		      struct order tagged, struct order meta)
{
	out->id = put_str(pk, t->id);
	out->name = put_str(pk, t->name);
	out->address = put_str(pk, t->address);
	out->datacenter = put_str(pk, t->datacenter);
	out->tagged = put_pairs(pk, tagged);
	out->ntagged = tagged.n;
	out->meta = put_pairs(pk, meta);
	out->nmeta = meta.n;
}

struct cat_node *cat_node_pack(const struct cat_node *t)
{
	struct order tagged = sort_map(t->tagged, t->ntagged, sizeof(*t->tagged));
	struct order meta = sort_map(t->meta, t->nmeta, sizeof(*t->meta));
	struct packer pk = {0};
	struct cat_node dummy;
	node_fill(&pk, &dummy, t, tagged, meta);
	struct cat_node *e = block(&pk, sizeof(*e));
	node_fill(&pk, e, t, tagged, meta);
	e->refs = 1;
	free(tagged.v);
	free(meta.v);
	return e;
}

static void service_fill(struct packer *pk, struct cat_service *out, const struct cat_service *t,
			 const char *node, struct order tagged, struct order meta)
{
	out->node = put_str(pk, node);
	/* Consul: a service registered without an ID gets its name as ID */
	out->id = put_str(pk, t->id && *t->id ? t->id : t->name);
	out->name = put_str(pk, t->name);
	out->kind = put_str(pk, t->kind);
	out->tags = put_list(pk, t->tags, t->ntags);
	out->ntags = t->ntags;
	out->address = put_str(pk, t->address);
	out->tagged = put_addrs(pk, tagged);
	out->ntagged = tagged.n;
	out->meta = put_pairs(pk, meta);
	out->nmeta = meta.n;
	out->port = t->port;
	out->socket_path = put_str(pk, t->socket_path);
	out->weight_passing = t->weight_passing;
	out->weight_warning = t->weight_warning;
	out->enable_tag_override = t->enable_tag_override;
	out->proxy_json = put_ostr(pk, t->proxy_json);
	out->connect_json = put_ostr(pk, t->connect_json);
	out->locality_json = put_ostr(pk, t->locality_json);
}

struct cat_service *cat_service_pack(const struct cat_service *t, const char *node)
{
	struct order tagged = sort_map(t->tagged, t->ntagged, sizeof(*t->tagged));
	struct order meta = sort_map(t->meta, t->nmeta, sizeof(*t->meta));
	struct packer pk = {0};
	struct cat_service dummy;
	service_fill(&pk, &dummy, t, node, tagged, meta);
	struct cat_service *e = block(&pk, sizeof(*e));
	service_fill(&pk, e, t, node, tagged, meta);
	e->refs = 1;
	free(tagged.v);
	free(meta.v);
	return e;
}

static void check_fill(struct packer *pk, struct cat_check *out, const struct cat_check *t,
		       const char *node, const struct cat_service *svc)
{
	out->node = put_str(pk, node);
	out->id = put_str(pk, t->id && *t->id ? t->id : t->name);
	out->name = put_str(pk, t->name);
	out->status = t->status;
	out->notes = put_str(pk, t->notes);
	out->output = put_str(pk, t->output);
	out->service_id = put_str(pk, t->service_id);
	out->service_name = put_str(pk, svc ? svc->name : t->service_name);
	out->service_tags = svc ? put_list(pk, svc->tags, svc->ntags)
				: put_list(pk, t->service_tags, t->nservice_tags);
	out->nservice_tags = svc ? svc->ntags : t->nservice_tags;
	out->type = put_str(pk, t->type);
	out->interval = put_str(pk, t->interval);
	out->timeout = put_str(pk, t->timeout);
	out->exposed_port = t->exposed_port;
	out->definition_json = put_ostr(pk, t->definition_json);
}

struct cat_check *cat_check_pack(const struct cat_check *t, const char *node,
				 const struct cat_service *svc)
{
	struct packer pk = {0};
	struct cat_check dummy;
	check_fill(&pk, &dummy, t, node, svc);
	struct cat_check *e = block(&pk, sizeof(*e));
	check_fill(&pk, e, t, node, svc);
	e->refs = 1;
	return e;
}

/* ---- references ---- */

void catalog_node_ref(struct cat_node *n)
{
	n->refs++;
}

void catalog_node_unref(struct cat_node *n)
{
	if (n && --n->refs == 0) {
		free(n->json.text);
		free(n);
	}
}

void catalog_service_ref(struct cat_service *svc)
{
	svc->refs++;
}

void catalog_service_unref(struct cat_service *svc)
{
	if (svc && --svc->refs == 0) {
		free(svc->json.text);
		free(svc);
	}
}

void catalog_check_ref(struct cat_check *c)
{
	c->refs++;
}

void catalog_check_unref(struct cat_check *c)
{
	if (c && --c->refs == 0) {
		free(c->json.text);
		free(c);
	}
}

/* ---- equality (what "changes nothing" means) ---- */

static bool ostr_same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool pairs_same(const struct cat_pair *a, size_t na, const struct cat_pair *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].key, b[i].key) || strcmp(a[i].value, b[i].value))
			return false;
	return true;
}

bool cat_tags_same(const char *const *a, size_t na, const char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

bool cat_node_same(const struct cat_node *a, const struct cat_node *b)
{
	return !strcmp(a->id, b->id) && !strcmp(a->name, b->name) &&
	       !strcmp(a->address, b->address) && !strcmp(a->datacenter, b->datacenter) &&
	       pairs_same(a->tagged, a->ntagged, b->tagged, b->ntagged) &&
	       pairs_same(a->meta, a->nmeta, b->meta, b->nmeta);
}

static bool addrs_same(const struct cat_service *a, const struct cat_service *b)
{
	if (a->ntagged != b->ntagged)
		return false;
	for (size_t i = 0; i < a->ntagged; i++) {
		const struct cat_svc_addr *x = &a->tagged[i], *y = &b->tagged[i];
		if (strcmp(x->key, y->key) || strcmp(x->address, y->address) || x->port != y->port)
			return false;
	}
	return true;
}

bool cat_service_same(const struct cat_service *a, const struct cat_service *b)
{
	return !strcmp(a->node, b->node) && !strcmp(a->id, b->id) && !strcmp(a->name, b->name) &&
	       !strcmp(a->kind, b->kind) && cat_tags_same(a->tags, a->ntags, b->tags, b->ntags) &&
	       !strcmp(a->address, b->address) && addrs_same(a, b) &&
	       pairs_same(a->meta, a->nmeta, b->meta, b->nmeta) && a->port == b->port &&
	       !strcmp(a->socket_path, b->socket_path) && a->weight_passing == b->weight_passing &&
	       a->weight_warning == b->weight_warning &&
	       a->enable_tag_override == b->enable_tag_override &&
	       ostr_same(a->proxy_json, b->proxy_json) &&
	       ostr_same(a->connect_json, b->connect_json) &&
	       ostr_same(a->locality_json, b->locality_json);
}

bool cat_check_same(const struct cat_check *a, const struct cat_check *b)
{
	return !strcmp(a->node, b->node) && !strcmp(a->id, b->id) && !strcmp(a->name, b->name) &&
	       a->status == b->status && !strcmp(a->notes, b->notes) &&
	       !strcmp(a->output, b->output) && !strcmp(a->service_id, b->service_id) &&
	       !strcmp(a->service_name, b->service_name) &&
	       cat_tags_same(a->service_tags, a->nservice_tags, b->service_tags,
			     b->nservice_tags) &&
	       !strcmp(a->type, b->type) && !strcmp(a->interval, b->interval) &&
	       !strcmp(a->timeout, b->timeout) && a->exposed_port == b->exposed_port &&
	       ostr_same(a->definition_json, b->definition_json);
}
