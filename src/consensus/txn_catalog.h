/*
 * /v1/txn Node, Service and Check operations: their meaning inside CMD_KV_TXN
 * (version 2), after Consul's state store (agent/consul/state/txn.go txnNode,
 * txnService, txnCheck). Called by kvops_eval for every op whose kind is not
 * KV, in op order, in the transaction the KV ops use; t == NULL evaluates a
 * read-only transaction (get verbs only). Loop thread, pure.
 *
 *   verb        Node                    Service (on "Node")     Check
 *   get         by ID when given, else  by service ID           by node, check ID
 *               by name
 *   set         register the node       node must exist         node (and service)
 *                                                               must exist
 *   cas         set when ModifyIndex matches (0: only when absent)
 *   delete      the node with its       the service with its    the check
 *               services and checks     checks
 *   delete-cas  delete when it exists and ModifyIndex matches
 *
 * Errors are Consul's texts: `node "n" doesn't exist`, `failed to set node
 * "n", index is stale`, `service "s" on node "n" doesn't exist`, `failed to
 * delete check "c" on node "n", index is stale`, "Missing node registration",
 * "Missing service registration", or the store's register/deregister message.
 * get and set/cas return the entry (a Node, Service or Check result), deletes
 * nothing. An empty service or check ID means the Name, as in a register.
 * Every write also runs the session checks of a catalog command
 * (session_txn_check_nodes) so sessions tied to a deleted node or check go in
 * the same entry.
 */
#ifndef CAIRN_CONSENSUS_TXN_CATALOG_H
#define CAIRN_CONSENSUS_TXN_CATALOG_H

#include "consensus/cmd.h"
#include "consensus/kvops.h"
#include "state/store.h"

/* Returns 0, or CAIRN_E_CAS with the error recorded in res for op index i. */
int txn_catalog_eval(struct store *s, struct store_txn *t, const struct kv_op *op, size_t i,
		     struct txn_result *res);

#endif
