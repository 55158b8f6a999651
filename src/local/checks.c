/*
 * Check entries: creating and replacing them, their runners, status updates
 * coming back from checks/ and TTL updates (Consul's Agent.AddCheck,
 * updateTTLCheck). Maintenance mode and the reaper are in maint.c, alias
 * targets in alias.c.
 *
 * A runnable check owns a struct check (checks/check.h) embedded in its entry;
 * dropping the entry detaches it from the table at once and frees it from the
 * runner's close callback, so a new check with the same ID can take its place
 * meanwhile. Maintenance checks have no runner.
 */
#include "local/internal.h"

#include "base/alloc.h"
#include "base/duration.h"
#include "base/err.h"
#include "base/log.h"

#include <stdlib.h>
#include <string.h>

#define DEFER_GRANULARITY_NS (1000ull * 1000 * 1000)

struct local_check *local_check_mut(struct local_state *ls, const char *id)
{
	return idmap_get(&ls->checks, id);
}

static void check_free(struct local_check *c)
{
	free(c->id);
	free(c->name);
	free(c->notes);
	free(c->service_id);
	free(c->interval);
	free(c->timeout);
	free(c->output);
	checkdef_free(&c->def);
	free(c);
}

static void runner_closed(struct check *run)
{
	struct local_check *c = run->data;
	struct local_state *ls = c->ls;
	check_free(c);
	ls->checks_closing--;
	local_close_progress(ls);
}

void local_check_drop(struct local_state *ls, struct local_check *c, bool purge)
{
	if (idmap_get(&ls->checks, c->id) == c) {
		idmap_del(&ls->checks, c->id);
		idmap_del(&ls->dirty_checks, c->id);
	}
	if (!ls->closing && purge) {
		idmap_put(&ls->dereg_checks, c->id, ls);
		persist_check(ls, c->id);
		if (c->has_run && c->run.kind == CHECK_KIND_TTL)
			persist_check_state(ls, c->id, CHECK_CRITICAL, NULL, -1);
		check_alias_notify(&ls->rt, NULL, c->service_id[0] ? c->service_id : NULL);
		local_touch(ls);
	}
	if (!c->has_run) {
		check_free(c);
		return;
	}
	ls->checks_closing++;
	check_close(&c->run, runner_closed);
}

/* ---- status changes ---- */

void local_check_set_status(struct local_check *c, enum check_status st)
{
	if (st == CHECK_CRITICAL && (c->status != CHECK_CRITICAL || !c->critical_since))
		c->critical_since = local_now(c->ls);
	else if (st != CHECK_CRITICAL)
		c->critical_since = 0;
	c->status = st;
}

static void defer_cb(uv_timer_t *t)
{
	local_defer_fire(t->data);
}

static void arm_defer(struct local_state *ls, uint64_t due)
{
	due = (due / DEFER_GRANULARITY_NS + 1) * DEFER_GRANULARITY_NS;
	if (ls->defer_due && ls->defer_due <= due)
		return;
	uint64_t now = local_now(ls);
	ls->defer_due = due;
	uv_timer_start(&ls->defer_timer, defer_cb, due > now ? (due - now) / 1000000 : 0, 0);
}

static void on_update(struct check *run, enum check_status st, const char *output, size_t len)
{
	struct local_check *c = run->data;
	struct local_state *ls = c->ls;
	if (ls->closing || idmap_get(&ls->checks, c->id) != c)
		return;
	if (ls->cfg->discard_check_output)
		len = 0;
	bool changed = st != c->status;
	bool out_changed = strlen(c->output) != len || memcmp(c->output, output, len) != 0;
	free(c->output);
	c->output = xstrndup(output, len);
	if (changed) {
		local_check_set_status(c, st);
		c->defer_until = 0;
		local_dirty_check(ls, c);
		check_alias_notify(&ls->rt, NULL, c->service_id[0] ? c->service_id : NULL);
	} else if (out_changed && c->in_sync) {
		/* output-only: synced at most every check_update_interval */
		int64_t iv = ls->cfg->check_update_interval;
		if (iv <= 0) {
			local_dirty_check(ls, c);
		} else if (!c->defer_until) {
			c->defer_until = local_now(ls) + (uint64_t)iv;
			arm_defer(ls, c->defer_until);
		}
	}
}

void local_defer_fire(struct local_state *ls)
{
	void **vals;
	uint64_t now = local_now(ls), next = 0;
	size_t n = idmap_values(&ls->checks, &vals);
	ls->defer_due = 0;
	for (size_t i = 0; i < n; i++) {
		struct local_check *c = vals[i];
		if (!c->defer_until)
			continue;
		if (c->defer_until <= now) {
			c->defer_until = 0;
			local_dirty_check(ls, c);
		} else if (!next || c->defer_until < next) {
			next = c->defer_until;
		}
	}
	free(vals);
	if (next)
		arm_defer(ls, next);
}

/* ---- creating ---- */

static char *fmt_duration(int64_t ns)
{
	struct buf b = BUF_INIT;
	checkdef_format_duration(&b, ns);
	return buf_steal(&b);
}

static int64_t reap_after(const struct local_state *ls, const struct checkdef *d)
{
	int64_t v = d->deregister_critical_after, min = ls->cfg->check_deregister_interval_min;
	if (v <= 0)
		return 0;
	if (v < min) {
		struct buf b = BUF_INIT;
		duration_format(&b, min);
		log_warn(LOCAL_LOG,
			 "check has deregister interval below minimum: check=%s "
			 "minimum_interval=%s",
			 d->id, buf_cstr(&b));
		buf_free(&b);
		v = min;
	}
	return v;
}

