/*
 * Private to src/state: how the catalog is held (the API is in catalog.h).
 *
 * Structure. Everything hangs off struct catalog, owned by the store:
 *
 *   nodes    sorted vector of node slots, by folded node name
 *   ids      the same slots that have a node ID, by folded ID
 *   groups   sorted vector of service-name groups, by folded name
 *
 * A node slot (struct cat_nslot) holds the node entry and three sorted vectors
 * of entry pointers: its services by ID, its checks by ID, and its checks by
 * (service ID, check ID), so an instance's checks (and the node-level ones,
 * service ID "") are one binary search away. A group (struct cat_group) lists
 * the instances of one service name as (slot, service) pairs by (node name,
 * service ID). Vectors give O(log n) lookups and cache-friendly walks; an insert
 * or delete moves pointers (microseconds even at 100k entries).
 *
 * Transactions (catalog_txn.c). The primitives below change structure only.
 * The transaction layer logs every entry change (slot, previous entry, new
 * entry) and marks what it touched (slots, groups, list tables). Index bumps
 * are deferred: every change of one transaction carries the same Raft index,
 * so at commit each touched slot/group/table takes the transaction's index and
 * its watchers fire; groups left empty are dropped then (raising the service
 * floor), as are removed slots (raising the node floor). Abort replays the log
 * backwards through the same primitives and moves no index. Removed slots stay
 * allocated (dead) until the transaction ends, so the undo of a node removal
 * puts back the very slot, with its index.
 *
 * Case. Names compare with ASCII case folding (cat_fold_cmp); entries keep the
 * registered spelling; watch topics use the lowercased name.
 */
#ifndef CAIRN_STATE_CATALOG_INT_H
#define CAIRN_STATE_CATALOG_INT_H

#include "state/catalog.h"

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- sorted vectors of fixed-size elements ---- */

struct cvec {
	char *v;      /* n elements of esize bytes */
	size_t n;     /* elements in use */
	size_t cap;   /* elements allocated */
	size_t esize; /* bytes per element */
};

/* Compare a search key with an element. */
typedef int (*cvec_cmp_fn)(const void *key, const void *elem);

void cvec_init(struct cvec *cv, size_t esize);
void cvec_free(struct cvec *cv);
static inline void *cvec_at(const struct cvec *cv, size_t i)
{
	return cv->v + i * cv->esize;
}
static inline void *cvec_ptr(const struct cvec *cv, size_t i) /* pointer vectors */
{
	return *(void **)cvec_at(cv, i);
}
/* Position of the first element >= key; *found when it equals key. */
size_t cvec_search(const struct cvec *cv, const void *key, cvec_cmp_fn cmp, bool *found);
/* Open a zeroed hole at pos and return it. */
void *cvec_insert(struct cvec *cv, size_t pos);
void cvec_remove(struct cvec *cv, size_t pos);
void cvec_push_ptr(struct cvec *cv, void *p);

/* ASCII case-insensitive order (as Consul's lowercased indexes). */
int cat_fold_cmp(const char *a, const char *b);

/* ---- the catalog ---- */

struct cat_nslot {
	struct cat_node *node;	/* entry (the store's reference while alive) */
	struct cvec services;	/* struct cat_service *, by folded ID */
	struct cvec checks;	/* struct cat_check *, by folded ID */
	struct cvec svc_checks; /* struct cat_check *, by folded (service ID, ID) */
	uint64_t index;		/* catalog_node_index */
	bool touched;		/* on cat->touched_slots */
	bool dead;		/* removed in this transaction; freed at its end */
};

struct cat_inst {
	struct cat_nslot *ns;	 /* the node */
	struct cat_service *svc; /* the instance (ns->services holds the ref) */
};

struct cat_group {
	struct cvec inst; /* struct cat_inst, by folded (node name, service ID) */
	uint64_t index;	  /* catalog_service_index */
	bool touched;	  /* on cat->touched_groups */
	char name[];	  /* the name that created it: the group's key */
};

/* One logged change (model above). */
enum cat_rec_kind { REC_NODE, REC_SVC, REC_CHK };
struct cat_rec {
	enum cat_rec_kind kind;
	struct cat_nslot *ns; /* slot the change happened in */
	void *prev;	      /* entry before (the log's reference), NULL: absent */
	void *after;	      /* entry after (the store's), NULL: removed */
};

