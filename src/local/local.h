/*
 * The agent's local state: the services and checks registered on this agent,
 * their health, and keeping the catalog in step with them (anti-entropy).
 *
 * API:
 *
 *   struct local_state ls;                   caller-owned, stable address
 *   local_init(&ls, &opts, err);             tables, check runtime, handles
 *   local_load(&ls, err);                    config files' services/checks, then
 *                                            what the API registered before a
 *                                            restart (data_dir), TTL state
 *   local_start(&ls);                        checks run, anti-entropy starts
 *       local_add_service / local_remove_service / local_add_check / ...
 *       local_wait(&ls, &w, cb)              cb once the changes made so far are
 *                                            on disk and a sync covering them
 *                                            finished (the HTTP API replies then)
 *       local_watch(&ls, &w, cb)             cb once after the next change
 *                                            (hash-blocking reads)
 *       local_reload(&ls, &new_cfg, err)     apply the config files' difference
 *   local_close(&ls, cb);                    checks stop; cb when every handle is
 *                                            closed, then free ls
 *
 * Model (Consul's agent/local.State and agent.Agent). Services and checks live in
 * two ID-keyed tables (IDs are case-sensitive here). Each entry remembers its
 * origin: config files, the HTTP API, or maintenance mode. Only API and
 * maintenance entries are persisted; a reload touches only config entries. A
 * check defined with a runnable type runs through checks/check.h; its status
 * changes come back through the update callback. Output-only changes are synced
 * at most every check_update_interval (Consul's deferred check updates).
 *
 * Anti-entropy (sync.c). Every entry carries an in-sync flag; entries out of
 * sync are also in a dirty set, so a round costs what changed, not what is
 * registered. Any change schedules a round for the end of the loop iteration
 * (a uv_prepare handle), so a burst of registrations becomes one Raft entry per
 * 512 services and checks. Every ae_interval
 * (plus up to 1/16 stagger) a full round first compares the catalog's view of
 * this node with the local one: what differs is re-registered, what the catalog
 * has and the agent does not is deregistered, except serfHealth and the servers'
 * "consul" service. With EnableTagOverride the catalog's tags win (they are
 * copied into the local service). A round proposes CMD_CATALOG_REGISTER (the node
 * with its serfHealth check, changed services, changed checks) and one
 * CMD_CATALOG_DEREGISTER per removed entry, through consensus_apply on this
 * server. A failed round is retried after 15 s, or when leadership changes
 * (local_sync_now). Rounds never overlap.
 *
 * Reaper (checks.c). Every check_reap_interval (30 s), services whose check with
 * deregister_critical_service_after (at least check_deregister_interval_min, 1 m)
 * has been critical longer than that are removed, as Consul does.
 *
 * On disk (persist.c), under data_dir, as Consul's agent lays it out; file names
 * are the lower-case hex SHA-256 of the ID; each file is written whole to
 * "<name>.tmp" and renamed, and each batch of files is flushed with syncfs(2):
 *
 *   path                     content (one JSON object)
 *   services/<sha256(id)>    {"Token": "", "Source": "remote",
 *                             "Service": <registration JSON, servicedef_write_json>}
 *   checks/<sha256(id)>      {"Token": "", "Source": "remote"|"local",
 *                             "Check": <checkdef_write_json, with id/name/service_id>}
 *                            or, for maintenance checks, "Source": "local",
 *                            "Maintenance": {"CheckID", "Name", "Notes", "ServiceID"}
 *   checks/state/<sha256(id)> {"CheckID": id, "Status": "passing", "Output": "...",
 *                             "Expires": <unix seconds>}  (TTL checks, written on
 *                             every pass/warn/fail/update; ignored once expired)
 *
 * Writes are batched once per loop iteration and done in the thread pool, one
 * batch at a time, so the loop never waits for the disk and a file's writes keep
 * their order.
 *
 * Thread and lifetime: loop thread only. Strings handed in are copied. Pointers
 * returned by lookups are valid until the next change to that entry.
 */
#ifndef CAIRN_LOCAL_LOCAL_H
#define CAIRN_LOCAL_LOCAL_H

