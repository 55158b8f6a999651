/*
 * Cluster-wide keyring operations of one gossip pool: Consul's `keyring
 * -install/-use/-remove/-list` (serf's KeyManager and its internal queries),
 * carried as user broadcasts of their own kind.
 *
 * Model.
 *   - An operation starts on one node (the origin): gossip_pool_keyring_op.
 *     The origin gives it a random 64-bit query id, applies it to its own
 *     keyring at once (its own answer), and gossips a request naming the
 *     operation, the raw key bytes and itself.
 *   - Every member that hears the request for the first time applies it to
 *     its pool keyring (keyring_install_key / keyring_use / keyring_remove;
 *     list only reads), saves the keyring file (gossip_pool_keyring_save)
 *     and gossips a response: its name, ok or the error text, and for list
 *     its keys and which one is primary.
 *   - Responses are broadcasts too: every member passes them on and only the
 *     origin (the one holding an operation with that query id) counts them.
 *     Each request and each (query id, responder) response is gossiped on
 *     once: a ring of recent fingerprints makes the user_msg hook return
 *     true only for news.
 *   - The origin completes the operation when every alive member answered
 *     (NumNodes counts the alive members when it started) or at serf's query
 *     timeout, gossip_interval * 16 * ceil(log10(N + 1)). The result is
 *     serf's KeyResponse: NumNodes, NumResp, NumErr, per-node messages, key
 *     -> count, primary key -> count, and serf's error text ("2/3 nodes
 *     reported failure", "2/3 nodes reported success", or the origin's own
 *     "illegal base64 data at input byte N").
 *   - Rotation ordering: nobody stops accepting a key before "remove"
 *     reaches it: the transport decrypts with every installed key, so
 *     `install NEW`, `use NEW`, `remove OLD` never partitions the pool.
 *   - Everything arriving through the hook (inside the SWIM core) is queued
 *     and handled from a zero-delay timer, outside the core; keyring file
 *     saves block the loop as gossip_pool_keyring_save does.
 *
 * Per-node messages are serf's: "No keyring to modify (encryption not
 * enabled)", "Keyring is empty (encryption not enabled)" (list), the
 * keyring's "key size must be 16, 24 or 32 bytes", "Requested key is not in
 * the keyring", "Removing the primary key is not allowed", a save error, and
 * "truncated key list response, showing first N of M keys" (ok, list).
 *
 * Wire forms (user broadcasts, at most GOSSIP_USER_MAX bytes), big-endian.
 * Request:
 *
 *     offset size field
 *     0      1    kind POOL_KEYRING_REQ ('K')
 *     1      1    version (POOL_KEYRING_VERSION = 1)
 *     2      1    operation: 1 install, 2 use, 3 remove, 4 list
 *     3      1    flags, 0 (a set bit is refused)
 *     4      8    query id
 *     12     1    origin name length n (1..GOSSIP_NAME_MAX)
 *     13     n    origin name
 *     13+n   1    key length k (0..GKEY_MAX; 0 for list)
 *     14+n   k    raw key bytes (not validated: members answer the error)
 *
 * Response:
 *
 *     0      1    kind POOL_KEYRING_RESP ('R')
 *     1      1    version 1
 *     2      1    operation (as the request's)
 *     3      1    flags: bit 0 ok (serf's Result); other bits 0
 *     4      8    query id
 *     12     1    responder name length n (1..GOSSIP_NAME_MAX)
 *     13     n    responder name
 *     13+n   2    message length m (0..POOL_KEYRING_MSG_MAX), no NUL bytes
 *     15+n   m    message text
 *     15+n+m 1    key count c (0..POOL_KEYRING_KEYS_MAX; 0 unless list)
 *     16+n+m 1    index of the primary key among them, 0xff for none
 *     17+n+m ...  c times: 1 key length (16, 24 or 32), the key bytes
 *
 * Decoders are strict (known kind, version and operation, zero reserved
 * bits, lengths that add up to exactly the input) and fuzzed
 * (tests/fuzz/fuzz_gossip_keyring_msg.c).
 *
 * Ownership: the pool owns the operations state (p->kq), created on first
 * use and freed with the pool (gossip_pool_close calls
 * gossip_pool_keyring_close: operations in flight complete with an error).
 * Loop thread only.
 */
#ifndef CAIRN_GOSSIP_POOL_KEYRING_H
#define CAIRN_GOSSIP_POOL_KEYRING_H

