/*
 * The configuration as GET /v1/agent/self shows it.
 *
 * "Config" is Consul's fixed small object (Datacenter, PrimaryDatacenter, NodeName,
 * NodeID, Revision, Server, Version, BuildDate), written in that order.
 *
 * "DebugConfig" is generated from the option table: every row's value under its
 * DebugConfig name(s), a '.' nesting into objects ("Logging.LogLevel"). Consul
 * produces it by turning its RuntimeConfig into a map, so keys come out sorted at
 * every level; durations are Go strings ("30s"); secrets are "hidden" when set.
 * The listener address lists (HTTPAddrs, DNSAddrs...) are computed from client_addr
 * and the ports as Consul's builder does ("tcp://127.0.0.1:8500") unless
 * addresses.* overrides them. The tree is built with jansson, then written sorted.
 */
#include "config/options.h"

#include "base/alloc.h"
#include "base/duration.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static json_t *words(const char *s)
{
	json_t *a = json_array();
	char *copy = xstrdup(s ? s : ""), *save = NULL;
	for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
		json_array_append_new(a, json_string(w));
	free(copy);
	return a;
}

static json_t *string_json(const struct opt *o, const char *s)
{
	if ((o->flags & OPTF_SECRET) && s && *s)
		return json_string("hidden");
	if (o->flags & OPTF_SPLIT)
		return words(s);
	return json_string(s ? s : "");
}

json_t *opt_to_json(const struct config *c, const struct opt *o)
{
	const void *f = opt_cfield(c, o);
	const struct strlist *l = f;
	const struct strmap *m = f;
	json_t *v;
	struct buf d = BUF_INIT;
	switch (o->type) {
	case OPT_BOOL:
		return json_boolean(*(const bool *)f);
	case OPT_INT:
		return json_integer(*(const int *)f);
	case OPT_UINT:
		return json_integer(*(const unsigned *)f);
	case OPT_SIZE:
		return json_integer((json_int_t) * (const uint64_t *)f);
	case OPT_FLOAT:
		return json_real(*(const double *)f);
	case OPT_STRING:
		return string_json(o, *(char *const *)f);
	case OPT_DURATION:
		duration_format(&d, *(const int64_t *)f);
		v = json_string(buf_cstr(&d));
		buf_free(&d);
		return v;
	case OPT_LIST:
		v = json_array();
		for (size_t i = 0; i < l->len; i++)
			json_array_append_new(v, json_string(l->items[i]));
		return v;
	case OPT_MAP:
		v = json_object();
		for (size_t i = 0; i < m->len; i++)
			json_object_set_new(v, m->keys[i], json_string(m->values[i]));
		return v;
	case OPT_JSON:
		return *(json_t *const *)f ? json_deep_copy(*(json_t *const *)f) : json_object();
	default: /* OPT_OBJLIST */
		return *(json_t *const *)f ? json_deep_copy(*(json_t *const *)f) : json_array();
	}
}

/* Put v at the dotted name inside root (steals v). */
static void put(json_t *root, const char *name, json_t *v)
{
	const char *dot = strchr(name, '.');
	if (!dot) {
		json_object_set_new(root, name, v);
		return;
	}
	char *k = xstrndup(name, (size_t)(dot - name));
	json_t *child = json_object_get(root, k);
	if (!json_is_object(child)) {
		child = json_object();
		json_object_set_new(root, k, child);
	}
	free(k);
	put(child, dot + 1, v);
}

/* Consul's makeAddrs: override addresses, else client_addr; nothing when port <= 0. */
static json_t *listen_addrs(const char *override, const char *client, int port, bool udp)
{
	json_t *out = json_array(), *ws = words(override && *override ? override : client);
	size_t i;
	json_t *w;
	json_array_foreach(ws, i, w)
	{
		const char *a = json_string_value(w);
		bool v6 = strchr(a, ':') && strncmp(a, "unix://", 7) != 0 && a[0] != '[';
		if (port <= 0)
			break;
		if (strncmp(a, "unix://", 7) == 0) {
			json_array_append_new(out, json_string(a));
			continue;
		}
		for (int k = 0; k < (udp ? 2 : 1); k++)
			json_array_append_new(out,
					      json_sprintf("%s://%s%s%s:%d", k ? "udp" : "tcp",
							   v6 ? "[" : "", a, v6 ? "]" : "", port));
	}
	json_decref(ws);
	return out;
}

