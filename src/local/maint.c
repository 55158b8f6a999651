/*
 * Maintenance mode and the reaper (Consul's Agent.EnableNodeMaintenance,
 * EnableServiceMaintenance and reapServices).
 *
 * Maintenance checks are critical checks without a runner, type
 * "maintenance", named and worded as Consul's (the reason, or Consul's default
 * sentence, in Notes); they are persisted ("Source": "local") so maintenance
 * survives a restart. The reaper runs every check_reap_interval and removes
 * services whose check with deregister_critical_service_after has been
 * critical longer than that.
 */
#include "local/internal.h"

#include "base/alloc.h"
#include "base/duration.h"
#include "base/err.h"
#include "base/log.h"

#include <stdlib.h>
#include <string.h>

#define NODE_MAINT_NAME	   "Node Maintenance Mode"
#define SERVICE_MAINT_NAME "Service Maintenance Mode"
#define DEFAULT_NODE_REASON                                                                        \
	"Maintenance mode is enabled for this node, but no reason was provided. This is a "        \
	"default message."
#define DEFAULT_SVC_REASON                                                                         \
	"Maintenance mode is enabled for this service, but no reason was provided. This is a "     \
	"default message."

/* ---- maintenance ---- */

static void put_maint(struct local_state *ls, const char *id, const char *name, const char *notes,
		      const char *service_id)
{
	struct local_check *c = xcalloc(1, sizeof(*c));
	c->ls = ls;
	c->id = xstrdup(id);
	c->name = xstrdup(name);
	c->notes = xstrdup(notes);
	c->service_id = xstrdup(service_id);
	c->type = "maintenance";
	c->interval = xstrdup("");
	c->timeout = xstrdup("");
	c->output = xstrdup("");
	c->origin = LOCAL_ORIGIN_MAINT;
	c->status = CHECK_CRITICAL;
	local_check_install(ls, c);
	/* install kept a previous entry's status; maintenance is always critical */
	local_check_set_status(c, CHECK_CRITICAL);
}

/* Restore a persisted maintenance check (persist.c). */
void local_maint_restore(struct local_state *ls, const char *id, const char *name,
			 const char *notes, const char *service_id)
{
	put_maint(ls, id, name, notes, service_id);
}

void local_node_maintenance(struct local_state *ls, bool enable, const char *reason)
{
	bool on = local_check(ls, LOCAL_NODE_MAINT_ID) != NULL;
	if (enable && !on) {
		put_maint(ls, LOCAL_NODE_MAINT_ID, NODE_MAINT_NAME,
			  reason && *reason ? reason : DEFAULT_NODE_REASON, "");
		log_info(LOCAL_LOG, "Node entered maintenance mode");
	} else if (!enable && on) {
		local_remove_check(ls, LOCAL_NODE_MAINT_ID);
		log_info(LOCAL_LOG, "Node left maintenance mode");
	}
}

int local_service_maintenance(struct local_state *ls, const char *service_id, bool enable,
			      const char *reason, struct buf *err)
{
	if (!local_service(ls, service_id)) {
		buf_printf(err, "No service registered with ID \"%s\"", service_id);
		return CAIRN_E_NOTFOUND;
	}
	struct buf id = BUF_INIT;
	buf_printf(&id, "%s%s", LOCAL_SERVICE_MAINT_PFX, service_id);
	bool on = local_check(ls, buf_cstr(&id)) != NULL;
	if (enable && !on) {
		put_maint(ls, buf_cstr(&id), SERVICE_MAINT_NAME,
			  reason && *reason ? reason : DEFAULT_SVC_REASON, service_id);
		log_info(LOCAL_LOG, "Service entered maintenance mode: service=%s", service_id);
	} else if (!enable && on) {
		local_remove_check(ls, buf_cstr(&id));
		log_info(LOCAL_LOG, "Service left maintenance mode: service=%s", service_id);
	}
	buf_free(&id);
	return 0;
}

/* ---- the reaper ---- */

static void reap_cb(uv_timer_t *t)
{
	local_reap(t->data);
}

void local_reaper_start(struct local_state *ls)
{
	int64_t iv = ls->cfg->check_reap_interval;
	uint64_t ms = iv > 0 ? (uint64_t)(iv / DUR_MS) : 30000;
	uv_timer_start(&ls->reap_timer, reap_cb, ms ? ms : 1, ms ? ms : 1);
}

static void reap_one(struct local_state *ls, const struct local_check *c, uint64_t now)
{
	struct buf t = BUF_INIT;
	char *sid = xstrdup(c->service_id), *cid = xstrdup(c->id);
	(void)now;
	duration_format(&t, c->reap_after);
	local_remove_service(ls, sid);
	log_info(LOCAL_LOG,
		 "deregistered service with critical health due to exceeding health check's "
		 "'deregister_critical_service_after' timeout: service=%s check=%s timeout=%s",
		 sid, cid, buf_cstr(&t));
	buf_free(&t);
	free(sid);
	free(cid);
}

void local_reap(struct local_state *ls)
{
	const struct local_check **cs;
	uint64_t now = local_now(ls);
	size_t n = local_checks(ls, &cs);
	for (size_t i = 0; i < n; i++) {
		const struct local_check *c = cs[i];
		if (!c)
			continue;
		if (!c->reap_after || c->status != CHECK_CRITICAL || !c->service_id[0] ||
		    !c->critical_since || now - c->critical_since <= (uint64_t)c->reap_after)
			continue;
		char *sid = xstrdup(c->service_id);
		/* the service's other checks in this listing are gone with it */
		for (size_t j = i + 1; j < n; j++)
			if (cs[j] && strcmp(cs[j]->service_id, sid) == 0)
				cs[j] = NULL;
		reap_one(ls, c, now);
		free(sid);
	}
	free(cs);
}
