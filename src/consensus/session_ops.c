/*
 * Applying session commands (see session_ops.h). Loop thread, from the FSM.
 * The store does the work (state/session.h); this file maps a command onto it,
 * decides commit or abort and turns the store's message into the result.
 */
#include "consensus/session_ops.h"

#include "consensus/catalog_ops.h"

#include "base/alloc.h"
#include "base/err.h"

#include <stdlib.h>

int session_ops_apply(struct store_txn *t, const struct cmd *c, uint64_t index,
		      struct txn_result *res)
{
	char *why = NULL;
	int rc = CAIRN_E_INVAL;
	if (c->type == CMD_SESSION_CREATE)
		rc = session_txn_create(t, &c->u.sess, &why);
	else if (c->type == CMD_SESSION_DESTROY)
		rc = session_txn_destroy(t, c->u.session_id);
	return catalog_ops_finish(t, rc, why, index, res);
}
