/*
 * DNS answered by other agents' servers (dns_remote.h).
 *
 * RPC_DNS payload: a flags byte (bit 0: TCP, the answer's size limit; bit 1:
 * a prepared query follows), then, with bit 1, a 4-byte big-endian length
 * Q and Q bytes of the query's binary form (pquery_wire_put), then the DNS
 * query packet.
 */
#include "agent/dns_remote.h"

#include "base/alloc.h"
#include "base/be.h"
#include "base/buf.h"
#include "dns/dns.h"
#include "gossip/servers.h"
#include "rpc/client.h"
#include "state/query_exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASK_MS	     2000 /* dig's own timeout is 5 s per try */
#define F_TCP	     1
#define F_QUERY	     2
#define MAX_FAILOVER 64

struct ask {
	struct dns_remote *r;
	struct rpc_call *call;
	void (*done)(void *tok, const uint8_t *resp, size_t len);
	void *tok;
	/* failover: the payload with the query, and where to send it in turn */
	struct buf payload;
	char dcs[MAX_FAILOVER][64];
	size_t ndcs, next;
};

static void ask_free(struct ask *a)
{
	buf_free(&a->payload);
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
		a->done(a->tok, NULL, 0);
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
	const char *order[MAX_FAILOVER];
	a->ndcs = pquery_failover_dcs(q, (const char(*)[64])known, nk, order, MAX_FAILOVER);
	for (size_t i = 0; i < a->ndcs; i++)
		memcpy(a->dcs[i], order[i], sizeof(a->dcs[i]));
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
	bool started = false;
	if (what->failover && r->wan && r->view) {
		struct prepared_query *pq = dns_query_resolve(r->view, q, n);
		if (pq && failover_dcs(r, a, pq)) {
			struct buf wire = BUF_INIT;
			pquery_wire_put(&wire, pq);
			uint8_t hdr[5] = {(uint8_t)((tcp ? F_TCP : 0) | F_QUERY)};
			be32_put(hdr + 1, (uint32_t)wire.len);
			buf_append(&a->payload, hdr, sizeof(hdr));
			buf_append(&a->payload, wire.data, wire.len);
			buf_free(&wire);
			buf_append(&a->payload, q, n);
			started = send_next(a);
		}
		if (pq)
			pquery_unref(pq);
	} else if (!what->failover) {
		char addr[96];
		uint8_t flags = tcp ? F_TCP : 0;
		buf_append(&a->payload, &flags, 1);
		buf_append(&a->payload, q, n);
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

int dns_remote_payload(const uint8_t *p, size_t n, bool *tcp, struct prepared_query **q,
		       const uint8_t **pkt, size_t *len)
{
	*q = NULL;
	if (n < 2)
		return -1;
	*tcp = p[0] & F_TCP;
	size_t off = 1;
	if (p[0] & F_QUERY) {
		if (n < 5 || be32_get(p + 1) > n - 5)
			return -1;
		const unsigned char *w = p + 5, *end = w + be32_get(p + 1);
		*q = pquery_wire_get(&w, end);
		if (!*q || w != end) {
			if (*q)
				pquery_unref(*q);
			*q = NULL;
			return -1;
		}
		off = (size_t)(end - p);
	}
	*pkt = p + off;
	*len = n - off;
	return *len ? 0 : -1;
}
