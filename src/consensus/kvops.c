/* /v1/txn operation semantics for KV ops and the KV endpoint, and the dispatch
 * of Node, Service and Check ops to txn_catalog.c (see kvops.h). */
#include "consensus/kvops.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"
#include "consensus/txn_catalog.h"
#include "state/session.h"

#include <stdlib.h>
#include <string.h>

static void add_item(struct txn_result *res, const struct kv_entry *e, bool with_value)
{
	res->items = xrealloc(res->items, (res->nitems + 1) * sizeof(*res->items));
	kv_entry_ref((struct kv_entry *)e);
	res->items[res->nitems++] =
	    (struct txn_item){.entry = (struct kv_entry *)e, .with_value = with_value};
}

void txn_result_error(struct txn_result *res, size_t i, char *what)
{
	res->errors = xrealloc(res->errors, (res->nerrors + 1) * sizeof(*res->errors));
	res->errors[res->nerrors++] = (struct txn_error){i, what, 0};
}

static int collect_tree(void *ctx, const struct kv_entry *e)
{
	add_item(ctx, e, true);
	return 0;
}

/* The quoted form of a key, as Go's %q prints it (enough for messages). */
char *kvops_quote(const char *key)
{
	struct buf b = BUF_INIT;
	buf_putc(&b, '"');
	for (const char *p = key; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\')
			buf_printf(&b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			buf_printf(&b, "\\x%02x", c);
		else
			buf_putc(&b, (char)c);
	}
	buf_putc(&b, '"');
	return buf_steal(&b);
}

void txn_result_key_error(struct txn_result *res, size_t i, const char *fmt, const char *key)
{
	char *q = kvops_quote(key);
	struct buf msg = BUF_INIT;
	buf_printf(&msg, fmt, q);
	free(q);
	txn_result_error(res, i, buf_steal(&msg));
}

/* Consul's errors for a lock request that cannot be evaluated at all. */
static void session_error(struct txn_result *res, size_t i, int rv, const char *session)
{
	if (rv == CAIRN_E_INVAL)
		txn_result_error(res, i, xstrdup("missing session"));
	else if (rv == CAIRN_E_NOTFOUND)
		txn_result_key_error(res, i, "invalid session %s", session);
	else
		txn_result_error(res, i, xstrdup(cairn_strerror(rv)));
	res->errors[res->nerrors - 1].code = rv;
}

/* One write op through t; returns 0 or CAIRN_E_CAS (error recorded). */
static int eval_write(struct store *s, struct store_txn *t, const struct kv_op *op, size_t i,
		      struct txn_result *res)
{
	int rv = 0;
	switch (op->verb) {
	case KV_SET:
		rv = kv_txn_set(t, op->key, op->value, op->value_len, op->flags);
		break;
	case KV_CAS:
		rv = kv_txn_cas(t, op->key, op->value, op->value_len, op->flags, op->index);
		if (rv)
			txn_result_key_error(res, i, "failed to set key %s, index is stale",
					     op->key);
		break;
	case KV_DELETE:
		return kv_txn_delete(t, op->key) ? CAIRN_E_CAS : 0;
	case KV_DELETE_TREE:
		return kv_txn_delete_tree(t, op->key) ? CAIRN_E_CAS : 0;
	case KV_DELETE_CAS:
		rv = kv_txn_delete_cas(t, op->key, op->index);
		if (rv)
			txn_result_key_error(res, i, "failed to delete key %s, index is stale",
					     op->key);
		return rv ? CAIRN_E_CAS : 0;
	case KV_LOCK:
		rv = kv_txn_lock(t, op->key, op->value, op->value_len, op->flags, op->session);
		if (rv == CAIRN_E_CAS)
			txn_result_key_error(res, i, "failed to lock key %s, lock is already held",
					     op->key);
		else if (rv)
			session_error(res, i, rv, op->session);
		break;
	case KV_UNLOCK:
		rv = kv_txn_unlock(t, op->key, op->value, op->value_len, op->flags, op->session);
		if (rv == CAIRN_E_CAS)
			txn_result_key_error(
			    res, i,
			    "failed to unlock key %s, lock isn't held, or is held by another "
			    "session",
			    op->key);
		else if (rv)
			session_error(res, i, rv, op->session);
		break;
	default:
		return CAIRN_E_INVAL;
	}
	if (rv)
		return CAIRN_E_CAS;
	const struct kv_entry *e = kv_get(s, op->key);
	if (e)
		add_item(res, e, false);
	return 0;
}

static int eval_read(struct store *s, const struct kv_op *op, size_t i, struct txn_result *res)
{
	const struct kv_entry *e = kv_get(s, op->key);
	switch (op->verb) {
	case KV_GET:
		if (!e) {
			txn_result_key_error(res, i, "key %s doesn't exist", op->key);
			return CAIRN_E_CAS;
		}
		add_item(res, e, true);
		return 0;
	case KV_GET_TREE:
		kv_scan(s, op->key, collect_tree, res);
		return 0;
	case KV_CHECK_INDEX:
		if (!e) {
			txn_result_key_error(res, i, "failed to check index, key %s doesn't exist",
					     op->key);
			return CAIRN_E_CAS;
		}
		if (e->modify_index != op->index) {
			char *q = kvops_quote(op->key);
			struct buf m = BUF_INIT;
			buf_printf(
			    &m, "failed index check for key %s, current modify index %llu != %llu",
			    q, (unsigned long long)e->modify_index, (unsigned long long)op->index);
			txn_result_error(res, i, buf_steal(&m));
			free(q);
			return CAIRN_E_CAS;
		}
		add_item(res, e, false);
		return 0;
	case KV_CHECK_NOT_EXISTS:
		if (e) {
			txn_result_key_error(res, i, "key %s exists", op->key);
			return CAIRN_E_CAS;
		}
		return 0;
	case KV_CHECK_SESSION:
		if (!e) {
			txn_result_key_error(
			    res, i, "failed to check session, key %s doesn't exist", op->key);
			return CAIRN_E_CAS;
		}
		if (strcmp(e->session ? e->session : "", op->session ? op->session : "") != 0) {
			char *q = kvops_quote(op->key);
			char *cur = kvops_quote(e->session ? e->session : "");
			char *want = kvops_quote(op->session ? op->session : "");
			struct buf m = BUF_INIT;
			buf_printf(&m, "failed session check for key %s, current session %s != %s",
				   q, cur, want);
			txn_result_error(res, i, buf_steal(&m));
			free(q);
			free(cur);
			free(want);
			return CAIRN_E_CAS;
		}
		add_item(res, e, false);
		return 0;
	default:
		return CAIRN_E_INVAL;
	}
}

static void drop_items(struct txn_result *res)
{
	for (size_t i = 0; i < res->nitems; i++) {
		struct txn_item *it = &res->items[i];
		if (it->kind == TXN_OP_NODE)
			catalog_node_unref((struct cat_node *)it->node);
		else if (it->kind == TXN_OP_SERVICE)
			catalog_service_unref((struct cat_service *)it->svc);
		else if (it->kind == TXN_OP_CHECK)
			catalog_check_unref((struct cat_check *)it->chk);
		else
			kv_entry_unref(it->entry);
	}
	free(res->items);
	res->items = NULL;
	res->nitems = 0;
}

int kvops_eval(struct store *s, struct store_txn *t, const struct kv_op *ops, size_t n,
	       struct txn_result *res)
{
	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < n; i++) {
		const struct kv_op *op = &ops[i];
		if (op->kind != TXN_OP_KV) {
			txn_catalog_eval(s, t, op, i, res);
		} else if (kv_verb_is_read(op->verb)) {
			eval_read(s, op, i, res);
		} else if (!t) {
			txn_result_key_error(res, i,
					     "write operation on key %s in a read-only transaction",
					     op->key);
		} else {
			eval_write(s, t, op, i, res);
		}
	}
	if (res->nerrors) {
		/* Consul returns no results for a rolled-back transaction */
		drop_items(res);
		return CAIRN_E_CAS;
	}
	return 0;
}

void txn_result_free(struct txn_result *res)
{
	drop_items(res);
	for (size_t i = 0; i < res->nerrors; i++)
		free(res->errors[i].what);
	free(res->errors);
	memset(res, 0, sizeof(*res));
}
