/*
 * User events (Consul's event API):
 *
 *   PUT /v1/event/fire/<name>[?node=&service=&tag=]   body: the payload
 *   GET /v1/event/list[?name=]                         blocking on ?index
 *
 * fire validates the event with Consul's rules and messages (event_validate),
 * gives it a random ID and hands it to the LAN pool, which stamps its Lamport
 * time, delivers it here and gossips it; the reply is the event as fired
 * (LTime is the stamp). list serves the agent's ring of the last 256 events
 * that passed this node's filters, oldest first; its X-Consul-Index is
 * Consul's hash of the last event's ID, so a blocking list waits while that
 * hash equals ?index (api_read_local), woken by TABLE_EVENTS touches.
 */
#include "api/api.h"

#include "base/random.h"
#include "base/err.h"
#include "gossip/events.h"
#include "gossip/pool.h"

#include <string.h>

static const char *param(struct http_request *req, const char *name)
{
	const struct http_param *p = http_param_get(req, name);
	return p ? p->value : NULL;
}

void api_event_fire(void *ctx, struct http_request *req)
{
	struct api *a = ctx;
	if (!api_local_dc(a, req))
		return;
	const char *name = req->tail ? req->tail : "";
	if (!*name) {
		api_error(req, 400, "Missing name");
		return;
	}
	uint8_t id[16];
	random_bytes(id, sizeof(id));
	struct event e = {0};
	event_set(&e, id, name, req->body.data, req->body.len, param(req, "node"),
		  param(req, "service"), param(req, "tag"));
	struct buf err = BUF_INIT;
	int rc = event_validate(&e, &err);
	if (rc == 0 && !a->lan) {
		rc = CAIRN_E_SHUTDOWN;
		buf_printf(&err, "gossip is not running");
	}
	if (rc == 0) {
		rc = gossip_pool_fire(a->lan, &e);
		if (rc)
			buf_printf(&err, "%s",
				   rc == CAIRN_E_TOOBIG
				       ? "user event exceeds the gossip message limit"
				       : cairn_strerror(rc));
	}
	if (rc) {
		api_error(req, 500, "%s", buf_cstr(&err));
	} else {
		struct jsonw w;
		api_json_begin(a, req, &w);
		event_json(&w, &e);
		api_json_end(req, &w);
		http_reply(req);
	}
	buf_free(&err);
	event_free(&e);
}

static int list_query(struct api *a, struct http_request *req, struct watcher *w, uint64_t *index)
{
	const struct event *items[EVENT_RING_SIZE];
	size_t n = a->events ? event_ring_list(a->events, param(req, "name"), items, index) : 0;
	if (!a->events)
		*index = 1;
	if (w)
		watch_prefix(a->store, w, TABLE_EVENTS, "");
	struct jsonw j;
	api_json_begin(a, req, &j);
	jsonw_arr_open(&j);
	for (size_t i = 0; i < n; i++)
		event_json(&j, items[i]);
	jsonw_arr_close(&j);
	api_json_end(req, &j);
	return 200;
}

void api_event_list(void *ctx, struct http_request *req)
{
	api_read_local(ctx, req, list_query);
}
