/*
 * Applying catalog commands (see catalog_ops.h). Loop thread, from the FSM.
 *
 * The store does the work (state/catalog.h); this file only maps a command
 * onto catalog_txn_register / catalog_txn_deregister, decides commit or abort,
 * and turns the store's message into the one-error txn_result the proposer
 * reads. A registration is all or nothing, as in Consul, where the whole
 * request is one memdb transaction. A successful one then invalidates the
 * sessions whose node went away or whose checks turned critical or went.
 */
#include "consensus/catalog_ops.h"

#include "base/alloc.h"
#include "base/err.h"
#include "state/session.h"

#include <stdlib.h>

int catalog_ops_apply(struct store_txn *t, const struct cmd *c, uint64_t index,
		      struct txn_result *res)
{
	char *why = NULL;
	int rc = CAIRN_E_INVAL;
	if (c->type == CMD_CATALOG_REGISTER)
		rc = catalog_txn_register(t, &c->u.reg, &why);
	else if (c->type == CMD_CATALOG_DEREGISTER)
		rc = catalog_txn_deregister(t, &c->u.dereg, &why);
	/* sessions tied to a node or check this changed (Consul's checkSessionsTxn):
	 * invalidated in the same entry, on every server */
	if (rc == 0)
		session_txn_check_nodes(t);
	return catalog_ops_finish(t, rc, why, index, res);
}

int catalog_ops_finish(struct store_txn *t, int rc, char *why, uint64_t index,
		       struct txn_result *res)
{
	if (rc == 0) {
		store_txn_commit(t);
	} else {
		store_txn_abort(t);
		res->errors = xcalloc(1, sizeof(*res->errors));
		res->errors[0].op_index = 0;
		res->errors[0].what = why ? why : xstrdup(cairn_strerror(rc));
		res->nerrors = 1;
	}
	res->index = index;
	return rc;
}

const char *catalog_ops_error(const struct txn_result *res)
{
	return res && res->nerrors ? res->errors[0].what : NULL;
}
