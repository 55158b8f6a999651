/*
 * Parsing watch parameters into a plan (see plan.h), with Consul's rules and
 * messages: api/watch Parse/ParseExempt for the generic and per-type keys, the
 * agent's makeWatchPlan and reloadWatches for handlers. Parameters are
 * consumed from a private copy of the object, so what is left at the end is
 * reported as "Invalid parameters: [...]" (sorted; Go prints map order).
 */
#include "watch/plan.h"

#include "base/alloc.h"
#include "base/duration.h"
#include "base/json_get.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef int (*type_parse_fn)(struct watch_plan *p, json_t *params, struct buf *err);

static int parse_key(struct watch_plan *p, json_t *params, struct buf *err);
static int parse_keyprefix(struct watch_plan *p, json_t *params, struct buf *err);
static int parse_stale_only(struct watch_plan *p, json_t *params, struct buf *err);
static int parse_service(struct watch_plan *p, json_t *params, struct buf *err);
static int parse_checks(struct watch_plan *p, json_t *params, struct buf *err);
static int parse_event(struct watch_plan *p, json_t *params, struct buf *err);

/* Consul's watchFuncFactory; types with no parse are Consul's Connect/agent
 * types, which the CLI refuses and this build does not run. */
static const struct type_row {
	const char *name;
	enum watch_type type;
	type_parse_fn parse;
} types[] = {
    {"key", WATCH_KEY, parse_key},
    {"keyprefix", WATCH_KEYPREFIX, parse_keyprefix},
    {"services", WATCH_SERVICES, parse_stale_only},
    {"nodes", WATCH_NODES, parse_stale_only},
    {"service", WATCH_SERVICE, parse_service},
    {"checks", WATCH_CHECKS, parse_checks},
    {"event", WATCH_EVENT, parse_event},
    {"connect_roots", 0, NULL},
    {"connect_leaf", 0, NULL},
    {"connect_proxy_config", 0, NULL},
    {"agent_service", 0, NULL},
};

/* ---- Consul's assignValue family: take a key out of params ---- */

static int take_string(json_t *params, const char *name, char **out, struct buf *err)
{
	json_t *v = json_object_get(params, name);
	if (!v)
		return 0;
	if (!json_is_string(v)) {
		buf_printf(err, "Expecting %s to be a string", name);
		return -1;
	}
	free(*out);
	*out = xstrdup(json_string_value(v));
	json_object_del(params, name);
	return 0;
}

static int take_bool(json_t *params, const char *name, bool *out, struct buf *err)
{
	json_t *v = json_object_get(params, name);
	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		buf_printf(err, "Expecting %s to be a boolean", name);
		return -1;
	}
	*out = json_is_true(v);
	json_object_del(params, name);
	return 0;
}

