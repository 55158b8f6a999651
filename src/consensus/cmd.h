/*
 * Raft log commands: what a write becomes on its way through consensus.
 *
 * Every log entry cairn proposes is one command: a type, the version of that
 * type's body layout, and the body. The FSM (fsm.c) decodes and applies it on
 * every server; decoding is strict and pure, because a log entry may come from a
 * newer server or a damaged disk: bad input yields CAIRN_E_PARSE, a body version
 * newer than this binary knows yields CAIRN_E_VERSION, never a crash.
 *
 * Wire format (all integers little-endian):
 *
 *   offset size  field
 *   0      1     type      (enum cmd_type)
 *   1      1     version   (per type; see cmd_types[] in cmd.c)
 *   2      ...   body
 *
 * CMD_KV_TXN body, version 1:
 *   0      2     op count N (1..CMD_MAX_OPS)
 *   2      ...   N ops, each:
 *                  1   verb (enum kv_verb)
 *                  8   flags
 *                  8   index (cas / check-index / modify-index argument)
 *                  4   key length K, then K bytes (no NUL inside)
 *                  1   has value (0/1); if 1: 4 value length V, then V bytes
 *                  4   session length S, then S bytes (0: none)
 *
 * CMD_KV_REAP body, version 1:
 *   0      8     reap tombstones up to this index
 *
 * Catalog bodies use four field shapes:
 *   str   4 length L, then L bytes (no NUL inside; at most CMD_MAX_FIELD)
 *   ostr  like str, but length 0xffffffff means absent (NULL) with no bytes
 *   map   4 count M (<= CMD_MAX_OPS), then M x (str key, str value), in any
 *         order (the store sorts; a repeated key keeps its last value)
 *   list  4 count M (<= CMD_MAX_OPS), then M x str
 * and i32 is 4 bytes two's complement.
 *
 * CMD_CATALOG_REGISTER body, version 1 (struct cat_register, state/catalog.h):
 *   0      1     flags: bit 0 skip_node_update; other bits must be 0
 *   1      ...   node: str id, str name, str address, str datacenter,
 *                map tagged addresses, map meta
 *   ...    4     service count S (0..CMD_MAX_OPS)
 *   ...    ...   S services, each:
 *                  str id, str name, str kind, list tags, str address,
 *                  4 tagged address count T (<= CMD_MAX_OPS), then T x
 *                    (str key, str address, i32 port),
 *                  map meta, i32 port, str socket path,
 *                  i32 weight passing, i32 weight warning,
 *                  1 enable tag override (0/1),
 *                  ostr proxy JSON, ostr connect JSON, ostr locality JSON
 *   ...    4     check count C (0..CMD_MAX_OPS)
 *   ...    ...   C checks, each:
 *                  str id, str name, 1 status (enum cat_status),
 *                  str notes, str output, str service id, str type,
 *                  str interval, str timeout, i32 exposed port,
 *                  ostr definition JSON
 * A service's node and a check's node, service name and service tags are not
 * encoded: the store takes them from the request's node and the service.
 *
 * CMD_CATALOG_DEREGISTER body, version 1 (struct cat_deregister):
 *   0      ...   str node, str service id, str check id ("" when not given)
 *
 * Both are applied by catalog_ops.c; the result the proposer claims with
 * fsm_take_result is a struct txn_result with no items and either no error
 * or one error whose text is Consul's message (catalog_ops_error()).
 *
 * CMD_SESSION_CREATE body, version 1 (struct session, state/session.h):
 *   0      ...   str id, str name, str node
 *   ...    8     lock delay (ns)
 *   ...    1     behavior (enum session_behavior: 0 release, 1 delete)
 *   ...    ...   str ttl ("" for none), list node checks,
 *                4 service check count S (<= CMD_MAX_OPS), then S x
 *                  (str id, str namespace),
 *                list checks (legacy)
 *
 * CMD_SESSION_DESTROY body, version 1 (also the TTL and API invalidation):
 *   0      ...   str session id
 *
 * Both are applied by session_ops.c with the same one-error txn_result.
 * Catalog commands also invalidate the sessions tied to what they change
 * (session_txn_check_nodes), inside the same transaction.
 *
 * Command types, in the order they were added (never reuse a number):
 *
 *   type  name                    applied by
 *   1     CMD_KV_TXN              kvops.c
 *   2     CMD_KV_REAP             fsm.c
 *   3     CMD_CATALOG_REGISTER    catalog_ops.c
 *   4     CMD_CATALOG_DEREGISTER  catalog_ops.c
 *   5     CMD_SESSION_CREATE      session_ops.c
 *   6     CMD_SESSION_DESTROY     session_ops.c
 */
#ifndef CAIRN_CONSENSUS_CMD_H
#define CAIRN_CONSENSUS_CMD_H

#include "base/buf.h"
#include "state/catalog.h"
#include "state/session.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMD_MAX_OPS   4096	  /* decoder bound; the API enforces Consul's 128 */
#define CMD_MAX_FIELD (64u << 20) /* no single key/value beyond 64 MiB */

enum cmd_type {
	CMD_KV_TXN = 1,
	CMD_KV_REAP = 2,
	CMD_CATALOG_REGISTER = 3,
	CMD_CATALOG_DEREGISTER = 4,
	CMD_SESSION_CREATE = 5,
	CMD_SESSION_DESTROY = 6,
};

enum kv_verb {
	KV_SET,
	KV_CAS,
	KV_LOCK,
	KV_UNLOCK,
	KV_GET,
	KV_GET_TREE,
	KV_CHECK_INDEX,
	KV_CHECK_SESSION,
	KV_CHECK_NOT_EXISTS,
	KV_DELETE,
	KV_DELETE_TREE,
	KV_DELETE_CAS,
	KV_VERB_COUNT_
};

struct kv_op {
	enum kv_verb verb;
	char *key;   /* NUL-terminated */
	char *value; /* NULL when has_value is false */
	size_t value_len;
	bool has_value;
	uint64_t flags;
	uint64_t index;
	char *session; /* NULL when none */
};

struct cmd {
	enum cmd_type type;
	unsigned version;
	union {
		struct {
			struct kv_op *ops;
			size_t n;
		} kv;		     /* CMD_KV_TXN */
		uint64_t reap_index; /* CMD_KV_REAP */
		/* CMD_CATALOG_REGISTER. Encode: caller's templates. Decoded: every
		 * array and string allocated by cmd_decode, freed by cmd_free. */
		struct cat_register reg;
		struct cat_deregister dereg; /* CMD_CATALOG_DEREGISTER, likewise */
		struct session sess;	     /* CMD_SESSION_CREATE, likewise */
		const char *session_id;	     /* CMD_SESSION_DESTROY, likewise */
	} u;
};

/* Verb names as Consul's /v1/txn spells them ("set", "get-tree", ...). */
const char *kv_verb_name(enum kv_verb v);
/* Returns the verb or -1. */
int kv_verb_parse(const char *name);
/* True for verbs that never change the store. */
bool kv_verb_is_read(enum kv_verb v);

/* Append the encoding of c to out. Catalog templates: NULL strings encode as
 * "", map order is kept (the store sorts). */
void cmd_encode(const struct cmd *c, struct buf *out);
/* Decode; on success c owns allocated memory (release with cmd_free). */
int cmd_decode(const void *data, size_t len, struct cmd *c);
void cmd_free(struct cmd *c);

#endif
