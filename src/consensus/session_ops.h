/*
 * Applying session commands (CMD_SESSION_CREATE, CMD_SESSION_DESTROY) to the
 * store: the meaning of those log entries, on every server, in log order, on
 * the loop thread. Pure: no I/O, no clock.
 *
 * session_ops_apply runs the command in the open transaction t and commits it
 * when it succeeded, aborts it when it failed. The proposer reads the result
 * like a catalog command's (catalog_ops_error): no items, and no error or one
 * error with Consul's message ("Missing node registration", "Check
 * 'serfHealth' is in critical state", ...). res->index is the entry's index.
 * Destroying a session that does not exist succeeds (Consul's too).
 */
#ifndef CAIRN_CONSENSUS_SESSION_OPS_H
#define CAIRN_CONSENSUS_SESSION_OPS_H

#include "consensus/cmd.h"
#include "consensus/kvops.h"
#include "state/store.h"

/* c: a decoded session command. Commits or aborts t. Returns 0 or the error. */
int session_ops_apply(struct store_txn *t, const struct cmd *c, uint64_t index,
		      struct txn_result *res);

#endif
