/*
 * KV pairs: decoding the HTTP API's JSON and the two careful output formats
 * (see kv.h).
 *
 * Decoding follows Go's encoding/json into api.KVPair: field names match
 * case-insensitively, unknown fields are ignored, "Value" is base64 or null. Flags and
 * indexes are uint64 but jansson integers are int64, so before decoding, unsigned
 * literals above 2^63-1 are rewritten as the int64 of the same bits and read back as
 * uint64 (Consul's semaphore flag, 0xe0f69a2baa414de0, is one). A negative number in
 * the input is therefore read as its uint64 bits, where Go would refuse it.
 *
 * -detailed is Consul's tabwriter (minwidth 0, padding 6) over seven "Name\tvalue"
 * lines; export is json.MarshalIndent with a tab indent, with Go's HTML-safe string
 * escaping (base/jsonw's json_escape) and namespace/partition omitted when empty.
 */
#include "cli/kv.h"

#include "base/alloc.h"
#include "base/b64.h"
#include "base/json_get.h"
#include "base/jsonw.h"
#include "cli/tabw.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int get_uint(json_t *obj, const char *name, uint64_t *out, struct buf *err)
{
	json_t *v = json_field(obj, name);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v)) {
		buf_printf(err,
			   "json: cannot unmarshal value into Go struct field KVPair.%s of "
			   "type uint64",
			   name);
		return -1;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

const char *kv_json_str(json_t *obj, const char *name)
{
	json_t *v = json_field(obj, name);
	return json_is_string(v) ? json_string_value(v) : "";
}

static char *get_str(json_t *obj, const char *name)
{
	return xstrdup(kv_json_str(obj, name));
}

static int parse_pair(json_t *o, struct kv_pair *p, struct buf *err)
{
	if (!json_is_object(o)) {
		buf_puts(err, "json: cannot unmarshal value into Go value of type api.KVPair");
		return -1;
	}
	p->key = get_str(o, "Key");
	p->session = get_str(o, "Session");
	p->ns = get_str(o, "Namespace");
	p->partition = get_str(o, "Partition");
	if (get_uint(o, "Flags", &p->flags, err) < 0 ||
	    get_uint(o, "CreateIndex", &p->create_index, err) < 0 ||
	    get_uint(o, "ModifyIndex", &p->modify_index, err) < 0 ||
	    get_uint(o, "LockIndex", &p->lock_index, err) < 0)
		return -1;
	json_t *v = json_field(o, "Value");
	if (json_is_string(v)) {
		if (kv_b64_decode(&p->value, json_string_value(v), json_string_length(v), err) < 0)
			return -1;
	} else if (v && !json_is_null(v)) {
		buf_puts(err, "json: cannot unmarshal value into Go struct field KVPair.Value of "
			      "type []uint8");
		return -1;
	}
	return 0;
}

/* Copy text to out, rewriting integer literals in 2^63 .. 2^64-1 (outside strings) as
 * the negative int64 with the same bits, which jansson can hold. */
static void wrap_big_uints(const char *text, size_t len, struct buf *out)
{
	bool in_str = false;
	for (size_t i = 0; i < len;) {
		char ch = text[i];
		if (in_str) {
			size_t n = ch == '\\' && i + 1 < len ? 2 : 1;
			in_str = ch != '"';
			buf_append(out, text + i, n);
			i += n;
			continue;
		}
		if (ch < '0' || ch > '9' || (i && strchr("-.eE+", text[i - 1]))) {
			in_str = ch == '"';
			buf_putc(out, ch);
			i++;
			continue;
		}
		size_t j = i;
		while (j < len && text[j] >= '0' && text[j] <= '9')
			j++;
		char num[24];
		bool plain = j - i < sizeof(num) && (j == len || !strchr(".eE", text[j]));
		uint64_t v = 0;
		if (plain) {
			memcpy(num, text + i, j - i);
			num[j - i] = '\0';
			errno = 0;
			v = strtoull(num, NULL, 10);
			plain = errno == 0 && v > (uint64_t)INT64_MAX;
		}
		if (plain)
			buf_put_i64(out, (int64_t)v);
		else
			buf_append(out, text + i, j - i);
		i = j;
	}
}

int kv_pairs_parse(const char *text, size_t len, struct kv_pairs *out, struct buf *err)
{
	memset(out, 0, sizeof(*out));
	json_error_t je;
	struct buf wrapped = BUF_INIT;
	wrap_big_uints(text, len, &wrapped);
	json_t *root =
	    json_loadb(wrapped.data ? wrapped.data : "", wrapped.len, JSON_DECODE_ANY, &je);
	buf_free(&wrapped);
	if (!root) {
		buf_puts(err, je.text);
		return -1;
	}
	int rc = 0;
	if (json_is_array(root)) {
		out->v = xcalloc(json_array_size(root) + 1, sizeof(*out->v));
		for (size_t i = 0; i < json_array_size(root) && rc == 0; i++) {
			out->n++;
			rc = parse_pair(json_array_get(root, i), &out->v[i], err);
		}
	} else if (!json_is_null(root)) {
		buf_puts(err, "json: cannot unmarshal value into Go value of type []*api.KVPair");
		rc = -1;
	}
	json_decref(root);
	if (rc < 0)
		kv_pairs_free(out);
	return rc;
}

void kv_pairs_free(struct kv_pairs *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].key);
		free(p->v[i].session);
		free(p->v[i].ns);
		free(p->v[i].partition);
		buf_free(&p->v[i].value);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

void kv_format_detailed(struct buf *out, const struct kv_pair *p, bool base64)
{
	struct buf t = BUF_INIT;
	buf_printf(&t, "CreateIndex\t%llu\n", (unsigned long long)p->create_index);
	buf_printf(&t, "Flags\t%llu\n", (unsigned long long)p->flags);
	buf_printf(&t, "Key\t%s\n", p->key);
	buf_printf(&t, "LockIndex\t%llu\n", (unsigned long long)p->lock_index);
	buf_printf(&t, "ModifyIndex\t%llu\n", (unsigned long long)p->modify_index);
	buf_printf(&t, "Session\t%s\n", p->session && *p->session ? p->session : "-");
	buf_puts(&t, "Value\t");
	if (p->value.len && base64)
		b64_encode(&t, p->value.data, p->value.len);
	else if (p->value.len)
		buf_append(&t, p->value.data, p->value.len);
	tabw_format(out, t.data, t.len, 0, 6);
	buf_free(&t);
}

void kv_format_export(struct buf *out, const struct kv_pairs *p)
{
	if (p->n == 0) {
		buf_puts(out, "[]");
		return;
	}
	buf_puts(out, "[\n");
	for (size_t i = 0; i < p->n; i++) {
		const struct kv_pair *kv = &p->v[i];
		buf_puts(out, "\t{\n\t\t\"key\": ");
		json_escape(out, kv->key, strlen(kv->key));
		buf_printf(out, ",\n\t\t\"flags\": %llu,\n\t\t\"value\": \"",
			   (unsigned long long)kv->flags);
		if (kv->value.len)
			b64_encode(out, kv->value.data, kv->value.len);
		buf_putc(out, '"');
		if (kv->ns && *kv->ns) {
			buf_puts(out, ",\n\t\t\"namespace\": ");
			json_escape(out, kv->ns, strlen(kv->ns));
		}
		if (kv->partition && *kv->partition) {
			buf_puts(out, ",\n\t\t\"partition\": ");
			json_escape(out, kv->partition, strlen(kv->partition));
		}
		buf_puts(out, i + 1 < p->n ? "\n\t},\n" : "\n\t}\n");
	}
	buf_puts(out, "]");
}
