/*
 * Service definitions: decoding JSON into struct service_def (see servicedef.h).
 * Validation, defaults, comparison and encoding are in servicedef_rules.c.
 */
#include "local/servicedef.h"

#include "base/alloc.h"
#include "base/err.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

bool servicedef_key_is(const char *key, const char *norm)
{
	for (;;) {
		while (*key == '_')
			key++;
		if (!*key || !*norm)
			return !*key && !*norm;
		if (tolower((unsigned char)*key) != *norm)
			return false;
		key++;
		norm++;
	}
}

/* ---- typed getters: each appends "<Field>: <problem>" to err on failure ---- */

static int get_str(const json_t *v, const char *field, char **out, struct buf *err)
{
	if (!json_is_string(v)) {
		buf_printf(err, "%s: expected a string", field);
		return CAIRN_E_PARSE;
	}
	free(*out);
	*out = xstrndup(json_string_value(v), json_string_length(v));
	return 0;
}

static int get_int(const json_t *v, const char *field, int *out, struct buf *err)
{
	json_int_t n;
	double r = json_is_real(v) ? json_real_value(v) : 0;
	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_real(v) && r >= -2147483648.0 && r <= 2147483647.0 && r == (int)r) {
		n = (json_int_t)r;
	} else if (json_is_real(v) && r == r) {
		buf_printf(err, "%s: number out of range", field);
		return CAIRN_E_PARSE;
	} else {
		buf_printf(err, "%s: expected a number", field);
		return CAIRN_E_PARSE;
	}
	if (n < -2147483647LL - 1 || n > 2147483647LL) {
		buf_printf(err, "%s: number out of range", field);
		return CAIRN_E_PARSE;
	}
	*out = (int)n;
	return 0;
}

static int get_bool(const json_t *v, const char *field, bool *out, struct buf *err)
{
	if (!json_is_boolean(v)) {
		buf_printf(err, "%s: expected true or false", field);
		return CAIRN_E_PARSE;
	}
	*out = json_is_true(v);
	return 0;
}

static int get_tags(const json_t *v, struct service_def *d, struct buf *err)
{
	size_t i;
	const json_t *t;
	if (!json_is_array(v)) {
		buf_printf(err, "Tags: expected a list of strings");
		return CAIRN_E_PARSE;
	}
	d->tags = xcalloc(json_array_size(v) + 1, sizeof(char *));
	json_array_foreach(v, i, t)
	{
		if (!json_is_string(t)) {
			buf_printf(err, "Tags: expected a list of strings");
			return CAIRN_E_PARSE;
		}
		d->tags[d->n_tags++] = xstrndup(json_string_value(t), json_string_length(t));
	}
	return 0;
}

static int cmp_meta(const void *a, const void *b)
{
	return strcmp(((const struct svc_meta *)a)->key, ((const struct svc_meta *)b)->key);
}

static int get_meta(const json_t *v, struct service_def *d, struct buf *err)
{
	const char *k;
	const json_t *val;
	if (!json_is_object(v)) {
		buf_printf(err, "Meta: expected an object of strings");
		return CAIRN_E_PARSE;
	}
	d->meta = xcalloc(json_object_size(v) + 1, sizeof(*d->meta));
	json_object_foreach((json_t *)v, k, val)
	{
		if (json_is_null(val))
			continue;
		if (!json_is_string(val)) {
			buf_printf(err, "Meta: value of \"%s\" is not a string", k);
			return CAIRN_E_PARSE;
		}
		struct svc_meta *m = &d->meta[d->n_meta++];
		m->key = xstrdup(k);
		m->value = xstrndup(json_string_value(val), json_string_length(val));
	}
	qsort(d->meta, d->n_meta, sizeof(*d->meta), cmp_meta);
	return 0;
}

static int cmp_addr(const void *a, const void *b)
{
	return strcmp(((const struct svc_addr *)a)->tag, ((const struct svc_addr *)b)->tag);
}

static int get_one_addr(const char *tag, const json_t *v, struct svc_addr *a, struct buf *err)
{
	const char *k;
	const json_t *f;
	a->tag = xstrdup(tag);
	a->address = xstrdup("");
	if (!json_is_object(v)) {
		buf_printf(err, "TaggedAddresses: \"%s\" is not an object", tag);
		return CAIRN_E_PARSE;
	}
	json_object_foreach((json_t *)v, k, f)
	{
		if (json_is_null(f))
			continue;
		if (servicedef_key_is(k, "address") &&
		    get_str(f, "TaggedAddresses.Address", &a->address, err))
			return CAIRN_E_PARSE;
		if (servicedef_key_is(k, "port") &&
		    get_int(f, "TaggedAddresses.Port", &a->port, err))
			return CAIRN_E_PARSE;
	}
	return 0;
}