static void computed(const struct config *c, json_t *root)
{
	const struct config_addresses *a = &c->addresses;
	json_object_set_new(root, "DNSAddrs",
			    listen_addrs(a->dns, c->client_addr, c->ports.dns, true));
	json_object_set_new(root, "HTTPAddrs",
			    listen_addrs(a->http, c->client_addr, c->ports.http, false));
	json_object_set_new(root, "HTTPSAddrs",
			    listen_addrs(a->https, c->client_addr, c->ports.https, false));
	json_object_set_new(root, "GRPCAddrs",
			    listen_addrs(a->grpc, c->client_addr, c->ports.grpc, false));
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Keys in Go's map order (sorted) or as stored. */
static void write_object(struct jsonw *w, json_t *v, bool sort_keys)
{
	size_t n = json_object_size(v), i = 0;
	const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
	const char *k;
	json_t *e;
	json_object_foreach(v, k, e) keys[i++] = k;
	if (sort_keys && n)
		qsort(keys, n, sizeof(*keys), cmp_keys);
	jsonw_obj_open(w);
	for (i = 0; i < n; i++) {
		jsonw_key(w, keys[i]);
		config_write_json(w, json_object_get(v, keys[i]), sort_keys);
	}
	jsonw_obj_close(w);
	free(keys);
}

void config_write_json(struct jsonw *w, json_t *v, bool sort_keys)
{
	size_t i;
	json_t *e;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		write_object(w, v, sort_keys);
		break;
	case JSON_ARRAY:
		jsonw_arr_open(w);
		json_array_foreach(v, i, e) config_write_json(w, e, sort_keys);
		jsonw_arr_close(w);
		break;
	case JSON_STRING:
		jsonw_strn(w, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		jsonw_int(w, json_integer_value(v));
		break;
	case JSON_REAL:
		jsonw_double(w, json_real_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		jsonw_bool(w, json_is_true(v));
		break;
	default:
		jsonw_null(w);
	}
}

static void dump_debug(const struct config *c, struct jsonw *w)
{
	json_t *root = json_object();
	for (size_t i = 0; i < config_options_len; i++) {
		const struct opt *o = &config_options[i];
		char *names = xstrdup(o->debug), *save = NULL;
		for (char *n = strtok_r(names, " ", &save); n; n = strtok_r(NULL, " ", &save))
			put(root, n, opt_to_json(c, o));
		free(names);
	}
	computed(c, root);
	config_write_json(w, root, true);
	json_decref(root);
}

static void dump_self(const struct config *c, struct jsonw *w)
{
	jsonw_obj_open(w);
	jsonw_kstr(w, "Datacenter", c->datacenter ? c->datacenter : "");
	jsonw_kstr(w, "PrimaryDatacenter", c->primary_datacenter ? c->primary_datacenter : "");
	jsonw_kstr(w, "NodeName", c->node_name ? c->node_name : "");
	jsonw_kstr(w, "NodeID", c->node_id ? c->node_id : "");
	jsonw_kstr(w, "Revision", c->revision ? c->revision : "");
	jsonw_kbool(w, "Server", c->server);
	jsonw_kstr(w, "Version", c->version ? c->version : "");
	jsonw_kstr(w, "BuildDate", c->build_date ? c->build_date : "");
	jsonw_obj_close(w);
}

void config_dump(const struct config *c, struct jsonw *w, enum config_view view)
{
	if (view == CONFIG_VIEW_SELF)
		dump_self(c, w);
	else
		dump_debug(c, w);
}
