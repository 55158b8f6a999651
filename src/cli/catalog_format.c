/*
 * Text formats of the catalog commands (see catalog_format.h). Pure: JSON trees and
 * strings in, text out; the only output to a stream is the flag error of
 * catcli_map_flag, which goes to stderr like every flag error.
 */
#include "cli/catalog_format.h"

#include "base/alloc.h"
#include "cli/tabw.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- columnize ---- */

#define MAX_COLS 16

static size_t runes(const char *s, size_t n)
{
	size_t r = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			r++;
	return r;
}

struct cell {
	const char *s;
	size_t n;
};

/* Split one line into trimmed cells; returns the count (at most MAX_COLS). */
static size_t split_line(const char *s, size_t n, struct cell *cells)
{
	size_t k = 0;
	const char *end = s + n;
	while (k < MAX_COLS) {
		const char *d = memchr(s, CATALOG_DELIM[0], (size_t)(end - s));
		const char *e = d ? d : end;
		const char *a = s;
		while (a < e && isspace((unsigned char)*a))
			a++;
		const char *b = e;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		cells[k++] = (struct cell){a, (size_t)(b - a)};
		if (!d)
			break;
		s = d + 1;
	}
	return k;
}

/* Call fn on each line of text (without its newline). */
static void each_line(const char *text, size_t len, void (*fn)(void *, const char *, size_t),
		      void *ctx)
{
	const char *s = text, *end = text + len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		fn(ctx, s, (size_t)(e - s));
		s = nl ? nl + 1 : end;
	}
}

struct widths {
	size_t w[MAX_COLS];
	size_t ncols;
	struct buf *out;
};

static void measure(void *ctx, const char *s, size_t n)
{
	struct widths *w = ctx;
	struct cell cells[MAX_COLS];
	size_t k = split_line(s, n, cells);
	for (size_t i = 0; i < k; i++) {
		size_t r = runes(cells[i].s, cells[i].n);
		if (i >= w->ncols)
			w->w[w->ncols++] = r;
		else if (w->w[i] < r)
			w->w[i] = r;
	}
}

static void emit(void *ctx, const char *s, size_t n)
{
	struct widths *w = ctx;
	struct cell cells[MAX_COLS];
	size_t k = split_line(s, n, cells);
	for (size_t i = 0; i < k; i++) {
		buf_append(w->out, cells[i].s, cells[i].n);
		if (i + 1 == k)
			break;
		for (size_t pad = runes(cells[i].s, cells[i].n); pad < w->w[i]; pad++)
			buf_putc(w->out, ' ');
		buf_puts(w->out, "  ");
	}
	buf_putc(w->out, '\n');
}

void catcli_columnize(struct buf *out, const char *text, size_t len)
{
	struct widths w = {.out = out};
	size_t start = out->len;
	each_line(text, len, measure, &w);
	each_line(text, len, emit, &w);
	if (out->len > start && out->data[out->len - 1] == '\n')
		out->data[--out->len] = '\0';
}

/* ---- nodes ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Keys of obj sorted bytewise (Go's sort.Strings); caller frees the array. */
static const char **sorted_keys(json_t *obj, size_t *n)
{
	*n = json_is_object(obj) ? json_object_size(obj) : 0;
	const char **keys = xcalloc(*n + 1, sizeof(*keys));
	size_t i = 0;
	const char *k;
	json_t *v;
	if (*n)
		json_object_foreach(obj, k, v) keys[i++] = k;
	qsort(keys, *n, sizeof(*keys), cmp_str);
	return keys;
}

static const char *str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

void catcli_map_kv(struct buf *out, json_t *obj, const char *sep)
{
	size_t n;
	const char **keys = sorted_keys(obj, &n);
	for (size_t i = 0; i < n; i++)
		buf_printf(out, "%s%s=%s", i ? sep : "", keys[i], str(obj, keys[i]));
	free(keys);
}

static void node_row(struct buf *b, json_t *node, bool detailed, bool service_nodes)
{
	const char *id = str(node, "ID");
	const char *dash = strchr(id, '-');
	size_t idlen = !detailed && dash && dash > id ? (size_t)(dash - id) : strlen(id);
	buf_printf(b, "%s" CATALOG_DELIM "%.*s" CATALOG_DELIM "%s" CATALOG_DELIM "%s",
		   str(node, "Node"), (int)idlen, id, str(node, "Address"),
		   str(node, "Datacenter"));
	if (detailed) {
		buf_puts(b, CATALOG_DELIM);
		catcli_map_kv(b, json_object_get(node, "TaggedAddresses"), ", ");
		buf_puts(b, CATALOG_DELIM);
		catcli_map_kv(b, json_object_get(node, service_nodes ? "NodeMeta" : "Meta"), ", ");
	}
	buf_putc(b, '\n');
}

