/*
 * /v1/txn Node, Service and Check operations: JSON into the owned templates of
 * a struct txn_cat_op (consensus/cmd.h), the fields Consul's convertOps
 * copies (list in txn_parse.h). Field names match case-insensitively, as Go's
 * decoder; a field of the wrong JSON type is a 400. Every string is copied,
 * so the ops outlive the JSON tree; strings with NUL bytes and maps or lists
 * beyond the command decoder's bounds (CMD_MAX_OPS) are refused here, so what
 * parses always encodes to a command that decodes.
 *
 * Consul's conversions kept: a missing check Status is critical (its store
 * defaults it so), a Node without Datacenter gets the agent's, Weights are
 * taken as given ({0, 0} when absent: Consul's txn path does not default them
 * as a register does), a check Definition is normalised as a register's
 * (checks/checkdef.h). An unknown Status is refused with a 400 (Consul would
 * store the text; cairn's store holds a state enum).
 */
#include "api/txn_parse_int.h"

#include "base/alloc.h"
#include "base/json_get.h"
#include "checks/checkdef.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One op being parsed: the first type error wins. */
struct pc {
	struct txn_parsed *p;
	size_t i;
	bool bad;
};

static void bad(struct pc *c, const char *what, const char *name)
{
	if (c->bad)
		return;
	struct buf m = BUF_INIT;
	buf_printf(&m, "Failed to parse body: %s %s", name, what);
	txn_parse_fail(c->p, 400, buf_cstr(&m), c->i);
	buf_free(&m);
	c->bad = true;
}

/* The field, NULL when absent or null. */
static json_t *field(json_t *obj, const char *name)
{
	json_t *v = obj ? json_field(obj, name) : NULL;
	return v && !json_is_null(v) ? v : NULL;
}

static char *dup_string(struct pc *c, json_t *v, const char *name)
{
	if (!json_is_string(v)) {
		bad(c, "must be a string", name);
		return NULL;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		bad(c, "contains NUL", name);
		return NULL;
	}
	return xstrdup(json_string_value(v));
}

static const char *get_str(struct pc *c, json_t *obj, const char *name)
{
	json_t *v = field(obj, name);
	return v ? dup_string(c, v, name) : NULL;
}

static int64_t get_int(struct pc *c, json_t *obj, const char *name, int64_t lo, int64_t hi)
{
	json_t *v = field(obj, name);
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		bad(c, "must be an integer in range", name);
		return 0;
	}
	return json_integer_value(v);
}

static bool get_bool(struct pc *c, json_t *obj, const char *name)
{
	json_t *v = field(obj, name);
	if (v && !json_is_boolean(v))
		bad(c, "must be a boolean", name);
	return v && json_is_true(v);
}

static json_t *get_obj(struct pc *c, json_t *obj, const char *name)
{
	json_t *v = field(obj, name);
	if (v && !json_is_object(v)) {
		bad(c, "must be an object", name);
		return NULL;
	}
	return v;
}

/* A JSON object's size, refused beyond what a command carries. */
static size_t bounded(struct pc *c, size_t n, const char *name)
{
	if (n > CMD_MAX_OPS) {
		bad(c, "has too many entries", name);
		return 0;
	}
	return n;
}

/* map[string]string (a null value is ""). */
static struct cat_pair *get_map(struct pc *c, json_t *obj, const char *name, size_t *n)
{
	json_t *v = get_obj(c, obj, name);
	size_t want = v ? bounded(c, json_object_size(v), name) : 0;
	struct cat_pair *m = xcalloc(want ? want : 1, sizeof(*m));
	const char *k;
	json_t *e;
	*n = 0;
	if (!want)
		return m;
	json_object_foreach(v, k, e)
	{
		m[*n].key = xstrdup(k);
		m[*n].value = json_is_null(e) ? xstrdup("") : dup_string(c, e, name);
		(*n)++;
		if (c->bad)
			break;
	}
	return m;
}

static const char **get_list(struct pc *c, json_t *obj, const char *name, size_t *n)
{
	json_t *v = field(obj, name);
	*n = 0;
	if (v && !json_is_array(v))
		bad(c, "must be an array of strings", name);
	size_t want = v && json_is_array(v) ? bounded(c, json_array_size(v), name) : 0;
	const char **l = xcalloc(want ? want : 1, sizeof(*l));
	for (size_t k = 0; k < want && !c->bad; k++)
		l[(*n)++] = dup_string(c, json_array_get(v, k), name);
	return l;
}

/* Service TaggedAddresses: {"lan": {"Address": ..., "Port": ...}}. */
static struct cat_svc_addr *get_addrs(struct pc *c, json_t *obj, size_t *n)
{
	json_t *v = get_obj(c, obj, "TaggedAddresses");
	size_t want = v ? bounded(c, json_object_size(v), "TaggedAddresses") : 0;
	struct cat_svc_addr *a = xcalloc(want ? want : 1, sizeof(*a));
	const char *k;
	json_t *e;
	*n = 0;
	if (!want)
		return a;
	json_object_foreach(v, k, e)
	{
		if (!json_is_object(e)) {
			bad(c, "must map to objects", "TaggedAddresses");
			break;
		}
		struct cat_svc_addr *x = &a[(*n)++];
		x->key = xstrdup(k);
		x->address = get_str(c, e, "Address");
		x->port = (int32_t)get_int(c, e, "Port", INT32_MIN, INT32_MAX);
		if (c->bad)
			break;
	}
	return a;
}

