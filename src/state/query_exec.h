/*
 * Prepared queries at execution time: which query a name or ID means, how a
 * template is rendered for a name, and which service instances a query
 * returns. Pure functions over the store's entries and the catalog; no I/O,
 * no clock (randomness comes in as a function). Loop thread, like every
 * store read.
 *
 * Resolution (Consul's PreparedQueryResolve): the query with that ID; else
 * the query with that Name (ignoring case); else the template whose Name is
 * the longest prefix of it (ignoring case; an empty-named template matches
 * everything). A template found either way is rendered for the name.
 *
 * Templates (Consul's prepared_query template.go). Type "name_prefix_match";
 * an optional Regexp is matched against the full name and its groups feed
 * ${match(N)}. Every string of the Service part (Service, Failover
 * datacenters, IgnoreCheckIDs, Near, Tags, NodeMeta and ServiceMeta values,
 * Peer) is interpolated, HIL-style:
 *   ${name.full}    the name looked up
 *   ${name.prefix}  the template's Name
 *   ${name.suffix}  the full name after the prefix
 *   ${match(N)}     regexp group N ("" when absent or no match)
 *   ${agent.segment} "" (no network segments in this build)
 *   $${             a literal "${"
 * Anything else inside ${} is an error. RemoveEmptyTags then drops tags that
 * rendered empty. Regexps are Go's RE2 syntax as far as POSIX ERE (glibc)
 * can run it: lazy quantifiers become greedy, \d \D become [0-9] [^0-9],
 * (?:..) is refused (it would renumber groups).
 *
 * Execution (Consul's PreparedQuery.Execute, local datacenter): the
 * instances of Service whose checks, IgnoreCheckIDs aside, hold no critical
 * (or maintenance) status, nor a warning with OnlyPassing; whose node has
 * every NodeMeta pair and service every ServiceMeta pair; that carry every
 * Tag and none of the "!tag"s (case-insensitive). Shuffled. Sorting by Near
 * and the limit are the caller's (they need gossip coordinates).
 */
#ifndef CAIRN_STATE_QUERY_EXEC_H
#define CAIRN_STATE_QUERY_EXEC_H

#include "state/catalog.h"
#include "state/query.h"

#include <stddef.h>
#include <stdint.h>

/* Check a query at create/update: a template's type is known, its Regexp
 * compiles and it renders for its own Name. 0, or -1 with *why (malloc'd). */
int pquery_template_check(const struct prepared_query *q, char **why);
/* Render template t for name: a new entry (refs 1). NULL with *why on an
 * interpolation error. segment: the agent's segment ("" none). */
struct prepared_query *pquery_render(const struct prepared_query *t, const char *name,
				     const char *segment, char **why);
/* Resolution (above): a new entry (refs 1) the caller releases, or NULL with
 * *why NULL (not found) or set (a template failed to render). */
struct prepared_query *pquery_resolve(const struct store *s, const char *id_or_name, char **why);

/* One instance kept by an execution, with its checks (a slice of the pool). */
struct pq_node {
	const struct cat_node *node;
	const struct cat_service *svc;
	size_t first, n; /* checks[first .. first+n) */
};

struct pq_result {
	struct pq_node *v;		 /* kept instances */
	size_t n, cap;			 /* in use, allocated */
	const struct cat_check **checks; /* pool of their checks */
	size_t nchecks, ccap;		 /* in use, allocated */
};

/* Run q (a rendered query) against the catalog into out (zeroed by the
 * caller); rnd shuffles (NULL: catalog order). Free with pq_result_free. */
void pquery_exec(const struct store *s, const struct prepared_query *q, uint64_t (*rnd)(void *),
		 void *rnd_ctx, struct pq_result *out);
void pq_result_free(struct pq_result *r);

/* Where q fails over, in order (Consul's queryFailover): the first
 * Failover.NearestN of known (the other datacenters, nearest first), then
 * Failover.Datacenters in their order, skipping names not in known (our own
 * included) and those already taken. Writes the names to out; returns how
 * many (at most cap). */
size_t pquery_failover_dcs(const struct prepared_query *q, const char (*known)[64], size_t nknown,
			   char (*out)[64], size_t cap);

#endif
