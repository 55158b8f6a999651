/*
 * The agent's `watches`: watch plans from the configuration, run on the loop.
 *
 * API:
 *
 *   struct watches ws;                       caller-owned, stable address
 *   watches_init(&ws, loop);
 *   watches_apply(&ws, cfg, &err);           at start, and on every reload
 *   watches_close(&ws, cb);                  at shutdown; free ws after cb
 *
 * Model. Each watch object is parsed as Consul's agent parses it (watch/plan.h)
 * and runs Consul's Plan loop against the agent's own HTTP API (the first
 * address of addresses.http or client_addr, 0.0.0.0 meaning 127.0.0.1, on
 * ports.http; unix:// sockets too): one blocking GET at a time through the
 * check runtime's libcurl multi handle (checks/curl.h), back-off on errors
 * from a timer. On a change the handler runs and the next query waits for it:
 *   script  "args" (argv, PATH lookup) or the legacy "handler" string run by
 *           $SHELL -c (default /bin/sh), spawned with uv_spawn, the result as
 *           one JSON line on a stdin pipe, CONSUL_INDEX in the environment;
 *           stdout and stderr are captured (last 4 KiB) into the debug log;
 *   http    the JSON sent with http_handler_config's method (POST) to its
 *           path, with Content-Type: application/json, X-Consul-Index and
 *           the configured headers, within its timeout (10 s).
 *
 * Reload. watches_apply validates every watch first; if one is invalid it
 * returns Consul's message and changes nothing. Otherwise a running watch
 * whose object is unchanged (equal JSON) keeps running with its state, so
 * its handler does not run again; removed watches stop (a running script
 * handler is left to finish); new ones start and run their handler once.
 *
 * Thread and lifetime: loop thread only. watches_close cancels every query,
 * stops timers and stops tracking running handlers (they are not killed, as
 * Consul does not kill them), then closes the runtime; cb runs after every
 * handle is closed.
 */
#ifndef CAIRN_AGENT_WATCHES_H
#define CAIRN_AGENT_WATCHES_H

#include "base/buf.h"
#include "checks/check.h"
#include "config/config.h"

#include <stdbool.h>
#include <uv.h>

struct watch_run;
struct watches;
typedef void (*watches_close_cb)(struct watches *ws);

struct watches {
	uv_loop_t *loop;	   /* the agent's loop */
	struct check_runtime rt;   /* owns the libcurl multi handle */
	struct watch_run *list;	   /* running and stopping watches */
	size_t live;		   /* watches not yet freed */
	bool closing;		   /* watches_close was called */
	watches_close_cb close_cb; /* called once everything is closed */
};

int watches_init(struct watches *ws, uv_loop_t *loop);

/* Start the config's watches, or reconcile with the running ones (above).
 * 0, or -1 with the error in err. */
int watches_apply(struct watches *ws, const struct config *cfg, struct buf *err);

/* Validate the config's watches without starting them (agent start-up).
 * 0, or -1 with the first error in err. */
int watches_check(const struct config *cfg, struct buf *err);

/* Stop everything; cb (may be NULL) once all handles are closed. */
void watches_close(struct watches *ws, watches_close_cb cb);

#endif
