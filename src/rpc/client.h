/*
 * The RPC client: calls to servers over their port 8300 (wire.h frames after
 * the mux byte RPC_MUX_CAIRN).
 *
 * Model. A pool of up to 4 connections per server address, opened on first
 * use and kept; another opens when every open one has 32 calls in flight.
 * Any number of calls in flight on a connection, matched to answers by
 * request id. A
 * call ends exactly once: with the answer frame, with a transport error
 * (connection refused or lost: CAIRN_E_IO), at its deadline
 * (CAIRN_E_TIMEOUT), or not at all when the caller cancels it (an RPC_CANCEL
 * frame then tells the server to drop the work, e.g. a parked blocking
 * query whose HTTP client went away). A lost connection fails its calls; the
 * next call opens a new one. Loop thread only.
 */
#ifndef CAIRN_RPC_CLIENT_H
#define CAIRN_RPC_CLIENT_H

#include "rpc/wire.h"

#include <uv.h>

#include <stdint.h>

struct rpc_client;
struct rpc_call;

/* status 0: reply is the answer (RPC_HTTP_REPLY, RPC_APPLY_REPLY or RPC_ERROR),
 * valid during the call; else a CAIRN_E_* code and reply NULL. */
typedef void (*rpc_reply_fn)(void *data, int status, const struct rpc_frame *reply);

/* source_ip: the address connections leave from (the agent's bind address,
 * so peers and firewalls see the agent's own address); NULL or a wildcard:
 * the kernel's choice. */
struct rpc_client *rpc_client_new(uv_loop_t *loop, const char *source_ip);
/* Fail every call in flight (CAIRN_E_SHUTDOWN), close connections, free
 * once they are closed. NULL-safe. */
void rpc_client_close(struct rpc_client *c);

/* Send one request to addr ("ip:port"). Returns the call, or NULL when it
 * could not even be queued (bad address, closing): cb is then never called. */
struct rpc_call *rpc_call(struct rpc_client *c, const char *addr, enum rpc_type type,
			  const void *payload, size_t len, uint64_t timeout_ms, rpc_reply_fn cb,
			  void *data);
/* The caller no longer wants the answer: cb will not be called. */
void rpc_call_cancel(struct rpc_call *call);

#endif
