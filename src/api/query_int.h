/*
 * Private to the prepared-query endpoints (query.c, query_run.c,
 * query_json.c, query_failover.c): the JSON of a query in Consul's field
 * order, execution and failover.
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
/* An ExecuteResponse: q's Service and DNS, r's instances (NULL: none), the
 * datacenter that ran it and the failover count (query_run.c). */
struct pq_result;
void query_exec_json(struct api *a, struct http_request *req, const struct prepared_query *q,
		     const struct pq_result *r, const char *dc, int failovers);
/* Start failing q over to other datacenters for req (query_failover.c): -1
 * when it took the request over (set req->ctx and req->cancel; it replies
 * later), else the number of datacenters it tried without being able to ask
 * any (0: q names none), for the caller's empty answer. */
int query_failover(struct api *a, struct http_request *req, const struct prepared_query *q);
/* The :id part of the request's tail (query.c). */
const char *api_query_tail_id(struct http_request *req, struct buf *tmp);

#endif
