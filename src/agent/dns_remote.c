/*
 * DNS answered by other agents' servers (dns_remote.h).
 */
#include "agent/dns_remote.h"

#include "base/alloc.h"
#include "gossip/servers.h"
#include "rpc/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASK_MS 2000 /* dig's own timeout is 5 s per try */

struct ask {
	struct rpc_call *call;
	void (*done)(void *tok, const uint8_t *resp, size_t len);
	void *tok;
};

static void replied(void *data, int status, const struct rpc_frame *f)
{
	struct ask *a = data;
	if (status == 0 && f->type == RPC_DNS_REPLY)
		a->done(a->tok, f->payload, f->len);
	else
		a->done(a->tok, NULL, 0);
	free(a);
}

void *dns_remote_ask(void *ctx, const char *dc, const uint8_t *q, size_t n, bool tcp,
		     void (*done)(void *tok, const uint8_t *resp, size_t len), void *tok)
{
	struct dns_remote *r = ctx;
	char addr[96];
	bool ok = r->wan && dc ? gossip_server_pick(r->wan, dc, addr, sizeof(addr))
			       : gossip_server_pick(r->lan, r->cfg->datacenter, addr, sizeof(addr));
	if (!ok)
		return NULL;
	struct ask *a = xmalloc(sizeof(*a));
	a->done = done;
	a->tok = tok;
	uint8_t *p = xmalloc(n + 1);
	p[0] = tcp ? 1 : 0;
	memcpy(p + 1, q, n);
	a->call = rpc_call(r->rpc, addr, RPC_DNS, p, n + 1, ASK_MS, replied, a);
	free(p);
	if (!a->call) {
		free(a);
		return NULL;
	}
	return a;
}

void dns_remote_cancel(void *handle)
{
	struct ask *a = handle;
	rpc_call_cancel(a->call);
	free(a);
}
