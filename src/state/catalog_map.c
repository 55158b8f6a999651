/*
 * The catalog's structure: sorted vectors, node slots, service-name groups, and
 * the primitives that keep them consistent (model in catalog_int.h).
 *
 * The primitives change structure only: no undo log, no index. Whoever calls
 * them (the transaction layer, its undo, snapshot restore) owns that. Each
 * primitive that changes a group's membership or a slot's presence marks it
 * touched, so the end of the transaction can bump, drop or free it. Loop
 * thread only.
 */
#include "state/catalog_int.h"

#include "base/alloc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* ---- sorted vectors ---- */

void cvec_init(struct cvec *cv, size_t esize)
{
	*cv = (struct cvec){NULL, 0, 0, esize};
}

void cvec_free(struct cvec *cv)
{
	free(cv->v);
	cv->v = NULL;
	cv->n = cv->cap = 0;
}

size_t cvec_search(const struct cvec *cv, const void *key, cvec_cmp_fn cmp, bool *found)
{
	size_t lo = 0, hi = cv->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp(key, cvec_at(cv, mid)) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < cv->n && cmp(key, cvec_at(cv, lo)) == 0;
	return lo;
}

void *cvec_insert(struct cvec *cv, size_t pos)
{
	if (cv->n == cv->cap) {
		cv->cap = cv->cap ? cv->cap * 2 : 4;
		cv->v = xrealloc(cv->v, cv->cap * cv->esize);
	}
	char *p = cvec_at(cv, pos);
	memmove(p + cv->esize, p, (cv->n - pos) * cv->esize);
	memset(p, 0, cv->esize);
	cv->n++;
	return p;
}

void cvec_remove(struct cvec *cv, size_t pos)
{
	char *p = cvec_at(cv, pos);
	memmove(p, p + cv->esize, (cv->n - pos - 1) * cv->esize);
	cv->n--;
	/* give back memory once a vector has shrunk to a quarter */
	if (cv->cap > 16 && cv->n < cv->cap / 4) {
		cv->cap /= 2;
		cv->v = xrealloc(cv->v, cv->cap * cv->esize);
	}
}

void cvec_push_ptr(struct cvec *cv, void *p)
{
	*(void **)cvec_insert(cv, cv->n) = p;
}

int cat_fold_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y || !x)
			return (int)x - (int)y;
	}
}

/* ---- comparators: key vs element ---- */

static int slot_name_cmp(const void *key, const void *elem)
{
	const struct cat_nslot *ns = *(struct cat_nslot *const *)elem;
	return cat_fold_cmp(key, ns->node->name);
}

static int slot_id_cmp(const void *key, const void *elem)
{
	const struct cat_nslot *ns = *(struct cat_nslot *const *)elem;
	return cat_fold_cmp(key, ns->node->id);
}

static int group_cmp(const void *key, const void *elem)
{
	return cat_fold_cmp(key, (*(struct cat_group *const *)elem)->name);
}

static int svc_cmp(const void *key, const void *elem)
{
	return cat_fold_cmp(key, (*(struct cat_service *const *)elem)->id);
}

static int chk_cmp(const void *key, const void *elem)
{
	return cat_fold_cmp(key, (*(struct cat_check *const *)elem)->id);
}

/* (service ID, check ID) */
struct svc_chk_key {
	const char *service_id;
	const char *id; /* NULL: before every check of service_id */
};

static int svc_chk_cmp(const void *key, const void *elem)
{
	const struct svc_chk_key *k = key;
	const struct cat_check *c = *(struct cat_check *const *)elem;
	int r = cat_fold_cmp(k->service_id, c->service_id);
	if (r || !k->id)
		return r ? r : -1;
	return cat_fold_cmp(k->id, c->id);
}

/* (node name, service ID) */
static int inst_cmp(const void *key, const void *elem)
{
	const struct cat_service *k = key;
	const struct cat_inst *in = elem;
	int r = cat_fold_cmp(k->node, in->svc->node);
	return r ? r : cat_fold_cmp(k->id, in->svc->id);
}

/* ---- lookups ---- */

static void *find_ptr(const struct cvec *cv, const void *key, cvec_cmp_fn cmp)
{
	bool found;
	size_t i = cvec_search(cv, key, cmp, &found);
	return found ? cvec_ptr(cv, i) : NULL;
}

struct cat_nslot *cat_slot(const struct catalog *cat, const char *name)
{
	return find_ptr(&cat->nodes, name, slot_name_cmp);
}

struct cat_nslot *cat_slot_by_id(const struct catalog *cat, const char *id)
{
	return *id ? find_ptr(&cat->ids, id, slot_id_cmp) : NULL;
}

struct cat_group *cat_group(const struct catalog *cat, const char *name)
{
	return find_ptr(&cat->groups, name, group_cmp);
}

