/*
 * Adding and removing services (Consul's Agent.AddService / RemoveService).
 *
 * A service entry owns its finalized definition; its checks are moved into the
 * check table (checks.c) with the service's ID. Replacing a service keeps the
 * status and output of checks that keep their IDs; replace-existing-checks
 * removes the service's other checks. Every change bumps the generation and
 * marks the entry out of sync; API entries are queued for persistence.
 */
#include "local/internal.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"

#include <stdlib.h>
#include <string.h>

struct local_service *local_service_mut(struct local_state *ls, const char *id)
{
	return idmap_get(&ls->services, id);
}

void local_service_free(struct local_service *s)
{
	servicedef_free(&s->def);
	free(s);
}

void local_service_drop(struct local_state *ls, struct local_service *s, bool purge)
{
	char *id = xstrdup(s->def.id);
	idmap_del(&ls->services, id);
	idmap_del(&ls->dirty_services, id);
	local_service_free(s);
	if (!ls->closing) {
		idmap_put(&ls->dereg_services, id, ls);
		if (purge)
			persist_service(ls, id);
		check_alias_notify(&ls->rt, NULL, id);
		local_touch(ls);
	}
	free(id);
}

static enum check_source source_of(enum local_origin origin)
{
	return origin == LOCAL_ORIGIN_API ? CHECK_SOURCE_REMOTE : CHECK_SOURCE_LOCAL;
}

/* Refuse before anything changes: script checks the agent does not allow. */
static int checks_allowed(const struct local_state *ls, const struct service_def *def,
			  enum local_origin origin, struct buf *err)
{
	const struct config *c = ls->cfg;
	for (size_t i = 0; i < def->n_checks; i++)
		if (checkdef_allowed(&def->checks[i], source_of(origin), c->enable_script_checks,
				     c->enable_local_script_checks, err))
			return CAIRN_E_PERM;
	return 0;
}

/* IDs of the service's current checks that the new definition does not keep. */
static size_t stale_checks(struct local_state *ls, const char *sid, const struct checkdef *keep,
			   size_t nkeep, char ***out)
{
	const struct local_check **cs;
	size_t n = local_service_checks(ls, sid, false, &cs), k = 0;
	*out = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		bool kept = false;
		for (size_t j = 0; j < nkeep && !kept; j++)
			kept = strcmp(cs[i]->id, keep[j].id) == 0;
		/* the maintenance check is not one of the definition's */
		if (!kept && strcmp(cs[i]->type, "maintenance") != 0)
			(*out)[k++] = xstrdup(cs[i]->id);
	}
	free(cs);
	return k;
}

int local_add_service(struct local_state *ls, struct service_def *def, enum local_origin origin,
		      bool replace_existing_checks, struct buf *err)
{
	int rv = checks_allowed(ls, def, origin, err);
	if (rv) {
		servicedef_free(def);
		return rv;
	}
	struct local_service *s = xcalloc(1, sizeof(*s));
	struct checkdef *checks = def->checks;
	size_t nchecks = def->n_checks;
	s->def = *def;
	s->def.checks = NULL;
	s->def.n_checks = 0;
	memset(def, 0, sizeof(*def));
	s->origin = origin;
	char **stale = NULL;
	size_t nstale = 0;
	if (replace_existing_checks)
		nstale = stale_checks(ls, s->def.id, checks, nchecks, &stale);
	struct local_service *old = idmap_put(&ls->services, s->def.id, s);
	bool was_persisted = old && old->origin != LOCAL_ORIGIN_CONFIG;
	if (old)
		local_service_free(old);
	idmap_del(&ls->dereg_services, s->def.id);
	local_dirty_service(ls, s);
	for (size_t i = 0; i < nchecks; i++) {
		int crv = local_check_put(ls, &checks[i], s, origin, err);
		if (crv && !rv)
			rv = crv;
		checkdef_free(&checks[i]);
	}
	free(checks);
	for (size_t i = 0; i < nstale; i++) {
		struct local_check *c = local_check_mut(ls, stale[i]);
		if (c)
			local_check_drop(ls, c, true);
		free(stale[i]);
	}
	free(stale);
	if (origin != LOCAL_ORIGIN_CONFIG || was_persisted)
		persist_service(ls, s->def.id); /* written, or removed when config took over */
	check_alias_notify(&ls->rt, NULL, s->def.id);
	return rv;
}

int local_remove_service(struct local_state *ls, const char *id)
{
	struct local_service *s = local_service_mut(ls, id);
	if (!s)
		return CAIRN_E_NOTFOUND;
	const struct local_check **cs;
	size_t n = local_service_checks(ls, id, false, &cs);
	for (size_t i = 0; i < n; i++)
		local_check_drop(ls, (struct local_check *)cs[i], true);
	free(cs);
	local_service_drop(ls, s, true);
	return 0;
}