#include "base/buf.h"
#include "base/jsonw.h"
#include "checks/check.h"
#include "config/config.h"
#include "consensus/consensus.h"
#include "local/idmap.h"
#include "local/servicedef.h"
#include "state/catalog.h"
#include "state/store.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#define LOCAL_NODE_MAINT_ID	"_node_maintenance"
#define LOCAL_SERVICE_MAINT_PFX "_service_maintenance:"
#define LOCAL_SERF_CHECK_ID	"serfHealth"
#define LOCAL_SERF_CHECK_NAME	"Serf Health Status"
#define LOCAL_SERF_ALIVE_OUTPUT "Agent alive and reachable"

/* Where an entry came from. */
enum local_origin {
	LOCAL_ORIGIN_CONFIG, /* config files: replaced on reload, never persisted */
	LOCAL_ORIGIN_API,    /* the HTTP API: persisted ("Source": "remote") */
	LOCAL_ORIGIN_MAINT,  /* maintenance mode checks: persisted ("Source": "local") */
};

struct local_state;

struct local_service {
	struct service_def def;	  /* finalized; def.checks is empty (checks live in
				     the check table) */
	enum local_origin origin; /* see above */
	bool in_sync;		  /* the catalog holds exactly this */
	uint64_t gen;		  /* local change generation of the last change */
};

struct local_check {
	struct local_state *ls;	  /* owner */
	char *id;		  /* CheckID */
	char *name;		  /* Name */
	char *notes;		  /* Notes, "" when none */
	char *service_id;	  /* ServiceID, "" for a node-level check */
	const char *type;	  /* Type: check_kind_name() or "maintenance" */
	char *interval;		  /* Interval text, "" when none */
	char *timeout;		  /* Timeout text, "" when none */
	enum check_status status; /* current status */
	char *output;		  /* current output, never NULL */
	struct checkdef def;	  /* the definition (zeroed for maintenance checks) */
	struct check run;	  /* the runner, when has_run */
	bool has_run;		  /* run was initialised (must be closed) */
	enum local_origin origin; /* see above */
	bool in_service_def;	  /* declared in its service's definition (Check/Checks) */
	enum check_source source; /* script-check permission source */
	int64_t reap_after;	  /* ns, deregister_critical_service_after (>= min), 0 = never */
	uint64_t critical_since;  /* clock ns when it went critical, 0 when not critical */
	bool in_sync;		  /* the catalog holds exactly this */
	uint64_t gen;		  /* local change generation of the last change */
	uint64_t defer_until;	  /* clock ns: an output-only change is synced then; 0 none */
};

/* Propose an encoded command (the seam tests replace); consensus_apply's contract. */
typedef int (*local_propose_fn)(void *ctx, const struct buf *cmd, consensus_apply_cb cb,
				void *data);
typedef uint64_t (*local_clock_fn)(void *ctx);

struct local_opts {
	uv_loop_t *loop;	   /* the agent's loop */
	struct store *store;	   /* catalog reads: anti-entropy, alias checks */
	struct consensus *cons;	   /* catalog writes; NULL: sync rounds write nothing */
	const struct config *cfg;  /* read on use (node name, dc, node meta, intervals,
				      script switches); must outlive ls, may be swapped
				      in place on reload */
	const char *node_id;	   /* this node's ID (copied) */
	const char *advertise;	   /* LAN address (copied) */
	const char *advertise_wan; /* WAN address, NULL = advertise (copied) */
	const char *data_dir;	   /* NULL or "": nothing persisted (copied) */
	local_propose_fn propose;  /* NULL: consensus_apply on cons */
	void *propose_ctx;	   /* passed to propose */
	local_clock_fn clock;	   /* NULL: uv_hrtime */
	void *clock_ctx;	   /* passed to clock */
	check_rand_fn rand;	   /* check jitter; NULL: the runtime's own */
	void *rand_ctx;		   /* passed to rand */
};

struct local_wait;
typedef void (*local_wait_cb)(struct local_wait *w);
/* A request to be told when the changes made before it are durable and synced. */
struct local_wait {
	void *data;		 /* caller's */
	local_wait_cb cb;	 /* private from here on */
	uint64_t gen;		 /* generation waited for */
	struct local_wait *next; /* pending list */
};

