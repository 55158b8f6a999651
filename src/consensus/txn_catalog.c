/* /v1/txn Node, Service and Check operations (see txn_catalog.h). */
#include "consensus/txn_catalog.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "state/catalog.h"
#include "state/session.h"

#include <stdlib.h>
#include <string.h>

static int fail(struct txn_result *res, size_t i, char *what)
{
	txn_result_error(res, i, what);
	return CAIRN_E_CAS;
}

/* A message naming one or two things as Go's %q does. */
static char *msg1(const char *fmt, const char *a) __attribute__((format(printf, 1, 0)));
static char *msg1(const char *fmt, const char *a)
{
	char *qa = kvops_quote(a);
	char *m = buf_fmt(fmt, qa);
	free(qa);
	return m;
}

static char *msg2(const char *fmt, const char *a, const char *b)
    __attribute__((format(printf, 1, 0)));
static char *msg2(const char *fmt, const char *a, const char *b)
{
	char *qa = kvops_quote(a), *qb = kvops_quote(b);
	char *m = buf_fmt(fmt, qa, qb);
	free(qa);
	free(qb);
	return m;
}

static struct txn_item *push(struct txn_result *res, enum txn_op_kind kind)
{
	res->items = xrealloc(res->items, (res->nitems + 1) * sizeof(*res->items));
	struct txn_item *it = &res->items[res->nitems++];
	*it = (struct txn_item){.kind = kind};
	return it;
}

static const char *str(const char *s)
{
	return s ? s : "";
}

/* cas: ModifyIndex 0 means "only if absent", else it must match. */
static bool cas_holds(uint64_t want, bool exists, uint64_t modify_index)
{
	return want == 0 ? !exists : exists && modify_index == want;
}

/* Consul's txn path reports the node-name clash once; the register path
 * (which cairn's store speaks) doubles its prefix. */
static char *single_prefix(char *why)
{
	static const char p[] = "failed inserting node: ";
	size_t n = sizeof(p) - 1;
	if (why && strncmp(why, p, n) == 0 && strncmp(why + n, p, n) == 0)
		memmove(why, why + n, strlen(why + n) + 1);
	return why;
}

static int do_register(struct store_txn *t, const struct cat_register *r, size_t i,
		       struct txn_result *res)
{
	char *why = NULL;
	if (catalog_txn_register(t, r, &why))
		return fail(res, i, single_prefix(why));
	session_txn_check_nodes(t);
	return 0;
}

static int do_deregister(struct store_txn *t, const char *node, const char *sid, const char *cid,
			 size_t i, struct txn_result *res)
{
	struct cat_deregister d = {node, sid, cid};
	char *why = NULL;
	if (catalog_txn_deregister(t, &d, &why))
		return fail(res, i, why);
	session_txn_check_nodes(t);
	return 0;
}

/* ---- Node ---- */

static int node_op(struct store *s, struct store_txn *t, const struct kv_op *op, size_t i,
		   struct txn_result *res)
{
	const struct cat_node *tmpl = &op->cat->node;
	const char *name = str(tmpl->name);
	const struct cat_node *cur = catalog_node(s, name);
	struct cat_register reg = {.node = tmpl};
	switch (op->verb) {
	case KV_GET:
		break;
	case KV_CAS:
		if (!cas_holds(op->index, cur != NULL, cur ? cur->modify_index : 0))
			return fail(res, i, msg1("failed to set node %s, index is stale", name));
		/* fall through */
	case KV_SET:
		if (do_register(t, &reg, i, res))
			return CAIRN_E_CAS;
		break;
	case KV_DELETE_CAS:
		if (!cur || cur->modify_index != op->index)
			return fail(res, i, msg1("failed to delete node %s, index is stale", name));
		/* fall through */
	case KV_DELETE:
		return do_deregister(t, name, NULL, NULL, i, res);
	default:
		return fail(res, i, msg1("unknown Node verb %s", kv_verb_name(op->verb)));
	}
	const struct cat_node *n =
	    *str(tmpl->id) ? catalog_node_by_id(s, tmpl->id) : catalog_node(s, name);
	if (!n)
		return fail(res, i, msg1("node %s doesn't exist", name));
	catalog_node_ref((struct cat_node *)n);
	push(res, TXN_OP_NODE)->node = n;
	return 0;
}

/* ---- Service ---- */

