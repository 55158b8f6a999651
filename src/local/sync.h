/*
 * Anti-entropy internals shared by sync.c (rounds) and sync_tmpl.c (what the
 * catalog should hold for this node, and comparing it with what it holds).
 * Private to src/local/.
 */
#ifndef CAIRN_LOCAL_SYNC_H
#define CAIRN_LOCAL_SYNC_H

#include "local/internal.h"
#include "state/catalog.h"

/* This node as the catalog should hold it: the node entry, its serfHealth
 * check and, on servers, the "consul" service (the gossip issue moves the
 * latter two to the leader's reconciliation). Strings owned by the struct. */
struct sync_node {
	struct cat_node node;	   /* template */
	struct cat_check serf;	   /* serfHealth */
	bool with_consul;	   /* server: register the "consul" service */
	struct cat_service consul; /* template */
	char **owned;		   /* strings to free */
	size_t nowned;
};

void sync_node_build(const struct local_state *ls, struct sync_node *out);
void sync_node_free(struct sync_node *n);
/* The store holds exactly this node entry, serfHealth and consul service. */
bool sync_node_same(const struct local_state *ls, const struct sync_node *n);

/* A service template; free with sync_service_tmpl_free. */
void sync_service_tmpl(const struct local_service *s, struct cat_service *t);
void sync_service_tmpl_free(struct cat_service *t);
/* A check template (strings borrowed from c). */
void sync_check_tmpl(const struct local_check *c, struct cat_check *t);

bool sync_service_same(const struct local_service *l, const struct cat_service *c);
bool sync_check_same(const struct local_check *l, const struct cat_check *c, bool ignore_output);

/* Full compare: mark what differs out of sync, queue deregistration of what
 * the catalog has for this node and the agent does not. EnableTagOverride:
 * the catalog's tags are copied into the local service. */
void sync_compare(struct local_state *ls);

#endif
