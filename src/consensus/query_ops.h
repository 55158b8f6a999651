/*
 * Applying prepared-query commands (CMD_QUERY_SET, CMD_QUERY_DELETE) to the
 * store: the meaning of those log entries, on every server, in log order, on
 * the loop thread. Pure: no I/O, no clock.
 *
 * query_ops_apply runs the command in the open transaction t and commits it
 * when it succeeded, aborts it when it failed. The proposer reads the result
 * like a catalog command's (catalog_ops_error): no items, and no error or one
 * error with Consul's message ("Cannot modify non-existent prepared query:
 * '<id>'", "name 'x' aliases an existing query name", "invalid session
 * \"<id>\"", ...). res->index is the entry's index.
 */
#ifndef CAIRN_CONSENSUS_QUERY_OPS_H
#define CAIRN_CONSENSUS_QUERY_OPS_H

#include "consensus/cmd.h"
#include "consensus/kvops.h"
#include "state/store.h"

/* c: a decoded query command. Commits or aborts t. Returns 0 or the error. */
int query_ops_apply(struct store_txn *t, const struct cmd *c, uint64_t index,
		    struct txn_result *res);

#endif
