/*
 * Catalog sections of a snapshot: freeze, encode, decode, build (interface in
 * catalog_snap.h; container in snapshot.c). All integers little-endian. Field
 * shapes: str = 4 length L + L bytes (no NUL); ostr = str, or length
 * 0xffffffff alone for "absent"; map = 4 count + count x (str key, str value),
 * keys strictly increasing (bytewise); list = 4 count + count x str.
 *
 * Node record (section 3):
 *   0   8  create index
 *   8   8  modify index
 *   16  8  node index (catalog_node_index)
 *   24  .. str id, str name, str address, str datacenter, map tagged, map meta
 *
 * Service record (section 4):
 *   0   8  create index
 *   8   8  modify index
 *   16  .. str node, str id, str name, str kind, list tags, str address,
 *          4 count T + T x (str key, str address, 4 port), map meta, 4 port,
 *          str socket path, 4 weight passing, 4 weight warning,
 *          1 enable tag override (0/1), ostr proxy, ostr connect, ostr locality
 *
 * Check record (section 5):
 *   0   8  create index
 *   8   8  modify index
 *   16  1  status (enum cat_status)
 *   17  .. str node, str id, str name, str notes, str output, str service id,
 *          str service name, list service tags, str type, str interval,
 *          str timeout, 4 exposed port, ostr definition
 *
 * Index record (section 6), first byte the kind:
 *   kind 0 (once): 9 x 8: nodes, services, checks, passing, warning, critical,
 *          maintenance indexes, node floor, service floor
 *   kind 1: 8 index of a service name, then str name (one per name)
 *
 * Restore checks: lengths, no NUL in strings, 1 <= create <= modify <= store
 * index, node and name indexes in [1, store index], names unique (case
 * folded) per table, every service and check on a node that exists, every
 * service check on a service of its node, every index record naming a
 * service that exists. A name without an index record gets the store index
 * (it can only move forward). A snapshot without catalog sections restores
 * an empty catalog. Encoders skip empty sections, so a store without catalog
 * data writes exactly the old format.
 */
#include "state/catalog_snap.h"
#include "state/wire.h"

#include "state/snapshot.h"

#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>

#define NTABLES 9 /* index record kind 0 */

struct frozen_group {
	const char *name; /* first instance's name (that entry is referenced) */
	uint64_t index;	  /* catalog_service_index */
};

struct frozen_node {
	struct cat_node *node; /* a reference */
	uint64_t index;	       /* per-node index */
};

struct cat_frozen {
	struct cvec nodes;	  /* struct frozen_node, in catalog order */
	struct cvec svcs;	  /* struct cat_service * (a reference each) */
	struct cvec checks;	  /* struct cat_check * (a reference each) */
	struct cvec groups;	  /* struct frozen_group */
	uint64_t tables[NTABLES]; /* kind 0 record */
};

/* ---- freeze / release (loop thread) ---- */

struct cat_frozen *cat_freeze(const struct catalog *cat)
{
	struct cat_frozen *f = xcalloc(1, sizeof(*f));
	cvec_init(&f->nodes, sizeof(struct frozen_node));
	cvec_init(&f->svcs, sizeof(void *));
	cvec_init(&f->checks, sizeof(void *));
	cvec_init(&f->groups, sizeof(struct frozen_group));
	for (size_t i = 0; i < cat->nodes.n; i++) {
		struct cat_nslot *ns = cvec_ptr(&cat->nodes, i);
		catalog_node_ref(ns->node);
		*(struct frozen_node *)cvec_insert(&f->nodes, f->nodes.n) =
		    (struct frozen_node){ns->node, ns->index};
		for (size_t j = 0; j < ns->services.n; j++) {
			catalog_service_ref(cvec_ptr(&ns->services, j));
			cvec_push_ptr(&f->svcs, cvec_ptr(&ns->services, j));
		}
		for (size_t j = 0; j < ns->checks.n; j++) {
			catalog_check_ref(cvec_ptr(&ns->checks, j));
			cvec_push_ptr(&f->checks, cvec_ptr(&ns->checks, j));
		}
	}
	for (size_t i = 0; i < cat->groups.n; i++) {
		struct cat_group *g = cvec_ptr(&cat->groups, i);
		const struct cat_inst *first = cvec_at(&g->inst, 0);
		*(struct frozen_group *)cvec_insert(&f->groups, f->groups.n) =
		    (struct frozen_group){first->svc->name, g->index};
	}
	uint64_t t[NTABLES] = {cat->nodes_index,    cat->services_index, cat->checks_index,
			       cat->state_index[0], cat->state_index[1], cat->state_index[2],
			       cat->state_index[3], cat->node_floor,	 cat->service_floor};
	memcpy(f->tables, t, sizeof(t));
	return f;
}

