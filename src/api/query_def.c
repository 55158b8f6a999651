/*
 * Decoding and checking prepared-query definitions (contract in
 * query_def.h). Each JSON object is a table of fields: its JSON name, Go
 * type, and where the value lands in struct prepared_query. Nested objects
 * (Template, Service, Failover, DNS, Connect) are rows pointing at their own
 * table. Adding a field is adding a row.
 */
#include "api/query_def.h"

#include "state/query_exec.h"

#include "base/duration.h"
#include "base/alloc.h"
#include "base/json_get.h"

#include <jansson.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum fkind { F_STR, F_BOOL, F_INT, F_LIST, F_MAP, F_OBJ };

struct field {
	const char *name;	 /* JSON key (matched ignoring case) */
	enum fkind kind;	 /* Go type */
	size_t off;		 /* offset in struct prepared_query (not F_OBJ) */
	const struct field *sub; /* F_OBJ: the nested table */
	const char *gotype;	 /* F_OBJ: Go type name, for messages */
};

#define OFF(m) offsetof(struct prepared_query, m)
#define END                                                                                        \
	{                                                                                          \
		NULL, F_STR, 0, NULL, NULL                                                         \
	}

static const struct field failover_fields[] = {
    {"NearestN", F_INT, OFF(nearest_n), NULL, NULL},
    {"Datacenters", F_LIST, OFF(dcs), NULL, NULL},
    END,
};

static const struct field connect_fields[] = {
    {"Enabled", F_BOOL, OFF(connect), NULL, NULL},
    END,
};

static const struct field service_fields[] = {
    {"Service", F_STR, OFF(service), NULL, NULL},
    {"Failover", F_OBJ, 0, failover_fields, "structs.QueryFailoverOptions"},
    {"OnlyPassing", F_BOOL, OFF(only_passing), NULL, NULL},
    {"IgnoreCheckIDs", F_LIST, OFF(ignore), NULL, NULL},
    {"Near", F_STR, OFF(near), NULL, NULL},
    {"Tags", F_LIST, OFF(tags), NULL, NULL},
    {"NodeMeta", F_MAP, OFF(node_meta), NULL, NULL},
    {"ServiceMeta", F_MAP, OFF(svc_meta), NULL, NULL},
    {"Peer", F_STR, OFF(peer), NULL, NULL},
    {"Connect", F_OBJ, 0, connect_fields, "structs.QueryConnect"},
    END,
};

static const struct field template_fields[] = {
    {"Type", F_STR, OFF(tmpl_type), NULL, NULL},
    {"Regexp", F_STR, OFF(tmpl_regexp), NULL, NULL},
    {"RemoveEmptyTags", F_BOOL, OFF(tmpl_remove_empty), NULL, NULL},
    END,
};

static const struct field dns_fields[] = {
    {"TTL", F_STR, OFF(dns_ttl), NULL, NULL},
    END,
};

static const struct field query_fields[] = {
    {"ID", F_STR, OFF(id), NULL, NULL},
    {"Name", F_STR, OFF(name), NULL, NULL},
    {"Session", F_STR, OFF(session), NULL, NULL},
    {"Token", F_STR, OFF(token), NULL, NULL},
    {"Template", F_OBJ, 0, template_fields, "structs.QueryTemplateOptions"},
    {"Service", F_OBJ, 0, service_fields, "structs.ServiceQuery"},
    {"DNS", F_OBJ, 0, dns_fields, "structs.QueryDNSOptions"},
    END,
};

static const char *const go_types[] = {
    [F_STR] = "string",
    [F_BOOL] = "bool",
    [F_INT] = "int",
    [F_LIST] = "[]string",
    [F_MAP] = "map[string]string",
    [F_OBJ] = "struct",
};

static int mismatch(struct buf *err, const char *path, const char *name, const json_t *v,
		    const char *type)
{
	buf_printf(err,
		   "json: cannot unmarshal %s into Go struct field PreparedQuery.%s%s of type %s",
		   json_kind_name(v), path, name, type);
	return -1;
}

/* A JSON string without NUL bytes (C strings cannot hold them). */
static bool plain_string(const json_t *v)
{
	return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v);
}

static int decode_obj(json_t *obj, const struct field *t, const char *path,
		      struct prepared_query *q, struct buf *err);

