/*
 * Loader bookkeeping and the walk that applies one decoded source to the config.
 *
 * A source is a JSON object tree (a JSON file as decoded, an HCL file as hcl.c
 * builds it). Each key path is resolved in this order, as Consul's decoder does:
 *   1. renamed keys (config_aliases): a deprecation warning, then the new key;
 *   2. an option row with that key (case-insensitive fallback, like mapstructure);
 *   3. a block: some row lives under "path." -> recurse into the object (or into
 *      each object of an array, HCL's repeated blocks);
 *   4. a JSON row that is a prefix of the path (tls, telemetry) keeps the value;
 *   5. otherwise: an unknown key, warned about with the file name (Consul fails
 *      with "invalid config key"; cairn keeps going, see COMPAT.md).
 * JSON null means "not set" and is skipped, so `"segments": null` is accepted.
 */
#include "config/loader.h"

#include "base/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void loader_init(struct loader *ld, struct config *c, struct buf *err)
{
	memset(ld, 0, sizeof(*ld));
	ld->c = c;
	ld->err = err;
	ld->origin = xcalloc(config_options_len, sizeof(*ld->origin));
}

void loader_done(struct loader *ld)
{
	free(ld->origin);
	strlist_free(&ld->names);
	strlist_free(&ld->warnings);
	memset(ld, 0, sizeof(*ld));
}

void loader_source(struct loader *ld, const char *name)
{
	for (size_t i = 0; i < ld->names.len; i++) {
		if (strcmp(ld->names.items[i], name) == 0) {
			ld->src = ld->names.items[i];
			return;
		}
	}
	strlist_add(&ld->names, name);
	ld->src = ld->names.items[ld->names.len - 1];
}

bool loader_set_by_user(const struct loader *ld, const struct opt *o)
{
	return ld->origin[opt_index(o)] != NULL;
}

const char *loader_origin(const struct loader *ld, const char *key)
{
	for (size_t i = 0; i < config_options_len; i++)
		if (strcmp(config_options[i].key, key) == 0)
			return ld->origin[i];
	return NULL;
}

static void vline(struct buf *out, const char *src, const char *fmt, va_list ap)
{
	if (src)
		buf_printf(out, "%s: ", src);
	buf_vprintf(out, fmt, ap);
}

void loader_error(struct loader *ld, const char *src, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline(ld->err, src, fmt, ap);
	va_end(ap);
	buf_putc(ld->err, '\n');
	ld->nerr++;
}

void loader_warn(struct loader *ld, const char *src, const char *fmt, ...)
{
	struct buf line = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	vline(&line, src, fmt, ap);
	va_end(ap);
	strlist_add(&ld->warnings, buf_cstr(&line));
	buf_free(&line);
}

bool loader_fail(struct loader *ld, const char *key, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	loader_error(ld, key ? loader_origin(ld, key) : NULL, "%s", buf_cstr(&msg));
	buf_free(&msg);
	return false;
}

void loader_defaults(struct loader *ld, bool dev)
{
	struct buf err = BUF_INIT;
	for (size_t i = 0; i < config_options_len; i++) {
		const struct opt *o = &config_options[i];
		const char *text = dev ? o->dev : o->def;
		if (text && opt_set_text(ld->c, o, text, NULL, &err) != 0)
			loader_error(ld, "default", "%s: %s", o->key, buf_cstr(&err));
		buf_reset(&err);
	}
	buf_free(&err);
}

int loader_set_text(struct loader *ld, const struct opt *o, const char *text, const char *flag)
{
	struct buf err = BUF_INIT;
	int rc = opt_set_text(ld->c, o, text, flag, &err);
	if (rc != 0)
		loader_error(ld, NULL, "%s", buf_cstr(&err));
	else
		ld->origin[opt_index(o)] = ld->src;
	buf_free(&err);
	return rc;
}

static void apply_value(struct loader *ld, const char *path, json_t *v);

