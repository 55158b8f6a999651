/*
 * Running health checks: the state machine and the runners behind it.
 *
 * API:
 *
 *   struct check_runtime rt;               one per loop, shared by all checks
 *   check_runtime_init(&rt, loop, &opts);  opts: output cap, alias lookup, rng
 *
 *   struct check c;                        caller-owned, stable address
 *   check_init(&rt, &c, &def, on_update, data);   deep-copies def
 *   check_restore(&c, status, output);     optional: persisted state (TTL)
 *   check_start(&c);                       first run after a random delay
 *       ... on_update(&c, status, output) whenever status or output changes
 *   check_ttl_update(&c, CHECK_PASSING, "note");  TTL checks: pass/warn/fail
 *   check_alias_notify(&rt, node, service_id);    owner: something changed
 *   check_close(&c, on_closed);            stops it; free c in on_closed
 *
 *   check_runtime_close(&rt, on_rt_closed) after every check is closed.
 *
 * Model. A check holds its status and output and a timer. Interval checks
 * (http, tcp, udp, grpc, h2ping, script, docker, os_service) run one probe at a
 * time: the first after a random delay in [0, interval) so that thousands of
 * checks started together spread out, the next one interval after the previous
 * one finished (as Consul). Interval is raised to 1 s if below (Consul's
 * MinInterval). A probe's result goes through Consul's StatusHandler counters
 * (success_before_passing, failures_before_warning/critical), then on_update is
 * called if status or output differ from what was last reported. TTL checks
 * arm their timer at start and on every update; on expiry they go critical
 * with "TTL expired" (plus the last output). Alias checks ask the owner's
 * lookup function at start, after check_alias_notify (batched: one
 * re-evaluation per loop iteration) and every minute.
 *
 * Output cap (check_output_max_size, lowered by a check's output_max_size),
 * applied as each Consul runner does: HTTP keeps the last cap bytes of the
 * body after "HTTP GET <url>: <status> Output: "; scripts keep the last cap
 * bytes, prefixed "Captured <cap> of <total> bytes\n...\n" when cut; TTL
 * updates keep the first cap bytes plus " ... (captured <cap> of <total>
 * bytes)". Other types write short fixed texts.
 *
 * Status starts as the definition's status, or critical. TTL and alias results
 * are not counted (as Consul: only interval checks use the StatusHandler).
 *
 * Thread and lifetime. Loop thread only. The caller owns struct check and
 * struct check_runtime memory; free them only in their close callbacks.
 * check_close may be called from on_update. on_update is never called after
 * check_close. The runtime shares one libcurl multi handle among all HTTP and
 * gRPC/H2PING checks (created on first use) and must outlive its checks.
 * If a function taking a callback returns an error, the callback is never called.
 */
#ifndef CAIRN_CHECKS_CHECK_H
#define CAIRN_CHECKS_CHECK_H

#include "checks/checkdef.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct check;
struct check_runtime;

/*
 * What an alias check sees of its target. The owner fills it from its view of
 * the target: node-level checks of the node plus, for a service alias, the
 * service's checks (as Consul does: node checks count for a service alias).
 */
struct check_alias_result {
	bool found;		    /* service alias: the service exists on the node */
	size_t n_checks;	    /* checks considered */
	enum check_status worst;    /* worst status among them (passing if none) */
	const char *failing_name;   /* a check with the worst status, when not passing;
				       NULL otherwise. Only read during the call. */
	const char *failing_output; /* its output (may be NULL) */
};

/*
 * Look up an alias target. node is the check's AliasNode (NULL = this agent's
 * node); service_id is AliasService (NULL = a node alias: node-level checks
 * only). Fill *out (it arrives zeroed). self is the alias check asking: leave
 * it out of the checks considered (a node-level alias check would otherwise
 * see its own critical status forever). Called on the loop thread from a
 * batch, never from inside check_alias_notify; must not close checks.
 */
typedef void (*check_alias_lookup_fn)(void *ctx, const struct check *self, const char *node,
				      const char *service_id, struct check_alias_result *out);

/* Random 64-bit values (jitter); a seam so tests can be deterministic. */
typedef uint64_t (*check_rand_fn)(void *ctx);

struct check_runtime_opts {
	int output_max_size;		    /* check_output_max_size, 0 = 4096 */
	const char *node_name;		    /* this agent's node (alias message text) */
	check_alias_lookup_fn alias_lookup; /* NULL: alias targets look absent */
	void *alias_ctx;		    /* passed to alias_lookup */
	check_rand_fn rand;		    /* NULL: an internal xorshift seeded at init */
	void *rand_ctx;			    /* passed to rand */
};

typedef void (*check_runtime_close_cb)(struct check_runtime *rt);

