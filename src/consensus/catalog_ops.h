/*
 * Applying catalog commands (CMD_CATALOG_REGISTER, CMD_CATALOG_DEREGISTER) to
 * the store: the meaning of those log entries, called by the FSM on every
 * server, in log order, on the loop thread. Pure: no I/O.
 *
 * catalog_ops_apply runs the request in the open transaction t and commits it
 * when it succeeded, aborts it when it failed (Consul applies a registration
 * all or nothing). The result reaches the proposer as a struct txn_result
 * (kvops.h) so fsm_take_result works for every command: no items, and either
 * no error (success, also when nothing changed) or one error (op_index 0)
 * whose text is Consul's message, e.g. "Unknown service ID 'db' for check ID
 * 'c1'". res->index is the Raft index of the entry.
 */
#ifndef CAIRN_CONSENSUS_CATALOG_OPS_H
#define CAIRN_CONSENSUS_CATALOG_OPS_H

#include "consensus/cmd.h"
#include "consensus/kvops.h"
#include "state/store.h"

/* c: a decoded CMD_CATALOG_REGISTER or CMD_CATALOG_DEREGISTER. Commits or
 * aborts t (and so frees it). Returns 0 or the store's error code. */
int catalog_ops_apply(struct store_txn *t, const struct cmd *c, uint64_t index,
		      struct txn_result *res);
/* The end of a one-request command (catalog, session): commits t when rc is 0,
 * else aborts it and records one error (op_index 0) with why (taken; NULL: the
 * text of rc). Sets res->index; returns rc. */
int catalog_ops_finish(struct store_txn *t, int rc, char *why, uint64_t index,
		       struct txn_result *res);
/* The error message of a catalog command's result, NULL when it succeeded. */
const char *catalog_ops_error(const struct txn_result *res);

#endif
