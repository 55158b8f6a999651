/*
 * libraft's transport over the shared server port (mux.h): the Raft half of
 * port 8300. It implements struct raft_uv_transport (raft/uv.h), so libraft's
 * disk and message layers run unchanged on top of it.
 *
 * Handshake, after the mux byte RPC_MUX_RAFT. The connecting server sends
 *
 *     offset size field
 *     0      1    version (1)
 *     1      8    its Raft server ID, big-endian
 *     9      2    address length n (1..255)
 *     11     n    its Raft address ("ip:port")
 *
 * and waits for one byte, 0x01, before handing the stream to libraft. The
 * accepting side reads exactly the handshake (nothing else can arrive before
 * the ack), answers 0x01 and hands the stream with the peer's identity to
 * libraft's accept callback. A bad handshake closes the connection.
 *
 * Loop thread only. Memory: rpc_raft_transport_init allocates the
 * implementation; release it with rpc_raft_transport_free after libraft's
 * close (raft_uv_close) finished with it.
 */
#ifndef CAIRN_RPC_RAFT_TRANSPORT_H
#define CAIRN_RPC_RAFT_TRANSPORT_H

#include "rpc/mux.h"

#include <raft.h>
#include <raft/uv.h>

int rpc_raft_transport_init(struct raft_uv_transport *t, uv_loop_t *loop, struct rpc_mux *mux);
void rpc_raft_transport_free(struct raft_uv_transport *t);

#endif
