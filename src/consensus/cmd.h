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
 * CMD_KV_TXN body, version 2 (a transaction with Node, Service or Check ops):
 *   0      2     op count N (1..CMD_MAX_OPS)
 *   2      ...   N ops, each: 1 kind (enum txn_op_kind), then by kind:
 *                  KV       the version 1 op above
 *                  Node     1 verb, 8 modify index, str id, str name,
 *                           str address, str datacenter, map tagged
 *                           addresses, map meta
 *                  Service  1 verb, 8 modify index, str node, then the
 *                           service fields of CMD_CATALOG_REGISTER (id ..
 *                           locality JSON)
 *                  Check    1 verb, 8 modify index, str node, then the check
 *                           fields of CMD_CATALOG_REGISTER (id .. definition)
 *                Catalog verbs are set, cas, get, delete, delete-cas (their
 *                enum kv_verb values; txn_verb_allowed). At least one op is
 *                not KV: the encoder writes a KV-only transaction as version 1,
 *                byte for byte what older servers wrote and read, and the
 *                decoder refuses a version 2 body without a catalog op, so every
 *                transaction has one encoding. Applied by kvops.c (KV) and
 *                txn_catalog.c (the rest), in one store transaction.
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
 * CMD_QUERY_SET body, version 1 (struct prepared_query, state/query.h):
 *   0      1     op: 0 create (the ID must be new), 1 update (it must exist)
 *   1      ...   the query's binary form (pquery_wire_put, state/query.h)
 *
 * CMD_QUERY_DELETE body, version 1:
 *   0      ...   str query id
 *
 * Both are applied by query_ops.c with the same one-error txn_result.
 *
 * CMD_RESTORE body, version 1 (PUT /v1/snapshot, `consul snapshot restore`):
 *   0      ...   a whole store snapshot (state/snapshot.c, "CRNS", with its own
 *                checksum), taken from the archive the operator uploaded
 * Applied by restore_ops.c: the store is replaced by the snapshot's state
 * (store_restore) and every watcher fires; the store index then moves to the
 * command's own Raft index, so indexes never run backwards past a restore.
 *
 * CMD_AUTOPILOT_SET body, version 1 (struct autopilot_config):
 *   0      1     flags: bit 0 CleanupDeadServers, bit 1 DisableUpgradeMigration,
 *                bit 2 check-and-set; other bits must be 0
 *   1      8     LastContactThreshold (ns)
 *   9      8     MaxTrailingLogs
 *   17     8     MinQuorum
 *   25     8     ServerStabilizationTime (ns)
 *   33     ...   str RedundancyZoneTag, str UpgradeVersionTag (each shorter
 *                than AUTOPILOT_TAG_MAX)
 *   ...    8     cas index (meaningful with bit 2: apply only when the current
 *                ModifyIndex equals it)
 * Applied by autopilot.c; a failed check-and-set yields one error in the
 * txn_result (the API answers false).
 *
 * Command types, in the order they were added (never reuse a number):
 *
 *   type  name                    applied by
 *   1     CMD_KV_TXN              kvops.c, txn_catalog.c (v2: catalog ops)
 *   2     CMD_KV_REAP             fsm.c
 *   3     CMD_CATALOG_REGISTER    catalog_ops.c
 *   4     CMD_CATALOG_DEREGISTER  catalog_ops.c
 *   5     CMD_SESSION_CREATE      session_ops.c
 *   6     CMD_SESSION_DESTROY     session_ops.c
 *   9     CMD_QUERY_SET           query_ops.c
 *   10    CMD_QUERY_DELETE        query_ops.c
 *   11    CMD_RESTORE             restore_ops.c
 *   12    CMD_AUTOPILOT_SET       autopilot.c
 */
#ifndef CAIRN_CONSENSUS_CMD_H
#define CAIRN_CONSENSUS_CMD_H

#include "base/buf.h"
#include "consensus/autopilot.h"
#include "state/catalog.h"
#include "state/query.h"
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
	CMD_QUERY_SET = 9,
	CMD_QUERY_DELETE = 10,
	CMD_RESTORE = 11,
	CMD_AUTOPILOT_SET = 12,
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

/* What a /v1/txn operation works on (the key of its JSON object). */
enum txn_op_kind {
	TXN_OP_KV = 0, /* the zero value: KV ops built without a kind stay KV */
	TXN_OP_NODE,
	TXN_OP_SERVICE,
	TXN_OP_CHECK,
	TXN_OP_KIND_COUNT_
};

/* The payload of a Node, Service or Check operation: templates as in
 * state/catalog.h, every string and array owned by the op (txn_cat_op_free).
 *   Node     node (ModifyIndex: kv_op.index)
 *   Service  node.name is the op's "Node"; svc the service
 *   Check    chk (chk.node names the node) */
struct txn_cat_op {
	struct cat_node node;
	struct cat_service svc;
	struct cat_check chk;
};

/* One /v1/txn operation. The name is historical: kind says what it works on;
 * for catalog kinds verb is one of set/cas/get/delete/delete-cas, index the
 * ModifyIndex argument and cat the payload (key, value, session unused). */
struct kv_op {
	enum txn_op_kind kind;
	struct txn_cat_op *cat; /* kind != TXN_OP_KV: owned; else NULL */
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
		struct {
			bool update;		  /* op 1 */
			struct prepared_query *q; /* encode: caller's; decoded: owned */
		} query;			  /* CMD_QUERY_SET */
		const char *query_id;		  /* CMD_QUERY_DELETE, like session_id */
		struct {
			const void *data; /* encode: caller's; decoded: owned copy */
			size_t len;
		} restore; /* CMD_RESTORE: the store snapshot */
		struct {
			struct autopilot_config conf; /* indexes not encoded */
			bool cas;		      /* check-and-set against cas_index */
			uint64_t cas_index;
		} autopilot; /* CMD_AUTOPILOT_SET */
	} u;
};

/* Verb names as Consul's /v1/txn spells them ("set", "get-tree", ...). */
const char *kv_verb_name(enum kv_verb v);
/* Returns the verb or -1. */
int kv_verb_parse(const char *name);
/* True for verbs that never change the store. */
bool kv_verb_is_read(enum kv_verb v);
/* "KV", "Node", "Service", "Check": the op's JSON key and Consul's word for it
 * in messages ("unknown Node verb ..."). */
const char *txn_op_kind_name(enum txn_op_kind k);
/* Whether verb v exists for ops of kind k (catalog kinds: set, cas, get,
 * delete, delete-cas). */
bool txn_verb_allowed(enum txn_op_kind k, enum kv_verb v);
/* Release what a catalog op owns (NULL-safe), and the struct itself. */
void txn_cat_op_free(struct txn_cat_op *op);

/* Append the encoding of c to out. Catalog templates: NULL strings encode as
 * "", map order is kept (the store sorts). */
void cmd_encode(const struct cmd *c, struct buf *out);
/* Decode; on success c owns allocated memory (release with cmd_free). */
int cmd_decode(const void *data, size_t len, struct cmd *c);
void cmd_free(struct cmd *c);

#endif
