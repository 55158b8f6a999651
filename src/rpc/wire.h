/*
 * Server RPC frames: what agents and servers say to each other on port 8300
 * after the connection's first byte chose cairn's RPC (mux.h). Pure codec, no
 * I/O; fuzzed by tests/fuzz/fuzz_rpc_frame.c.
 *
 * Model. A connection carries frames both ways; every request has an id
 * chosen by the caller, the answer carries the same id, and any number of
 * requests may be in flight on one connection (answers come in any order:
 * a forwarded blocking query answers minutes after a write sent later).
 *
 * Frame, big-endian:
 *
 *     offset size field
 *     0      4    length L of the rest (10 .. RPC_FRAME_MAX)
 *     4      1    version (RPC_WIRE_VERSION = 1)
 *     5      1    type (enum rpc_type)
 *     6      8    request id
 *     14     L-10 payload
 *
 * Payloads:
 *   RPC_HTTP        the raw bytes of one HTTP/1.1 request, as a client would
 *                   send it to the agent's HTTP port (http_inject runs it)
 *   RPC_HTTP_REPLY  2 status, 4 header-block length H, H bytes of header
 *                   lines ("Name: value\r\n", Content-Type included), then the
 *                   body (the rest)
 *   RPC_APPLY       an encoded command (consensus/cmd.h) for the leader
 *   RPC_APPLY_REPLY 4 status (0 or a CAIRN_E_* code, two's complement),
 *                   8 Raft index, 4 error count E, then E times: 4 op index,
 *                   4 code, 4 text length T, T bytes
 *   RPC_CANCEL      empty: the caller gave up on request id (its client left)
 *   RPC_ERROR       4 code, then a message: the request could not be run here
 *                   (CAIRN_E_NOTLEADER with the leader's address, shutdown...)
 *   RPC_DNS         a DNS question for another agent's DNS interface: 1 flags
 *                   byte (bit 0: TCP, the answer's size limit; bit 1: a
 *                   prepared query follows), with bit 1 a 4-byte length Q and
 *                   Q bytes of the query's binary form (pquery_wire_put),
 *                   then the DNS query packet (at least one byte)
 *   RPC_DNS_REPLY   the DNS response packet the server built from its store
 *
 * Decoders refuse unknown versions and types, lengths that do not add up and
 * frames over RPC_FRAME_MAX.
 */
#ifndef CAIRN_RPC_WIRE_H
#define CAIRN_RPC_WIRE_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RPC_WIRE_VERSION 1
#define RPC_HDR		 14
#define RPC_FRAME_MAX	 (64u << 20) /* a KV value is at most 512 KiB; snapshots do not use RPC */

enum rpc_type {
	RPC_HTTP = 1,
	RPC_HTTP_REPLY = 2,
	RPC_APPLY = 3,
	RPC_APPLY_REPLY = 4,
	RPC_CANCEL = 5,
	RPC_ERROR = 6,
	RPC_DNS = 7,
	RPC_DNS_REPLY = 8,
};

struct rpc_frame {
	enum rpc_type type;
	uint64_t id;
	const uint8_t *payload; /* points into the decoded bytes */
	size_t len;
};

/* Append a frame with this payload. */
void rpc_frame_put(struct buf *out, enum rpc_type type, uint64_t id, const void *payload,
		   size_t len);
/* Bytes needed for the frame starting at p (n available): 0 while the header
 * is incomplete, else the whole frame's size; -1 for a bad header. */
long rpc_frame_need(const uint8_t *p, size_t n);
/* Decode one complete frame of exactly n bytes. 0 or CAIRN_E_PARSE /
 * CAIRN_E_VERSION. */
int rpc_frame_decode(const uint8_t *p, size_t n, struct rpc_frame *f);

/* RPC_HTTP_REPLY payload. */
void rpc_http_reply_put(struct buf *out, int status, const char *headers, size_t hlen,
			const char *body, size_t blen);
struct rpc_http_reply {
	int status;
	const char *headers; /* header lines */
	size_t hlen;
	const char *body;
	size_t blen;
};
int rpc_http_reply_decode(const uint8_t *p, size_t n, struct rpc_http_reply *r);

/* RPC_APPLY_REPLY payload. */
struct rpc_apply_error {
	uint32_t op_index;
	int32_t code;
	const char *what; /* not NUL-terminated: what_len bytes */
	size_t what_len;
};
void rpc_apply_reply_begin(struct buf *out, int status, uint64_t index, uint32_t nerrors);
void rpc_apply_reply_error(struct buf *out, uint32_t op_index, int32_t code, const char *what);
struct rpc_apply_reply {
	int status;
	uint64_t index;
	uint32_t nerrors;
	const uint8_t *errors; /* nerrors records; walk with rpc_apply_reply_next */
	size_t errors_len;
};
int rpc_apply_reply_decode(const uint8_t *p, size_t n, struct rpc_apply_reply *r);
/* The next error record from *cur (advanced); false at the end or when bad. */
bool rpc_apply_reply_next(const uint8_t **cur, const uint8_t *end, struct rpc_apply_error *e);

/* RPC_ERROR payload. */
void rpc_error_put(struct buf *out, int code, const char *msg);
int rpc_error_decode(const uint8_t *p, size_t n, int *code, const char **msg, size_t *mlen);

/* RPC_DNS payload. query: the prepared query's binary form, or NULL. */
struct rpc_dns {
	bool tcp;
	const uint8_t *query; /* NULL: none */
	size_t qlen;
	const uint8_t *pkt;
	size_t len;
};
void rpc_dns_put(struct buf *out, const struct rpc_dns *d);
int rpc_dns_decode(const uint8_t *p, size_t n, struct rpc_dns *d);

#endif
