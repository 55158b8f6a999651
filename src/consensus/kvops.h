/*
 * Evaluating /v1/txn operations against the store: the meaning of CMD_KV_TXN.
 *
 * kvops_eval runs a list of operations in order, with Consul's /v1/txn
 * semantics: every op is attempted, each failure is recorded with its op index
 * and Consul's message, and if any failed the whole transaction is rolled back.
 * With t == NULL only read verbs are allowed (the read-only fast path, served
 * from the store without Raft); with a transaction, writes go through it and the
 * caller commits or aborts according to the result. Pure: loop thread, no I/O.
 *
 * lock/unlock follow Consul's kvsLockTxn/kvsUnlockTxn (state/session.h); an
 * acquire refused by lock-delay never gets here (the endpoint checks first).
 *
 * Results follow Consul: set/cas/lock/unlock/check-index/check-session/
 * check-not-exists... return the entry without its value, get returns it with the
 * value, get-tree one result per entry, delete verbs nothing.
 *
 * Node, Service and Check ops (kind != TXN_OP_KV) are evaluated in the same
 * loop and the same store transaction by txn_catalog.c, so a failing KV op
 * rolls back catalog changes and the other way round; their results are
 * catalog entries (txn_item.kind).
 */
#ifndef CAIRN_CONSENSUS_KVOPS_H
#define CAIRN_CONSENSUS_KVOPS_H

#include "consensus/cmd.h"
#include "state/store.h"

/* One result: a KV entry, or a node, service or check (by kind), each
 * referenced and released by txn_result_free. */
struct txn_item {
	struct kv_entry *entry; /* TXN_OP_KV */
	bool with_value;	/* KV: false renders "Value": null */
	enum txn_op_kind kind;
	const struct cat_node *node;   /* TXN_OP_NODE */
	const struct cat_service *svc; /* TXN_OP_SERVICE */
	const struct cat_check *chk;   /* TXN_OP_CHECK */
};

struct txn_error {
	size_t op_index;
	char *what;
	int code; /* 0: a condition did not hold; else the request itself is bad
		     (missing or unknown session): the KV endpoint answers 500 */
};

struct txn_result {
	struct txn_item *items;
	size_t nitems;
	struct txn_error *errors;
	size_t nerrors;
	uint64_t index; /* Raft index the transaction was applied at (0 for reads) */
};

/* Returns 0 when every op succeeded, CAIRN_E_CAS when some failed (errors set). */
int kvops_eval(struct store *s, struct store_txn *t, const struct kv_op *ops, size_t n,
	       struct txn_result *res);
void txn_result_free(struct txn_result *res);

/* Shared with txn_catalog.c: record an error for op i (text taken), and Go's %q
 * of a string (malloc'd). */
void txn_result_error(struct txn_result *res, size_t i, char *what);
char *kvops_quote(const char *s);
/* Also for the HTTP handler's pre-checks (api/txn.c): an error for op i whose text is fmt with key,
 * as Go's %q quotes it, in its one %s. */
void txn_result_key_error(struct txn_result *res, size_t i, const char *fmt, const char *key);

#endif