void cat_frozen_release(struct cat_frozen *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nodes.n; i++)
		catalog_node_unref(((struct frozen_node *)cvec_at(&f->nodes, i))->node);
	for (size_t i = 0; i < f->svcs.n; i++)
		catalog_service_unref(cvec_ptr(&f->svcs, i));
	for (size_t i = 0; i < f->checks.n; i++)
		catalog_check_unref(cvec_ptr(&f->checks, i));
	cvec_free(&f->nodes);
	cvec_free(&f->svcs);
	cvec_free(&f->checks);
	cvec_free(&f->groups);
	free(f);
}

/* ---- encode (any thread: reads the frozen view only) ---- */

static void enc_node(struct buf *b, const struct frozen_node *fn)
{
	const struct cat_node *n = fn->node;
	wire_put_le(b, n->create_index, 8);
	wire_put_le(b, n->modify_index, 8);
	wire_put_le(b, fn->index, 8);
	wire_put_str(b, n->id);
	wire_put_str(b, n->name);
	wire_put_str(b, n->address);
	wire_put_str(b, n->datacenter);
	wire_put_map(b, n->tagged, n->ntagged);
	wire_put_map(b, n->meta, n->nmeta);
}

static void enc_service(struct buf *b, const struct cat_service *s)
{
	wire_put_le(b, s->create_index, 8);
	wire_put_le(b, s->modify_index, 8);
	wire_put_str(b, s->node);
	wire_put_service_body(b, s);
}

static void enc_check(struct buf *b, const struct cat_check *c)
{
	wire_put_le(b, c->create_index, 8);
	wire_put_le(b, c->modify_index, 8);
	wire_put_le(b, (uint64_t)c->status, 1);
	wire_put_str(b, c->node);
	wire_put_str(b, c->id);
	wire_put_str(b, c->name);
	wire_put_str(b, c->notes);
	wire_put_str(b, c->output);
	wire_put_str(b, c->service_id);
	wire_put_str(b, c->service_name);
	wire_put_list(b, c->service_tags, c->nservice_tags);
	wire_put_str(b, c->type);
	wire_put_str(b, c->interval);
	wire_put_str(b, c->timeout);
	wire_put_le(b, (uint32_t)c->exposed_port, 4);
	wire_put_ostr(b, c->definition_json);
}

static bool tables_zero(const struct cat_frozen *f)
{
	for (int i = 0; i < NTABLES; i++)
		if (f->tables[i])
			return false;
	return true;
}

size_t cat_frozen_count(const struct cat_frozen *f, uint32_t section)
{
	switch (section) {
	case SNAP_SEC_CAT_NODES:
		return f->nodes.n;
	case SNAP_SEC_CAT_SERVICES:
		return f->svcs.n;
	case SNAP_SEC_CAT_CHECKS:
		return f->checks.n;
	case SNAP_SEC_CAT_INDEXES:
		return f->groups.n || !tables_zero(f) ? 1 + f->groups.n : 0;
	}
	return 0;
}

void cat_frozen_records(const struct cat_frozen *f, uint32_t section, struct buf *out)
{
	switch (section) {
	case SNAP_SEC_CAT_NODES:
		for (size_t i = 0; i < f->nodes.n; i++)
			enc_node(out, cvec_at(&f->nodes, i));
		break;
	case SNAP_SEC_CAT_SERVICES:
		for (size_t i = 0; i < f->svcs.n; i++)
			enc_service(out, cvec_ptr(&f->svcs, i));
		break;
	case SNAP_SEC_CAT_CHECKS:
		for (size_t i = 0; i < f->checks.n; i++)
			enc_check(out, cvec_ptr(&f->checks, i));
		break;
	case SNAP_SEC_CAT_INDEXES:
		if (!cat_frozen_count(f, section))
			break;
		wire_put_le(out, 0, 1);
		for (int i = 0; i < NTABLES; i++)
			wire_put_le(out, f->tables[i], 8);
		for (size_t i = 0; i < f->groups.n; i++) {
			const struct frozen_group *g = cvec_at(&f->groups, i);
			wire_put_le(out, 1, 1);
			wire_put_le(out, g->index, 8);
			wire_put_str(out, g->name);
		}
		break;
	}
}