static int decode_field(json_t *v, const struct field *f, const char *path,
			struct prepared_query *q, struct buf *err)
{
	char *at = (char *)q + f->off;
	switch (f->kind) {
	case F_STR:
		if (!plain_string(v))
			return mismatch(err, path, f->name, v, go_types[f->kind]);
		free(*(char **)at);
		*(char **)at = xstrdup(json_string_value(v));
		return 0;
	case F_BOOL:
		if (!json_is_boolean(v))
			return mismatch(err, path, f->name, v, go_types[f->kind]);
		*(bool *)at = json_is_true(v);
		return 0;
	case F_INT: {
		json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
		if (!json_is_integer(v) || n < INT32_MIN || n > INT32_MAX)
			return mismatch(err, path, f->name, v, go_types[f->kind]);
		*(int32_t *)at = (int32_t)n;
		return 0;
	}
	case F_LIST: {
		if (!json_is_array(v))
			return mismatch(err, path, f->name, v, go_types[f->kind]);
		struct pq_list *l = (struct pq_list *)at;
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
		{
			if (json_is_null(e)) {
				pq_list_add(l, "");
				continue;
			}
			if (!plain_string(e))
				return mismatch(err, path, f->name, e, "string");
			pq_list_add(l, json_string_value(e));
		}
		return 0;
	}
	case F_MAP: {
		if (!json_is_object(v))
			return mismatch(err, path, f->name, v, go_types[f->kind]);
		struct pq_map *m = (struct pq_map *)at;
		const char *k;
		json_t *e;
		json_object_foreach(v, k, e)
		{
			if (json_is_null(e)) {
				pq_map_add(m, k, "");
				continue;
			}
			if (!plain_string(e))
				return mismatch(err, path, f->name, e, "string");
			pq_map_add(m, k, json_string_value(e));
		}
		return 0;
	}
	case F_OBJ: {
		if (!json_is_object(v))
			return mismatch(err, path, f->name, v, f->gotype);
		struct buf sub = BUF_INIT;
		buf_printf(&sub, "%s%s.", path, f->name);
		int rc = decode_obj(v, f->sub, buf_cstr(&sub), q, err);
		buf_free(&sub);
		return rc;
	}
	}
	return -1;
}

static int decode_obj(json_t *obj, const struct field *t, const char *path,
		      struct prepared_query *q, struct buf *err)
{
	for (const struct field *f = t; f->name; f++) {
		json_t *v = json_field(obj, f->name);
		if (!v || json_is_null(v))
			continue;
		if (decode_field(v, f, path, q, err))
			return -1;
	}
	return 0;
}

struct prepared_query *query_def_decode(const char *body, size_t len, struct buf *err)
{
	json_error_t jerr;
	if (len == 0) {
		buf_puts(err, "EOF"); /* Go's decoder on an empty body */
		return NULL;
	}
	json_t *root = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!root) {
		buf_puts(err, jerr.text);
		return NULL;
	}
	struct prepared_query *q = pquery_new();
	int rc = 0;
	if (!json_is_object(root) && !json_is_null(root)) {
		buf_printf(err,
			   "json: cannot unmarshal %s into Go value of type structs.PreparedQuery",
			   json_kind_name(root));
		rc = -1;
	} else if (json_is_object(root)) {
		rc = decode_obj(root, query_fields, "", q, err);
	}
	json_decref(root);
	if (rc) {
		pquery_unref(q);
		return NULL;
	}
	return q;
}

/* Consul's structs.ValidateNodeMetadata (reserved prefix allowed). */
static int meta_check(const struct pq_map *m, struct buf *err)
{
	if (m->n > 64) {
		buf_printf(err, "Node metadata cannot contain more than %d key/value pairs", 64);
		return -1;
	}
	for (size_t i = 0; i < m->n; i++) {
		const char *k = m->v[i].key;
		if (!k[0]) {
			buf_puts(err, "Couldn't load metadata pair ('', ''): Key cannot be blank");
			return -1;
		}
		for (const char *p = k; *p; p++) {
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-')) {
				buf_printf(err, "Key contains invalid characters");
				return -1;
			}
		}
		if (strlen(k) > 128) {
			buf_printf(err, "Key is too long (limit: %d characters)", 128);
			return -1;
		}
		if (strlen(m->v[i].value) > 512) {
			buf_printf(err, "Value is too long (limit: %d characters)", 512);
			return -1;
		}
	}
	return 0;
}

static int parse_query(const struct prepared_query *q, struct buf *err)
{
	if (!pq_str(q->name)[0] && !pq_str(q->tmpl_type)[0] && !pq_str(q->session)[0]) {
		buf_puts(err, "Must be bound to a session");
		return -1;
	}
	if (strcmp(pq_str(q->token), "<hidden>") == 0) {
		buf_puts(err, "Bad Token '<hidden>', it looks like a query definition with a "
			      "redacted token was submitted");
		return -1;
	}
	if (!pq_str(q->service)[0]) {
		buf_puts(err, "Must provide a Service name to query");
		return -1;
	}
	if (q->nearest_n < 0) {
		buf_printf(err, "Bad NearestN '%d', must be >= 0", (int)q->nearest_n);
		return -1;
	}
	if (meta_check(&q->node_meta, err))
		return -1;
	if (q->dns_ttl && q->dns_ttl[0]) {
		int64_t ns;
		if (duration_parse(q->dns_ttl, false, &ns)) {
			buf_printf(err, "Bad DNS TTL '%s': time: invalid duration \"%s\"",
				   q->dns_ttl, q->dns_ttl);
			return -1;
		}
		if (ns < 0) {
			buf_printf(err, "DNS TTL '%lld', must be >=0", (long long)ns);
			return -1;
		}
	}
	return 0;
}

int query_def_validate(const struct prepared_query *q, struct buf *err)
{
	struct buf why = BUF_INIT;
	if (parse_query(q, &why)) {
		buf_printf(err, "Invalid prepared query: %s", buf_cstr(&why));
		buf_free(&why);
		return -1;
	}
	buf_free(&why);
	char *msg = NULL;
	if (pquery_template_check(q, &msg)) {
		buf_printf(err, "failed compiling query template: %s", msg);
		free(msg);
		return -1;
	}
	return 0;
}