static int service_op(struct store *s, struct store_txn *t, const struct kv_op *op, size_t i,
		      struct txn_result *res)
{
	const char *node = str(op->cat->node.name);
	const struct cat_service *tmpl = &op->cat->svc;
	const char *id = *str(tmpl->id) ? tmpl->id : str(tmpl->name);
	const struct cat_service *cur = catalog_node_service(s, node, id);
	struct cat_node who = {.name = node};
	struct cat_register reg = {
	    .node = &who, .skip_node_update = true, .services = tmpl, .nservices = 1};
	switch (op->verb) {
	case KV_GET:
		if (!cur)
			return fail(res, i, msg2("service %s on node %s doesn't exist", id, node));
		break;
	case KV_CAS:
		if (!cas_holds(op->index, cur != NULL, cur ? cur->modify_index : 0))
			return fail(
			    res, i,
			    msg2("failed to set service %s on node %s, index is stale", id, node));
		/* fall through */
	case KV_SET:
		if (!catalog_node(s, node))
			return fail(res, i, xstrdup("Missing node registration"));
		if (do_register(t, &reg, i, res))
			return CAIRN_E_CAS;
		cur = catalog_node_service(s, node, id);
		break;
	case KV_DELETE_CAS:
		if (!cur || cur->modify_index != op->index)
			return fail(res, i,
				    msg2("failed to delete service %s on node %s, index is stale",
					 id, node));
		/* fall through */
	case KV_DELETE:
		return do_deregister(t, node, id, NULL, i, res);
	default:
		return fail(res, i, msg1("unknown Service verb %s", kv_verb_name(op->verb)));
	}
	if (cur) {
		catalog_service_ref((struct cat_service *)cur);
		push(res, TXN_OP_SERVICE)->svc = cur;
	}
	return 0;
}

/* ---- Check ---- */

static int check_op(struct store *s, struct store_txn *t, const struct kv_op *op, size_t i,
		    struct txn_result *res)
{
	const struct cat_check *tmpl = &op->cat->chk;
	const char *node = str(tmpl->node);
	const char *id = *str(tmpl->id) ? tmpl->id : str(tmpl->name);
	const struct cat_check *cur = catalog_node_check(s, node, id);
	struct cat_node who = {.name = node};
	struct cat_register reg = {
	    .node = &who, .skip_node_update = true, .checks = tmpl, .nchecks = 1};
	switch (op->verb) {
	case KV_GET:
		if (!cur)
			return fail(res, i, msg2("check %s on node %s doesn't exist", id, node));
		break;
	case KV_CAS:
		if (!cas_holds(op->index, cur != NULL, cur ? cur->modify_index : 0))
			return fail(
			    res, i,
			    msg2("failed to set check %s on node %s, index is stale", id, node));
		/* fall through */
	case KV_SET:
		if (!catalog_node(s, node))
			return fail(res, i, xstrdup("Missing node registration"));
		if (*str(tmpl->service_id) && !catalog_node_service(s, node, tmpl->service_id))
			return fail(res, i, xstrdup("Missing service registration"));
		if (do_register(t, &reg, i, res))
			return CAIRN_E_CAS;
		cur = catalog_node_check(s, node, id);
		break;
	case KV_DELETE_CAS:
		if (!cur || cur->modify_index != op->index)
			return fail(
			    res, i,
			    msg2("failed to delete check %s on node %s, index is stale", id, node));
		/* fall through */
	case KV_DELETE:
		return do_deregister(t, node, NULL, id, i, res);
	default:
		return fail(res, i, msg1("unknown Check verb %s", kv_verb_name(op->verb)));
	}
	if (cur) {
		catalog_check_ref((struct cat_check *)cur);
		push(res, TXN_OP_CHECK)->chk = cur;
	}
	return 0;
}

int txn_catalog_eval(struct store *s, struct store_txn *t, const struct kv_op *op, size_t i,
		     struct txn_result *res)
{
	if (!op->cat)
		return fail(res, i, xstrdup("no operation specified"));
	if (!t && op->verb != KV_GET)
		return fail(res, i,
			    buf_fmt("write operation on a %s in a read-only transaction",
				    txn_op_kind_name(op->kind)));
	switch (op->kind) {
	case TXN_OP_NODE:
		return node_op(s, t, op, i, res);
	case TXN_OP_SERVICE:
		return service_op(s, t, op, i, res);
	case TXN_OP_CHECK:
		return check_op(s, t, op, i, res);
	default:
		return fail(res, i, xstrdup("no operation specified"));
	}
}
