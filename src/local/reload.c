/*
 * Services and checks from config files: registered at boot, and on reload
 * (SIGHUP, `cairn reload`, PUT /v1/agent/reload) brought in line with the new
 * files by applying the difference:
 *
 *   - a config service or top-level config check that is gone is removed;
 *   - one that changed is replaced (its checks keep their status, so a reload
 *     does not flap health); one that is unchanged is not touched at all (its
 *     checks keep running undisturbed);
 *   - a config definition with the ID of an API-registered entry takes it over
 *     (config wins, as in Consul, and the persisted file goes);
 *   - API-registered and maintenance entries are never touched otherwise.
 *
 * The new definitions are all parsed and validated before anything changes, so
 * a bad file leaves the running state as it was.
 */
#include "local/internal.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"

#include <stdlib.h>
#include <string.h>

struct cfg_set {
	struct service_def *svcs;
	size_t nsvcs;
	struct checkdef *checks;
	size_t nchecks;
};

static void set_free(struct cfg_set *s)
{
	for (size_t i = 0; i < s->nsvcs; i++)
		servicedef_free(&s->svcs[i]);
	for (size_t i = 0; i < s->nchecks; i++)
		checkdef_free(&s->checks[i]);
	free(s->svcs);
	free(s->checks);
	memset(s, 0, sizeof(*s));
}

static int parse_service(const json_t *j, size_t i, struct service_def *d, struct buf *err)
{
	struct buf why = BUF_INIT;
	int rv = servicedef_parse(j, d, &why);
	if (!rv)
		rv = servicedef_validate(d, &why);
	if (rv) {
		const char *name = json_string_value(json_object_get(j, "name"));
		if (!name)
			name = json_string_value(json_object_get(j, "Name"));
		if (name)
			buf_printf(err, "Failed to register service \"%s\": %s", name,
				   buf_cstr(&why));
		else
			buf_printf(err, "Failed to register service #%zu: %s", i + 1,
				   buf_cstr(&why));
		servicedef_free(d);
	} else {
		servicedef_finalize(d);
	}
	buf_free(&why);
	return rv ? CAIRN_E_INVAL : 0;
}

static int parse_check(const json_t *j, struct checkdef *d, struct buf *err)
{
	struct buf why = BUF_INIT;
	int rv = checkdef_parse(j, d, &why);
	if (!rv && (!d->name || !d->name[0])) {
		buf_puts(&why, "Missing check name");
		rv = CAIRN_E_INVAL;
	}
	if (!rv)
		rv = checkdef_validate(d, &why);
	if (rv) {
		buf_printf(err, "Failed to register check '%s': %s", d->name ? d->name : "",
			   buf_cstr(&why));
		checkdef_free(d);
	} else {
		checkdef_set_check_defaults(d);
	}
	buf_free(&why);
	return rv ? CAIRN_E_INVAL : 0;
}

static int parse_config(const struct config *cfg, struct cfg_set *s, struct buf *err)
{
	size_t i;
	json_t *v;
	memset(s, 0, sizeof(*s));
	s->svcs = xcalloc(json_array_size(cfg->services) + 1, sizeof(*s->svcs));
	json_array_foreach(cfg->services, i, v)
	{
		if (parse_service(v, i, &s->svcs[s->nsvcs], err))
			goto fail;
		s->nsvcs++;
	}
	s->checks = xcalloc(json_array_size(cfg->checks) + 1, sizeof(*s->checks));
	json_array_foreach(cfg->checks, i, v)
	{
		if (parse_check(v, &s->checks[s->nchecks], err))
			goto fail;
		s->nchecks++;
	}
	return 0;
fail:
	set_free(s);
	return CAIRN_E_INVAL;
}

/* Register everything in s (consumed). Stops at the first refusal. */
static int add_all(struct local_state *ls, struct cfg_set *s, struct buf *err)
{
	int rv = 0;
	for (size_t i = 0; i < s->nsvcs && !rv; i++) {
		char *name = xstrdup(s->svcs[i].name);
		struct buf why = BUF_INIT;
		rv = local_add_service(ls, &s->svcs[i], LOCAL_ORIGIN_CONFIG, false, &why);
		if (rv)
			buf_printf(err, "Failed to register service \"%s\": %s", name,
				   buf_cstr(&why));
		buf_free(&why);
		free(name);
	}
	for (size_t i = 0; i < s->nchecks && !rv; i++) {
		char *name = xstrdup(s->checks[i].name);
		struct buf why = BUF_INIT;
		rv = local_add_check(ls, &s->checks[i], LOCAL_ORIGIN_CONFIG, &why);
		if (rv)
			buf_printf(err, "Failed to register check '%s': %s", name, buf_cstr(&why));
		buf_free(&why);
		free(name);
	}
	set_free(s);
	return rv;
}

int reload_load_config(struct local_state *ls, struct buf *err)
{
	struct cfg_set s;
	if (parse_config(ls->cfg, &s, err))
		return CAIRN_E_INVAL;
	return add_all(ls, &s, err);
}

/* ---- the difference ---- */

static char *def_text(const struct checkdef *d)
{
	struct buf b = BUF_INIT;
	struct jsonw w;
	jsonw_init(&w, &b, false);
	checkdef_write_json(d, &w);
	return buf_steal(&b);
}

