/*
 * Anti-entropy rounds (Consul's agent/ae StateSyncer and local.State.SyncChanges,
 * on the loop instead of a goroutine). Model in local.h.
 *
 * A round: (full only) compare with the catalog; then one CMD_CATALOG_REGISTER
 * per SYNC_CHUNK entries carrying the node, its serfHealth check, the services
 * and checks that are out of sync; then one CMD_CATALOG_DEREGISTER per entry to
 * remove. Each proposal has a context naming what it carries and the change
 * generation of each entry when proposed: an entry changed again meanwhile
 * stays out of sync for the next round. When every proposal has answered, the
 * round is over: sync_gen moves to the round's generation (the HTTP API's
 * waiters are answered, whether it succeeded or not, as Consul only logs a sync
 * failure) and the next round may start.
 */
#include "local/sync.h"

#include "base/alloc.h"
#include "base/duration.h"
#include "base/err.h"
#include "base/log.h"
#include "consensus/catalog_ops.h"
#include "consensus/cmd.h"

#include <stdlib.h>
#include <string.h>

#define AE_LOG	      "agent.anti_entropy"
#define SYNC_CHUNK    512	     /* services + checks per register entry */
#define RETRY_NS      (15 * DUR_SEC) /* Consul's retryFailIntv */
#define DEFAULT_AE_NS (60 * DUR_SEC) /* ae_interval */

enum sync_kind { SYNC_REGISTER, SYNC_DEREG_SERVICE, SYNC_DEREG_CHECK };

struct sync_item {
	char *id;
	uint64_t gen;
};

struct sync_ctx {
	struct local_state *ls; /* NULL once orphaned */
	struct sync_ctx *next;	/* ls->inflight */
	enum sync_kind kind;
	bool node;		    /* register: carries the node info */
	struct sync_item *services; /* register: services carried */
	size_t nservices;
	struct sync_item *checks; /* register: checks carried */
	size_t nchecks;
	char *id; /* deregistration: the ID */
};

static void ctx_free(struct sync_ctx *x)
{
	for (size_t i = 0; i < x->nservices; i++)
		free(x->services[i].id);
	for (size_t i = 0; i < x->nchecks; i++)
		free(x->checks[i].id);
	free(x->services);
	free(x->checks);
	free(x->id);
	free(x);
}

static void unlink_ctx(struct local_state *ls, struct sync_ctx *x)
{
	for (struct sync_ctx **p = &ls->inflight; *p; p = &(*p)->next)
		if (*p == x) {
			*p = x->next;
			return;
		}
}

void sync_orphan(struct local_state *ls)
{
	for (struct sync_ctx *x = ls->inflight; x; x = x->next)
		x->ls = NULL;
	ls->inflight = NULL;
	ls->round_pending = 0;
}

/* ---- timers ---- */

static uint64_t stagger(uint64_t ns)
{
	/* Consul staggers by up to a sixteenth of the interval (lib.RandomStagger) */
	return ns / 16 ? (uv_hrtime() * 0x9e3779b97f4a7c15ULL >> 17) % (ns / 16) : 0;
}

static void ae_fire(uv_timer_t *t)
{
	local_sync_now(t->data, true);
}

void sync_arm(struct local_state *ls, bool retry)
{
	if (ls->closing)
		return;
	int64_t iv = ls->cfg->ae_interval > 0 ? ls->cfg->ae_interval : DEFAULT_AE_NS;
	uint64_t ns = retry ? RETRY_NS : (uint64_t)iv;
	ns += stagger(ns);
	uv_timer_start(&ls->ae_timer, ae_fire, ns / DUR_MS, 0);
}

void local_sync_now(struct local_state *ls, bool full)
{
	if (ls->closing)
		return;
	ls->want_sync = true;
	ls->want_full |= full;
	local_schedule(ls);
}

/* ---- answers ---- */

static void round_end(struct local_state *ls)
{
	ls->round_running = false;
	ls->sync_gen = ls->round_gen;
	if (ls->round_failed)
		sync_arm(ls, true);
	else if (ls->round_full)
		sync_arm(ls, false);
	ls->round_failed = false;
	local_schedule(ls);
}

static void log_failure(const char *why)
{
	log_error(AE_LOG, "failed to sync remote state: error=\"%s\"", why);
}

