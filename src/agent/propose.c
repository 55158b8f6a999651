/*
 * Catalog writes from this agent, local or over RPC (propose.h).
 */
#include "agent/propose.h"

#include "base/alloc.h"
#include "base/err.h"
#include "consensus/kvops.h"
#include "gossip/servers.h"
#include "rpc/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APPLY_MS 10000 /* a write commits in well under this, or the leader is gone */

struct pending {
	struct proposer *p;
	struct buf cmd;
	consensus_apply_cb cb;
	void *data;
	bool redirected; /* sent to the leader a server named */
};

static void done(struct pending *q, int status, struct txn_result *res)
{
	q->cb(q->data, status, res);
	buf_free(&q->cmd);
	free(q);
}

static int send_to(struct pending *q, const char *addr);

static void replied(void *data, int status, const struct rpc_frame *f)
{
	struct pending *q = data;
	if (status) {
		done(q, status == CAIRN_E_TIMEOUT ? CAIRN_E_TIMEOUT : CAIRN_E_NOLEADER, NULL);
		return;
	}
	if (f->type == RPC_ERROR) {
		int code;
		const char *msg;
		size_t mlen;
		rpc_error_decode(f->payload, f->len, &code, &msg, &mlen);
		char leader[96];
		snprintf(leader, sizeof(leader), "%.*s", (int)(mlen < 95 ? mlen : 95), msg);
		if (code == CAIRN_E_NOTLEADER && *leader && !q->redirected) {
			q->redirected = true;
			if (send_to(q, leader) == 0)
				return;
		}
		done(q, code ? code : CAIRN_E_INTERNAL, NULL);
		return;
	}
	struct rpc_apply_reply r;
	if (f->type != RPC_APPLY_REPLY || rpc_apply_reply_decode(f->payload, f->len, &r)) {
		done(q, CAIRN_E_INTERNAL, NULL);
		return;
	}
	if (r.status) {
		done(q, r.status, NULL);
		return;
	}
	struct txn_result res = {.index = r.index};
	res.errors = r.nerrors ? xcalloc(r.nerrors, sizeof(*res.errors)) : NULL;
	const uint8_t *cur = r.errors, *end = r.errors + r.errors_len;
	struct rpc_apply_error e;
	while (res.nerrors < r.nerrors && rpc_apply_reply_next(&cur, end, &e)) {
		struct txn_error *te = &res.errors[res.nerrors++];
		te->op_index = e.op_index;
		te->code = e.code;
		te->what = xmalloc(e.what_len + 1);
		memcpy(te->what, e.what, e.what_len);
		te->what[e.what_len] = '\0';
	}
	done(q, 0, &res);
	txn_result_free(&res);
}

static int send_to(struct pending *q, const char *addr)
{
	return rpc_call(q->p->rpc, addr, RPC_APPLY, q->cmd.data, q->cmd.len, APPLY_MS, replied, q)
		   ? 0
		   : CAIRN_E_NOLEADER;
}

int agent_propose(void *ctx, const struct buf *cmd, consensus_apply_cb cb, void *data)
{
	struct proposer *p = ctx;
	char addr[96];
	if (p->cons) {
		if (consensus_is_leader(p->cons))
			return consensus_apply(p->cons, cmd, cb, data);
		const char *leader = consensus_leader_address(p->cons);
		if (!*leader)
			return CAIRN_E_NOLEADER;
		snprintf(addr, sizeof(addr), "%s", leader);
	} else if (!gossip_server_pick(p->lan, p->cfg->datacenter, addr, sizeof(addr))) {
		return CAIRN_E_NOLEADER; /* no known server yet: the next round retries */
	}
	struct pending *q = xcalloc(1, sizeof(*q));
	q->p = p;
	q->cb = cb;
	q->data = data;
	buf_append(&q->cmd, cmd->data, cmd->len);
	int rc = send_to(q, addr);
	if (rc) {
		buf_free(&q->cmd);
		free(q);
	}
	return rc;
}