#include "gossip/crypto.h"
#include "gossip/keyring.h"
#include "gossip/msg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POOL_KEYRING_REQ	0x4b /* 'K' */
#define POOL_KEYRING_RESP	0x52 /* 'R' */
#define POOL_KEYRING_VERSION	1
#define POOL_KEYRING_MSG_MAX	512 /* message bytes in a response */
#define POOL_KEYRING_KEYS_MAX	32  /* keys listed in one response */
#define POOL_KEYRING_QUERY_MULT 16  /* serf's QueryTimeoutMult */

enum pool_keyring_op {
	POOL_KEYRING_INSTALL = 1,
	POOL_KEYRING_USE,
	POOL_KEYRING_REMOVE,
	POOL_KEYRING_LIST,
};

struct gossip_pool;

/* ---- operations (pool_keyring.c) ---- */

struct pool_keyring_msg {
	char name[GOSSIP_NAME_MAX + 1]; /* member */
	char *text;			/* owned */
};

struct pool_keyring_count {
	char key[64]; /* base64 text */
	size_t count; /* members that hold it */
};

/* serf's KeyResponse plus its error. Arrays are sorted (by name, by key), as
 * Go prints maps. */
struct pool_keyring_result {
	enum pool_keyring_op op;
	size_t num_nodes;	       /* alive members when it started */
	size_t num_resp, num_err;      /* answers, failed answers */
	char error[KEYRING_ERR_MAX];   /* "" when every member answered ok */
	struct pool_keyring_msg *msgs; /* node -> message */
	size_t nmsgs;
	struct pool_keyring_count *keys; /* list: key -> members */
	size_t nkeys;
	struct pool_keyring_count *primary; /* list: primary key -> members */
	size_t nprimary;
};

typedef void (*pool_keyring_cb)(struct gossip_pool *p, const struct pool_keyring_result *r,
				void *data);

/* Start op with key (base64 text; ignored for list) across the pool. cb runs
 * once, later, from the loop (never inside this call), with the result,
 * which is valid only during the call; also when the pool closes first
 * (error "gossip is shutting down"). Returns 0, or CAIRN_E_SHUTDOWN (cb is
 * then not called). */
int gossip_pool_keyring_op(struct gossip_pool *p, enum pool_keyring_op op, const char *key,
			   pool_keyring_cb cb, void *data);

/* For pool.c: is this user broadcast ours (first byte)? */
static inline bool pool_keyring_kind(const uint8_t *data, size_t len)
{
	return len > 0 && (data[0] == POOL_KEYRING_REQ || data[0] == POOL_KEYRING_RESP);
}
/* For pool.c's user_msg hook (inside the core): true when the message was
 * new (the core gossips it on). */
bool gossip_pool_keyring_msg(struct gossip_pool *p, const uint8_t *data, size_t len);
/* For gossip_pool_close: complete what is in flight, close the timer; the
 * close callback drops one pool reference (the caller took it). No-op
 * (returns false) when nothing was ever started. */
bool gossip_pool_keyring_close(struct gossip_pool *p);

/* ---- codec (pool_keyring_wire.c), exposed for tests and the fuzz target ---- */

struct pool_keyring_wire {
	uint8_t kind;			    /* POOL_KEYRING_REQ or POOL_KEYRING_RESP */
	uint8_t op;			    /* enum pool_keyring_op */
	bool ok;			    /* response: serf's Result */
	uint64_t qid;			    /* query id */
	char name[GOSSIP_NAME_MAX + 1];	    /* origin (request) or responder */
	struct gkey key;		    /* request: the key (any length <= GKEY_MAX) */
	char msg[POOL_KEYRING_MSG_MAX + 1]; /* response message */
	uint8_t nkeys;			    /* response: keys listed */
	uint8_t primary;		    /* index in keys, 0xff: none */
	struct gkey keys[POOL_KEYRING_KEYS_MAX];
};

/* Append the encoding to out (cap bytes) and set *len. CAIRN_E_TOOBIG when it
 * does not fit (cap or GOSSIP_USER_MAX), CAIRN_E_INVAL for a field out of
 * range. */
int pool_keyring_encode(const struct pool_keyring_wire *m, uint8_t *out, size_t cap, size_t *len);
/* 0, CAIRN_E_VERSION (another kind or version) or CAIRN_E_PARSE. */
int pool_keyring_decode(const uint8_t *p, size_t n, struct pool_keyring_wire *out);

#endif
