/*
 * The outgoing side of one RPC connection (client.c and server.c): frames
 * are appended to `out` while one write of the previous batch (`inflight`)
 * may be in flight; when it completes the next batch goes out in one
 * uv_write. Two buffers swapped in turn, so steady traffic allocates nothing.
 */
#ifndef CAIRN_RPC_OUTQ_H
#define CAIRN_RPC_OUTQ_H

#include "base/buf.h"

#include <uv.h>

#include <stdbool.h>

struct rpc_outq {
	struct buf out;	     /* frames waiting for the socket */
	struct buf inflight; /* frames being written */
	uv_write_t write;    /* data: the caller's */
	bool writing;
};

/* Write what is queued unless a write is in flight or nothing is; done runs
 * when it completes and must call rpc_outq_done first. 0 or a libuv error
 * (the connection is then broken). */
int rpc_outq_flush(struct rpc_outq *q, uv_stream_t *s, void *data, uv_write_cb done);
/* The write completed (whatever its status): inflight is free again. */
void rpc_outq_done(struct rpc_outq *q);
void rpc_outq_free(struct rpc_outq *q);

#endif
