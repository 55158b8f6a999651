/*
 * Catalog reads that /v1/txn Node, Service and Check operations need beyond
 * catalog_read.c (the operations themselves are consensus/txn_catalog.c, over
 * the public catalog API). Consul's txnNode looks a node up by its ID when the
 * operation carries one, by name otherwise. Loop thread, pure.
 */
#include "state/catalog_int.h"
#include "state/internal.h"

const struct cat_node *catalog_node_by_id(const struct store *s, const char *id)
{
	const struct cat_nslot *ns = id ? cat_slot_by_id(s->cat, id) : NULL;
	return ns ? ns->node : NULL;
}
