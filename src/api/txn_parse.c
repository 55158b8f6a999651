/* Parsing /v1/txn bodies (see txn_parse.h). */
#include "api/txn_parse.h"

#include "base/alloc.h"
#include "base/b64.h"
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
	}
	free(p->ops);
	buf_free(&p->err);
}

static int fail(struct txn_parsed *p, int status, const char *msg, size_t i)
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

static int parse_kv(struct txn_parsed *p, json_t *kv, size_t i)
{
	struct kv_op *op = &p->ops[i];
	json_t *verb = json_object_get(kv, "Verb");
	int v = json_is_string(verb) ? kv_verb_parse(json_string_value(verb)) : -1;
	if (v < 0) {
		/* Consul reports an unknown verb as a failed operation (409) */
		buf_printf(&p->err, "{\"Results\":null,\"Errors\":[{\"OpIndex\":%zu,\"What\":", i);
		struct buf what = BUF_INIT;
		buf_printf(&what, "unknown KV verb \"%s\"",
			   json_is_string(verb) ? json_string_value(verb) : "");
		json_escape(&p->err, what.data, what.len);
		buf_free(&what);
		buf_puts(&p->err, "}]}");
		p->status = 409;
		return -1;
	}
	op->verb = (enum kv_verb)v;
	json_t *key = json_object_get(kv, "Key");
	if (key && !json_is_string(key))
		return fail(p, 400, "Failed to parse body: Key must be a string", i);
	const char *ks = key ? json_string_value(key) : "";
	if (key && strlen(ks) != json_string_length(key))
		return fail(p, 400, "Failed to parse body: Key contains NUL", i);
	op->key = xstrdup(ks);
	if (get_uint(kv, "Flags", &op->flags) || get_uint(kv, "Index", &op->index))
		return fail(p, 400,
			    "Failed to parse body: Flags and Index must be unsigned integers", i);
	json_t *val = json_object_get(kv, "Value");
	if (val && json_is_string(val) && json_string_length(val) > 0) {
		struct buf b = BUF_INIT;
		if (b64_decode(&b, json_string_value(val), json_string_length(val))) {
			buf_free(&b);
			return fail(p, 400, "Failed to parse body: illegal base64 data in Value",
				    i);
		}
		op->value_len = b.len;
		op->value = buf_steal(&b);
		op->has_value = true;
	} else if (val && !json_is_string(val) && !json_is_null(val)) {
		return fail(p, 400, "Failed to parse body: Value must be a base64 string", i);
	}
	json_t *sess = json_object_get(kv, "Session");
	if (json_is_string(sess) && json_string_length(sess))
		op->session = xstrdup(json_string_value(sess));
	if (!kv_verb_is_read(op->verb))
		p->writes = true;
	return 0;
}

int txn_parse(const void *data, size_t len, struct txn_parsed *p)
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
		rv = fail(p, 400, "Failed to parse body: expected a JSON array of operations",
			  (size_t)-1);
	} else if (json_array_size(root) > TXN_MAX_OPS) {
		buf_printf(&p->err, "Transaction contains too many operations (%zu > %d)",
			   json_array_size(root), TXN_MAX_OPS);
		p->status = 413;
		rv = -1;
	} else {
		p->ops = xcalloc(json_array_size(root) + 1, sizeof(*p->ops));
		for (size_t i = 0; i < json_array_size(root) && rv == 0; i++) {
			json_t *op = json_array_get(root, i);
			json_t *kv = json_is_object(op) ? json_object_get(op, "KV") : NULL;
			p->n = i + 1;
			if (json_is_object(kv))
				rv = parse_kv(p, kv, i);
			else if (kv)
				rv = fail(p, 400, "Failed to parse body: KV must be an object", i);
			else if (json_is_object(op) && json_object_size(op))
				rv = fail(p, 400,
					  "Failed to parse body: only KV operations are supported "
					  "until the catalog lands",
					  i);
			else
				rv = fail(p, 400, "Failed to parse body: empty operation", i);
		}
	}
	json_decref(root);
	return rv;
}