static void apply_object(struct loader *ld, const char *prefix, json_t *obj)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v)
	{
		char *path = prefix ? xmalloc(strlen(prefix) + strlen(k) + 2) : xstrdup(k);
		if (prefix)
			sprintf(path, "%s.%s", prefix, k);
		apply_value(ld, path, v);
		free(path);
	}
}

static void set_row(struct loader *ld, const struct opt *o, const char *path, json_t *v)
{
	struct buf err = BUF_INIT;
	if (opt_set_json(ld->c, o, v, path, &err) != 0)
		loader_error(ld, ld->src, "%s", buf_cstr(&err));
	else
		ld->origin[opt_index(o)] = ld->src;
	buf_free(&err);
}

/* {"a": {"b": v}} for rest "a.b"; steals v. */
static json_t *wrap_path(const char *rest, json_t *v)
{
	const char *dot = strchr(rest, '.');
	json_t *o = json_object();
	if (!dot) {
		json_object_set_new(o, rest, v);
		return o;
	}
	char *k = xstrndup(rest, (size_t)(dot - rest));
	json_object_set_new(o, k, wrap_path(dot + 1, v));
	free(k);
	return o;
}

/* Store v at the rest of path inside the JSON row bag ("tls" + "defaults.ca_file"). */
static void set_in_bag(struct loader *ld, const struct opt *bag, const char *path, json_t *v)
{
	json_t *wrapped = wrap_path(path + strlen(bag->key) + 1, json_deep_copy(v));
	set_row(ld, bag, bag->key, wrapped);
	json_decref(wrapped);
}

static void apply_block(struct loader *ld, const char *path, json_t *v)
{
	size_t i;
	json_t *e;
	if (json_is_object(v)) {
		apply_object(ld, path, v);
		return;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			if (!json_is_object(e)) {
				loader_error(ld, ld->src, "'%s[%zu]' expected a map, got '%s'",
					     path, i, json_go_type(e));
				return;
			}
		}
		json_array_foreach(v, i, e) apply_object(ld, path, e);
		return;
	}
	loader_error(ld, ld->src, "'%s' expected a map, got '%s'", path, json_go_type(v));
}

/* Deprecated keys that switch something else on, as Consul's applyDeprecatedConfig. */
static void alias_side_effects(struct loader *ld, const struct opt_alias *a)
{
	if (strcmp(a->old, "acl_datacenter") == 0)
		loader_set_text(ld, opt_find("acl.enabled"), "true", NULL);
	else if (strcmp(a->old, "acl_replication_token") == 0)
		loader_set_text(ld, opt_find("acl.enable_token_replication"), "true", NULL);
}

static void warn_alias(struct loader *ld, const struct opt_alias *a)
{
	if (!a->warn)
		return;
	if (!a->new)
		loader_warn(ld, ld->src, "config key \"%s\" is deprecated and should be removed",
			    a->old);
	else
		loader_warn(ld, ld->src,
			    "The '%s' field is deprecated. Use the '%s' field instead.", a->old,
			    a->new);
}

static void apply_value(struct loader *ld, const char *path, json_t *v)
{
	if (json_is_null(v))
		return;
	const struct opt_alias *a = opt_find_alias(path);
	if (a) {
		warn_alias(ld, a);
		if (!a->new)
			return;
		alias_side_effects(ld, a);
		path = a->new;
	}
	const struct opt *o = opt_find(path);
	bool block = opt_is_block(path);
	if (o && (o->flags & OPTF_INTERNAL))
		return; /* Consul reads build information keys and overrides them */
	if (o && !(block && o->type == OPT_JSON)) {
		set_row(ld, o, path, v);
		return;
	}
	if (block) {
		apply_block(ld, path, v);
		return;
	}
	const struct opt *bag = opt_find_bag(path);
	if (bag) {
		set_in_bag(ld, bag, path, v);
		return;
	}
	loader_warn(ld, ld->src, "ignoring unknown config key %s", path);
}

void loader_apply_tree(struct loader *ld, json_t *root)
{
	apply_object(ld, NULL, root);
}
