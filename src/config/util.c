/*
 * Small containers and JSON helpers for the configuration: string lists and
 * insertion-ordered string maps (owned copies), the deep merge Consul applies to
 * nested blocks, and Go's rendering of decoded JSON values for error messages.
 */
#include "config/options.h"

#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>

void strlist_add(struct strlist *l, const char *s)
{
	l->items = xrealloc(l->items, (l->len + 1) * sizeof(*l->items));
	l->items[l->len++] = xstrdup(s);
}

void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->len; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->len = 0;
}

void strmap_set(struct strmap *m, const char *k, const char *v)
{
	for (size_t i = 0; i < m->len; i++) {
		if (strcmp(m->keys[i], k) == 0) {
			char *nv = xstrdup(v);
			free(m->values[i]);
			m->values[i] = nv;
			return;
		}
	}
	m->keys = xrealloc(m->keys, (m->len + 1) * sizeof(*m->keys));
	m->values = xrealloc(m->values, (m->len + 1) * sizeof(*m->values));
	m->keys[m->len] = xstrdup(k);
	m->values[m->len++] = xstrdup(v);
}

const char *strmap_get(const struct strmap *m, const char *k)
{
	for (size_t i = 0; i < m->len; i++)
		if (strcmp(m->keys[i], k) == 0)
			return m->values[i];
	return NULL;
}

void strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->len; i++) {
		free(m->keys[i]);
		free(m->values[i]);
	}
	free(m->keys);
	free(m->values);
	m->keys = m->values = NULL;
	m->len = 0;
}

void json_deep_merge(json_t **dst, json_t *src)
{
	if (!*dst || json_typeof(*dst) != json_typeof(src) ||
	    !(json_is_object(src) || json_is_array(src))) {
		json_decref(*dst);
		*dst = json_deep_copy(src);
		return;
	}
	if (json_is_array(src)) {
		size_t i;
		json_t *e;
		json_array_foreach(src, i, e) json_array_append_new(*dst, json_deep_copy(e));
		return;
	}
	const char *k;
	json_t *v;
	json_object_foreach(src, k, v)
	{
		json_t *cur = json_object_get(*dst, k);
		if (cur) {
			json_incref(cur);
			json_deep_merge(&cur, v);
			json_object_set_new(*dst, k, cur);
		} else {
			json_object_set_new(*dst, k, json_deep_copy(v));
		}
	}
}

const char *json_go_type(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "float64";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	case JSON_ARRAY:
		return "[]interface {}";
	case JSON_OBJECT:
		return "map[string]interface {}";
	default:
		return "<nil>";
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void go_object(struct buf *out, const json_t *v)
{
	size_t n = json_object_size(v), i = 0;
	const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
	const char *k;
	json_t *e;
	json_object_foreach((json_t *)v, k, e) keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	buf_puts(out, "map[");
	for (i = 0; i < n; i++) {
		buf_printf(out, "%s%s:", i ? " " : "", keys[i]);
		json_go_value(out, json_object_get(v, keys[i]));
	}
	buf_putc(out, ']');
	free(keys);
}

void json_go_value(struct buf *out, const json_t *v)
{
	size_t i;
	json_t *e;
	switch (json_typeof(v)) {
	case JSON_STRING:
		buf_append(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_printf(out, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		buf_printf(out, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		buf_puts(out, "true");
		break;
	case JSON_FALSE:
		buf_puts(out, "false");
		break;
	case JSON_ARRAY:
		buf_putc(out, '[');
		json_array_foreach((json_t *)v, i, e)
		{
			if (i)
				buf_putc(out, ' ');
			json_go_value(out, e);
		}
		buf_putc(out, ']');
		break;
	case JSON_OBJECT:
		go_object(out, v);
		break;
	default:
		buf_puts(out, "<nil>");
	}
}