/* Shared state for every check on one loop. Fields are private. */
struct check_runtime {
	uv_loop_t *loop;		/* the loop every check runs on */
	struct check_runtime_opts opts; /* copy of the options (node_name owned) */
	uint64_t rng;			/* xorshift state when opts.rand is NULL */
	struct check_curl *curl;	/* shared CURLM and its handles; NULL until used */
	void (*curl_closed_cb)(struct check_runtime *rt); /* private to curl.c */
	struct check *aliases;		 /* alias checks, linked through alias_next */
	uv_idle_t alias_idle;		 /* batches alias re-evaluations */
	bool alias_dirty;		 /* an evaluation is pending */
	size_t n_checks;		 /* checks initialised and not yet closed */
	int closing;			 /* handles still closing */
	check_runtime_close_cb close_cb; /* set by check_runtime_close */
};

/*
 * Called when status or output changes (output already capped; NUL-terminated,
 * len bytes). The check's ID is c->def.id. Loop thread.
 */
typedef void (*check_update_cb)(struct check *c, enum check_status status, const char *output,
				size_t len);
typedef void (*check_close_cb)(struct check *c);

/* One running check. Read def, data and the getters; other fields are private. */
struct check {
	struct checkdef def;		   /* deep copy of the definition (owned) */
	void *data;			   /* the owner's pointer, untouched here */
	struct check_runtime *rt;	   /* shared runtime */
	enum check_kind kind;		   /* what runs */
	const struct check_runner *runner; /* the type's functions; NULL for ttl/alias */
	enum check_status status;	   /* current reported status */
	char *output;			   /* current reported output, owned, never NULL */
	size_t output_len;		   /* its length */
	int64_t interval;		   /* effective interval, ns (>= 1 s for probes) */
	int output_cap;			   /* bytes of output kept */
	int successes;			   /* StatusHandler successCounter */
	int failures;			   /* StatusHandler failuresCounter */
	uv_timer_t timer;		   /* next probe, or TTL expiry */
	void *op;			   /* the probe in flight (runner state), or NULL */
	check_update_cb update_cb;	   /* owner's transition callback */
	check_close_cb close_cb;	   /* set by check_close */
	struct check *alias_next;	   /* runtime's alias list */
	uint64_t runs;			   /* probes completed (tests and metrics) */
	bool started;			   /* check_start succeeded */
	bool alias_dirty;		   /* alias: re-evaluate at the next batch */
	bool ttl_updated;		   /* ttl: output came from an update (kept on expiry) */
	bool closing;			   /* check_close was called */
	bool timer_closed;		   /* the timer's close callback ran */
};

int check_runtime_init(struct check_runtime *rt, uv_loop_t *loop,
		       const struct check_runtime_opts *opts);
/* All checks must be closed first (CAIRN_E_BUSY otherwise). */
int check_runtime_close(struct check_runtime *rt, check_runtime_close_cb cb);

/*
 * Prepare a check from a definition that passed checkdef_validate (and has its
 * ID set). Returns 0, or CAIRN_E_INVAL if the definition is not a valid check.
 * After a successful init the check must be closed with check_close.
 */
int check_init(struct check_runtime *rt, struct check *c, const struct checkdef *def,
	       check_update_cb cb, void *data);
/* Set status and output before start (e.g. persisted TTL state). Not reported. */
void check_restore(struct check *c, enum check_status status, const char *output);
/* Begin running. Returns 0 or a negative error; calling it twice is CAIRN_E_INVAL. */
int check_start(struct check *c);
/* Stop and release. cb runs once every handle and probe is gone (never inline);
 * by then c->def and the output are freed: only c->data is left to use. */
void check_close(struct check *c, check_close_cb cb);

enum check_status check_get_status(const struct check *c);
const char *check_get_output(const struct check *c);
const char *check_id(const struct check *c);

/*
 * TTL checks: set status and output (Consul's /v1/agent/check/pass|warn|fail
 * with ?note=, and /update with Status/Output), cap the output (Consul appends
 * " ... (captured N of M bytes)") and re-arm the TTL. Reports through
 * on_update like any change. Returns CAIRN_E_INVAL for a non-TTL check.
 */
int check_ttl_update(struct check *c, enum check_status status, const char *output);

/*
 * The owner tells alias checks that the checks of (node, service_id) changed;
 * NULL node = this agent's node, NULL service_id = node-level or unknown (then
 * every alias of that node re-evaluates). Cheap; evaluation happens once per
 * loop iteration for all pending aliases.
 */
void check_alias_notify(struct check_runtime *rt, const char *node, const char *service_id);

/* The probe's effective timeout in ns for a check (Consul's per-type rule). */
int64_t check_effective_timeout(const struct check *c);

#endif
