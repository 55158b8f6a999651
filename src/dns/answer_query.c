/*
 * Prepared-query lookups: <query>.query[.<dc>].<domain>, as Consul's DNS
 * interface answers them.
 *
 * The name (or ID) is resolved like /v1/query/<name>/execute
 * (state/query_exec.h: ID, Name, then the longest template prefix, rendered
 * for the name) and executed against the catalog: the instances that pass
 * the query's tag, meta and health filters, shuffled. They are answered like
 * a service lookup's (answer_service.c: SRV, A/AAAA/ANY, CNAME for
 * hostnames). Unknown query, a template that fails to render, or no
 * instance: NXDOMAIN. TTL: the query's DNS.TTL when set, else the
 * service_ttl rule for its service (ttl.c).
 *
 * Near sorting is not applied (Consul sorts by the agent's coordinates when
 * the query sets Near; coordinates live in the gossip layer, out of this
 * pure half's reach). Failover: when nothing is kept and the query names
 * datacenters to fail over to, the answer from here is built and the ctx
 * flagged (DNS_QUERY_FAILOVER, dns.h); the driver asks the other datacenters
 * with the query itself (dns_respond_query there). Loop thread (store reads).
 */
#include "dns/answer.h"

#include "state/query_exec.h"

#include "base/alloc.h"
#include "base/duration.h"
#include "config/config.h"

#include <stdlib.h>
#include <string.h>

static uint32_t query_ttl(struct dns_ctx *c, const struct prepared_query *q)
{
	int64_t ns;
	if (q->dns_ttl && q->dns_ttl[0] && duration_parse(q->dns_ttl, false, &ns) == 0)
		return ns <= 0			   ? 0
		       : ns / DUR_SEC > UINT32_MAX ? UINT32_MAX
						   : (uint32_t)(ns / DUR_SEC);
	return dns_service_ttl(c->cfg, pq_str(q->service));
}

int dns_answer_query(struct dns_ctx *c, const struct dns_lookup *l)
{
	char *why = NULL;
	struct prepared_query *q = (struct prepared_query *)c->given;
	if (q)
		pquery_ref(q);
	else
		q = pquery_resolve(c->v->store, l->name, &why);
	free(why);
	if (!q)
		return DNS_R_NXDOMAIN;
	struct pq_result r = {0};
	pquery_exec(c->v->store, q, c->v->rand, c->v->rand_ctx, &r);
	int rc = DNS_R_NXDOMAIN;
	if (r.n == 0 && !c->given && c->v->query_failover && (q->nearest_n > 0 || q->dcs.n > 0))
		c->failover = true;
	if (r.n > 0) {
		struct dns_insts is = {.v = xmalloc(r.n * sizeof(struct dns_inst)),
				       .n = r.n,
				       .cap = r.n,
				       .heap = true};
		for (size_t i = 0; i < r.n; i++) {
			bool warning = false;
			for (size_t k = 0; k < r.v[i].n; k++)
				warning |= r.checks[r.v[i].first + k]->status == CAT_WARNING;
			is.v[i] = (struct dns_inst){r.v[i].node, r.v[i].svc, warning};
		}
		rc = dns_answer_instances(c, l, &is, query_ttl(c, q));
		dns_insts_free(&is);
	}
	pq_result_free(&r);
	pquery_unref(q);
	return rc;
}
