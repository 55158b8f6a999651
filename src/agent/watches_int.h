/*
 * Private to agent/watches.c and agent/watch_handlers.c: one running watch.
 *
 * A watch is in one phase at a time:
 *   QUERY    its blocking GET is in flight (req)
 *   WAIT     its timer is armed (next query: at once, or after a back-off)
 *   HANDLER  its handler runs (a child process, or an HTTP request in req)
 * A stopped watch finishes or cancels what it does and is freed after its
 * handles are closed (watches.c: release).
 */
#ifndef CAIRN_AGENT_WATCHES_INT_H
#define CAIRN_AGENT_WATCHES_INT_H

#include "agent/watches.h"
#include "checks/curl.h"
#include "watch/plan.h"

#include <jansson.h>

#define WATCH_OUTPUT_MAX 4096 /* Consul's WatchBufSize: handler output kept */

enum watch_phase { WP_WAIT, WP_QUERY, WP_HANDLER };

struct watch_run {
	struct watches *ws;	   /* owner */
	struct watch_run *next;	   /* in ws->list */
	json_t *def;		   /* the config object (copy), compared on reload */
	struct watch_plan plan;	   /* parsed def */
	struct watch_state st;	   /* change detection */
	char *base;		   /* "http://127.0.0.1:8500" */
	char *unix_path;	   /* agent's unix socket, or NULL */
	enum watch_phase phase;	   /* what is in flight */
	bool stopping;		   /* removed or closing: free when idle */
	bool req_live;		   /* req holds an easy handle */
	struct check_curl_req req; /* the query, or the HTTP handler's request */
	struct curl_slist *hdrs;   /* req's headers */
	struct buf body;	   /* response body, or handler output */
	uint64_t out_total;	   /* handler output bytes seen */
	char index_hdr[32];	   /* X-Consul-Index of the response */
	bool has_index_hdr;	   /* it was present */
	uv_timer_t timer;	   /* WAIT */
	uv_process_t proc;	   /* script handler */
	uv_pipe_t in, out, err;	   /* its stdin, stdout, stderr */
	uv_write_t wr;		   /* the stdin write */
	char *input;		   /* the JSON written to stdin */
	int handles;		   /* handler handles open (proc + pipes) */
	int io_pending;		   /* exit + two EOFs still to come */
	int64_t exit_status;	   /* the handler's exit */
	int term_signal;	   /* or its signal */
};

/* watch_handlers.c: run the handler on w->st.last; when it is over (or could
 * not start) it calls watch_handler_done. */
void watch_handler_start(struct watch_run *w);
/* Stop tracking a running handler (shutdown): close its handles; the child is
 * not killed. HTTP handlers are cancelled. */
void watch_handler_abort(struct watch_run *w);
/* watches.c: the handler is over; go on with the next query (or free). */
void watch_handler_done(struct watch_run *w);

/* A short name for logs: the handler command or URL. */
const char *watch_handler_name(const struct watch_run *w);

#endif
