/*
 * CMD_RESTORE: replace the store with a snapshot carried in the log
 * (operator_ops.h). Loop thread, from the FSM.
 *
 * The entry's transaction is aborted empty (which moves the store index to
 * the entry's index), the snapshot is decoded and swapped in by
 * store_restore (all-or-nothing, fires every watcher), and an empty
 * transaction at the entry's index is committed when the snapshot's own index
 * is older, so that what readers see after a restore carries an index at or
 * past the restore itself. A snapshot with a newer index (a backup of a
 * cluster that had gone further) keeps its index; the FSM then applies later
 * entries above it (fsm.c), so store indexes never run backwards.
 */
#include "consensus/operator_ops.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"

int restore_ops_apply(struct store *s, struct store_txn *t, const struct cmd *c, uint64_t index,
		      struct txn_result *res)
{
	store_txn_abort(t);
	res->index = index;
	int rc = store_restore(s, c->u.restore.data, c->u.restore.len);
	if (rc) {
		log_error("agent.fsm", "snapshot restore at index %llu failed: %s",
			  (unsigned long long)index, cairn_strerror(rc));
		res->errors = xcalloc(1, sizeof(*res->errors));
		res->errors[0].op_index = 0;
		res->errors[0].what = buf_fmt("failed to restore snapshot: %s", cairn_strerror(rc));
		res->nerrors = 1;
		return rc;
	}
	if (store_index(s) < index)
		store_txn_commit(store_txn_begin(s, index));
	log_info("agent.fsm", "restored snapshot from the log: index=%llu keys=%zu",
		 (unsigned long long)index, kv_count(s));
	return 0;
}
