/*
 * Local state life cycle, the end-of-iteration hook, waiters and lookups
 * (see local.h for the model).
 *
 * Handles: prepare (end-of-iteration work), ae_timer, reap_timer, defer_timer.
 * The prepare handle runs only while something is pending: a persist batch to
 * start, a sync round wanted, or waiters to answer.
 */
#include "local/internal.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

uint64_t local_now(const struct local_state *ls)
{
	return ls->clock ? ls->clock(ls->clock_ctx) : uv_hrtime();
}

static void notify_watches(struct local_state *ls)
{
	struct local_watch **p = &ls->watches;
	while (*p) {
		struct local_watch *w = *p;
		if (!ls->closing && w->gen == ls->gen) {
			p = &w->next;
			continue;
		}
		*p = w->next;
		w->next = NULL;
		w->cb(w);
	}
}

static void on_prepare(uv_prepare_t *h)
{
	struct local_state *ls = h->data;
	bool idle = persist_flush(ls);
	if (idle)
		ls->persist_gen = ls->gen;
	sync_maybe_run(ls);
	local_notify_waiters(ls);
	notify_watches(ls); /* a change scheduled this hook, so none is missed */
	if (!ls->want_sync && !ls->round_running && idle && !ls->waiters)
		uv_prepare_stop(&ls->prepare);
}

void local_schedule(struct local_state *ls)
{
	if (!ls->closing && ls->handles_open)
		uv_prepare_start(&ls->prepare, on_prepare);
}

void local_touch(struct local_state *ls)
{
	ls->gen++;
	ls->want_sync = true;
	local_schedule(ls);
}

void local_dirty_service(struct local_state *ls, struct local_service *s)
{
	s->in_sync = false;
	idmap_put(&ls->dirty_services, s->def.id, ls);
	local_touch(ls);
	s->gen = ls->gen;
}

void local_dirty_check(struct local_state *ls, struct local_check *c)
{
	c->in_sync = false;
	idmap_put(&ls->dirty_checks, c->id, ls);
	local_touch(ls);
	c->gen = ls->gen;
}

/* ---- waiters ---- */

static bool wait_done(const struct local_state *ls, const struct local_wait *w)
{
	return ls->persist_gen >= w->gen && ls->sync_gen >= w->gen;
}

void local_notify_waiters(struct local_state *ls)
{
	struct local_wait **p = &ls->waiters;
	while (*p) {
		struct local_wait *w = *p;
		if (!ls->closing && !wait_done(ls, w)) {
			p = &w->next;
			continue;
		}
		*p = w->next;
		w->next = NULL;
		w->cb(w);
	}
}

void local_wait(struct local_state *ls, struct local_wait *w, local_wait_cb cb)
{
	w->cb = cb;
	w->gen = ls->gen;
	w->next = NULL;
	struct local_wait **p = &ls->waiters;
	while (*p)
		p = &(*p)->next;
	*p = w;
	local_schedule(ls);
}

void local_watch(struct local_state *ls, struct local_watch *w, local_watch_cb cb)
{
	if (ls->closing)
		return; /* nothing changes any more */
	w->cb = cb;
	w->gen = ls->gen;
	w->next = ls->watches;
	ls->watches = w;
}

void local_watch_cancel(struct local_state *ls, struct local_watch *w)
{
	for (struct local_watch **p = &ls->watches; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			w->next = NULL;
			return;
		}
}

void local_wait_cancel(struct local_state *ls, struct local_wait *w)
{
	for (struct local_wait **p = &ls->waiters; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			w->next = NULL;
			return;
		}
}

/* ---- life cycle ---- */

static char *dup_opt(const char *s)
{
	return xstrdup(s ? s : "");
}

int local_init(struct local_state *ls, const struct local_opts *o, struct buf *err)
{
	memset(ls, 0, sizeof(*ls));
	ls->loop = o->loop;
	ls->store = o->store;
	ls->cons = o->cons;
	ls->cfg = o->cfg;
	ls->node_id = dup_opt(o->node_id);
	ls->advertise = dup_opt(o->advertise);
	ls->advertise_wan = dup_opt(o->advertise_wan ? o->advertise_wan : o->advertise);
	ls->data_dir = dup_opt(o->data_dir);
	ls->propose = o->propose;
	ls->propose_ctx = o->propose_ctx;
	ls->clock = o->clock;
	ls->clock_ctx = o->clock_ctx;
	idmap_init(&ls->services);
	idmap_init(&ls->checks);
	idmap_init(&ls->dereg_services);
	idmap_init(&ls->dereg_checks);
	idmap_init(&ls->dirty_services);
	idmap_init(&ls->dirty_checks);
	struct check_runtime_opts ro = {
	    .output_max_size = o->cfg->check_output_max_size,
	    .node_name = o->cfg->node_name,
	    .alias_lookup = local_alias_lookup,
	    .alias_ctx = ls,
	    .rand = o->rand,
	    .rand_ctx = o->rand_ctx,
	};
	int rv = check_runtime_init(&ls->rt, ls->loop, &ro);
	if (rv) {
		buf_printf(err, "failed to start the check runtime: %s", cairn_strerror(rv));
		return rv;
	}
	persist_init(ls);
	uv_prepare_init(ls->loop, &ls->prepare);
	uv_timer_init(ls->loop, &ls->ae_timer);
	uv_timer_init(ls->loop, &ls->reap_timer);
	uv_timer_init(ls->loop, &ls->defer_timer);
	ls->prepare.data = ls->ae_timer.data = ls->reap_timer.data = ls->defer_timer.data = ls;
	ls->handles_open = 4;
	return 0;
}