/* A string or a list of strings. */
static int take_strings(json_t *params, const char *name, char ***out, size_t *n, struct buf *err)
{
	json_t *v = json_object_get(params, name);
	if (!v)
		return 0;
	if (json_is_string(v)) {
		*out = xcalloc(2, sizeof(char *));
		(*out)[0] = xstrdup(json_string_value(v));
		*n = 1;
	} else if (json_is_array(v)) {
		size_t len = json_array_size(v);
		for (size_t i = 0; i < len; i++) {
			if (!json_is_string(json_array_get(v, i))) {
				buf_printf(err, "Index %zu of %s expected to be string", i, name);
				return -1;
			}
		}
		*out = xcalloc(len + 1, sizeof(char *));
		for (size_t i = 0; i < len; i++)
			(*out)[i] = xstrdup(json_string_value(json_array_get(v, i)));
		*n = len;
	} else {
		buf_printf(err, "Expecting %s to be a string slice", name);
		return -1;
	}
	json_object_del(params, name);
	return 0;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- per type (api/watch/funcs.go) ---- */

static int parse_stale_only(struct watch_plan *p, json_t *params, struct buf *err)
{
	if (take_bool(params, "stale", &p->stale, err) < 0)
		return -1;
	return take_string(params, "filter", &p->filter, err);
}

static int parse_key(struct watch_plan *p, json_t *params, struct buf *err)
{
	if (parse_stale_only(p, params, err) < 0 || take_string(params, "key", &p->key, err) < 0)
		return -1;
	if (!p->key || !*p->key) {
		buf_puts(err, "Must specify a single key to watch");
		return -1;
	}
	return 0;
}

static int parse_keyprefix(struct watch_plan *p, json_t *params, struct buf *err)
{
	if (parse_stale_only(p, params, err) < 0 ||
	    take_string(params, "prefix", &p->prefix, err) < 0)
		return -1;
	if (!p->prefix || !*p->prefix) {
		buf_puts(err, "Must specify a single prefix to watch");
		return -1;
	}
	return 0;
}

static int parse_service(struct watch_plan *p, json_t *params, struct buf *err)
{
	if (parse_stale_only(p, params, err) < 0 ||
	    take_string(params, "service", &p->service, err) < 0)
		return -1;
	if (!p->service || !*p->service) {
		buf_puts(err, "Must specify a single service to watch");
		return -1;
	}
	if (take_strings(params, "tag", &p->tags, &p->ntags, err) < 0)
		return -1;
	return take_bool(params, "passingonly", &p->passingonly, err);
}

static int parse_checks(struct watch_plan *p, json_t *params, struct buf *err)
{
	if (parse_stale_only(p, params, err) < 0 ||
	    take_string(params, "service", &p->service, err) < 0 ||
	    take_string(params, "state", &p->state, err) < 0)
		return -1;
	bool svc = p->service && *p->service, st = p->state && *p->state;
	if (svc && st) {
		buf_puts(err, "Cannot specify service and state");
		return -1;
	}
	if (!svc && !st) {
		free(p->state);
		p->state = xstrdup("any");
	}
	return 0;
}

static int parse_event(struct watch_plan *p, json_t *params, struct buf *err)
{
	/* stale does not apply to events: Consul leaves it as an invalid parameter */
	if (take_string(params, "name", &p->name, err) < 0)
		return -1;
	return take_string(params, "filter", &p->filter, err);
}

/* ---- handlers (agent config) ---- */

static int parse_http_config(struct watch_http *h, json_t *cfg, struct buf *err)
{
	if (!json_is_object(cfg)) {
		buf_puts(err, "expected a map");
		return -1;
	}
	json_t *path = json_field(cfg, "path"), *method = json_field(cfg, "method");
	json_t *header = json_field(cfg, "header"), *timeout = json_field(cfg, "timeout");
	json_t *skip = json_field(cfg, "tls_skip_verify");
	if ((path && !json_is_string(path)) || (method && !json_is_string(method)) ||
	    (timeout && !json_is_string(timeout)) || (skip && !json_is_boolean(skip))) {
		buf_puts(err,
			 "path, method and timeout must be strings, tls_skip_verify a boolean");
		return -1;
	}
	if (header) {
		const char *k;
		json_t *vals, *s;
		size_t i;
		bool ok = json_is_object(header);
		json_object_foreach(header, k, vals)
		{
			ok = ok && json_is_array(vals);
			json_array_foreach(vals, i, s)
			{
				ok = ok && json_is_string(s);
			}
		}
		if (!ok) {
			buf_puts(err, "header must be a map of lists of strings");
			return -1;
		}
		h->header = json_deep_copy(header);
	}
	if (!path || !*json_string_value(path)) {
		buf_puts(err, "Requires 'path' to be set");
		return -1;
	}
	h->path = xstrdup(json_string_value(path));
	h->method =
	    xstrdup(method && *json_string_value(method) ? json_string_value(method) : "POST");
	h->timeout_ns = 10 * DUR_SEC;
	if (timeout && *json_string_value(timeout) &&
	    duration_parse(json_string_value(timeout), false, &h->timeout_ns) < 0) {
		buf_printf(err, "Failed to parse timeout: time: invalid duration \"%s\"",
			   json_string_value(timeout));
		return -1;
	}
	h->tls_skip_verify = skip && json_is_true(skip);
	return 0;
}

/* makeWatchPlan's handler rules, on what ParseExempt set aside. */
static int parse_handler(struct watch_plan *p, json_t *handler, json_t *args, bool http,
			 struct buf *err)
{
	if (handler && !json_is_string(handler)) {
		buf_puts(err, "Watch handler must be a string");
		return -1;
	}
	if (args) {
		size_t i;
		json_t *s;
		bool ok = json_is_array(args);
		json_array_foreach(args, i, s)
		{
			ok = ok && json_is_string(s);
		}
		if (!ok) {
			buf_puts(err, "Watch args must be a list of strings");
			return -1;
		}
	}
	if ((handler && args) || (handler && http) || (args && http)) {
		buf_puts(err, "Only one watch handler allowed");
		return -1;
	}
	if (!handler && !args && !http) {
		buf_puts(err, "Must define a watch handler");
		return -1;
	}
	if (handler) {
		p->handler = WATCH_HANDLER_SHELL;
		p->shell = xstrdup(json_string_value(handler));
	} else if (args) {
		p->handler = WATCH_HANDLER_ARGS;
		p->nargs = json_array_size(args);
		p->args = xcalloc(p->nargs + 1, sizeof(char *));
		for (size_t i = 0; i < p->nargs; i++)
			p->args[i] = xstrdup(json_string_value(json_array_get(args, i)));
	} else {
		p->handler = WATCH_HANDLER_HTTP;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void invalid_params(json_t *params, struct buf *err)
{
	size_t n = json_object_size(params), i = 0;
	const char **keys = xcalloc(n, sizeof(char *));
	const char *k;
	json_t *v;
	json_object_foreach(params, k, v)
	{
		keys[i++] = k;
	}
	qsort(keys, n, sizeof(char *), cmp_str);
	buf_puts(err, "Invalid parameters: [");
	for (i = 0; i < n; i++)
		buf_printf(err, "%s%s", i ? " " : "", keys[i]);
	buf_putc(err, ']');
	free(keys);
}

static const struct type_row *find_type(const char *name)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, name) == 0)
			return &types[i];
	return NULL;
}

