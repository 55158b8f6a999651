/*
 * The server port (8300): one TCP listener shared by Raft and cairn's RPC,
 * as Consul multiplexes its server port. The first byte a client sends
 * selects the protocol:
 *
 *     byte  protocol                       handler
 *     0x01  Raft (Consul's RPCRaft)        raft_transport.c
 *     0x43  cairn RPC ('C', wire.h frames) server.c
 *
 * The mux reads until it has that byte, then hands the connection (a
 * malloc'd uv_tcp_t, reading stopped) and any bytes that came with it to the
 * handler registered for the byte, which owns it from then on: it restarts
 * reading, and closes and frees it (free() in its close callback). A
 * connection with an unknown first byte, or none within RPC_MUX_FIRST_MS, is
 * closed. Loop thread only.
 */
#ifndef CAIRN_RPC_MUX_H
#define CAIRN_RPC_MUX_H

#include "base/buf.h"

#include <uv.h>

#include <stddef.h>
#include <stdint.h>

#define RPC_MUX_RAFT	 0x01
#define RPC_MUX_CAIRN	 0x43
#define RPC_MUX_FIRST_MS 5000

typedef void (*rpc_mux_fn)(void *ud, uv_tcp_t *conn, const uint8_t *rest, size_t n);

struct rpc_mux;

/* Bind ip:port and listen. 0, or -1 with a message in err (rpc_mux_close it). */
int rpc_mux_start(struct rpc_mux **out, uv_loop_t *loop, const char *ip, int port, struct buf *err);
/* Register (fn) or remove (NULL) the handler of one first byte. */
void rpc_mux_handle(struct rpc_mux *m, uint8_t kind, rpc_mux_fn fn, void *ud);
/* Stop listening and drop connections not handed over yet; frees itself once
 * its handles are closed. NULL-safe. */
void rpc_mux_close(struct rpc_mux *m);

#endif