int local_load(struct local_state *ls, struct buf *err)
{
	int rv = reload_load_config(ls, err);
	if (rv == 0)
		rv = persist_load(ls, err);
	return rv;
}

int local_start(struct local_state *ls)
{
	void **vals;
	size_t n = idmap_values(&ls->checks, &vals);
	ls->started = true;
	for (size_t i = 0; i < n; i++)
		local_check_start(vals[i]);
	free(vals);
	local_reaper_start(ls);
	log_info(LOCAL_LOG, "started state syncer");
	ls->want_full = true;
	local_touch(ls);
	return 0;
}

bool local_in_sync(const struct local_state *ls)
{
	return ls->node_in_sync && !ls->dereg_services.count && !ls->dereg_checks.count &&
	       !ls->dirty_services.count && !ls->dirty_checks.count;
}

/* ---- close ----
 *
 * Order: waiters answered, services freed, check runners closing, handles
 * closing, queued files written; when all of that is done the tables are freed
 * and the check runtime closes; its callback calls the owner's. Proposals still
 * in flight are orphaned (sync.c): their callbacks no longer touch ls. */

static void rt_closed(struct check_runtime *rt)
{
	struct local_state *ls =
	    (struct local_state *)((char *)rt - offsetof(struct local_state, rt));
	if (ls->close_cb)
		ls->close_cb(ls);
}

void local_close_progress(struct local_state *ls)
{
	if (!ls->closing || ls->handles_open || ls->checks_closing || !ls->persist)
		return;
	if (!persist_flush(ls))
		return; /* a batch is in flight; called again when it ends */
	sync_orphan(ls);
	persist_free(ls);
	idmap_free(&ls->services);
	idmap_free(&ls->checks);
	idmap_free(&ls->dereg_services);
	idmap_free(&ls->dereg_checks);
	idmap_free(&ls->dirty_services);
	idmap_free(&ls->dirty_checks);
	free(ls->node_id);
	free(ls->advertise);
	free(ls->advertise_wan);
	free(ls->data_dir);
	ls->node_id = ls->advertise = ls->advertise_wan = ls->data_dir = NULL;
	check_runtime_close(&ls->rt, rt_closed);
}

static void handle_closed(uv_handle_t *h)
{
	struct local_state *ls = h->data;
	ls->handles_open--;
	local_close_progress(ls);
}

void local_close(struct local_state *ls, local_close_cb cb)
{
	void **vals;
	if (ls->closing)
		return;
	ls->closing = true;
	ls->close_cb = cb;
	local_notify_waiters(ls);
	notify_watches(ls);
	size_t n = idmap_values(&ls->services, &vals);
	for (size_t i = 0; i < n; i++)
		local_service_free(vals[i]);
	free(vals);
	idmap_free(&ls->services);
	n = idmap_values(&ls->checks, &vals);
	for (size_t i = 0; i < n; i++)
		local_check_drop(ls, vals[i], false);
	free(vals);
	uv_close((uv_handle_t *)&ls->prepare, handle_closed);
	uv_close((uv_handle_t *)&ls->ae_timer, handle_closed);
	uv_close((uv_handle_t *)&ls->reap_timer, handle_closed);
	uv_close((uv_handle_t *)&ls->defer_timer, handle_closed);
}

/* ---- lookups ---- */

const struct local_service *local_service(const struct local_state *ls, const char *id)
{
	return idmap_get(&ls->services, id);
}

const struct local_check *local_check(const struct local_state *ls, const char *id)
{
	return idmap_get(&ls->checks, id);
}

static size_t sorted(const struct idmap *m, const void ***out)
{
	const char **keys;
	size_t n = idmap_sorted_keys(m, &keys);
	*out = n ? xmalloc(n * sizeof(void *)) : NULL;
	for (size_t i = 0; i < n; i++)
		(*out)[i] = idmap_get(m, keys[i]);
	free(keys);
	return n;
}

size_t local_services(const struct local_state *ls, const struct local_service ***out)
{
	return sorted(&ls->services, (const void ***)out);
}

size_t local_checks(const struct local_state *ls, const struct local_check ***out)
{
	return sorted(&ls->checks, (const void ***)out);
}

static int cmp_check(const void *a, const void *b)
{
	return strcmp((*(const struct local_check *const *)a)->id,
		      (*(const struct local_check *const *)b)->id);
}

/* Filter first, sort what is left: O(checks), not O(checks log checks). */
size_t local_service_checks(const struct local_state *ls, const char *service_id, bool node_checks,
			    const struct local_check ***out)
{
	void **vals;
	size_t n = idmap_values(&ls->checks, &vals), k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct local_check *c = vals[i];
		if (strcmp(c->service_id, service_id) == 0 || (node_checks && !c->service_id[0]))
			vals[k++] = vals[i];
	}
	if (k > 1)
		qsort(vals, k, sizeof(void *), cmp_check);
	*out = (const struct local_check **)vals;
	return k;
}

enum check_status local_service_status(const struct local_state *ls, const char *service_id)
{
	const struct local_check **cs;
	enum check_status worst = CHECK_PASSING;
	size_t n = local_service_checks(ls, service_id, true, &cs);
	for (size_t i = 0; i < n; i++)
		if (cs[i]->status > worst)
			worst = cs[i]->status;
	free(cs);
	return worst;
}