struct catalog {
	struct cvec nodes;  /* struct cat_nslot *, by folded name */
	struct cvec ids;    /* struct cat_nslot * with an ID, by folded ID */
	struct cvec groups; /* struct cat_group *, by folded name */
	size_t nservices;   /* instances on all nodes */
	size_t nchecks;	    /* checks on all nodes */

	uint64_t nodes_index;			 /* catalog_nodes_index */
	uint64_t services_index;		 /* catalog_services_index */
	uint64_t checks_index;			 /* catalog_checks_index(CAT_ANY) */
	uint64_t state_index[CAT_STATUS_COUNT_]; /* catalog_checks_index(state) */
	uint64_t node_floor;			 /* index of a node that is not there */
	uint64_t service_floor;			 /* index of a service name not there */

	/* the open transaction */
	struct cvec log;	    /* struct cat_rec, oldest first */
	struct cvec touched_slots;  /* struct cat_nslot * */
	struct cvec touched_groups; /* struct cat_group * */
	bool touch_nodes;	    /* node list changed */
	bool touch_services;	    /* some service changed */
	unsigned touch_states;	    /* bit per enum cat_status whose checks changed */
	struct buf scratch;	    /* watch topic building */
};

struct store;
struct store_txn;

struct catalog *catalog_new(void);
/* Drop every entry; the catalog must have no open changes. */
void catalog_free(struct catalog *cat);
/* Transaction end, called by store_txn_commit / store_txn_abort (txn.c). */
void catalog_txn_commit(struct store *s, uint64_t index);
void catalog_txn_abort(struct store *s);

/* Lookups. */
struct cat_nslot *cat_slot(const struct catalog *cat, const char *name);
struct cat_nslot *cat_slot_by_id(const struct catalog *cat, const char *id);
struct cat_group *cat_group(const struct catalog *cat, const char *name);
struct cat_service *cat_slot_service(const struct cat_nslot *ns, const char *id);
struct cat_check *cat_slot_check(const struct cat_nslot *ns, const char *id);
/* Range [*lo, *hi) of ns->svc_checks whose service ID folds to service_id. */
void cat_slot_svc_checks(const struct cat_nslot *ns, const char *service_id, size_t *lo,
			 size_t *hi);

/* Structure primitives: no logging, no index change. Each marks the slots and
 * groups whose membership changed as touched. */
struct cat_nslot *cat_slot_create(struct catalog *cat, struct cat_node *e);
void cat_slot_remove(struct catalog *cat, struct cat_nslot *ns); /* must be empty */
void cat_slot_revive(struct catalog *cat, struct cat_nslot *ns);
/* Replace the slot's node entry (same folded name); returns the old one. */
struct cat_node *cat_slot_set_node(struct catalog *cat, struct cat_nslot *ns, struct cat_node *e);
/* Put e under id (NULL: remove); returns what was there (its reference). */
struct cat_service *cat_set_service(struct catalog *cat, struct cat_nslot *ns, const char *id,
				    struct cat_service *e);
struct cat_check *cat_set_check(struct catalog *cat, struct cat_nslot *ns, const char *id,
				struct cat_check *e);
void cat_touch_slot(struct catalog *cat, struct cat_nslot *ns);
void cat_touch_group(struct catalog *cat, struct cat_group *g);
void cat_free_slot(struct cat_nslot *ns);
/* Remove an empty group from the catalog and free it. */
void cat_group_drop(struct catalog *cat, struct cat_group *g);

/* Entries (catalog_entry.c): packed copies of templates, refs 1, indexes 0.
 * Maps come out sorted with unique keys (the last value of a repeated key). */
struct cat_node *cat_node_pack(const struct cat_node *tmpl);
struct cat_service *cat_service_pack(const struct cat_service *tmpl, const char *node);
/* svc: the service a service check is bound to (copies its name and tags), or
 * NULL to keep tmpl's service_name and service_tags (restore). */
struct cat_check *cat_check_pack(const struct cat_check *tmpl, const char *node,
				 const struct cat_service *svc);
bool cat_node_same(const struct cat_node *a, const struct cat_node *b);
bool cat_service_same(const struct cat_service *a, const struct cat_service *b);
bool cat_check_same(const struct cat_check *a, const struct cat_check *b);
bool cat_tags_same(const char *const *a, size_t na, const char *const *b, size_t nb);

/* Watch topics (catalog_read.c): fire the watchers of a slot, group, list. */
void cat_fire_node(struct store *s, const char *name);
void cat_fire_service(struct store *s, const char *name);
void cat_fire_list(struct store *s, enum store_table table, const char *topic);

#endif
