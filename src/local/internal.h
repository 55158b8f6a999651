/*
 * Private to src/local/: how the files of the local state call each other.
 *
 *   local.c     life cycle, the end-of-iteration hook, waiters, lookups
 *   services.c  adding and removing services
 *   checks.c    check entries, runners, status updates, TTL
 *   maint.c     maintenance mode, the reaper
 *   alias.c     alias check targets
 *   persist.c   data_dir files: batched writes in the thread pool
 *   persist_load.c  reading them back (boot, TTL state)
 *   sync.c      anti-entropy rounds
 *   reload.c    config-file entries at boot and on reload
 *   render.c    JSON for the agent endpoints
 */
#ifndef CAIRN_LOCAL_INTERNAL_H
#define CAIRN_LOCAL_INTERNAL_H

#include "local/local.h"

/* ---- local.c ---- */

/* Clock now (the seam), ns. */
uint64_t local_now(const struct local_state *ls);
/* A change happened: bump gen, ask for a sync round and a persist flush. */
void local_touch(struct local_state *ls);
/* An entry changed: out of sync, in the dirty set, generation bumped. */
void local_dirty_service(struct local_state *ls, struct local_service *s);
void local_dirty_check(struct local_state *ls, struct local_check *c);
/* Make sure the end-of-iteration hook runs. */
void local_schedule(struct local_state *ls);
/* Call the waiters whose changes are now durable and synced. */
void local_notify_waiters(struct local_state *ls);
/* Closing: finish once handles, runners and the persist batch are done. */
void local_close_progress(struct local_state *ls);
/* Log a line in Consul's "msg: key=value" shape under module "agent". */
#define LOCAL_LOG "agent"

/* ---- services.c ---- */

struct local_service *local_service_mut(struct local_state *ls, const char *id);
/* Drop a service entry (not its checks) and queue its deregistration. */
void local_service_drop(struct local_state *ls, struct local_service *s, bool purge);
void local_service_free(struct local_service *s);

/* ---- checks.c ---- */

struct local_check *local_check_mut(struct local_state *ls, const char *id);
/*
 * Create or replace the check def->id (def consumed). svc: the service it
 * belongs to (def->service_id must match) or NULL. Keeps status/output of an
 * existing check with that ID. persist: write the definition to data_dir.
 * Returns 0, CAIRN_E_PERM, CAIRN_E_INVAL (err set).
 */
int local_check_put(struct local_state *ls, struct checkdef *def, const struct local_service *svc,
		    enum local_origin origin, struct buf *err);
/* Put c in the table in place of any check with its ID, keeping that one's
 * status and output; marks it dirty, queues persistence, starts its runner. */
void local_check_install(struct local_state *ls, struct local_check *c);
/* Set the status, keeping critical_since right. */
void local_check_set_status(struct local_check *c, enum check_status st);
/* Start the runner of a check put before local_start (local_start calls it). */
void local_check_start(struct local_check *c);
/* Detach a check from the table, queue its deregistration, stop its runner and
 * free it when stopped. purge: remove its files. */
void local_check_drop(struct local_state *ls, struct local_check *c, bool purge);
/* Restore a status (persisted TTL state) before the check starts. */
void local_check_restore(struct local_check *c, enum check_status st, const char *output);
/* Restore a persisted maintenance check (boot). */
void local_maint_restore(struct local_state *ls, const char *id, const char *name,
			 const char *notes, const char *service_id);
/* Alias lookup for the check runtime. */
void local_alias_lookup(void *ctx, const struct check *self, const char *node,
			const char *service_id, struct check_alias_result *out);
/* Arm the reaper timer (local_start). */
void local_reaper_start(struct local_state *ls);
/* Mark checks whose deferred output update is due (defer timer). */
void local_defer_fire(struct local_state *ls);

/* ---- persist.c ---- */

struct persist_state;
void persist_init(struct local_state *ls);
void persist_free(struct local_state *ls);
/* Queue the file of a service / check (written, or removed when the entry is
 * gone or not persistable). */
void persist_service(struct local_state *ls, const char *id);
void persist_check(struct local_state *ls, const char *id);
/* Queue the TTL state file of a check (expires: unix seconds). */
void persist_check_state(struct local_state *ls, const char *id, enum check_status st,
			 const char *output, int64_t expires);
/* Start a batch if something is queued and none is in flight. Returns true when
 * nothing is queued or in flight (everything up to ls->gen is on disk). */
bool persist_flush(struct local_state *ls);
/* Boot: restore API services, checks and TTL state from data_dir. */
int persist_load(struct local_state *ls, struct buf *err);
/* Look up persisted TTL state for a check (boot); 0 when found and not expired. */
int persist_load_state(struct local_state *ls, const char *id, enum check_status *st,
		       char **output);

/* ---- sync.c ---- */

/* Run a round if one is wanted and none is running (end-of-iteration hook). */
void sync_maybe_run(struct local_state *ls);
/* Arm the full-sync timer for ae_interval plus stagger (or retry). */
void sync_arm(struct local_state *ls, bool retry);
/* Closing: proposals in flight forget ls (their callbacks only free memory). */
void sync_orphan(struct local_state *ls);

/* ---- reload.c ---- */

/* Boot: register cfg->services and cfg->checks. */
int reload_load_config(struct local_state *ls, struct buf *err);

#endif
