/*
 * Catalog writes: register, deregister, and the end of a transaction (model in
 * catalog_int.h; Consul's semantics in catalog.h).
 *
 * Every entry change goes through one of log_node/log_service/log_check, which
 * apply it with a primitive and append (slot, prev, after) to the undo log,
 * holding prev's reference. What a change can make a reader see differently is
 * marked touched: the slot (per-node reads), the groups of the service names it
 * affects (a node or node-level check change affects every service on the
 * node), the list tables. Commit gives all of them the transaction's index and
 * fires their watchers; abort undoes the log backwards. Loop thread only.
 */
#include "state/catalog_int.h"
#include "state/internal.h"

#include "base/alloc.h"
#include "base/err.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void log_rec(struct catalog *cat, enum cat_rec_kind kind, struct cat_nslot *ns, void *prev,
		    void *after)
{
	*(struct cat_rec *)cvec_insert(&cat->log, cat->log.n) =
	    (struct cat_rec){kind, ns, prev, after};
}

/* Every group with an instance on ns (its node entry or a node-level check
 * changed: every service query over it can see that). */
static void touch_node_groups(struct catalog *cat, struct cat_nslot *ns)
{
	for (size_t i = 0; i < ns->services.n; i++) {
		struct cat_service *svc = cvec_ptr(&ns->services, i);
		cat_touch_group(cat, cat_group(cat, svc->name));
	}
}

/* The groups a check's change is visible in. */
static void touch_check_scope(struct catalog *cat, struct cat_nslot *ns, const struct cat_check *c)
{
	cat->touch_states |= 1u << c->status;
	if (!*c->service_id) {
		touch_node_groups(cat, ns);
		return;
	}
	struct cat_service *svc = cat_slot_service(ns, c->service_id);
	if (svc)
		cat_touch_group(cat, cat_group(cat, svc->name));
}

/* ---- logged changes ---- */

static struct cat_nslot *log_node(struct catalog *cat, struct cat_nslot *ns, struct cat_node *e)
{
	struct cat_node *prev = NULL;
	if (!ns) {
		ns = cat_slot_create(cat, e);
	} else if (e) {
		prev = cat_slot_set_node(cat, ns, e);
		touch_node_groups(cat, ns);
	} else {
		prev = ns->node;
		cat_slot_remove(cat, ns);
	}
	log_rec(cat, REC_NODE, ns, prev, e);
	cat_touch_slot(cat, ns);
	cat->touch_nodes = true;
	return ns;
}

static void log_service(struct catalog *cat, struct cat_nslot *ns, const char *id,
			struct cat_service *e)
{
	struct cat_service *prev = cat_set_service(cat, ns, id, e);
	log_rec(cat, REC_SVC, ns, prev, e);
	cat_touch_slot(cat, ns);
	cat->touch_services = true;
}

static void log_check(struct catalog *cat, struct cat_nslot *ns, const char *id,
		      struct cat_check *e)
{
	struct cat_check *prev = cat_slot_check(ns, id);
	if (prev)
		touch_check_scope(cat, ns, prev);
	cat_set_check(cat, ns, id, e);
	if (e)
		touch_check_scope(cat, ns, e);
	log_rec(cat, REC_CHK, ns, prev, e);
	cat_touch_slot(cat, ns);
}

/* ---- deletes ---- */

static void delete_check(struct catalog *cat, struct cat_nslot *ns, struct cat_check *c)
{
	log_check(cat, ns, c->id, NULL);
}

/* A service and the checks bound to it (Consul deletes them together). */
static void delete_service(struct catalog *cat, struct cat_nslot *ns, struct cat_service *svc)
{
	size_t lo, hi;
	cat_slot_svc_checks(ns, svc->id, &lo, &hi);
	while (hi-- > lo)
		delete_check(cat, ns, cvec_ptr(&ns->svc_checks, hi));
	log_service(cat, ns, svc->id, NULL);
}

static void delete_node(struct catalog *cat, struct cat_nslot *ns)
{
	while (ns->checks.n)
		delete_check(cat, ns, cvec_ptr(&ns->checks, ns->checks.n - 1));
	while (ns->services.n)
		log_service(cat, ns, ((struct cat_service *)cvec_ptr(&ns->services, 0))->id, NULL);
	log_node(cat, ns, NULL);
}

int catalog_txn_deregister(struct store_txn *t, const struct cat_deregister *d, char **why)
{
	int rc = catalog_deregister_validate(d, why);
	if (rc)
		return rc;
	struct catalog *cat = t->s->cat;
	struct cat_nslot *ns = cat_slot(cat, d->node);
	if (!ns)
		return 0;
	if (d->service_id && *d->service_id) {
		struct cat_service *svc = cat_slot_service(ns, d->service_id);
		if (svc)
			delete_service(cat, ns, svc);
	} else if (d->check_id && *d->check_id) {
		struct cat_check *c = cat_slot_check(ns, d->check_id);
		if (c)
			delete_check(cat, ns, c);
	} else {
		delete_node(cat, ns);
	}
	return 0;
}

/* ---- register ---- */

/* Consul's ensureNoNodeWithSimilarName: a node name held by a node with another
 * ID is taken only while that node's serfHealth check is critical or absent
 * (allow_no_id: or when the holder has no ID). */
