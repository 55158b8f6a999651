/*
 * Applying prepared-query commands (see query_ops.h). Loop thread, from the
 * FSM. The store does the work (state/query.h); this file maps a command onto
 * it, decides commit or abort and turns the store's message into the result.
 */
#include "consensus/query_ops.h"

#include "consensus/catalog_ops.h"

#include "base/err.h"

int query_ops_apply(struct store_txn *t, const struct cmd *c, uint64_t index,
		    struct txn_result *res)
{
	char *why = NULL;
	int rc = CAIRN_E_INVAL;
	if (c->type == CMD_QUERY_SET)
		rc = pquery_txn_set(t, c->u.query.q, c->u.query.update, &why);
	else if (c->type == CMD_QUERY_DELETE)
		rc = pquery_txn_delete(t, c->u.query_id, &why);
	return catalog_ops_finish(t, rc, why, index, res);
}