struct cat_service *cat_slot_service(const struct cat_nslot *ns, const char *id)
{
	return find_ptr(&ns->services, id, svc_cmp);
}

struct cat_check *cat_slot_check(const struct cat_nslot *ns, const char *id)
{
	return find_ptr(&ns->checks, id, chk_cmp);
}

void cat_slot_svc_checks(const struct cat_nslot *ns, const char *service_id, size_t *lo, size_t *hi)
{
	struct svc_chk_key k = {service_id, NULL};
	bool found;
	size_t i = *lo = cvec_search(&ns->svc_checks, &k, svc_chk_cmp, &found);
	while (i < ns->svc_checks.n &&
	       !cat_fold_cmp(service_id,
			     ((struct cat_check *)cvec_ptr(&ns->svc_checks, i))->service_id))
		i++;
	*hi = i;
}

/* ---- touching ---- */

void cat_touch_slot(struct catalog *cat, struct cat_nslot *ns)
{
	if (!ns->touched) {
		ns->touched = true;
		cvec_push_ptr(&cat->touched_slots, ns);
	}
}

void cat_touch_group(struct catalog *cat, struct cat_group *g)
{
	if (!g->touched) {
		g->touched = true;
		cvec_push_ptr(&cat->touched_groups, g);
	}
}

/* ---- node slots ---- */

static void ids_add(struct catalog *cat, struct cat_nslot *ns)
{
	bool found;
	if (!*ns->node->id)
		return;
	size_t i = cvec_search(&cat->ids, ns->node->id, slot_id_cmp, &found);
	assert(!found);
	*(struct cat_nslot **)cvec_insert(&cat->ids, i) = ns;
}

static void ids_del(struct catalog *cat, struct cat_nslot *ns)
{
	bool found;
	if (!*ns->node->id)
		return;
	size_t i = cvec_search(&cat->ids, ns->node->id, slot_id_cmp, &found);
	/* IDs are unique per slot; a match at i is ns (restore may have repeats) */
	if (found && cvec_ptr(&cat->ids, i) == ns)
		cvec_remove(&cat->ids, i);
}

struct cat_nslot *cat_slot_create(struct catalog *cat, struct cat_node *e)
{
	struct cat_nslot *ns = xcalloc(1, sizeof(*ns));
	ns->node = e;
	cvec_init(&ns->services, sizeof(void *));
	cvec_init(&ns->checks, sizeof(void *));
	cvec_init(&ns->svc_checks, sizeof(void *));
	cat_slot_revive(cat, ns);
	return ns;
}

void cat_slot_revive(struct catalog *cat, struct cat_nslot *ns)
{
	bool found;
	size_t i = cvec_search(&cat->nodes, ns->node->name, slot_name_cmp, &found);
	assert(!found);
	*(struct cat_nslot **)cvec_insert(&cat->nodes, i) = ns;
	ids_add(cat, ns);
	ns->dead = false;
	cat_touch_slot(cat, ns);
}

void cat_slot_remove(struct catalog *cat, struct cat_nslot *ns)
{
	bool found;
	assert(ns->services.n == 0 && ns->checks.n == 0);
	size_t i = cvec_search(&cat->nodes, ns->node->name, slot_name_cmp, &found);
	assert(found && cvec_ptr(&cat->nodes, i) == ns);
	cvec_remove(&cat->nodes, i);
	ids_del(cat, ns);
	ns->dead = true;
	cat_touch_slot(cat, ns);
}

struct cat_node *cat_slot_set_node(struct catalog *cat, struct cat_nslot *ns, struct cat_node *e)
{
	struct cat_node *old = ns->node;
	assert(cat_fold_cmp(old->name, e->name) == 0);
	if (strcmp(old->id, e->id) != 0) {
		ids_del(cat, ns);
		ns->node = e;
		ids_add(cat, ns);
	}
	ns->node = e;
	return old;
}

void cat_free_slot(struct cat_nslot *ns)
{
	cvec_free(&ns->services);
	cvec_free(&ns->checks);
	cvec_free(&ns->svc_checks);
	free(ns);
}

/* ---- groups ---- */

static struct cat_group *group_get(struct catalog *cat, const char *name)
{
	bool found;
	size_t i = cvec_search(&cat->groups, name, group_cmp, &found);
	if (found)
		return cvec_ptr(&cat->groups, i);
	size_t len = strlen(name);
	struct cat_group *g = xcalloc(1, sizeof(*g) + len + 1);
	memcpy(g->name, name, len + 1);
	cvec_init(&g->inst, sizeof(struct cat_inst));
	*(struct cat_group **)cvec_insert(&cat->groups, i) = g;
	cat_touch_group(cat, g);
	return g;
}

void cat_group_drop(struct catalog *cat, struct cat_group *g)
{
	bool found;
	size_t i = cvec_search(&cat->groups, g->name, group_cmp, &found);
	assert(found && cvec_ptr(&cat->groups, i) == g && g->inst.n == 0);
	cvec_remove(&cat->groups, i);
	cvec_free(&g->inst);
	free(g);
}

