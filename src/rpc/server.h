/*
 * The RPC server: the cairn half of port 8300 (mux byte RPC_MUX_CAIRN).
 *
 * Model. Each connection reads wire.h frames and answers them in any order:
 *   RPC_HTTP   the forwarded request runs through the agent's own HTTP API
 *              (http_inject with the API's http_server_config), so a
 *              forwarded read or write behaves exactly as if it had been sent
 *              to this agent; the response goes back as RPC_HTTP_REPLY. A
 *              parked blocking query answers when it wakes.
 *   RPC_APPLY  an encoded command proposed to Raft here (the leader); the
 *              apply result (status, index, errors; no result items) goes
 *              back as RPC_APPLY_REPLY, or RPC_ERROR CAIRN_E_NOTLEADER with
 *              the leader's address when this server does not lead.
 *   RPC_CANCEL drops the work of that request id (the caller's client left).
 *   RPC_DNS    a client agent's DNS query answered from this server's store
 *              (the dns hook), as RPC_DNS_REPLY; one naming another
 *              datacenter is answered when that datacenter's server has.
 * A closed connection cancels everything it had in flight. Loop thread only.
 */
#ifndef CAIRN_RPC_SERVER_H
#define CAIRN_RPC_SERVER_H

#include "consensus/consensus.h"
#include "http/http.h"
#include "rpc/mux.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rpc_server;

/* http: the API's server config (dispatch, ctx, on_headers, max_body);
 * cons: NULL refuses RPC_APPLY. Registers with the mux. */
/* Answers an RPC_DNS payload (its layout is the hook's: agent/dns_remote.c)
 * into out (room for 65535 bytes): 0 and *out_len; 1 when the answer comes
 * later, through rpc_server_dns_reply(token, ...) (another datacenter's,
 * asked now); or -1 when it is not one to answer here. */
typedef int (*rpc_dns_fn)(void *ctx, const uint8_t *payload, size_t len, uint8_t *out,
			  size_t *out_len, void *token);
/* The later answer to the RPC_DNS request token names (resp NULL: none, an
 * RPC_ERROR goes back). Exactly once per token; fine after its connection
 * closed. */
void rpc_server_dns_reply(void *token, const uint8_t *resp, size_t len);

struct rpc_server *rpc_server_start(uv_loop_t *loop, struct rpc_mux *mux,
				    const struct http_server_config *http, struct consensus *cons,
				    rpc_dns_fn dns, void *dns_ctx);
/* Stop taking connections, cancel every request in flight, close
 * connections; frees itself once they are closed. NULL-safe. */
void rpc_server_close(struct rpc_server *s);

#endif
