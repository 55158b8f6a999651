/*
 * The JSON of a prepared query (declared in query_int.h), written field by
 * field in the order Go's encoding/json gives Consul's structs.PreparedQuery.
 * Pure: entry in, text out.
 */
#include "api/query_int.h"

static void list(struct jsonw *w, const char *key, const struct pq_list *l)
{
	jsonw_key(w, key);
	if (!l->n) {
		jsonw_null(w);
		return;
	}
	jsonw_arr_open(w);
	for (size_t i = 0; i < l->n; i++)
		jsonw_str(w, l->v[i]);
	jsonw_arr_close(w);
}

static void map(struct jsonw *w, const char *key, const struct pq_map *m)
{
	jsonw_key(w, key);
	if (!m->n) {
		jsonw_null(w);
		return;
	}
	jsonw_obj_open(w);
	for (size_t i = 0; i < m->n; i++)
		jsonw_kstr(w, m->v[i].key, m->v[i].value);
	jsonw_obj_close(w);
}

void query_json(struct jsonw *w, const struct prepared_query *q)
{
	jsonw_obj_open(w);
	jsonw_kstr(w, "ID", pq_str(q->id));
	jsonw_kstr(w, "Name", pq_str(q->name));
	jsonw_kstr(w, "Session", pq_str(q->session));
	jsonw_kstr(w, "Token", pq_str(q->token));
	jsonw_key(w, "Template");
	jsonw_obj_open(w);
	jsonw_kstr(w, "Type", pq_str(q->tmpl_type));
	jsonw_kstr(w, "Regexp", pq_str(q->tmpl_regexp));
	jsonw_kbool(w, "RemoveEmptyTags", q->tmpl_remove_empty);
	jsonw_obj_close(w);
	jsonw_key(w, "Service");
	jsonw_obj_open(w);
	jsonw_kstr(w, "Service", pq_str(q->service));
	jsonw_key(w, "Failover");
	jsonw_obj_open(w);
	jsonw_kint(w, "NearestN", q->nearest_n);
	list(w, "Datacenters", &q->dcs);
	jsonw_obj_close(w);
	jsonw_kbool(w, "OnlyPassing", q->only_passing);
	list(w, "IgnoreCheckIDs", &q->ignore);
	jsonw_kstr(w, "Near", pq_str(q->near));
	list(w, "Tags", &q->tags);
	map(w, "NodeMeta", &q->node_meta);
	map(w, "ServiceMeta", &q->svc_meta);
	jsonw_kstr(w, "Peer", pq_str(q->peer));
	jsonw_key(w, "Connect");
	jsonw_obj_open(w);
	jsonw_kbool(w, "Enabled", q->connect);
	jsonw_obj_close(w);
	jsonw_obj_close(w);
	jsonw_key(w, "DNS");
	jsonw_obj_open(w);
	jsonw_kstr(w, "TTL", pq_str(q->dns_ttl));
	jsonw_obj_close(w);
	jsonw_kuint(w, "CreateIndex", q->create_index);
	jsonw_kuint(w, "ModifyIndex", q->modify_index);
	jsonw_obj_close(w);
}
