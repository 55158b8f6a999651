/* Parsing /v1/txn bodies (see txn_parse.h). */
#include "api/txn_parse.h"
#include "api/txn_parse_int.h"

#include "base/alloc.h"
#include "base/b64.h"
#include "base/json_get.h"
#include "base/jsonw.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void txn_parsed_free(struct txn_parsed *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->ops[i].key);
		free(p->ops[i].value);
		free(p->ops[i].session);
		txn_cat_op_free(p->ops[i].cat);
	}
	free(p->ops);
	buf_free(&p->err);
}

int txn_parse_fail(struct txn_parsed *p, int status, const char *msg, size_t i)
{
	buf_printf(&p->err, "%s", msg);
	if (i != (size_t)-1)
		buf_printf(&p->err, " (operation %zu)", i);
	p->status = status;
	return -1;
}

/* JSON numbers or numeric strings, as Go's decoder sees uint64 fields. */
static int get_uint(json_t *obj, const char *name, uint64_t *out)
{
	json_t *v = json_object_get(obj, name);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int txn_parse_bad_verb(struct txn_parsed *p, enum txn_op_kind kind, json_t *verb, size_t i)
{
	/* Consul reports an unknown verb as a failed operation (409) */
	buf_printf(&p->err, "{\"Results\":null,\"Errors\":[{\"OpIndex\":%zu,\"What\":", i);
	struct buf what = BUF_INIT;
	buf_printf(&what, "unknown %s verb \"%s\"", txn_op_kind_name(kind),
		   json_is_string(verb) ? json_string_value(verb) : "");
	json_escape(&p->err, what.data, what.len);
	buf_free(&what);
	buf_puts(&p->err, "}]}");
	p->status = 409;
	return -1;
}

static int parse_kv(struct txn_parsed *p, json_t *kv, size_t i)
{
	struct kv_op *op = &p->ops[i];
	json_t *verb = json_object_get(kv, "Verb");
	int v = json_is_string(verb) ? kv_verb_parse(json_string_value(verb)) : -1;
	if (v < 0)
		return txn_parse_bad_verb(p, TXN_OP_KV, verb, i);
	op->verb = (enum kv_verb)v;
	json_t *key = json_object_get(kv, "Key");
	if (key && !json_is_string(key))
		return txn_parse_fail(p, 400, "Failed to parse body: Key must be a string", i);
	const char *ks = key ? json_string_value(key) : "";
	if (key && strlen(ks) != json_string_length(key))
		return txn_parse_fail(p, 400, "Failed to parse body: Key contains NUL", i);
	op->key = xstrdup(ks);
	if (get_uint(kv, "Flags", &op->flags) || get_uint(kv, "Index", &op->index))
		return txn_parse_fail(
		    p, 400, "Failed to parse body: Flags and Index must be unsigned integers", i);
	json_t *val = json_object_get(kv, "Value");
	if (val && json_is_string(val) && json_string_length(val) > 0) {
		struct buf b = BUF_INIT;
		if (b64_decode(&b, json_string_value(val), json_string_length(val))) {
			buf_free(&b);
			return txn_parse_fail(
			    p, 400, "Failed to parse body: illegal base64 data in Value", i);
		}
		op->value_len = b.len;
		op->value = buf_steal(&b);
		op->has_value = true;
	} else if (val && !json_is_string(val) && !json_is_null(val)) {
		return txn_parse_fail(p, 400, "Failed to parse body: Value must be a base64 string",
				      i);
	}
	json_t *sess = json_object_get(kv, "Session");
	if (json_is_string(sess) && json_string_length(sess))
		op->session = xstrdup(json_string_value(sess));
	if (!kv_verb_is_read(op->verb))
		p->writes = true;
	return 0;
}

/* The op's kind: the first of KV, Node, Service, Check present and not null
 * (Consul's convertOps switch order); *obj its value. -1: none. */
static int op_kind(json_t *op, json_t **obj)
{
	for (int k = 0; k < TXN_OP_KIND_COUNT_; k++) {
		json_t *v = json_field(op, txn_op_kind_name((enum txn_op_kind)k));
		if (v && !json_is_null(v)) {
			*obj = v;
			return k;
		}
	}
	return -1;
}

static int parse_op(struct txn_parsed *p, json_t *op, size_t i, const char *dc)
{
	json_t *obj = NULL;
	int kind = json_is_object(op) ? op_kind(op, &obj) : -1;
	if (kind < 0)
		return txn_parse_fail(p, 400, "Failed to parse body: empty operation", i);
	if (!json_is_object(obj)) {
		struct buf m = BUF_INIT;
		buf_printf(&m, "Failed to parse body: %s must be an object",
			   txn_op_kind_name((enum txn_op_kind)kind));
		txn_parse_fail(p, 400, buf_cstr(&m), i);
		buf_free(&m);
		return -1;
	}
	if (kind == TXN_OP_KV)
		return parse_kv(p, obj, i);
	return txn_parse_catalog(p, (enum txn_op_kind)kind, obj, i, dc);
}

int txn_parse(const void *data, size_t len, const char *dc, struct txn_parsed *p)
{
	json_error_t jerr;
	memset(p, 0, sizeof(*p));
	json_t *root = json_loadb(data ? data : "", len, 0, &jerr);
	if (!root) {
		buf_printf(&p->err, "Failed to parse body: %s", jerr.text);
		p->status = 400;
		return -1;
	}
	int rv = 0;
	if (!json_is_array(root)) {
		rv = txn_parse_fail(p, 400,
				    "Failed to parse body: expected a JSON array of operations",
				    (size_t)-1);
	} else if (json_array_size(root) > TXN_MAX_OPS) {
		buf_printf(&p->err, "Transaction contains too many operations (%zu > %d)",
			   json_array_size(root), TXN_MAX_OPS);
		p->status = 413;
		rv = -1;
	} else {
		p->ops = xcalloc(json_array_size(root) + 1, sizeof(*p->ops));
		for (size_t i = 0; i < json_array_size(root) && rv == 0; i++) {
			p->n = i + 1;
			rv = parse_op(p, json_array_get(root, i), i, dc);
		}
	}
	json_decref(root);
	return rv;
}