static int get_tagged(const json_t *v, struct service_def *d, struct buf *err)
{
	const char *k;
	const json_t *val;
	if (!json_is_object(v)) {
		buf_printf(err, "TaggedAddresses: expected an object");
		return CAIRN_E_PARSE;
	}
	d->tagged = xcalloc(json_object_size(v) + 1, sizeof(*d->tagged));
	json_object_foreach((json_t *)v, k, val)
	{
		if (json_is_null(val))
			continue;
		if (get_one_addr(k, val, &d->tagged[d->n_tagged++], err))
			return CAIRN_E_PARSE;
	}
	qsort(d->tagged, d->n_tagged, sizeof(*d->tagged), cmp_addr);
	return 0;
}

static int get_weights(const json_t *v, struct service_def *d, struct buf *err)
{
	const char *k;
	const json_t *f;
	if (!json_is_object(v)) {
		buf_printf(err, "Weights: expected an object");
		return CAIRN_E_PARSE;
	}
	d->has_weights = true;
	json_object_foreach((json_t *)v, k, f)
	{
		if (json_is_null(f))
			continue;
		if (servicedef_key_is(k, "passing") &&
		    get_int(f, "Weights.Passing", &d->weight_passing, err))
			return CAIRN_E_PARSE;
		if (servicedef_key_is(k, "warning") &&
		    get_int(f, "Weights.Warning", &d->weight_warning, err))
			return CAIRN_E_PARSE;
	}
	return 0;
}

/* ---- checks ---- */

/* A check object with nothing set is skipped (Consul's CheckType.Empty()). */
static bool check_empty(const json_t *v)
{
	const char *k;
	const json_t *f;
	json_object_foreach((json_t *)v, k, f)
	{
		if (!json_is_null(f))
			return false;
	}
	return true;
}

/* Consul reports a bad Status after the other checks; checkdef_parse would
 * refuse it as a decode error, so it is taken out here and remembered. */
static json_t *strip_bad_status(const json_t *v, struct service_def *d)
{
	const char *k;
	json_t *f;
	json_object_foreach((json_t *)v, k, f)
	{
		enum check_status st;
		if (!servicedef_key_is(k, "status") || !json_is_string(f))
			continue;
		if (check_status_parse(json_string_value(f), &st) == 0)
			continue;
		if (!d->check_status_error)
			d->check_status_error = xstrdup(json_string_value(f));
		json_t *copy = json_copy((json_t *)v);
		json_object_del(copy, k);
		return copy;
	}
	return json_incref((json_t *)v);
}

static int add_check(const json_t *v, const char *field, struct service_def *d, struct buf *err)
{
	if (json_is_null(v))
		return 0;
	if (!json_is_object(v)) {
		buf_printf(err, "%s: expected an object", field);
		return CAIRN_E_PARSE;
	}
	if (check_empty(v))
		return 0;
	json_t *obj = strip_bad_status(v, d);
	d->checks = xrealloc(d->checks, (d->n_checks + 1) * sizeof(*d->checks));
	int rv = checkdef_parse(obj, &d->checks[d->n_checks], err);
	json_decref(obj);
	if (rv)
		return CAIRN_E_PARSE;
	d->n_checks++;
	return 0;
}

static int get_checks(const json_t *check, const json_t *checks, struct service_def *d,
		      struct buf *err)
{
	size_t i;
	const json_t *c;
	if (check && add_check(check, "Check", d, err))
		return CAIRN_E_PARSE;
	if (!checks || json_is_null(checks))
		return 0;
	if (!json_is_array(checks)) {
		buf_printf(err, "Checks: expected a list of objects");
		return CAIRN_E_PARSE;
	}
	json_array_foreach(checks, i, c)
	{
		if (add_check(c, "Checks", d, err))
			return CAIRN_E_PARSE;
	}
	return 0;
}

/* ---- the object ---- */

