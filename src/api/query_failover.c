/*
 * Prepared-query failover to other datacenters (Consul's queryFailover).
 *
 * When a query's execution here kept no instance, its Failover options name
 * datacenters to run it in instead, tried one at a time:
 *   1. the NearestN nearest other datacenters, by the median estimated RTT
 *      to their servers (gossip_datacenters over the WAN pool);
 *   2. then Failover.Datacenters in their order, skipping our own, those the
 *      WAN pool does not know (as Consul, to spare a call that cannot work)
 *      and those already tried in step 1.
 * Each try sends the rendered query to a random alive server of that
 * datacenter (PUT /v1/internal/prepared-query/execute-remote over server
 * RPC, api_dc_call) with ?limit, the consistency mode, ?pretty, and
 * ?failovers=<tries so far>; the first answer holding instances is the reply
 * as it came. A try that fails (no server, RPC or HTTP error) is logged and
 * counted, like one that found nothing. When none found anything the reply
 * is empty: the last datacenter that answered (ours when none did) and
 * Failovers = the number of datacenters tried, as Consul reports.
 *
 * The request's X-Consul-* headers are those of the local read. Loop thread.
 */
#include "api/query_int.h"

#include "state/query_exec.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "gossip/servers.h"
#include "rpc/wire.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DCS 64

struct failover {
	struct api *a;
	struct http_request *req;
	struct prepared_query *q; /* a reference */
	struct buf body;	  /* q as JSON: what each datacenter runs */
	char dcs[MAX_DCS][64];	  /* candidates, in order */
	size_t n, next;		  /* how many; the next to try */
	char answered[64];	  /* the last datacenter that answered */
	struct api_dc_call *call; /* in flight */
};

/* Steps 1 and 2 above into f->dcs. */
static void candidates(struct failover *f)
{
	char known[MAX_DCS][64];
	size_t nk = gossip_other_datacenters(f->a->wan, f->a->cfg->datacenter, known, MAX_DCS);
	f->n = pquery_failover_dcs(f->q, (const char(*)[64])known, nk, f->dcs, MAX_DCS);
}

static void failover_free(struct failover *f)
{
	if (f->call)
		api_dc_cancel(f->call);
	pquery_unref(f->q);
	buf_free(&f->body);
	free(f);
}

static void on_cancel(struct http_request *req)
{
	failover_free(req->ctx);
}

static void finish(struct failover *f)
{
	struct http_request *req = f->req;
	req->ctx = NULL;
	req->cancel = NULL;
	req->resp.status = 200;
	query_exec_json(f->a, req, f->q, NULL, f->answered[0] ? f->answered : f->a->cfg->datacenter,
			(int)f->n);
	failover_free(f);
	http_reply(req);
}

/* The number of instances in an ExecuteResponse body; -1 if it is not one. */
static long count_nodes(const struct rpc_http_reply *r)
{
	json_t *root = json_loadb(r->body, r->blen, 0, NULL);
	json_t *nodes = root ? json_object_get(root, "Nodes") : NULL;
	long n = json_is_array(nodes) ? (long)json_array_size(nodes) : -1;
	json_decref(root);
	return n;
}

static bool start_next(struct failover *f);
static void try_next(struct failover *f);

static void replied(void *data, int status, const struct rpc_http_reply *r)
{
	struct failover *f = data;
	const char *dc = f->dcs[f->next - 1];
	f->call = NULL;
	long n = status == 0 && r->status == 200 ? count_nodes(r) : -1;
	if (n < 0) {
		log_warn("agent.prepared_query",
			 "Failed querying for service in datacenter: service=%s datacenter=%s "
			 "error=\"%s\"",
			 pq_str(f->q->service), dc, status ? cairn_strerror(status) : "bad reply");
		try_next(f);
		return;
	}
	snprintf(f->answered, sizeof(f->answered), "%.63s", dc);
	if (n == 0) {
		try_next(f);
		return;
	}
	struct http_request *req = f->req;
	req->ctx = NULL;
	req->cancel = NULL;
	req->resp.status = 200;
	req->resp.content_type = "application/json";
	buf_reset(&req->resp.body);
	buf_append(&req->resp.body, r->body, r->blen);
	failover_free(f);
	http_reply(req);
}

/* Start the next try; false when none is left to start. */
static bool start_next(struct failover *f)
{
	const struct http_request *req = f->req;
	while (f->next < f->n) {
		const char *dc = f->dcs[f->next++];
		struct buf path = BUF_INIT;
		const struct http_param *limit = http_param_get(req, "limit");
		buf_printf(&path, "/v1/internal/prepared-query/execute-remote?dc=%s&failovers=%zu",
			   dc, f->next);
		if (limit && limit->value[0])
			buf_printf(&path, "&limit=%s", limit->value);
		if (api_has(req, "stale"))
			buf_puts(&path, "&stale");
		if (api_has(req, "consistent"))
			buf_puts(&path, "&consistent");
		if (api_has(req, "pretty") || f->a->cfg->dev)
			buf_puts(&path, "&pretty");
		f->call = api_dc_call(f->a, req, dc, "PUT", buf_cstr(&path), f->body.data,
				      f->body.len, replied, f);
		buf_free(&path);
		if (f->call)
			return true;
		log_warn("agent.prepared_query",
			 "Failed querying for service in datacenter: service=%s datacenter=%s "
			 "error=\"No path to datacenter\"",
			 pq_str(f->q->service), dc);
	}
	return false;
}

static void try_next(struct failover *f)
{
	if (!start_next(f))
		finish(f);
}

int query_failover(struct api *a, struct http_request *req, const struct prepared_query *q)
{
	if (!a->wan || (q->nearest_n <= 0 && q->dcs.n == 0))
		return 0;
	struct failover *f = xcalloc(1, sizeof(*f));
	f->a = a;
	f->req = req;
	f->q = (struct prepared_query *)q;
	pquery_ref(f->q);
	candidates(f);
	struct jsonw j;
	jsonw_init(&j, &f->body, false);
	query_json(&j, q);
	if (!start_next(f)) { /* no call could start: the caller answers now */
		int tried = (int)f->n;
		failover_free(f);
		return tried;
	}
	req->ctx = f;
	req->cancel = on_cancel;
	return -1;
}
