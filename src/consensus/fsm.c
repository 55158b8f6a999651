/* The Raft FSM (see fsm.h). Loop thread, except snapshot_async (thread pool). */
#include "consensus/fsm.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "consensus/catalog_ops.h"
#include "consensus/cmd.h"
#include "consensus/operator_ops.h"
#include "consensus/query_ops.h"
#include "consensus/session_ops.h"

#include <stdlib.h>
#include <string.h>

static void drop_result(struct fsm *f)
{
	if (f->last_result) {
		txn_result_free(f->last_result);
		free(f->last_result);
		f->last_result = NULL;
	}
}

int fsm_frame(const void *cmd, size_t len, struct raft_buffer *out)
{
	size_t total = (4 + len + 7) & ~(size_t)7;
	unsigned char *p = raft_malloc(total);
	if (!p || len > UINT32_MAX)
		return -1;
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(len >> (8 * i));
	memcpy(p + 4, cmd, len);
	memset(p + 4 + len, 0, total - 4 - len);
	out->base = p;
	out->len = total;
	return 0;
}

int fsm_unframe(const struct raft_buffer *in, const void **cmd, size_t *len)
{
	const unsigned char *p = in->base;
	if (in->len < 4)
		return CAIRN_E_PARSE;
	size_t n = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
	if (n > in->len - 4 || in->len - 4 - n > 7)
		return CAIRN_E_PARSE;
	*cmd = p + 4;
	*len = n;
	return 0;
}

static void apply_kv(struct fsm *f, struct store_txn *t, const struct cmd *c,
		     struct txn_result *res, uint64_t index)
{
	if (kvops_eval(f->store, t, c->u.kv.ops, c->u.kv.n, res) == 0)
		store_txn_commit(t);
	else
		store_txn_abort(t);
	res->index = index;
}

static int fsm_apply(struct raft_fsm *rf, const struct raft_buffer *buf, void **result)
{
	struct fsm *f = rf->data;
	uint64_t index = raft_last_applied(f->raft) + 1;
	/* a restored backup may carry a newer index than our log (restore_ops.c):
	 * store indexes keep rising above it, the same on every server */
	if (index <= store_index(f->store))
		index = store_index(f->store) + 1;
	struct cmd c;

	drop_result(f);
	*result = NULL;
	f->applies++;
	const void *body;
	size_t len;
	int rv = fsm_unframe(buf, &body, &len);
	if (rv == 0)
		rv = cmd_decode(body, len, &c);
	if (rv) {
		/* A committed entry we cannot read: skip it (loudly) rather than stop
		 * the server; the index still advances. */
		log_error("agent.fsm", "skipping log entry %llu: %s", (unsigned long long)index,
			  cairn_strerror(rv));
		store_txn_abort(store_txn_begin(f->store, index));
		return 0;
	}
	struct store_txn *t = store_txn_begin(f->store, index);
	struct txn_result *res = xcalloc(1, sizeof(*res));
	switch (c.type) {
	case CMD_KV_TXN:
		apply_kv(f, t, &c, res, index);
		break;
	case CMD_KV_REAP:
		kv_txn_reap(t, c.u.reap_index);
		store_txn_commit(t);
		res->index = index;
		break;
	case CMD_CATALOG_REGISTER:
	case CMD_CATALOG_DEREGISTER:
		catalog_ops_apply(t, &c, index, res);
		break;
	case CMD_SESSION_CREATE:
	case CMD_SESSION_DESTROY:
		session_ops_apply(t, &c, index, res);
		break;
	case CMD_QUERY_SET:
	case CMD_QUERY_DELETE:
		query_ops_apply(t, &c, index, res);
		break;
	case CMD_RESTORE:
		restore_ops_apply(f->store, t, &c, index, res);
		break;
	case CMD_AUTOPILOT_SET:
		autopilot_ops_apply(f, t, &c, index, res);
		break;
	}
	cmd_free(&c);
	f->last_result = res;
	*result = res;
	return 0;
}

struct txn_result *fsm_take_result(struct fsm *f, void *result)
{
	if (!result || result != f->last_result)
		return NULL;
	f->last_result = NULL;
	return result;
}

static int fsm_snapshot(struct raft_fsm *rf, struct raft_buffer *bufs[], unsigned *n)
{
	struct fsm *f = rf->data;
	if (f->frozen)
		return RAFT_BUSY;
	f->frozen = store_freeze(f->store);
	*bufs = NULL;
	*n = 0;
	return 0;
}

/* Thread pool: encode the frozen view; touches nothing the loop changes. */
static int fsm_snapshot_async(struct raft_fsm *rf, struct raft_buffer *bufs[], unsigned *n)
{
	struct fsm *f = rf->data;
	struct buf out = BUF_INIT;
	store_frozen_encode(f->frozen, &out);
	struct raft_buffer *b = xmalloc(sizeof(*b));
	b->len = out.len;
	b->base = buf_steal(&out);
	*bufs = b;
	*n = 1;
	return 0;
}

static int fsm_snapshot_finalize(struct raft_fsm *rf, struct raft_buffer *bufs[], unsigned *n)
{
	struct fsm *f = rf->data;
	if (*bufs) {
		for (unsigned i = 0; i < *n; i++)
			free((*bufs)[i].base);
		free(*bufs);
	}
	*bufs = NULL;
	*n = 0;
	if (f->frozen) {
		store_frozen_release(f->frozen);
		f->frozen = NULL;
	}
	f->snapshots++;
	return 0;
}

static int fsm_restore(struct raft_fsm *rf, struct raft_buffer *buf)
{
	struct fsm *f = rf->data;
	int rv = store_restore(f->store, buf->base, buf->len);
	if (rv) {
		log_error("agent.fsm", "failed to restore snapshot: %s", cairn_strerror(rv));
		return RAFT_CORRUPT;
	}
	log_info("agent.fsm", "restored snapshot: index=%llu keys=%zu",
		 (unsigned long long)store_index(f->store), kv_count(f->store));
	/* on success the FSM owns the buffer */
	raft_free(buf->base);
	return 0;
}

void fsm_init(struct fsm *f, struct store *store, struct raft *raft)
{
	memset(f, 0, sizeof(*f));
	f->store = store;
	f->raft = raft;
	f->raft_fsm.version = 3;
	f->raft_fsm.data = f;
	f->raft_fsm.apply = fsm_apply;
	f->raft_fsm.snapshot = fsm_snapshot;
	f->raft_fsm.restore = fsm_restore;
	f->raft_fsm.snapshot_finalize = fsm_snapshot_finalize;
	f->raft_fsm.snapshot_async = fsm_snapshot_async;
}

void fsm_close(struct fsm *f)
{
	drop_result(f);
	if (f->frozen) {
		store_frozen_release(f->frozen);
		f->frozen = NULL;
	}
}
