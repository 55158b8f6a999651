/*
 * Applying the operator's commands (CMD_RESTORE, CMD_AUTOPILOT_SET, cmd.h):
 * the meaning of those log entries on every server, in log order, on the loop
 * thread, from the FSM (fsm.c).
 *
 * restore_ops_apply replaces the store with the command's snapshot. It gets
 * the transaction the FSM opened for the entry and closes it first, because
 * store_restore swaps whole tables and must run with no transaction open; the
 * store index then ends at least at the entry's index. A snapshot that does not
 * decode leaves the store as it was (store_restore is all-or-nothing) and
 * yields one error in the result, the same on every server.
 *
 * autopilot_ops_apply records a new autopilot configuration (autopilot.h) in
 * the node and in <raft dir>/autopilot.conf; a failed check-and-set yields
 * one error. Both set res->index to the entry's index.
 */
#ifndef CAIRN_CONSENSUS_OPERATOR_OPS_H
#define CAIRN_CONSENSUS_OPERATOR_OPS_H

#include "consensus/cmd.h"
#include "consensus/fsm.h"
#include "consensus/kvops.h"
#include "state/store.h"

/* t: the entry's open transaction (closed here). Returns 0 or the error. */
int restore_ops_apply(struct store *s, struct store_txn *t, const struct cmd *c, uint64_t index,
		      struct txn_result *res);
/* t: the entry's open transaction (committed empty). f: the node's FSM. */
int autopilot_ops_apply(struct fsm *f, struct store_txn *t, const struct cmd *c, uint64_t index,
			struct txn_result *res);

#endif
