/*
 * An event as Consul's /v1/event/fire and /v1/event/list write it: every
 * field always present, in the struct's order; Payload is base64 (Go's
 * []byte) or null when there is none.
 */
#include "gossip/events.h"

void event_json(struct jsonw *w, const struct event *e)
{
	char id[37];
	event_id_format(e->id, id);
	jsonw_obj_open(w);
	jsonw_kstr(w, "ID", id);
	jsonw_kstr(w, "Name", e->name);
	jsonw_key(w, "Payload");
	if (e->payload_len)
		jsonw_base64(w, e->payload, e->payload_len);
	else
		jsonw_null(w);
	jsonw_kstr(w, "NodeFilter", e->node_filter ? e->node_filter : "");
	jsonw_kstr(w, "ServiceFilter", e->service_filter ? e->service_filter : "");
	jsonw_kstr(w, "TagFilter", e->tag_filter ? e->tag_filter : "");
	jsonw_kint(w, "Version", e->version);
	jsonw_kuint(w, "LTime", e->ltime);
	jsonw_obj_close(w);
}