/* A request to be told once about the next change (hash-blocking reads). */
struct local_watch;
typedef void (*local_watch_cb)(struct local_watch *w);
struct local_watch {
	void *data;		  /* caller's */
	local_watch_cb cb;	  /* private from here on */
	uint64_t gen;		  /* fires when ls->gen moves past this */
	struct local_watch *next; /* pending list */
};

typedef void (*local_close_cb)(struct local_state *ls);

/* Everything below is private; read it through the functions. */
struct local_state {
	uv_loop_t *loop;
	struct store *store;
	struct consensus *cons;
	const struct config *cfg;
	char *node_id, *advertise, *advertise_wan, *data_dir;
	local_propose_fn propose;
	void *propose_ctx;
	local_clock_fn clock;
	void *clock_ctx;
	struct check_runtime rt;       /* runs every check */
	struct idmap services;	       /* id -> struct local_service */
	struct idmap checks;	       /* id -> struct local_check */
	struct idmap dereg_services;   /* ids to deregister from the catalog */
	struct idmap dereg_checks;     /* ids to deregister from the catalog */
	struct idmap dirty_services;   /* ids of services not in sync (value unused) */
	struct idmap dirty_checks;     /* ids of checks not in sync (value unused) */
	bool node_in_sync;	       /* node entry, serfHealth, consul service */
	uint64_t gen;		       /* bumped by every change */
	uint64_t sync_gen;	       /* changes up to here were covered by a round */
	uint64_t persist_gen;	       /* changes up to here are on disk */
	struct local_wait *waiters;    /* local_wait requests, in order */
	struct local_watch *watches;   /* local_watch requests */
	uv_prepare_t prepare;	       /* end of iteration: persist batch, sync round */
	uv_timer_t ae_timer;	       /* full sync every ae_interval, or retry */
	uv_timer_t reap_timer;	       /* reaper every check_reap_interval */
	uv_timer_t defer_timer;	       /* deferred output-only check updates */
	uint64_t defer_due;	       /* clock ns the defer timer is armed for, 0 idle */
	bool started;		       /* local_start ran */
	bool want_sync;		       /* a round should run */
	bool want_full;		       /* ... comparing with the catalog first */
	bool round_running;	       /* proposals in flight */
	bool round_failed;	       /* one of them failed */
	bool round_full;	       /* the running round compared with the catalog */
	unsigned round_pending;	       /* proposals not answered yet */
	uint64_t round_gen;	       /* gen when the round started */
	struct sync_ctx *inflight;     /* proposals in flight (orphaned on close) */
	struct persist_state *persist; /* dirty sets and the batch in flight */
	bool closing;		       /* local_close called */
	int handles_open;	       /* handles not closed yet */
	size_t checks_closing;	       /* runners closing */
	local_close_cb close_cb;       /* set by local_close */
};

int local_init(struct local_state *ls, const struct local_opts *opts, struct buf *err);
/* Register cfg->services and cfg->checks, then restore persisted API entries
 * and TTL state. Errors name the service or check ("Failed to register service
 * \"web\": ..."); the agent refuses to start, as Consul does. */
int local_load(struct local_state *ls, struct buf *err);
int local_start(struct local_state *ls);
/* Stop every check and timer; cb after everything closed (never inline). Pending
 * waiters are called first. */
void local_close(struct local_state *ls, local_close_cb cb);

/* ---- Services and checks (Consul's Agent.AddService ... semantics) ---- */

/*
 * Add or replace a service with its checks (def->checks). def passed
 * servicedef_validate and servicedef_finalize; it is consumed (zeroed) in every
 * case. Checks that already exist keep their status and output. With
 * replace_existing_checks, other checks of the service are removed. Returns 0,
 * or CAIRN_E_PERM for a refused script check (err: Consul's message), or
 * CAIRN_E_INVAL for a check the runtime cannot run; nothing changed then.
 */
int local_add_service(struct local_state *ls, struct service_def *def, enum local_origin origin,
		      bool replace_existing_checks, struct buf *err);
/* Remove a service and its checks. CAIRN_E_NOTFOUND when unknown. */
int local_remove_service(struct local_state *ls, const char *id);
/*
 * Add or replace a standalone check (ID defaulted from Name by the caller with
 * checkdef_set_check_defaults). def is consumed. CAIRN_E_NOTFOUND (err:
 * "ServiceID \"x\" does not exist") when its ServiceID is unknown, CAIRN_E_PERM
 * for a refused script, CAIRN_E_INVAL when it cannot run.
 */