static int set_field(const char *k, const json_t *v, struct service_def *d, struct buf *err)
{
	if (servicedef_key_is(k, "id"))
		return get_str(v, "ID", &d->id, err);
	if (servicedef_key_is(k, "name"))
		return get_str(v, "Name", &d->name, err);
	if (servicedef_key_is(k, "kind"))
		return get_str(v, "Kind", &d->kind, err);
	if (servicedef_key_is(k, "address"))
		return get_str(v, "Address", &d->address, err);
	if (servicedef_key_is(k, "socketpath"))
		return get_str(v, "SocketPath", &d->socket_path, err);
	if (servicedef_key_is(k, "token"))
		return get_str(v, "Token", &d->token, err);
	if (servicedef_key_is(k, "port"))
		return get_int(v, "Port", &d->port, err);
	if (servicedef_key_is(k, "enabletagoverride"))
		return get_bool(v, "EnableTagOverride", &d->enable_tag_override, err);
	if (servicedef_key_is(k, "tags"))
		return d->tags ? 0 : get_tags(v, d, err);
	if (servicedef_key_is(k, "meta"))
		return d->meta ? 0 : get_meta(v, d, err);
	if (servicedef_key_is(k, "taggedaddresses"))
		return d->tagged ? 0 : get_tagged(v, d, err);
	if (servicedef_key_is(k, "weights"))
		return get_weights(v, d, err);
	if (servicedef_key_is(k, "proxy") && !d->proxy)
		d->proxy = json_incref((json_t *)v);
	else if (servicedef_key_is(k, "connect") && !d->connect)
		d->connect = json_incref((json_t *)v);
	return 0;
}

int servicedef_parse(const json_t *obj, struct service_def *out, struct buf *err)
{
	const char *k;
	const json_t *v, *check = NULL, *checks = NULL;
	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj)) {
		buf_printf(err, "service definition must be an object");
		return CAIRN_E_PARSE;
	}
	json_object_foreach((json_t *)obj, k, v)
	{
		if (json_is_null(v))
			continue;
		if (servicedef_key_is(k, "check"))
			check = v;
		else if (servicedef_key_is(k, "checks"))
			checks = v;
		else if (set_field(k, v, out, err))
			goto fail;
	}
	if (get_checks(check, checks, out, err))
		goto fail;
	if (!out->kind)
		out->kind = xstrdup("");
	if (!out->address)
		out->address = xstrdup("");
	if (!out->socket_path)
		out->socket_path = xstrdup("");
	if (!out->token)
		out->token = xstrdup("");
	return 0;
fail:
	servicedef_free(out);
	return CAIRN_E_PARSE;
}

/* ---- copy and free ---- */

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void servicedef_copy(struct service_def *dst, const struct service_def *src)
{
	*dst = *src;
	dst->kind = dup_or_null(src->kind);
	dst->id = dup_or_null(src->id);
	dst->name = dup_or_null(src->name);
	dst->address = dup_or_null(src->address);
	dst->socket_path = dup_or_null(src->socket_path);
	dst->token = dup_or_null(src->token);
	dst->check_status_error = dup_or_null(src->check_status_error);
	dst->tags = src->tags ? xcalloc(src->n_tags + 1, sizeof(char *)) : NULL;
	for (size_t i = 0; i < src->n_tags; i++)
		dst->tags[i] = xstrdup(src->tags[i]);
	dst->meta = src->meta ? xcalloc(src->n_meta + 1, sizeof(*dst->meta)) : NULL;
	for (size_t i = 0; i < src->n_meta; i++) {
		dst->meta[i].key = xstrdup(src->meta[i].key);
		dst->meta[i].value = xstrdup(src->meta[i].value);
	}
	dst->tagged = src->tagged ? xcalloc(src->n_tagged + 1, sizeof(*dst->tagged)) : NULL;
	for (size_t i = 0; i < src->n_tagged; i++) {
		dst->tagged[i].tag = xstrdup(src->tagged[i].tag);
		dst->tagged[i].address = xstrdup(src->tagged[i].address);
		dst->tagged[i].port = src->tagged[i].port;
	}
	dst->checks = src->n_checks ? xcalloc(src->n_checks, sizeof(*dst->checks)) : NULL;
	for (size_t i = 0; i < src->n_checks; i++)
		checkdef_copy(&dst->checks[i], &src->checks[i]);
	if (dst->proxy)
		json_incref(dst->proxy);
	if (dst->connect)
		json_incref(dst->connect);
}

void servicedef_free(struct service_def *d)
{
	free(d->kind);
	free(d->id);
	free(d->name);
	free(d->address);
	free(d->socket_path);
	free(d->token);
	free(d->check_status_error);
	for (size_t i = 0; i < d->n_tags; i++)
		free(d->tags[i]);
	free(d->tags);
	for (size_t i = 0; i < d->n_meta; i++) {
		free(d->meta[i].key);
		free(d->meta[i].value);
	}
	free(d->meta);
	for (size_t i = 0; i < d->n_tagged; i++) {
		free(d->tagged[i].tag);
		free(d->tagged[i].address);
	}
	free(d->tagged);
	for (size_t i = 0; i < d->n_checks; i++)
		checkdef_free(&d->checks[i]);
	free(d->checks);
	json_decref(d->proxy);
	json_decref(d->connect);
	memset(d, 0, sizeof(*d));
}
