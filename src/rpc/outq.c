/*
 * One RPC connection's write queue (outq.h).
 */
#include "rpc/outq.h"

int rpc_outq_flush(struct rpc_outq *q, uv_stream_t *s, void *data, uv_write_cb done)
{
	if (q->writing || !q->out.len)
		return 0;
	struct buf t = q->inflight;
	q->inflight = q->out;
	q->out = t;
	buf_reset(&q->out);
	uv_buf_t b = uv_buf_init(q->inflight.data, (unsigned)q->inflight.len);
	q->write.data = data;
	int rc = uv_write(&q->write, s, &b, 1, done);
	q->writing = rc == 0;
	return rc;
}

void rpc_outq_done(struct rpc_outq *q)
{
	q->writing = false;
	buf_reset(&q->inflight);
}

void rpc_outq_free(struct rpc_outq *q)
{
	buf_free(&q->out);
	buf_free(&q->inflight);
}