static void group_add(struct catalog *cat, struct cat_nslot *ns, struct cat_service *svc)
{
	struct cat_group *g = group_get(cat, svc->name);
	bool found;
	size_t i = cvec_search(&g->inst, svc, inst_cmp, &found);
	assert(!found);
	*(struct cat_inst *)cvec_insert(&g->inst, i) = (struct cat_inst){ns, svc};
	cat_touch_group(cat, g);
}

static void group_del(struct catalog *cat, struct cat_service *svc)
{
	struct cat_group *g = cat_group(cat, svc->name);
	bool found;
	assert(g);
	size_t i = cvec_search(&g->inst, svc, inst_cmp, &found);
	assert(found);
	cvec_remove(&g->inst, i);
	cat_touch_group(cat, g);
}

/* ---- services and checks ---- */

struct cat_service *cat_set_service(struct catalog *cat, struct cat_nslot *ns, const char *id,
				    struct cat_service *e)
{
	bool found;
	size_t i = cvec_search(&ns->services, id, svc_cmp, &found);
	struct cat_service *old = found ? cvec_ptr(&ns->services, i) : NULL;
	if (old)
		group_del(cat, old);
	if (old && e)
		*(struct cat_service **)cvec_at(&ns->services, i) = e;
	else if (old)
		cvec_remove(&ns->services, i);
	else if (e)
		*(struct cat_service **)cvec_insert(&ns->services, i) = e;
	if (e)
		group_add(cat, ns, e);
	cat->nservices += (e != NULL) - (old != NULL);
	return old;
}

static void svc_checks_del(struct cat_nslot *ns, struct cat_check *c)
{
	struct svc_chk_key k = {c->service_id, c->id};
	bool found;
	size_t i = cvec_search(&ns->svc_checks, &k, svc_chk_cmp, &found);
	assert(found && cvec_ptr(&ns->svc_checks, i) == c);
	cvec_remove(&ns->svc_checks, i);
}

static void svc_checks_add(struct cat_nslot *ns, struct cat_check *c)
{
	struct svc_chk_key k = {c->service_id, c->id};
	bool found;
	size_t i = cvec_search(&ns->svc_checks, &k, svc_chk_cmp, &found);
	assert(!found);
	*(struct cat_check **)cvec_insert(&ns->svc_checks, i) = c;
}

struct cat_check *cat_set_check(struct catalog *cat, struct cat_nslot *ns, const char *id,
				struct cat_check *e)
{
	bool found;
	size_t i = cvec_search(&ns->checks, id, chk_cmp, &found);
	struct cat_check *old = found ? cvec_ptr(&ns->checks, i) : NULL;
	if (old)
		svc_checks_del(ns, old);
	if (old && e)
		*(struct cat_check **)cvec_at(&ns->checks, i) = e;
	else if (old)
		cvec_remove(&ns->checks, i);
	else if (e)
		*(struct cat_check **)cvec_insert(&ns->checks, i) = e;
	if (e)
		svc_checks_add(ns, e);
	cat->nchecks += (e != NULL) - (old != NULL);
	return old;
}

/* ---- the whole catalog ---- */

struct catalog *catalog_new(void)
{
	struct catalog *cat = xcalloc(1, sizeof(*cat));
	cvec_init(&cat->nodes, sizeof(void *));
	cvec_init(&cat->ids, sizeof(void *));
	cvec_init(&cat->groups, sizeof(void *));
	cvec_init(&cat->log, sizeof(struct cat_rec));
	cvec_init(&cat->touched_slots, sizeof(void *));
	cvec_init(&cat->touched_groups, sizeof(void *));
	return cat;
}

static void free_slot_entries(struct cat_nslot *ns)
{
	for (size_t i = 0; i < ns->services.n; i++)
		catalog_service_unref(cvec_ptr(&ns->services, i));
	for (size_t i = 0; i < ns->checks.n; i++)
		catalog_check_unref(cvec_ptr(&ns->checks, i));
	catalog_node_unref(ns->node);
	cat_free_slot(ns);
}

void catalog_free(struct catalog *cat)
{
	if (!cat)
		return;
	assert(cat->log.n == 0);
	for (size_t i = 0; i < cat->nodes.n; i++)
		free_slot_entries(cvec_ptr(&cat->nodes, i));
	for (size_t i = 0; i < cat->groups.n; i++) {
		struct cat_group *g = cvec_ptr(&cat->groups, i);
		cvec_free(&g->inst);
		free(g);
	}
	cvec_free(&cat->nodes);
	cvec_free(&cat->ids);
	cvec_free(&cat->groups);
	cvec_free(&cat->log);
	cvec_free(&cat->touched_slots);
	cvec_free(&cat->touched_groups);
	buf_free(&cat->scratch);
	free(cat);
}
