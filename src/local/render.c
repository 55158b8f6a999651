/*
 * JSON of local services and checks in the shapes Consul's agent endpoints
 * write (field order and omitempty rules of the Go structs they encode):
 *
 *   local_write_service       api.AgentService (agent/agent_endpoint.go
 *                             buildAgentService): Tags [] and Meta {} never
 *                             null, Weights always, TaggedAddresses only when
 *                             set, Datacenter always
 *   local_write_check         structs.HealthCheck (/v1/agent/checks): local
 *                             checks carry no Definition and zero indexes
 *   local_write_health_check  api.HealthCheck as agentHealthService builds it
 *                             (Type and Definition left zero, as Consul does)
 */
#include "local/internal.h"

#include <string.h>

static void write_tags(struct jsonw *w, const char *key, char **tags, size_t n)
{
	jsonw_key(w, key);
	jsonw_arr_open(w);
	for (size_t i = 0; i < n; i++)
		jsonw_str(w, tags[i]);
	jsonw_arr_close(w);
}

static void write_tagged(struct jsonw *w, const struct service_def *d)
{
	if (!d->n_tagged)
		return;
	jsonw_key(w, "TaggedAddresses");
	jsonw_obj_open(w);
	for (size_t i = 0; i < d->n_tagged; i++) {
		jsonw_key(w, d->tagged[i].tag);
		jsonw_obj_open(w);
		jsonw_kstr(w, "Address", d->tagged[i].address);
		jsonw_kint(w, "Port", d->tagged[i].port);
		jsonw_obj_close(w);
	}
	jsonw_obj_close(w);
}

static void write_raw(struct jsonw *w, const char *key, const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s)
		return;
	jsonw_key(w, key);
	jsonw_raw(w, s, strlen(s));
	free(s);
}

/* Proxy only for proxies and gateways; Connect only {"Native": true}. */
static void write_connect(struct jsonw *w, const struct service_def *d)
{
	if (d->kind[0] && d->proxy && json_is_object(d->proxy))
		write_raw(w, "Proxy", d->proxy);
	const char *k;
	json_t *v;
	if (!json_is_object(d->connect))
		return;
	json_object_foreach(d->connect, k, v)
	{
		if (servicedef_key_is(k, "native") && json_is_true(v)) {
			jsonw_key(w, "Connect");
			jsonw_obj_open(w);
			jsonw_kbool(w, "Native", true);
			jsonw_obj_close(w);
			return;
		}
	}
}

void local_write_service(const struct local_state *ls, const struct local_service *s,
			 struct jsonw *w, const char *content_hash)
{
	const struct service_def *d = &s->def;
	jsonw_obj_open(w);
	if (d->kind[0])
		jsonw_kstr(w, "Kind", d->kind);
	jsonw_kstr(w, "ID", d->id);
	jsonw_kstr(w, "Service", d->name);
	write_tags(w, "Tags", d->tags, d->n_tags);
	jsonw_key(w, "Meta");
	jsonw_obj_open(w);
	for (size_t i = 0; i < d->n_meta; i++)
		jsonw_kstr(w, d->meta[i].key, d->meta[i].value);
	jsonw_obj_close(w);
	jsonw_kint(w, "Port", d->port);
	jsonw_kstr(w, "Address", d->address);
	if (d->socket_path[0])
		jsonw_kstr(w, "SocketPath", d->socket_path);
	write_tagged(w, d);
	jsonw_key(w, "Weights");
	jsonw_obj_open(w);
	jsonw_kint(w, "Passing", d->weight_passing);
	jsonw_kint(w, "Warning", d->weight_warning);
	jsonw_obj_close(w);
	jsonw_kbool(w, "EnableTagOverride", d->enable_tag_override);
	if (content_hash)
		jsonw_kstr(w, "ContentHash", content_hash);
	write_connect(w, d);
	jsonw_kstr(w, "Datacenter", ls->cfg->datacenter);
	jsonw_obj_close(w);
}

/* The first fields of structs.HealthCheck and api.HealthCheck. */
static void write_check_head(const struct local_state *ls, const struct local_check *c,
			     struct jsonw *w)
{
	const struct local_service *s = c->service_id[0] ? local_service(ls, c->service_id) : NULL;
	jsonw_kstr(w, "Node", ls->cfg->node_name);
	jsonw_kstr(w, "CheckID", c->id);
	jsonw_kstr(w, "Name", c->name);
	jsonw_kstr(w, "Status", check_status_name(c->status));
	jsonw_kstr(w, "Notes", c->notes);
	jsonw_kstr(w, "Output", c->output);
	jsonw_kstr(w, "ServiceID", c->service_id);
	jsonw_kstr(w, "ServiceName", s ? s->def.name : "");
	write_tags(w, "ServiceTags", s ? s->def.tags : NULL, s ? s->def.n_tags : 0);
}

void local_write_check(const struct local_state *ls, const struct local_check *c, struct jsonw *w)
{
	jsonw_obj_open(w);
	write_check_head(ls, c, w);
	jsonw_kstr(w, "Type", c->type);
	jsonw_kstr(w, "Interval", c->interval);
	jsonw_kstr(w, "Timeout", c->timeout);
	jsonw_kint(w, "ExposedPort", 0);
	jsonw_key(w, "Definition");
	jsonw_obj_open(w);
	jsonw_obj_close(w);
	jsonw_kuint(w, "CreateIndex", 0);
	jsonw_kuint(w, "ModifyIndex", 0);
	jsonw_obj_close(w);
}

/* api.HealthCheckDefinition's zero value through its MarshalJSON. */
static void write_zero_api_definition(struct jsonw *w)
{
	static const char *strs[] = {"HTTP", "Header", "Method", "Body", "TLSServerName"};
	jsonw_key(w, "Definition");
	jsonw_obj_open(w);
	jsonw_kstr(w, "Interval", "0s");
	jsonw_kstr(w, "Timeout", "0s");
	jsonw_kstr(w, "DeregisterCriticalServiceAfter", "0s");
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if (strcmp(strs[i], "Header") == 0) {
			jsonw_key(w, "Header");
			jsonw_null(w);
		} else {
			jsonw_kstr(w, strs[i], "");
		}
	}
	jsonw_kbool(w, "TLSSkipVerify", false);
	jsonw_kstr(w, "TCP", "");
	jsonw_kbool(w, "TCPUseTLS", false);
	jsonw_kstr(w, "UDP", "");
	jsonw_kstr(w, "GRPC", "");
	jsonw_kstr(w, "OSService", "");
	jsonw_kbool(w, "GRPCUseTLS", false);
	jsonw_obj_close(w);
}

void local_write_health_check(const struct local_state *ls, const struct local_check *c,
			      struct jsonw *w)
{
	jsonw_obj_open(w);
	write_check_head(ls, c, w);
	jsonw_kstr(w, "Type", "");
	jsonw_kint(w, "ExposedPort", 0);
	write_zero_api_definition(w);
	jsonw_kuint(w, "CreateIndex", 0);
	jsonw_kuint(w, "ModifyIndex", 0);
	jsonw_obj_close(w);
}