/* A new entry from a definition (moved into the entry). */
static struct local_check *check_alloc(struct local_state *ls, struct checkdef *def,
				       enum local_origin origin)
{
	struct local_check *c = xcalloc(1, sizeof(*c));
	c->ls = ls;
	c->def = *def;
	memset(def, 0, sizeof(*def));
	c->id = xstrdup(c->def.id);
	c->name = xstrdup(c->def.name ? c->def.name : c->def.id);
	c->notes = xstrdup(c->def.notes ? c->def.notes : "");
	c->service_id = xstrdup(c->def.service_id ? c->def.service_id : "");
	c->type = check_kind_name(checkdef_kind(&c->def));
	c->interval = fmt_duration(c->def.interval);
	c->timeout = fmt_duration(c->def.timeout);
	c->output = xstrdup("");
	c->origin = origin;
	c->source = origin == LOCAL_ORIGIN_API ? CHECK_SOURCE_REMOTE : CHECK_SOURCE_LOCAL;
	c->reap_after = reap_after(ls, &c->def);
	c->status = c->def.has_status ? c->def.status : CHECK_CRITICAL;
	return c;
}

/* Put c in the table in place of any check with its ID, keeping that one's
 * status and output (Consul's snapshot restore, so a re-registration does not
 * flap). */
void local_check_install(struct local_state *ls, struct local_check *c)
{
	struct local_check *old = idmap_get(&ls->checks, c->id);
	bool was_persisted = old && old->origin != LOCAL_ORIGIN_CONFIG;
	if (old) {
		free(c->output);
		c->output = xstrdup(old->output);
		c->status = old->status;
		c->critical_since = old->critical_since;
		local_check_drop(ls, old, false);
	}
	if (c->status == CHECK_CRITICAL && !c->critical_since)
		c->critical_since = local_now(ls);
	if (c->has_run)
		check_restore(&c->run, c->status, c->output);
	idmap_put(&ls->checks, c->id, c);
	idmap_del(&ls->dereg_checks, c->id);
	local_dirty_check(ls, c);
	if (c->origin != LOCAL_ORIGIN_CONFIG || was_persisted)
		persist_check(ls, c->id);
	if (ls->started)
		local_check_start(c);
	check_alias_notify(&ls->rt, NULL, c->service_id[0] ? c->service_id : NULL);
}

int local_check_put(struct local_state *ls, struct checkdef *def, const struct local_service *svc,
		    enum local_origin origin, struct buf *err)
{
	const struct config *cfg = ls->cfg;
	enum check_source src =
	    origin == LOCAL_ORIGIN_API ? CHECK_SOURCE_REMOTE : CHECK_SOURCE_LOCAL;
	if (checkdef_allowed(def, src, cfg->enable_script_checks, cfg->enable_local_script_checks,
			     err))
		return CAIRN_E_PERM;
	if (svc && (!def->service_id || strcmp(def->service_id, svc->def.id) != 0)) {
		free(def->service_id);
		def->service_id = xstrdup(svc->def.id);
	}
	struct local_check *c = check_alloc(ls, def, origin);
	c->in_service_def = svc != NULL;
	if (check_init(&ls->rt, &c->run, &c->def, on_update, c)) {
		buf_puts(err, "Check type is not valid");
		check_free(c);
		return CAIRN_E_INVAL;
	}
	c->has_run = true;
	enum check_status st;
	char *out;
	/* a TTL check comes back in its persisted state until the TTL runs out */
	if (c->run.kind == CHECK_KIND_TTL && !local_check(ls, c->id) &&
	    persist_load_state(ls, c->id, &st, &out) == 0) {
		c->status = st;
		free(c->output);
		c->output = out;
	}
	local_check_install(ls, c);
	return 0;
}

void local_check_start(struct local_check *c)
{
	if (c->has_run && !c->run.started && check_start(&c->run))
		log_error(LOCAL_LOG, "failed to start check: check=%s", c->id);
}

void local_check_restore(struct local_check *c, enum check_status st, const char *output)
{
	local_check_set_status(c, st);
	free(c->output);
	c->output = xstrdup(output ? output : "");
	if (c->has_run)
		check_restore(&c->run, st, c->output);
}

int local_add_check(struct local_state *ls, struct checkdef *def, enum local_origin origin,
		    struct buf *err)
{
	int rv;
	if (def->service_id && def->service_id[0]) {
		if (!local_service(ls, def->service_id)) {
			buf_printf(err, "ServiceID \"%s\" does not exist", def->service_id);
			checkdef_free(def);
			return CAIRN_E_NOTFOUND;
		}
	}
	rv = local_check_put(ls, def, NULL, origin, err);
	checkdef_free(def);
	return rv;
}

int local_remove_check(struct local_state *ls, const char *id)
{
	struct local_check *c = local_check_mut(ls, id);
	if (!c)
		return CAIRN_E_NOTFOUND;
	local_check_drop(ls, c, true);
	return 0;
}

int local_ttl_update(struct local_state *ls, const char *id, enum check_status st,
		     const char *output, struct buf *err)
{
	struct local_check *c = local_check_mut(ls, id);
	if (!c || !c->has_run || c->run.kind != CHECK_KIND_TTL) {
		buf_printf(err, "CheckID \"%s\" does not have associated TTL", id);
		return CAIRN_E_NOTFOUND;
	}
	check_ttl_update(&c->run, st, output ? output : "");
	/* so that a restart comes back in this state until the TTL runs out */
	uv_timeval64_t tv;
	uv_gettimeofday(&tv);
	/* the update was reported synchronously: c holds the capped output */
	persist_check_state(ls, id, c->status, c->output,
			    tv.tv_sec + (c->def.ttl + DUR_SEC - 1) / DUR_SEC);
	return 0;
}