static int name_conflict(const struct cat_nslot *holder, const struct cat_node *e, bool allow_no_id,
			 char **why)
{
	if (!holder || strcmp(holder->node->id, e->id) == 0)
		return 0;
	const struct cat_check *serf = cat_slot_check(holder, "serfHealth");
	bool healthy = serf && serf->status != CAT_CRITICAL;
	if (!healthy || (allow_no_id && !*holder->node->id))
		return 0;
	*why = buf_fmt("Node name %s is reserved by node %s with name %s (%s)", e->name,
		       holder->node->id, holder->node->name, holder->node->address);
	return CAIRN_E_EXIST;
}

static int wrap(int rc, char **why, const char *prefix)
{
	if (rc) {
		char *inner = *why;
		*why = buf_fmt("%s%s", prefix, inner);
		free(inner);
	}
	return rc;
}

static int ensure_node(struct store_txn *t, const struct cat_node *tmpl, struct cat_nslot **out,
		       char **why)
{
	struct catalog *cat = t->s->cat;
	struct cat_node *e = cat_node_pack(tmpl);
	struct cat_nslot *byname = cat_slot(cat, e->name), *byid = cat_slot_by_id(cat, e->id);
	int rc = 0;
	if (byid && byid != byname) {
		/* the ID's node is being renamed: it goes, with all it holds */
		rc = name_conflict(byname, e, false, why);
		if (rc) {
			struct buf p = BUF_INIT;
			buf_printf(
			    &p,
			    "failed inserting node: Error while renaming Node ID: \"%s\" (%s): ",
			    e->id, e->address);
			rc = wrap(rc, why, buf_cstr(&p));
			buf_free(&p);
		} else {
			delete_node(cat, byid);
		}
	} else if (*e->id && !byid) {
		rc = wrap(name_conflict(byname, e, true, why), why,
			  "failed inserting node: failed inserting node: ");
	}
	if (rc) {
		catalog_node_unref(e);
		return rc;
	}
	if (byname && cat_node_same(byname->node, e)) {
		catalog_node_unref(e);
		*out = byname;
		return 0;
	}
	e->create_index = byname ? byname->node->create_index : t->index;
	e->modify_index = t->index;
	*out = log_node(cat, byname, e);
	return 0;
}

/* Checks bound to a service carry its name and tags: rewrite them when those
 * change, so health reads never show stale ones. */
static void refresh_checks(struct store_txn *t, struct cat_nslot *ns, const struct cat_service *svc)
{
	struct catalog *cat = t->s->cat;
	size_t lo, hi;
	cat_slot_svc_checks(ns, svc->id, &lo, &hi);
	for (size_t i = lo; i < hi; i++) {
		struct cat_check *c = cvec_ptr(&ns->svc_checks, i);
		if (!strcmp(c->service_name, svc->name) &&
		    cat_tags_same(c->service_tags, c->nservice_tags, svc->tags, svc->ntags))
			continue;
		struct cat_check *e = cat_check_pack(c, ns->node->name, svc);
		e->create_index = c->create_index;
		e->modify_index = t->index;
		log_check(cat, ns, c->id, e); /* same (service ID, ID): position i */
	}
}

static void ensure_service(struct store_txn *t, struct cat_nslot *ns,
			   const struct cat_service *tmpl)
{
	struct catalog *cat = t->s->cat;
	struct cat_service *e = cat_service_pack(tmpl, ns->node->name);
	struct cat_service *old = cat_slot_service(ns, e->id);
	if (old && cat_service_same(old, e)) {
		catalog_service_unref(e);
		return;
	}
	e->create_index = old ? old->create_index : t->index;
	e->modify_index = t->index;
	log_service(cat, ns, e->id, e);
	if (old)
		refresh_checks(t, ns, e);
}

static int ensure_check(struct store_txn *t, struct cat_nslot *ns, const struct cat_check *tmpl,
			char **why)
{
	struct catalog *cat = t->s->cat;
	const char *sid = tmpl->service_id ? tmpl->service_id : "";
	const struct cat_service *svc = *sid ? cat_slot_service(ns, sid) : NULL;
	if (*sid && !svc) {
		*why = buf_fmt("Unknown service ID '%s' for check ID '%s'", sid,
			       tmpl->id && *tmpl->id ? tmpl->id : tmpl->name);
		return CAIRN_E_NOTFOUND;
	}
	struct cat_check *e = cat_check_pack(tmpl, ns->node->name, svc);
	struct cat_check *old = cat_slot_check(ns, e->id);
	if (old && cat_check_same(old, e)) {
		catalog_check_unref(e);
		return 0;
	}
	e->create_index = old ? old->create_index : t->index;
	e->modify_index = t->index;
	log_check(cat, ns, e->id, e);
	return 0;
}

int catalog_txn_register(struct store_txn *t, const struct cat_register *r, char **why)
{
	int rc = catalog_register_validate(r, why);
	if (rc)
		return rc;
	struct catalog *cat = t->s->cat;
	struct cat_nslot *ns = cat_slot(cat, r->node->name);
	/* SkipNodeUpdate spares an existing node only: a missing one is created */
	if (!ns || !r->skip_node_update) {
		rc = ensure_node(t, r->node, &ns, why);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < r->nservices; i++)
		ensure_service(t, ns, &r->services[i]);
	for (size_t i = 0; i < r->nchecks && !rc; i++)
		rc = ensure_check(t, ns, &r->checks[i], why);
	return rc;
}