/* ParseExempt on params (consumed), exempting "handler" and "args" when the
 * agent parses; *handler and *args receive them (owned references). */
static int parse_exempt(struct watch_plan *p, json_t *params, bool agent, json_t **handler,
			json_t **args, bool *http, struct buf *err)
{
	char *type = NULL, *htype = NULL;
	int rc = -1;
	if (take_string(params, "datacenter", &p->datacenter, err) < 0 ||
	    take_string(params, "token", &p->token, err) < 0 ||
	    take_string(params, "type", &type, err) < 0)
		goto out;
	if (!type || !*type) {
		buf_puts(err, "Watch type must be specified");
		goto out;
	}
	if (take_string(params, "handler_type", &htype, err) < 0)
		goto out;
	*http = htype && strcmp(htype, "http") == 0;
	if (*http) {
		json_t *cfg = json_object_get(params, "http_handler_config");
		if (!cfg) {
			buf_puts(err,
				 "Handler type 'http' requires 'http_handler_config' to be set");
			goto out;
		}
		struct buf e = BUF_INIT;
		int bad = parse_http_config(&p->http, cfg, &e);
		if (bad)
			buf_printf(err, "Failed to parse 'http_handler_config': %s", buf_cstr(&e));
		buf_free(&e);
		if (bad)
			goto out;
		json_object_del(params, "http_handler_config");
	}
	const struct type_row *row = find_type(type);
	if (row && !row->parse && !agent) {
		buf_printf(err, "Type %s is not supported in the CLI tool", type);
		goto out;
	}
	if (!row || !row->parse) {
		buf_printf(err, "Unsupported watch type: %s", type);
		goto out;
	}
	p->type = row->type;
	p->type_name = row->name;
	if (row->parse(p, params, err) < 0)
		goto out;
	if (agent) {
		if ((*handler = json_object_get(params, "handler")))
			json_incref(*handler);
		if ((*args = json_object_get(params, "args")))
			json_incref(*args);
		json_object_del(params, "handler");
		json_object_del(params, "args");
	}
	if (json_object_size(params) > 0) {
		invalid_params(params, err);
		goto out;
	}
	rc = 0;
out:
	free(type);
	free(htype);
	return rc;
}

/* reloadWatches' checks before makeWatchPlan (not wrapped). */
static int agent_precheck(json_t *params, struct buf *err)
{
	json_t *ht = json_object_get(params, "handler_type");
	if (ht && !(json_is_string(ht) && (strcmp(json_string_value(ht), "http") == 0 ||
					   strcmp(json_string_value(ht), "script") == 0))) {
		char *s = json_dumps(ht, JSON_ENCODE_ANY | JSON_COMPACT);
		buf_printf(err, "Handler type '%s' not recognized",
			   json_is_string(ht) ? json_string_value(ht) : s);
		free(s);
		return -1;
	}
	const char *t = json_string_value(json_object_get(params, "type"));
	if (t && strncmp(t, "connect_", 8) == 0) {
		buf_printf(err, "Watch type %s is not allowed in agent config", t);
		return -1;
	}
	return 0;
}

int watch_plan_parse(struct watch_plan *p, json_t *params, bool agent, struct buf *err)
{
	memset(p, 0, sizeof(*p));
	if (!json_is_object(params)) {
		buf_puts(err, "Watch must be an object");
		return -1;
	}
	if (agent && agent_precheck(params, err) < 0)
		return -1;
	json_t *work = json_deep_copy(params), *handler = NULL, *args = NULL;
	bool http = false;
	struct buf e = BUF_INIT;
	int rc = parse_exempt(p, work, agent, &handler, &args, &http, &e);
	if (rc < 0 && agent) {
		char *s = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
		buf_printf(err, "Failed to parse watch (%s): %s", s, buf_cstr(&e));
		free(s);
	} else if (rc < 0) {
		buf_append(err, e.data, e.len);
	} else if (agent) {
		rc = parse_handler(p, handler, args, http, err);
	}
	buf_free(&e);
	json_decref(handler);
	json_decref(args);
	json_decref(work);
	if (rc < 0)
		watch_plan_free(p);
	return rc;
}

void watch_plan_free(struct watch_plan *p)
{
	free(p->datacenter);
	free(p->token);
	free(p->key);
	free(p->prefix);
	free(p->service);
	free_strv(p->tags, p->ntags);
	free(p->state);
	free(p->name);
	free(p->filter);
	free(p->shell);
	free_strv(p->args, p->nargs);
	free(p->http.path);
	free(p->http.method);
	json_decref(p->http.header);
	memset(p, 0, sizeof(*p));
}