void catcli_format_nodes(struct buf *out, json_t *nodes, bool detailed, bool service_nodes)
{
	struct buf text = BUF_INIT;
	buf_puts(&text, detailed ? "Node" CATALOG_DELIM "ID" CATALOG_DELIM "Address" CATALOG_DELIM
				   "DC" CATALOG_DELIM "TaggedAddresses" CATALOG_DELIM "Meta\n"
				 : "Node" CATALOG_DELIM "ID" CATALOG_DELIM "Address" CATALOG_DELIM
				   "DC\n");
	for (size_t i = 0; i < json_array_size(nodes); i++)
		node_row(&text, json_array_get(nodes, i), detailed, service_nodes);
	catcli_columnize(out, text.data, text.len);
	buf_free(&text);
}

/* ---- services ---- */

/* Tags of one service sorted and joined with ",". */
static void joined_tags(struct buf *b, json_t *tags)
{
	size_t n = json_array_size(tags);
	const char **v = xcalloc(n + 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(tags, i));
		if (s)
			v[k++] = s;
	}
	qsort(v, k, sizeof(*v), cmp_str);
	for (size_t i = 0; i < k; i++)
		buf_printf(b, "%s%s", i ? "," : "", v[i]);
	free(v);
}

size_t catcli_format_services(struct buf *out, json_t *services, bool tags)
{
	size_t n;
	const char **names = sorted_keys(services, &n);
	struct buf text = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		buf_puts(&text, names[i]);
		if (tags) {
			buf_putc(&text, '\t');
			joined_tags(&text, json_object_get(services, names[i]));
		}
		buf_putc(&text, '\n');
	}
	if (tags) {
		/* tabwriter, then strings.TrimSpace of the whole text */
		struct buf t = BUF_INIT;
		tabw_format(&t, text.data ? text.data : "", text.len, 0, 6);
		const char *s = buf_cstr(&t), *e = s + t.len;
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		buf_append(out, s, (size_t)(e - s));
		buf_free(&t);
	} else if (text.len) {
		buf_append(out, text.data, text.len - 1);
	}
	buf_free(&text);
	free(names);
	return n;
}

json_t *catcli_node_services(json_t *node)
{
	json_t *out = json_object();
	const char *id;
	json_t *svc;
	json_t *services = json_object_get(node, "Services");
	if (!json_is_object(services))
		return out;
	json_object_foreach(services, id, svc)
	{
		const char *name = str(svc, "Service");
		json_t *tags = json_object_get(out, name);
		if (!tags) {
			tags = json_array();
			json_object_set_new(out, name, tags);
		}
		json_t *t = json_object_get(svc, "Tags");
		if (json_is_array(t))
			json_array_extend(tags, t);
	}
	return out;
}

/* ---- flags ---- */

int catcli_map_flag(const struct flag_def *defs, const char *name, const struct flag_strings *v,
		    json_t **out)
{
	*out = json_object();
	for (size_t i = 0; i < v->n; i++) {
		const char *eq = strchr(v->v[i], '=');
		if (!eq) {
			fprintf(
			    stderr,
			    "invalid value \"%s\" for flag -%s: Missing \"=\" value in argument: "
			    "%s\n",
			    v->v[i], name, v->v[i]);
			struct buf b = BUF_INIT;
			buf_puts(&b, "Usage:\n");
			flags_print_defaults(&b, defs);
			fputs(buf_cstr(&b), stderr);
			buf_free(&b);
			json_decref(*out);
			*out = NULL;
			return -1;
		}
		char *key = xstrndup(v->v[i], (size_t)(eq - v->v[i]));
		json_object_set_new(*out, key, json_string(eq + 1));
		free(key);
	}
	return 0;
}

void catcli_go_quote(struct buf *out, const char *s)
{
	static const char esc[] = "\a\b\f\n\r\t\v";
	static const char name[] = "abfnrtv";
	buf_putc(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		const char *e = *p ? strchr(esc, *p) : NULL;
		if (*p == '"' || *p == '\\')
			buf_printf(out, "\\%c", *p);
		else if (e)
			buf_printf(out, "\\%c", name[e - esc]);
		else if (*p < 0x20 || *p == 0x7f)
			buf_printf(out, "\\x%02x", *p);
		else
			buf_putc(out, (char)*p);
	}
	buf_putc(out, '"');
}