static void register_done(struct local_state *ls, struct sync_ctx *x)
{
	if (x->node && !ls->node_in_sync) {
		ls->node_in_sync = true;
		log_info(LOCAL_LOG, "Synced node info");
	}
	for (size_t i = 0; i < x->nservices; i++) {
		struct local_service *s = local_service_mut(ls, x->services[i].id);
		if (s && s->gen == x->services[i].gen) {
			s->in_sync = true;
			idmap_del(&ls->dirty_services, s->def.id);
			log_info(LOCAL_LOG, "Synced service: service=%s", s->def.id);
		}
	}
	for (size_t i = 0; i < x->nchecks; i++) {
		struct local_check *c = local_check_mut(ls, x->checks[i].id);
		if (c && c->gen == x->checks[i].gen) {
			c->in_sync = true;
			idmap_del(&ls->dirty_checks, c->id);
			log_info(LOCAL_LOG, "Synced check: check=%s", c->id);
		}
	}
}

/* A failed deregistration is queued again unless the ID came back meanwhile. */
static void dereg_done(struct local_state *ls, struct sync_ctx *x, bool ok)
{
	bool service = x->kind == SYNC_DEREG_SERVICE;
	if (ok) {
		log_info(LOCAL_LOG, "Deregistered %s: %s=%s", service ? "service" : "check",
			 service ? "service" : "check", x->id);
		return;
	}
	if (service && !local_service(ls, x->id))
		idmap_put(&ls->dereg_services, x->id, ls);
	else if (!service && !local_check(ls, x->id))
		idmap_put(&ls->dereg_checks, x->id, ls);
}

static void applied(void *data, int status, const struct txn_result *res)
{
	struct sync_ctx *x = data;
	struct local_state *ls = x->ls;
	const char *why = status ? cairn_strerror(status) : catalog_ops_error(res);
	if (!ls) {
		ctx_free(x);
		return;
	}
	unlink_ctx(ls, x);
	if (why) {
		if (!ls->round_failed) /* one line per round, not per proposal */
			log_failure(why);
		ls->round_failed = true;
		if (x->kind == SYNC_REGISTER && x->node)
			ls->node_in_sync = false;
	}
	if (x->kind == SYNC_REGISTER) {
		if (!why)
			register_done(ls, x);
	} else {
		dereg_done(ls, x, !why);
	}
	ctx_free(x);
	if (--ls->round_pending == 0)
		round_end(ls);
}

static void propose(struct local_state *ls, const struct cmd *c, struct sync_ctx *x)
{
	struct buf enc = BUF_INIT;
	cmd_encode(c, &enc);
	x->ls = ls;
	ls->round_pending++;
	x->next = ls->inflight;
	ls->inflight = x;
	int rv = ls->propose ? ls->propose(ls->propose_ctx, &enc, applied, x)
			     : consensus_apply(ls->cons, &enc, applied, x);
	buf_free(&enc);
	if (rv) {
		/* never called back: answer as the callback would */
		x->ls = ls;
		applied(x, rv, NULL);
	}
}

/* ---- building a round ---- */

struct reg_build {
	struct sync_node node;
	struct cat_service *services; /* templates, SYNC_CHUNK at most */
	struct cat_check *checks;
	struct sync_ctx *x;
	size_t n; /* services + checks in this chunk */
};

static void reg_begin(struct reg_build *b)
{
	b->x = xcalloc(1, sizeof(*b->x));
	b->x->kind = SYNC_REGISTER;
	b->x->node = true;
	b->services = xcalloc(SYNC_CHUNK, sizeof(*b->services));
	b->checks = xcalloc(SYNC_CHUNK, sizeof(*b->checks));
	b->n = 0;
}

static void reg_send(struct local_state *ls, struct reg_build *b)
{
	struct cmd c = {.type = CMD_CATALOG_REGISTER};
	struct cat_service *svcs = xcalloc(b->x->nservices + 1, sizeof(*svcs));
	size_t ns = 0;
	if (b->node.with_consul)
		svcs[ns++] = b->node.consul;
	for (size_t i = 0; i < b->x->nservices; i++)
		svcs[ns++] = b->services[i];
	struct cat_check *chks = xcalloc(b->x->nchecks + 1, sizeof(*chks));
	size_t nc = 0;
	chks[nc++] = b->node.serf;
	for (size_t i = 0; i < b->x->nchecks; i++)
		chks[nc++] = b->checks[i];
	c.u.reg = (struct cat_register){.node = &b->node.node,
					.services = svcs,
					.nservices = ns,
					.checks = chks,
					.nchecks = nc};
	size_t nown = b->x->nservices;
	propose(ls, &c, b->x); /* may free b->x (a refusal answers at once) */
	for (size_t i = 0; i < nown; i++)
		sync_service_tmpl_free(&b->services[i]);
	free(svcs);
	free(chks);
	free(b->services);
	free(b->checks);
	b->x = NULL;
}

