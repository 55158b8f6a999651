/*
 * The end of a catalog transaction (model in catalog_int.h), called from
 * store_txn_commit and store_txn_abort.
 *
 * Commit: every touched slot, group and list table takes the transaction's
 * index and its watchers fire; a group left without instances is dropped and a
 * removed slot freed, each raising its table's floor, so the index of a name
 * that is gone never goes below what it was while it existed. Then the undo
 * log drops its references to the replaced entries.
 *
 * Abort: the log is replayed backwards, putting each previous entry back with
 * the primitives, then groups emptied by the undo (created in this
 * transaction) are dropped and slots still removed (created in it) freed. No
 * index moves and nothing fires. Loop thread only.
 */
#include "state/catalog_int.h"
#include "state/internal.h"

#include <assert.h>
#include <stdlib.h>

static void fire_lists(struct store *s, struct catalog *cat, uint64_t index)
{
	if (cat->touch_nodes) {
		cat->nodes_index = index;
		cat_fire_list(s, TABLE_NODES, "*");
	}
	if (cat->touch_services) {
		cat->services_index = index;
		cat_fire_list(s, TABLE_SERVICES, "*");
	}
	if (cat->touch_states) {
		cat->checks_index = index;
		cat_fire_list(s, TABLE_CHECKS, "*");
	}
	for (int st = 0; st < CAT_STATUS_COUNT_; st++) {
		if (cat->touch_states & (1u << st)) {
			cat->state_index[st] = index;
			cat_fire_list(s, TABLE_CHECKS, cat_status_name(st));
		}
	}
}

static void reset(struct catalog *cat)
{
	cat->log.n = 0;
	cat->touched_slots.n = 0;
	cat->touched_groups.n = 0;
	cat->touch_nodes = cat->touch_services = false;
	cat->touch_states = 0;
	if (cat->log.cap > 4096) /* one huge delete must not pin its log */
		cvec_free(&cat->log);
}

void catalog_txn_commit(struct store *s, uint64_t index)
{
	struct catalog *cat = s->cat;
	for (size_t i = 0; i < cat->touched_slots.n; i++) {
		struct cat_nslot *ns = cvec_ptr(&cat->touched_slots, i);
		ns->touched = false;
		/* a dead slot's node entry is still held by the log */
		cat_fire_node(s, ns->node->name);
		if (ns->dead) {
			cat->node_floor = index;
			cat_free_slot(ns);
		} else {
			ns->index = index;
		}
	}
	for (size_t i = 0; i < cat->touched_groups.n; i++) {
		struct cat_group *g = cvec_ptr(&cat->touched_groups, i);
		g->touched = false;
		cat_fire_service(s, g->name);
		if (g->inst.n == 0) {
			cat->service_floor = index;
			cat_group_drop(cat, g);
		} else {
			g->index = index;
		}
	}
	fire_lists(s, cat, index);
	for (size_t i = 0; i < cat->log.n; i++) {
		struct cat_rec *r = cvec_at(&cat->log, i);
		if (r->kind == REC_NODE)
			catalog_node_unref(r->prev);
		else if (r->kind == REC_SVC)
			catalog_service_unref(r->prev);
		else
			catalog_check_unref(r->prev);
	}
	reset(cat);
}

static void undo(struct catalog *cat, struct cat_rec *r)
{
	switch (r->kind) {
	case REC_NODE:
		if (!r->prev)
			cat_slot_remove(cat, r->ns); /* created: freed below */
		else if (!r->after)
			cat_slot_revive(cat, r->ns);
		else
			cat_slot_set_node(cat, r->ns, r->prev);
		catalog_node_unref(r->after);
		break;
	case REC_SVC: {
		struct cat_service *k = r->after ? r->after : r->prev;
		struct cat_service *cur = cat_set_service(cat, r->ns, k->id, r->prev);
		assert(cur == r->after);
		catalog_service_unref(cur);
		break;
	}
	case REC_CHK: {
		struct cat_check *k = r->after ? r->after : r->prev;
		struct cat_check *cur = cat_set_check(cat, r->ns, k->id, r->prev);
		assert(cur == r->after);
		catalog_check_unref(cur);
		break;
	}
	}
}

void catalog_txn_abort(struct store *s)
{
	struct catalog *cat = s->cat;
	for (size_t i = cat->log.n; i-- > 0;)
		undo(cat, cvec_at(&cat->log, i));
	for (size_t i = 0; i < cat->touched_slots.n; i++) {
		struct cat_nslot *ns = cvec_ptr(&cat->touched_slots, i);
		ns->touched = false;
		if (ns->dead)
			cat_free_slot(ns);
	}
	for (size_t i = 0; i < cat->touched_groups.n; i++) {
		struct cat_group *g = cvec_ptr(&cat->touched_groups, i);
		g->touched = false;
		if (g->inst.n == 0)
			cat_group_drop(cat, g);
	}
	reset(cat);
}
