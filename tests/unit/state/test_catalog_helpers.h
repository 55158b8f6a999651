/*
 * Shared helpers for the catalog unit tests (header-only). dump_catalog renders
 * everything the catalog holds, indexes and floors included, so "unchanged"
 * is string equality; the builders make templates with little typing.
 */
#ifndef CAIRN_TEST_STATE_CATALOG_HELPERS_H
#define CAIRN_TEST_STATE_CATALOG_HELPERS_H

#include "state/catalog.h"
#include "state/internal.h"

#include "base/buf.h"

#include <stdlib.h>
#include <string.h>

static inline void dump_pairs(struct buf *b, const char *what, const struct cat_pair *m, size_t n)
{
	buf_printf(b, " %s{", what);
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s=%s;", m[i].key, m[i].value);
	buf_putc(b, '}');
}

static inline void dump_list(struct buf *b, const char *what, const char *const *v, size_t n)
{
	buf_printf(b, " %s[", what);
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s,", v[i]);
	buf_putc(b, ']');
}

static inline int dump_check(void *ctx, const struct cat_check *c)
{
	struct buf *b = ctx;
	buf_printf(b, "  check %s/%s c=%llu m=%llu name=%s st=%s notes=%s out=%s svc=%s/%s",
		   c->node, c->id, (unsigned long long)c->create_index,
		   (unsigned long long)c->modify_index, c->name, cat_status_name(c->status),
		   c->notes, c->output, c->service_id, c->service_name);
	dump_list(b, "stags", c->service_tags, c->nservice_tags);
	buf_printf(b, " type=%s int=%s to=%s xp=%d def=%s\n", c->type, c->interval, c->timeout,
		   c->exposed_port, c->definition_json ? c->definition_json : "-");
	return 0;
}

static inline int dump_service(void *ctx, const struct cat_service *s)
{
	struct buf *b = ctx;
	buf_printf(b, "  svc %s/%s c=%llu m=%llu name=%s kind=%s addr=%s port=%d", s->node, s->id,
		   (unsigned long long)s->create_index, (unsigned long long)s->modify_index,
		   s->name, s->kind, s->address, s->port);
	dump_list(b, "tags", s->tags, s->ntags);
	buf_puts(b, " tagged{");
	for (size_t i = 0; i < s->ntagged; i++)
		buf_printf(b, "%s=%s:%d;", s->tagged[i].key, s->tagged[i].address,
			   s->tagged[i].port);
	buf_putc(b, '}');
	dump_pairs(b, "meta", s->meta, s->nmeta);
	buf_printf(b, " sock=%s w=%d/%d eto=%d px=%s cx=%s loc=%s\n", s->socket_path,
		   s->weight_passing, s->weight_warning, s->enable_tag_override,
		   s->proxy_json ? s->proxy_json : "-", s->connect_json ? s->connect_json : "-",
		   s->locality_json ? s->locality_json : "-");
	return 0;
}

struct dump_ctx {
	struct buf *b;
	const struct store *s;
};

static inline int dump_node(void *ctx, const struct cat_node *n)
{
	struct dump_ctx *d = ctx;
	buf_printf(d->b, "node %s id=%s addr=%s dc=%s c=%llu m=%llu idx=%llu", n->name, n->id,
		   n->address, n->datacenter, (unsigned long long)n->create_index,
		   (unsigned long long)n->modify_index,
		   (unsigned long long)catalog_node_index(d->s, n->name));
	dump_pairs(d->b, "tagged", n->tagged, n->ntagged);
	dump_pairs(d->b, "meta", n->meta, n->nmeta);
	buf_putc(d->b, '\n');
	catalog_node_services(d->s, n->name, dump_service, d->b);
	catalog_node_checks(d->s, n->name, dump_check, d->b);
	return 0;
}

static inline int dump_name(void *ctx, const char *name)
{
	struct dump_ctx *d = ctx;
	buf_printf(d->b, "service %s idx=%llu n=%zu\n", name,
		   (unsigned long long)catalog_service_index(d->s, name),
		   catalog_service_instance_count(d->s, name));
	return 0;
}

/* Everything the catalog holds, as text (caller frees). */
static inline char *dump_catalog(const struct store *s)
{
	struct buf b = BUF_INIT;
	struct dump_ctx d = {&b, s};
	const struct catalog *cat = s->cat;
	buf_printf(&b, "index=%llu nodes=%llu services=%llu checks=%llu",
		   (unsigned long long)store_index(s), (unsigned long long)catalog_nodes_index(s),
		   (unsigned long long)catalog_services_index(s),
		   (unsigned long long)catalog_checks_index(s, CAT_ANY));
	for (int st = 0; st < CAT_STATUS_COUNT_; st++)
		buf_printf(&b, " %s=%llu", cat_status_name(st),
			   (unsigned long long)catalog_checks_index(s, st));
	buf_printf(&b, " nfloor=%llu sfloor=%llu n=%zu/%zu/%zu\n",
		   (unsigned long long)cat->node_floor, (unsigned long long)cat->service_floor,
		   catalog_node_count(s), catalog_service_count(s), catalog_check_count(s));
	catalog_nodes(s, dump_node, &d);
	catalog_service_names(s, dump_name, &d);
	return buf_steal(&b);
}

/* ---- templates ---- */

static inline struct cat_node node_tmpl(const char *name, const char *addr)
{
	return (struct cat_node){.name = name, .address = addr, .datacenter = "dc1"};
}

static inline struct cat_service svc_tmpl(const char *id, const char *name, int port)
{
	return (struct cat_service){
	    .id = id, .name = name, .port = port, .weight_passing = 1, .weight_warning = 1};
}

static inline struct cat_check chk_tmpl(const char *id, const char *svc_id, enum cat_status st)
{
	return (struct cat_check){.id = id, .name = id, .service_id = svc_id, .status = st};
}

/* Register in its own transaction at index; returns the store's code (the
 * transaction is aborted on error) and frees the message. */
static inline int reg(struct store *s, uint64_t index, const struct cat_register *r)
{
	char *why = NULL;
	struct store_txn *t = store_txn_begin(s, index);
	int rc = catalog_txn_register(t, r, &why);
	if (rc)
		store_txn_abort(t);
	else
		store_txn_commit(t);
	free(why);
	return rc;
}

/* Node + optional one service + optional one check. */
static inline int reg1(struct store *s, uint64_t index, const char *node, const char *addr,
		       const struct cat_service *svc, const struct cat_check *chk)
{
	struct cat_node n = node_tmpl(node, addr);
	struct cat_register r = {&n, false, svc, svc ? 1 : 0, chk, chk ? 1 : 0};
	return reg(s, index, &r);
}

static inline int dereg(struct store *s, uint64_t index, const char *node, const char *svc,
			const char *chk)
{
	char *why = NULL;
	struct cat_deregister d = {node, svc, chk};
	struct store_txn *t = store_txn_begin(s, index);
	int rc = catalog_txn_deregister(t, &d, &why);
	if (rc)
		store_txn_abort(t);
	else
		store_txn_commit(t);
	free(why);
	return rc;
}

#endif
