/*
 * Typed access to struct config fields through option rows: setting from text
 * (flags, table defaults) and from JSON (files), freeing, copying, comparing.
 *
 * Error wording follows what a Consul user would see for the same input: Go's flag
 * package for flag values ("invalid value \"x\" for flag -http-port: parse error"),
 * mapstructure for file values of the wrong type ("'ports.http' expected type 'int',
 * got unconvertible type 'string', value: '8500'") and Consul's builder for bad
 * durations ("retry_interval: invalid duration: \"x\": time: invalid duration \"x\"").
 * Messages are appended to the caller's buffer without the source name; the loader
 * adds it. A failed set leaves the field unchanged.
 */
#include "config/options.h"

#include "base/alloc.h"
#include "base/duration.h"
#include "base/strconv.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool parse_ll(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!*s || *s == '-' || *s == '+')
		return false;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno)
		return false;
	*out = v;
	return true;
}

/* Go's time.ParseDuration message for a bad duration. */
static void duration_problem(struct buf *err, const char *s)
{
	const char *p = s + (*s == '-' || *s == '+');
	bool digits = *p != 0;
	for (const char *q = p; *q; q++)
		if (!isdigit((unsigned char)*q) && *q != '.')
			digits = false;
	if (digits)
		buf_printf(err, "time: missing unit in duration \"%s\"", s);
	else
		buf_printf(err, "time: invalid duration \"%s\"", s);
}

static void set_string(char **field, const char *s, bool lower)
{
	char *v = xstrdup(s);
	if (lower)
		for (char *p = v; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	free(*field);
	*field = v;
}

/* "key:value" as Consul's -node-meta (ParseMetaPair): no colon means an empty value. */
static void set_pair(struct strmap *m, const char *s)
{
	const char *colon = strchr(s, ':');
	if (!colon) {
		strmap_set(m, s, "");
		return;
	}
	char *k = xstrndup(s, (size_t)(colon - s));
	strmap_set(m, k, colon + 1);
	free(k);
}

static int bad_flag(struct buf *err, const char *flag, const char *text, const char *why)
{
	if (flag)
		buf_printf(err, "invalid value \"%s\" for flag %s: %s", text, flag, why);
	else
		buf_printf(err, "invalid default \"%s\": %s", text, why);
	return -1;
}

static int set_text_number(struct config *c, const struct opt *o, const char *text,
			   const char *flag, struct buf *err)
{
	void *f = opt_field(c, o);
	long long ll;
	uint64_t u;
	char *end;
	switch (o->type) {
	case OPT_INT:
		if (!parse_ll(text, INT_MIN, INT_MAX, &ll))
			return bad_flag(err, flag, text, "parse error");
		*(int *)f = (int)ll;
		return 0;
	case OPT_UINT:
		if (!parse_ll(text, 0, UINT_MAX, &ll))
			return bad_flag(err, flag, text, "parse error");
		*(unsigned *)f = (unsigned)ll;
		return 0;
	case OPT_SIZE:
		if (!parse_u64(text, &u))
			return bad_flag(err, flag, text, "parse error");
		*(uint64_t *)f = u;
		return 0;
	default: /* OPT_FLOAT */
		errno = 0;
		double d = strtod(text, &end);
		if (!*text || *end || errno)
			return bad_flag(err, flag, text, "parse error");
		*(double *)f = d;
		return 0;
	}
}

int opt_set_text(struct config *c, const struct opt *o, const char *text, const char *flag,
		 struct buf *err)
{
	void *f = opt_field(c, o);
	bool b;
	int64_t ns;
	switch (o->type) {
	case OPT_BOOL:
		if (strconv_parse_bool(text, &b) < 0) {
			buf_printf(err, "invalid boolean value \"%s\" for %s: parse error", text,
				   flag ? flag : o->key);
			return -1;
		}
		*(bool *)f = b;
		return 0;
	case OPT_INT:
	case OPT_UINT:
	case OPT_SIZE:
	case OPT_FLOAT:
		return set_text_number(c, o, text, flag, err);
	case OPT_STRING:
		set_string(f, text, o->flags & OPTF_LOWER);
		return 0;
	case OPT_DURATION:
		if (duration_parse(text, false, &ns) != 0) {
			struct buf why = BUF_INIT;
			duration_problem(&why, text);
			bad_flag(err, flag, text, buf_cstr(&why));
			buf_free(&why);
			return -1;
		}
		*(int64_t *)f = ns;
		return 0;
	case OPT_LIST:
		strlist_add(f, text);
		return 0;
	case OPT_MAP:
		set_pair(f, text);
		return 0;
	default:
		return bad_flag(err, flag, text, "not settable from text");
	}
}

/* mapstructure's message for a value of the wrong type. */
static int type_error(struct buf *err, const char *path, const char *want, const json_t *v)
{
	buf_printf(err, "'%s' expected type '%s', got unconvertible type '%s', value: '", path,
		   want, json_go_type(v));
	json_go_value(err, v);
	buf_putc(err, '\'');
	return -1;
}

static int map_error(struct buf *err, const char *path, const json_t *v)
{
	buf_printf(err, "'%s' expected a map, got '%s'", path, json_go_type(v));
	return -1;
}

static int json_number(struct buf *err, const struct opt *o, json_t *v, const char *path,
		       const char *want, double lo, double hi, double *out)
{
	if (!json_is_number(v))
		return type_error(err, path, want, v);
	double d = json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
	if (d < 0 && lo >= 0) {
		buf_printf(err, "cannot parse '%s', %f overflows %s", path, d, want);
		return -1;
	}
	d = o->type == OPT_FLOAT ? d : trunc(d);
	if (d < lo || d > hi) {
		buf_printf(err, "cannot parse '%s', %.0f overflows %s", path, d, want);
		return -1;
	}
	*out = d;
	return 0;
}

static int set_json_scalar(struct config *c, const struct opt *o, json_t *v, const char *path,
			   struct buf *err)
{
	void *f = opt_field(c, o);
	double d;
	switch (o->type) {
	case OPT_BOOL:
		if (!json_is_boolean(v))
			return type_error(err, path, "bool", v);
		*(bool *)f = json_is_true(v);
		return 0;
	case OPT_INT:
		if (json_number(err, o, v, path, "int", INT_MIN, INT_MAX, &d))
			return -1;
		*(int *)f = (int)d;
		return 0;
	case OPT_UINT:
		if (json_number(err, o, v, path, "uint", 0, UINT_MAX, &d))
			return -1;
		*(unsigned *)f = (unsigned)d;
		return 0;
	case OPT_SIZE:
		if (json_number(err, o, v, path, "uint64", 0, 18446744073709551615.0, &d))
			return -1;
		*(uint64_t *)f = json_is_integer(v) ? (uint64_t)json_integer_value(v) : (uint64_t)d;
		return 0;
	default: /* OPT_FLOAT */
		if (json_number(err, o, v, path, "float64", -HUGE_VAL, HUGE_VAL, &d))
			return -1;
		*(double *)f = d;
		return 0;
	}
}

static int set_json_duration(struct config *c, const struct opt *o, json_t *v, const char *path,
			     struct buf *err)
{
	int64_t ns;
	if (!json_is_string(v))
		return type_error(err, path, "string", v);
	const char *s = json_string_value(v);
	if (duration_parse(s, false, &ns) != 0) {
		buf_printf(err, "%s: invalid duration: \"%s\": ", path, s);
		duration_problem(err, s);
		return -1;
	}
	*(int64_t *)opt_field(c, o) = ns;
	return 0;
}

static int set_json_list(struct config *c, const struct opt *o, json_t *v, const char *path,
			 struct buf *err)
{
	size_t i;
	json_t *e;
	if (!json_is_array(v)) {
		buf_printf(err, "'%s': source data must be an array or slice, got %s", path,
			   json_go_type(v));
		return -1;
	}
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e)) {
			struct buf p = BUF_INIT;
			buf_printf(&p, "%s[%zu]", path, i);
			type_error(err, p.data, "string", e);
			buf_free(&p);
			return -1;
		}
	}
	json_array_foreach(v, i, e) strlist_add(opt_field(c, o), json_string_value(e));
	return 0;
}