static uint64_t get_index(struct pc *c, json_t *obj)
{
	return (uint64_t)get_int(c, obj, "ModifyIndex", 0, INT64_MAX);
}

static void parse_node(struct pc *c, json_t *v, struct cat_node *n, const char *dc)
{
	n->id = get_str(c, v, "ID");
	n->name = get_str(c, v, "Node");
	n->address = get_str(c, v, "Address");
	n->datacenter = get_str(c, v, "Datacenter");
	if ((!n->datacenter || !*n->datacenter) && dc) {
		free((char *)n->datacenter);
		n->datacenter = xstrdup(dc);
	}
	n->tagged = get_map(c, v, "TaggedAddresses", &n->ntagged);
	n->meta = get_map(c, v, "Meta", &n->nmeta);
}

static void parse_service(struct pc *c, json_t *v, struct cat_service *s)
{
	s->id = get_str(c, v, "ID");
	s->name = get_str(c, v, "Service");
	s->kind = get_str(c, v, "Kind");
	s->tags = get_list(c, v, "Tags", &s->ntags);
	s->address = get_str(c, v, "Address");
	s->tagged = get_addrs(c, v, &s->ntagged);
	s->meta = get_map(c, v, "Meta", &s->nmeta);
	s->port = (int32_t)get_int(c, v, "Port", INT32_MIN, INT32_MAX);
	json_t *w = get_obj(c, v, "Weights");
	s->weight_passing = (int32_t)get_int(c, w, "Passing", INT32_MIN, INT32_MAX);
	s->weight_warning = (int32_t)get_int(c, w, "Warning", INT32_MIN, INT32_MAX);
	s->enable_tag_override = get_bool(c, v, "EnableTagOverride");
}

/* Definition in the form Consul stores (as a register's). */
static const char *parse_definition(struct pc *c, json_t *chk)
{
	json_t *v = get_obj(c, chk, "Definition");
	if (!v)
		return NULL;
	struct checkdef def;
	struct buf err = BUF_INIT, out = BUF_INIT;
	if (checkdef_parse(v, &def, &err) != 0) {
		bad(c, buf_cstr(&err), "Definition:");
		buf_free(&err);
		return NULL;
	}
	struct jsonw w;
	jsonw_init(&w, &out, false);
	checkdef_write_definition(&def, &w);
	checkdef_free(&def);
	buf_free(&err);
	return buf_steal(&out);
}

static void parse_check(struct pc *c, json_t *v, struct cat_check *k)
{
	k->node = get_str(c, v, "Node");
	k->id = get_str(c, v, "CheckID");
	k->name = get_str(c, v, "Name");
	const char *st = get_str(c, v, "Status");
	int status = st && *st ? cat_status_parse(st) : CAT_CRITICAL;
	if (status < 0)
		bad(c, "is not a check status", "Status");
	free((char *)st);
	k->status = status < 0 ? CAT_CRITICAL : (enum cat_status)status;
	k->notes = get_str(c, v, "Notes");
	k->output = get_str(c, v, "Output");
	k->type = get_str(c, v, "Type");
	k->service_id = get_str(c, v, "ServiceID");
	k->exposed_port = (int32_t)get_int(c, v, "ExposedPort", INT32_MIN, INT32_MAX);
	k->definition_json = parse_definition(c, v);
}

int txn_parse_catalog(struct txn_parsed *p, enum txn_op_kind kind, json_t *obj, size_t i,
		      const char *dc)
{
	struct kv_op *op = &p->ops[i];
	struct pc c = {p, i, false};
	json_t *verb = json_field(obj, "Verb");
	int v = json_is_string(verb) ? kv_verb_parse(json_string_value(verb)) : -1;
	if (v < 0 || !txn_verb_allowed(kind, (enum kv_verb)v))
		return txn_parse_bad_verb(p, kind, verb, i);
	op->kind = kind;
	op->verb = (enum kv_verb)v;
	struct txn_cat_op *cat = op->cat = xcalloc(1, sizeof(*cat));
	json_t *body;
	switch (kind) {
	case TXN_OP_NODE:
		body = get_obj(&c, obj, "Node");
		parse_node(&c, body, &cat->node, dc);
		break;
	case TXN_OP_SERVICE:
		cat->node.name = get_str(&c, obj, "Node");
		body = get_obj(&c, obj, "Service");
		parse_service(&c, body, &cat->svc);
		break;
	default:
		body = get_obj(&c, obj, "Check");
		parse_check(&c, body, &cat->chk);
		break;
	}
	op->index = get_index(&c, body);
	if (op->verb != KV_GET)
		p->writes = true;
	return c.bad ? -1 : 0;
}
