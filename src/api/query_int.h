/*
 * Private to the prepared-query endpoints (query.c, query_run.c,
 * query_json.c): the JSON of a query in Consul's field order.
 */
#ifndef CAIRN_API_QUERY_INT_H
#define CAIRN_API_QUERY_INT_H

#include "api/api.h"
#include "state/query.h"

/*
 * structs.PreparedQuery: ID, Name, Session, Token, Template{Type, Regexp,
 * RemoveEmptyTags}, Service{Service, Failover{NearestN, Datacenters},
 * OnlyPassing, IgnoreCheckIDs, Near, Tags, NodeMeta, ServiceMeta, Peer,
 * Connect{Enabled}}, DNS{TTL}, CreateIndex, ModifyIndex. Empty lists and maps
 * are null (Go's nil slices and maps).
 */
void query_json(struct jsonw *w, const struct prepared_query *q);

/* GET /v1/query/:id/execute and /explain (query_run.c); id: the tail
 * without the verb. */
void api_query_execute(struct api *a, struct http_request *req);
void api_query_explain(struct api *a, struct http_request *req);
/* The :id part of the request's tail (query.c). */
const char *api_query_tail_id(struct http_request *req, struct buf *tmp);

#endif
