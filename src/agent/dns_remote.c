/*
 * DNS answered by other agents' servers (dns_remote.h), over RPC_DNS
 * (rpc/wire.h).
 */
#include "agent/dns_remote.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "dns/dns.h"
#include "gossip/servers.h"
#include "rpc/client.h"
#include "rpc/server.h"
#include "rpc/wire.h"
#include "state/query_exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASK_MS	     2000 /* dig's own timeout is 5 s per try */
#define MAX_FAILOVER 64

struct ask {
	struct dns_remote *r;
	struct rpc_call *call;
	void (*done)(void *tok, const uint8_t *resp, size_t len);
	void *tok;
	struct buf payload;  /* the RPC_DNS payload (with the query for a failover) */
	struct buf fallback; /* what done gets when nobody answered (struct dns_ask) */
	/* failover: where to send it, in turn */
	char dcs[MAX_FAILOVER][64];
	size_t ndcs, next;
};

static void ask_free(struct ask *a)
{
	buf_free(&a->payload);
	buf_free(&a->fallback);
	free(a);
}

/* An answer worth relaying for a failover: NOERROR with an answer record. */
static bool has_answers(const uint8_t *p, size_t n)
{
	return n >= 12 && (p[3] & 0x0f) == 0 && (p[6] | p[7]) != 0;
}

static bool send_next(struct ask *a);

static void replied(void *data, int status, const struct rpc_frame *f)
{
	struct ask *a = data;
	a->call = NULL;
	bool ok = status == 0 && f->type == RPC_DNS_REPLY;
	if (a->ndcs && !(ok && has_answers(f->payload, f->len)) && send_next(a))
		return; /* the next datacenter */
	if (ok && (!a->ndcs || has_answers(f->payload, f->len)))
		a->done(a->tok, f->payload, f->len);
	else
		a->done(a->tok, a->fallback.len ? (const uint8_t *)a->fallback.data : NULL,
			a->fallback.len);
	ask_free(a);
}

static bool send_to(struct ask *a, const char *addr)
{
	a->call = rpc_call(a->r->rpc, addr, RPC_DNS, (const uint8_t *)a->payload.data,
			   a->payload.len, ASK_MS, replied, a);
	return a->call != NULL;
}

/* Ask the next failover datacenter that has a server to ask. */
static bool send_next(struct ask *a)
{
	while (a->next < a->ndcs) {
		char addr[96];
		const char *dc = a->dcs[a->next++];
		if (gossip_server_pick(a->r->wan, dc, addr, sizeof(addr)) && send_to(a, addr))
			return true;
	}
	return false;
}

/* The failover order for the query pkt names, into a (0: none). */
static size_t failover_dcs(struct dns_remote *r, struct ask *a, const struct prepared_query *q)
{
	char known[MAX_FAILOVER][64];
	size_t nk = gossip_other_datacenters(r->wan, r->cfg->datacenter, known, MAX_FAILOVER);
	a->ndcs = pquery_failover_dcs(q, (const char(*)[64])known, nk, a->dcs, MAX_FAILOVER);
	return a->ndcs;
}

void *dns_remote_ask(void *ctx, const struct dns_ask *what, const uint8_t *q, size_t n, bool tcp,
		     void (*done)(void *tok, const uint8_t *resp, size_t len), void *tok)
{
	struct dns_remote *r = ctx;
	struct ask *a = xcalloc(1, sizeof(*a));
	a->r = r;
	a->done = done;
	a->tok = tok;
	buf_append(&a->fallback, what->fallback, what->flen);
	bool started = false;
	if (what->failover && r->wan && r->view) {
		struct prepared_query *pq = dns_query_resolve(r->view, q, n);
		if (pq && failover_dcs(r, a, pq)) {
			struct buf wire = BUF_INIT;
			pquery_wire_put(&wire, pq);
			rpc_dns_put(&a->payload, &(struct rpc_dns){tcp, (const uint8_t *)wire.data,
								   wire.len, q, n});
			buf_free(&wire);
			started = send_next(a);
		}
		if (pq)
			pquery_unref(pq);
	} else if (!what->failover) {
		char addr[96];
		rpc_dns_put(&a->payload, &(struct rpc_dns){tcp, NULL, 0, q, n});
		bool found =
		    r->wan && what->dc
			? gossip_server_pick(r->wan, what->dc, addr, sizeof(addr))
			: gossip_server_pick(r->lan, r->cfg->datacenter, addr, sizeof(addr));
		started = found && send_to(a, addr);
	}
	if (!started) {
		ask_free(a);
		return NULL;
	}
	return a;
}

void dns_remote_cancel(void *handle)
{
	struct ask *a = handle;
	if (a->call)
		rpc_call_cancel(a->call);
	ask_free(a);
}

bool dns_remote_dc_known(void *ctx, const char *dc)
{
	struct gossip_server sv[1];
	return gossip_servers(ctx, dc, false, sv, 1) > 0;
}

int dns_remote_serve(void *ctx, const uint8_t *payload, size_t plen, uint8_t *out, size_t *out_len,
		     void *token)
{
	struct dns_remote *r = ctx;
	struct rpc_dns d;
	if (!r->view || !r->view->store || rpc_dns_decode(payload, plen, &d))
		return -1;
	if (d.query) { /* another datacenter's failover, with the query it runs here */
		const uint8_t *qw = d.query;
		struct prepared_query *pq = pquery_wire_get(&qw, d.query + d.qlen);
		enum dns_outcome o = DNS_DROP;
		if (pq && qw == d.query + d.qlen)
			o = dns_respond_query(r->view, d.pkt, d.len, d.tcp, pq, out, out_len);
		if (pq)
			pquery_unref(pq);
		return o == DNS_REPLY ? 0 : -1;
	}
	enum dns_outcome o = dns_respond(r->view, d.pkt, d.len, d.tcp, out, out_len);
	if (o == DNS_REPLY)
		return 0;
	if (o != DNS_OTHER_DC && o != DNS_QUERY_FAILOVER)
		return -1;
	bool failover = o == DNS_QUERY_FAILOVER;
	struct dns_ask what = {.dc = failover ? NULL : (const char *)out,
			       .failover = failover,
			       .fallback = failover ? out : NULL,
			       .flen = failover ? *out_len : 0};
	if (dns_remote_ask(r, &what, d.pkt, d.len, d.tcp, rpc_server_dns_reply, token))
		return 1;
	return failover ? 0 : -1; /* a failover's answer from here is in out */
}