static bool check_unchanged(const struct local_state *ls, const struct checkdef *d)
{
	const struct local_check *c = local_check(ls, d->id);
	if (!c || c->origin != LOCAL_ORIGIN_CONFIG || !c->has_run)
		return false;
	char *a = def_text(&c->def), *b = def_text(d);
	bool same = strcmp(a, b) == 0;
	free(a);
	free(b);
	return same;
}

/* The config checks declared in the service's definition, as held now. */
static size_t held_def_checks(const struct local_state *ls, const char *sid)
{
	const struct local_check **cs;
	size_t n = local_service_checks(ls, sid, false, &cs), k = 0;
	for (size_t i = 0; i < n; i++)
		if (cs[i]->origin == LOCAL_ORIGIN_CONFIG && cs[i]->in_service_def)
			k++;
	free(cs);
	return k;
}

static bool service_unchanged(const struct local_state *ls, const struct service_def *d)
{
	const struct local_service *s = local_service(ls, d->id);
	if (!s || s->origin != LOCAL_ORIGIN_CONFIG || !servicedef_same(&s->def, d))
		return false;
	if (held_def_checks(ls, d->id) != d->n_checks)
		return false;
	for (size_t i = 0; i < d->n_checks; i++)
		if (!check_unchanged(ls, &d->checks[i]))
			return false;
	return true;
}

static bool def_has_check(const struct service_def *d, const char *id)
{
	for (size_t i = 0; i < d->n_checks; i++)
		if (strcmp(d->checks[i].id, id) == 0)
			return true;
	return false;
}

/* Config checks of a changed service that its new definition no longer has. */
static void drop_stale_def_checks(struct local_state *ls, const struct service_def *d)
{
	const struct local_check **cs;
	size_t n = local_service_checks(ls, d->id, false, &cs);
	for (size_t i = 0; i < n; i++)
		if (cs[i]->origin == LOCAL_ORIGIN_CONFIG && cs[i]->in_service_def &&
		    !def_has_check(d, cs[i]->id))
			local_remove_check(ls, cs[i]->id);
	free(cs);
}

static bool set_has_service(const struct cfg_set *s, const char *id)
{
	for (size_t i = 0; i < s->nsvcs; i++)
		if (strcmp(s->svcs[i].id, id) == 0)
			return true;
	return false;
}

static bool set_has_check(const struct cfg_set *s, const char *id)
{
	for (size_t i = 0; i < s->nchecks; i++)
		if (strcmp(s->checks[i].id, id) == 0)
			return true;
	return false;
}

static void remove_gone(struct local_state *ls, const struct cfg_set *s)
{
	const struct local_service **svcs;
	const struct local_check **cs;
	size_t n = local_services(ls, &svcs);
	for (size_t i = 0; i < n; i++)
		if (svcs[i]->origin == LOCAL_ORIGIN_CONFIG && !set_has_service(s, svcs[i]->def.id))
			local_remove_service(ls, svcs[i]->def.id);
	free(svcs);
	/* removing a check leaves the others in the listing valid */
	n = local_checks(ls, &cs);
	for (size_t i = 0; i < n; i++)
		if (cs[i]->origin == LOCAL_ORIGIN_CONFIG && !cs[i]->in_service_def &&
		    !set_has_check(s, cs[i]->id))
			local_remove_check(ls, cs[i]->id);
	free(cs);
}

/* Drop what does not change from s, so add_all only adds the difference. */
static void keep_changes(struct local_state *ls, struct cfg_set *s)
{
	size_t k = 0;
	for (size_t i = 0; i < s->nsvcs; i++) {
		if (service_unchanged(ls, &s->svcs[i])) {
			servicedef_free(&s->svcs[i]);
			continue;
		}
		drop_stale_def_checks(ls, &s->svcs[i]);
		s->svcs[k++] = s->svcs[i];
	}
	s->nsvcs = k;
	k = 0;
	for (size_t i = 0; i < s->nchecks; i++) {
		if (check_unchanged(ls, &s->checks[i])) {
			checkdef_free(&s->checks[i]);
			continue;
		}
		s->checks[k++] = s->checks[i];
	}
	s->nchecks = k;
}

int local_reload(struct local_state *ls, const struct config *cfg, struct buf *err)
{
	struct cfg_set s;
	if (parse_config(cfg, &s, err))
		return CAIRN_E_INVAL;
	/* script permissions may have changed too: refuse before changing anything */
	for (size_t i = 0; i < s.nsvcs; i++)
		for (size_t j = 0; j < s.svcs[i].n_checks; j++)
			if (checkdef_allowed(&s.svcs[i].checks[j], CHECK_SOURCE_LOCAL,
					     cfg->enable_script_checks,
					     cfg->enable_local_script_checks, err))
				goto refuse;
	for (size_t i = 0; i < s.nchecks; i++)
		if (checkdef_allowed(&s.checks[i], CHECK_SOURCE_LOCAL, cfg->enable_script_checks,
				     cfg->enable_local_script_checks, err))
			goto refuse;
	ls->cfg = cfg;
	remove_gone(ls, &s);
	keep_changes(ls, &s);
	/* node meta and tagged addresses may have changed too: compare now */
	local_sync_now(ls, true);
	return add_all(ls, &s, err);
refuse:
	set_free(&s);
	return CAIRN_E_PERM;
}