static int set_json_map(struct config *c, const struct opt *o, json_t *v, const char *path,
			struct buf *err)
{
	const char *k;
	json_t *e;
	if (!json_is_object(v))
		return map_error(err, path, v);
	json_object_foreach(v, k, e)
	{
		if (!json_is_string(e)) {
			struct buf p = BUF_INIT;
			buf_printf(&p, "%s[%s]", path, k);
			type_error(err, p.data, "string", e);
			buf_free(&p);
			return -1;
		}
	}
	json_object_foreach(v, k, e) strmap_set(opt_field(c, o), k, json_string_value(e));
	return 0;
}

/* An object block; HCL's repeated blocks arrive as an array of objects. */
static int set_json_object(struct config *c, const struct opt *o, json_t *v, const char *path,
			   struct buf *err)
{
	size_t i;
	json_t *e;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) if (!json_is_object(e)) return map_error(err, path, e);
		json_array_foreach(v, i, e) json_deep_merge(opt_field(c, o), e);
		return 0;
	}
	if (!json_is_object(v))
		return map_error(err, path, v);
	json_deep_merge(opt_field(c, o), v);
	return 0;
}

static int set_json_objlist(struct config *c, const struct opt *o, json_t *v, const char *path,
			    struct buf *err)
{
	json_t **arr = opt_field(c, o);
	size_t i;
	json_t *e;
	if (json_is_object(v)) {
		if (!*arr)
			*arr = json_array();
		json_array_append_new(*arr, json_deep_copy(v));
		return 0;
	}
	if (!json_is_array(v)) {
		buf_printf(err, "'%s': source data must be an array or slice, got %s", path,
			   json_go_type(v));
		return -1;
	}
	json_array_foreach(v, i, e)
	{
		if (!json_is_object(e)) {
			buf_printf(err, "'%s[%zu]' expected a map, got '%s'", path, i,
				   json_go_type(e));
			return -1;
		}
	}
	if (!*arr)
		*arr = json_array();
	json_array_foreach(v, i, e) json_array_append_new(*arr, json_deep_copy(e));
	return 0;
}