static void reg_add_service(struct local_state *ls, struct reg_build *b, struct local_service *s)
{
	if (!b->x)
		reg_begin(b);
	struct sync_ctx *x = b->x;
	sync_service_tmpl(s, &b->services[x->nservices]);
	x->services = xrealloc(x->services, (x->nservices + 1) * sizeof(*x->services));
	x->services[x->nservices++] = (struct sync_item){xstrdup(s->def.id), s->gen};
	if (++b->n == SYNC_CHUNK)
		reg_send(ls, b);
}

static void reg_add_check(struct local_state *ls, struct reg_build *b, struct local_check *c)
{
	if (!b->x)
		reg_begin(b);
	struct sync_ctx *x = b->x;
	sync_check_tmpl(c, &b->checks[x->nchecks]);
	x->checks = xrealloc(x->checks, (x->nchecks + 1) * sizeof(*x->checks));
	x->checks[x->nchecks++] = (struct sync_item){xstrdup(c->id), c->gen};
	if (++b->n == SYNC_CHUNK)
		reg_send(ls, b);
}

/* Services first, then checks (a check names a service registered before or in
 * the same entry), each in ID order. */
static void send_registrations(struct local_state *ls)
{
	struct reg_build b = {0};
	const char **ids;
	sync_node_build(ls, &b.node);
	size_t n = idmap_sorted_keys(&ls->dirty_services, &ids);
	for (size_t i = 0; i < n; i++) {
		struct local_service *s = local_service_mut(ls, ids[i]);
		if (s)
			reg_add_service(ls, &b, s);
	}
	free(ids);
	n = idmap_sorted_keys(&ls->dirty_checks, &ids);
	for (size_t i = 0; i < n; i++) {
		struct local_check *c = local_check_mut(ls, ids[i]);
		if (c)
			reg_add_check(ls, &b, c);
	}
	free(ids);
	if (!b.x && !ls->node_in_sync)
		reg_begin(&b);
	if (b.x)
		reg_send(ls, &b);
	sync_node_free(&b.node);
}

static void send_deregistrations(struct local_state *ls, struct idmap *m, enum sync_kind kind)
{
	const char **ids;
	size_t n = idmap_sorted_keys(m, &ids);
	char **copy = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		copy[i] = xstrdup(ids[i]);
	free(ids);
	idmap_free(m);
	for (size_t i = 0; i < n; i++) {
		struct sync_ctx *x = xcalloc(1, sizeof(*x));
		x->kind = kind;
		x->id = copy[i];
		struct cmd c = {.type = CMD_CATALOG_DEREGISTER};
		c.u.dereg = (struct cat_deregister){
		    .node = ls->cfg->node_name,
		    .service_id = kind == SYNC_DEREG_SERVICE ? x->id : NULL,
		    .check_id = kind == SYNC_DEREG_CHECK ? x->id : NULL,
		};
		propose(ls, &c, x);
	}
	free(copy);
}

void sync_maybe_run(struct local_state *ls)
{
	if (!ls->want_sync || ls->round_running || !ls->started || ls->closing)
		return;
	ls->want_sync = false;
	ls->round_full = ls->want_full;
	ls->want_full = false;
	ls->round_gen = ls->gen;
	if (!ls->propose && !ls->cons) {
		ls->sync_gen = ls->round_gen; /* nowhere to sync to */
		return;
	}
	if (ls->round_full)
		sync_compare(ls);
	ls->round_running = true;
	ls->round_failed = false;
	ls->round_pending = 1; /* held while proposing */
	send_registrations(ls);
	send_deregistrations(ls, &ls->dereg_services, SYNC_DEREG_SERVICE);
	send_deregistrations(ls, &ls->dereg_checks, SYNC_DEREG_CHECK);
	if (--ls->round_pending == 0)
		round_end(ls);
}
