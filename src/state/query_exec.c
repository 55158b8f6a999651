/*
 * Executing a rendered prepared query against the catalog (model in
 * query_exec.h): collect the service's instances with their checks, keep
 * those that pass the query's filters, shuffle. Loop thread (store reads).
 */
#include "state/query_exec.h"

#include "base/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct run {
	const struct store *s;
	const struct prepared_query *q;
	struct pq_result *out;
};

static int pool_check(void *ctx, const struct cat_check *c)
{
	struct pq_result *r = ctx;
	if (r->nchecks == r->ccap) {
		r->ccap = r->ccap ? 2 * r->ccap : 16;
		r->checks = xrealloc(r->checks, r->ccap * sizeof(*r->checks));
	}
	r->checks[r->nchecks++] = c;
	return 0;
}

static bool has_tag(const struct cat_service *svc, const char *tag)
{
	for (size_t i = 0; i < svc->ntags; i++)
		if (strcasecmp(svc->tags[i], tag) == 0)
			return true;
	return false;
}

/* Consul's tagFilter: every tag present, no "!tag" present. */
static bool tags_ok(const struct prepared_query *q, const struct cat_service *svc)
{
	for (size_t i = 0; i < q->tags.n; i++) {
		const char *t = q->tags.v[i];
		bool neg = t[0] == '!';
		if (has_tag(svc, neg ? t + 1 : t) == neg)
			return false;
	}
	return true;
}

static const char *pair_get(const struct cat_pair *v, size_t n, const char *k)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].key, k) == 0)
			return v[i].value;
	return NULL;
}

static bool meta_ok(const struct pq_map *want, const struct cat_pair *have, size_t nhave)
{
	for (size_t i = 0; i < want->n; i++) {
		const char *v = pair_get(have, nhave, want->v[i].key);
		if (!v || strcmp(v, want->v[i].value) != 0)
			return false;
	}
	return true;
}

static bool ignored(const struct prepared_query *q, const char *check_id)
{
	for (size_t i = 0; i < q->ignore.n; i++)
		if (strcmp(q->ignore.v[i], check_id) == 0)
			return true;
	return false;
}

/* Consul's CheckServiceNodes.FilterIgnore. */
static bool health_ok(const struct prepared_query *q, const struct cat_check *const *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ignored(q, c[i]->id))
			continue;
		enum cat_status st = c[i]->status;
		if (st == CAT_CRITICAL || st == CAT_MAINTENANCE ||
		    (q->only_passing && st != CAT_PASSING))
			return false;
	}
	return true;
}

static int one(void *ctx, const struct cat_node *n, const struct cat_service *svc)
{
	struct run *r = ctx;
	struct pq_result *out = r->out;
	if (!tags_ok(r->q, svc) || !meta_ok(&r->q->svc_meta, svc->meta, svc->nmeta) ||
	    !meta_ok(&r->q->node_meta, n ? n->meta : NULL, n ? n->nmeta : 0))
		return 0;
	size_t first = out->nchecks;
	catalog_instance_checks(r->s, svc, pool_check, out);
	size_t n_checks = out->nchecks - first;
	if (n_checks && !health_ok(r->q, out->checks + first, n_checks)) {
		out->nchecks = first;
		return 0;
	}
	if (out->n == out->cap) {
		out->cap = out->cap ? 2 * out->cap : 16;
		out->v = xrealloc(out->v, out->cap * sizeof(*out->v));
	}
	out->v[out->n++] = (struct pq_node){n, svc, first, out->nchecks - first};
	return 0;
}

void pquery_exec(const struct store *s, const struct prepared_query *q, uint64_t (*rnd)(void *),
		 void *rnd_ctx, struct pq_result *out)
{
	struct run r = {s, q, out};
	if (!q->service || !q->service[0])
		return;
	catalog_service_instances(s, q->service, one, &r);
	if (!rnd)
		return;
	for (size_t i = out->n; i > 1; i--) {
		size_t j = (size_t)(rnd(rnd_ctx) % i);
		struct pq_node t = out->v[i - 1];
		out->v[i - 1] = out->v[j];
		out->v[j] = t;
	}
}

void pq_result_free(struct pq_result *r)
{
	free(r->v);
	free(r->checks);
	memset(r, 0, sizeof(*r));
}

/* ---- failover order ---- */

static bool has_dc(const char (*dcs)[64], size_t n, const char *dc)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(dcs[i], dc) == 0)
			return true;
	return false;
}

size_t pquery_failover_dcs(const struct prepared_query *q, const char (*known)[64], size_t nknown,
			   char (*out)[64], size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < nknown && n < cap && (int64_t)i < (int64_t)q->nearest_n; i++)
		memcpy(out[n++], known[i], sizeof(out[0]));
	for (size_t i = 0; i < q->dcs.n && n < cap; i++) {
		const char *dc = q->dcs.v[i];
		if (has_dc(known, nknown, dc) && !has_dc((const char(*)[64])out, n, dc))
			snprintf(out[n++], sizeof(out[0]), "%.63s", dc); /* a known name: it fits */
	}
	return n;
}