int opt_set_json(struct config *c, const struct opt *o, json_t *v, const char *path,
		 struct buf *err)
{
	bool listy = o->type == OPT_LIST || o->type == OPT_OBJLIST || o->type == OPT_JSON;
	/* mapstructure's HookWeakDecodeFromSlice: [x] where one x is expected */
	if (!listy && json_is_array(v) && json_array_size(v) == 1)
		v = json_array_get(v, 0);
	switch (o->type) {
	case OPT_STRING:
		if (!json_is_string(v))
			return type_error(err, path, "string", v);
		set_string(opt_field(c, o), json_string_value(v), o->flags & OPTF_LOWER);
		return 0;
	case OPT_DURATION:
		return set_json_duration(c, o, v, path, err);
	case OPT_LIST:
		return set_json_list(c, o, v, path, err);
	case OPT_MAP:
		return set_json_map(c, o, v, path, err);
	case OPT_JSON:
		return set_json_object(c, o, v, path, err);
	case OPT_OBJLIST:
		return set_json_objlist(c, o, v, path, err);
	default:
		return set_json_scalar(c, o, v, path, err);
	}
}

void opt_free(struct config *c, const struct opt *o)
{
	void *f = opt_field(c, o);
	switch (o->type) {
	case OPT_STRING:
		free(*(char **)f);
		*(char **)f = NULL;
		break;
	case OPT_LIST:
		strlist_free(f);
		break;
	case OPT_MAP:
		strmap_free(f);
		break;
	case OPT_JSON:
	case OPT_OBJLIST:
		json_decref(*(json_t **)f);
		*(json_t **)f = NULL;
		break;
	default:
		break;
	}
}

static size_t scalar_size(enum opt_type t)
{
	switch (t) {
	case OPT_BOOL:
		return sizeof(bool);
	case OPT_INT:
		return sizeof(int);
	case OPT_UINT:
		return sizeof(unsigned);
	case OPT_FLOAT:
		return sizeof(double);
	default: /* OPT_SIZE, OPT_DURATION */
		return sizeof(int64_t);
	}
}

void opt_copy(struct config *dst, const struct config *src, const struct opt *o)
{
	void *d = opt_field(dst, o);
	const void *s = opt_cfield(src, o);
	opt_free(dst, o);
	switch (o->type) {
	case OPT_STRING:
		*(char **)d = *(char *const *)s ? xstrdup(*(char *const *)s) : NULL;
		break;
	case OPT_LIST:
		for (size_t i = 0; i < ((const struct strlist *)s)->len; i++)
			strlist_add(d, ((const struct strlist *)s)->items[i]);
		break;
	case OPT_MAP:
		for (size_t i = 0; i < ((const struct strmap *)s)->len; i++)
			strmap_set(d, ((const struct strmap *)s)->keys[i],
				   ((const struct strmap *)s)->values[i]);
		break;
	case OPT_JSON:
	case OPT_OBJLIST:
		*(json_t **)d = *(json_t *const *)s ? json_deep_copy(*(json_t *const *)s) : NULL;
		break;
	default:
		memcpy(d, s, scalar_size(o->type));
	}
}

static bool str_eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

bool opt_equal(const struct config *a, const struct config *b, const struct opt *o)
{
	const void *x = opt_cfield(a, o), *y = opt_cfield(b, o);
	const struct strlist *la = x, *lb = y;
	const struct strmap *ma = x, *mb = y;
	switch (o->type) {
	case OPT_STRING:
		return str_eq(*(char *const *)x, *(char *const *)y);
	case OPT_LIST:
		if (la->len != lb->len)
			return false;
		for (size_t i = 0; i < la->len; i++)
			if (strcmp(la->items[i], lb->items[i]) != 0)
				return false;
		return true;
	case OPT_MAP:
		if (ma->len != mb->len)
			return false;
		for (size_t i = 0; i < ma->len; i++)
			if (!str_eq(ma->values[i], strmap_get(mb, ma->keys[i])) ||
			    !strmap_get(mb, ma->keys[i]))
				return false;
		return true;
	case OPT_JSON:
	case OPT_OBJLIST:
		return json_equal(*(json_t *const *)x, *(json_t *const *)y) ||
		       (!*(json_t *const *)x && !*(json_t *const *)y);
	default:
		return memcmp(x, y, scalar_size(o->type)) == 0;
	}
}