int local_add_check(struct local_state *ls, struct checkdef *def, enum local_origin origin,
		    struct buf *err);
/* CAIRN_E_NOTFOUND when unknown. */
int local_remove_check(struct local_state *ls, const char *id);
/* TTL pass/warn/fail/update (output may be NULL = ""). CAIRN_E_NOTFOUND with err
 * "CheckID \"x\" does not have associated TTL" when no TTL check has that ID. */
int local_ttl_update(struct local_state *ls, const char *id, enum check_status st,
		     const char *output, struct buf *err);
/* Node maintenance: the _node_maintenance critical check (reason or Consul's
 * default in Notes). Idempotent. */
void local_node_maintenance(struct local_state *ls, bool enable, const char *reason);
/* Service maintenance: _service_maintenance:<id>. CAIRN_E_NOTFOUND with err "No
 * service registered with ID \"x\"" when the service is unknown. */
int local_service_maintenance(struct local_state *ls, const char *service_id, bool enable,
			      const char *reason, struct buf *err);

const struct local_service *local_service(const struct local_state *ls, const char *id);
const struct local_check *local_check(const struct local_state *ls, const char *id);
/* Sorted by ID (Go's map order). Arrays malloc'd; entries borrowed. */
size_t local_services(const struct local_state *ls, const struct local_service ***out);
size_t local_checks(const struct local_state *ls, const struct local_check ***out);
/* The checks of one service, sorted by ID; with node_checks also the node-level
 * checks (Consul's ChecksForService(id, true) for /v1/agent/health). */
size_t local_service_checks(const struct local_state *ls, const char *service_id, bool node_checks,
			    const struct local_check ***out);
/* Worst status of those checks (passing when none). */
enum check_status local_service_status(const struct local_state *ls, const char *service_id);

/* ---- Reload and maintenance of the catalog ---- */

/* Apply the difference between the config entries held and cfg's service and
 * check definitions; cfg becomes the configuration read from then on (the agent
 * passes its own, already swapped in place). All-or-nothing: on a bad definition
 * or a refused script check nothing changes and err says which. */
int local_reload(struct local_state *ls, const struct config *cfg, struct buf *err);
/* One reaper pass now (the timer calls it every check_reap_interval). */
void local_reap(struct local_state *ls);
/* Schedule a sync round (full: compare with the catalog first). The agent calls
 * it with full = true when this server gains leadership. */
void local_sync_now(struct local_state *ls, bool full);
/* Everything registered locally is in the catalog (tests, metrics). */
bool local_in_sync(const struct local_state *ls);

void local_wait(struct local_state *ls, struct local_wait *w, local_wait_cb cb);
/* cb once, at the end of the loop iteration in which anything local changed
 * after this call (or at close). Cancel before it runs to drop it. */
void local_watch(struct local_state *ls, struct local_watch *w, local_watch_cb cb);
void local_watch_cancel(struct local_state *ls, struct local_watch *w);
/* Drop a pending wait (its cb is not called). Safe if already called. */
void local_wait_cancel(struct local_state *ls, struct local_wait *w);

/* ---- Catalog views (for ?filter on the agent endpoints) ---- */

/* The service as the catalog would hold it for this node; strings borrowed
 * from s; release with local_service_view_free. */
void local_service_view(const struct local_state *ls, const struct local_service *s,
			struct cat_service *out);
void local_service_view_free(struct cat_service *v);
/* The check likewise, with ServiceName/ServiceTags of its service. Borrowed. */
void local_check_view(const struct local_state *ls, const struct local_check *c,
		      struct cat_check *out);

/* ---- JSON, as Consul's agent endpoints write them (render.c) ---- */

/* api.AgentService; with hash, ContentHash is added (/v1/agent/service/:id). */
void local_write_service(const struct local_state *ls, const struct local_service *s,
			 struct jsonw *w, const char *content_hash);
/* structs.HealthCheck as /v1/agent/checks writes it. */
void local_write_check(const struct local_state *ls, const struct local_check *c, struct jsonw *w);
/* api.HealthCheck as /v1/agent/health/service writes it. */
void local_write_health_check(const struct local_state *ls, const struct local_check *c,
			      struct jsonw *w);

#endif
