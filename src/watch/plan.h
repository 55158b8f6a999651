/*
 * Watch plans: what `consul watch` and the agent's `watches` blocks watch, and
 * when their handler runs. Pure: no I/O, no libuv, no clock; the CLI
 * (cli/watch.c) and the agent (agent/watches.c) drive it.
 *
 * API:
 *
 *   struct watch_plan p;
 *   watch_plan_parse(&p, params, agent, &err);  Consul's watch.Parse(Exempt)
 *   struct watch_state s = WATCH_STATE_INIT;
 *   loop:
 *     watch_query_build(&p, &s, &q);            path + query of the next request
 *     ... send it (blocking on ?index=) ...
 *     switch (watch_state_feed(&s, &p, status, body, len, x_consul_index, &err))
 *       WATCH_FIRE   run the handler with s.last and s.fire_index
 *       WATCH_AGAIN  query again at once
 *       WATCH_RETRY  wait s.retry_ms, then query again
 *     a transport error: watch_state_failed(&s) and wait s.retry_ms
 *   watch_state_free(&s); watch_plan_free(&p);
 *
 * Model (Consul's api/watch Plan.Run). Each type is one blocking HTTP read
 * (the table in plan.c). The first request carries no index; every later one
 * carries ?index= of the last X-Consul-Index, with no wait (the server's
 * default, 5 min). A response whose index equals the last one is ignored; an
 * index that goes backwards resets the next request to index 0. The handler
 * runs on the first result and then whenever the decoded result differs from
 * the last one handed to it (compared as data, key order ignored), so an
 * index moved by an unrelated write does not run it. An error (transport,
 * status other than 200, bad JSON) forgets the index and backs off
 * 5 s x failures^2, at most 180 s; the result after an error always runs the
 * handler (Consul forgets the index, and with it the comparison).
 *
 * Per type: key hands over the one entry object or null when the key is
 * missing (404); keyprefix the list or null; event only the events after the
 * one whose ID maps to the last index (Consul's IDToIndex), so each event is
 * delivered once.
 *
 * Ownership: a plan owns its strings and JSON; a state owns its last result.
 */
#ifndef CAIRN_WATCH_PLAN_H
#define CAIRN_WATCH_PLAN_H

#include "base/buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum watch_type {
	WATCH_KEY,
	WATCH_KEYPREFIX,
	WATCH_SERVICES,
	WATCH_NODES,
	WATCH_SERVICE,
	WATCH_CHECKS,
	WATCH_EVENT,
};

/* What runs on a change (agent config; the CLI's handler is its arguments). */
enum watch_handler_kind {
	WATCH_HANDLER_NONE,  /* CLI plans */
	WATCH_HANDLER_SHELL, /* legacy "handler": a string run by $SHELL -c (default /bin/sh) */
	WATCH_HANDLER_ARGS,  /* "args": argv run directly (PATH lookup) */
	WATCH_HANDLER_HTTP,  /* handler_type "http": the JSON is sent to a URL */
};

/* http_handler_config, with Consul's defaults applied. */
struct watch_http {
	char *path;	      /* URL (required) */
	char *method;	      /* default "POST" */
	json_t *header;	      /* object of arrays of strings (owned), or NULL */
	int64_t timeout_ns;   /* default 10 s */
	bool tls_skip_verify; /* do not verify the server's certificate */
};

struct watch_plan {
	enum watch_type type;		 /* what is watched */
	const char *type_name;		 /* "key", ... (static) */
	char *datacenter;		 /* ?dc=, NULL for the agent's */
	char *token;			 /* X-Consul-Token, NULL for none */
	bool stale;			 /* ?stale */
	char *key;			 /* key: the key */
	char *prefix;			 /* keyprefix: the prefix */
	char *service;			 /* service (required), checks (optional) */
	char **tags;			 /* service: ?tag= each */
	size_t ntags;			 /* count */
	bool passingonly;		 /* service: ?passing=1 */
	char *state;			 /* checks without service: the state ("any" by default) */
	char *name;			 /* event: ?name= */
	char *filter;			 /* ?filter= (newer Consul) */
	enum watch_handler_kind handler; /* agent plans: what runs */
	char *shell;			 /* WATCH_HANDLER_SHELL: the command line */
	char **args;			 /* WATCH_HANDLER_ARGS: NULL-terminated argv */
	size_t nargs;			 /* count */
	struct watch_http http;		 /* WATCH_HANDLER_HTTP */
};

/*
 * Parse watch parameters as Consul does (params is not modified). agent: an
 * agent config object, which also carries the handler (handler_type "script"
 * with "args" or the legacy "handler", or "http" with http_handler_config),
 * connect_* types are refused and parse errors are wrapped as Consul wraps
 * them ("Failed to parse watch (<params>): <error>"). Returns 0, or -1 with
 * Consul's message in err ("Must specify a single key to watch",
 * "Unsupported watch type: x", "Invalid parameters: [a b]", ...); the plan is
 * then empty.
 */
int watch_plan_parse(struct watch_plan *p, json_t *params, bool agent, struct buf *err);
void watch_plan_free(struct watch_plan *p);

#define WATCH_MAX_PARAMS 24

/* One request: GET path?names[i]=values[i]&... (values "" for flags). */
struct watch_query {
	struct buf path;		      /* unescaped ("/v1/kv/a b") */
	const char *names[WATCH_MAX_PARAMS];  /* parameter names */
	const char *values[WATCH_MAX_PARAMS]; /* borrowed from the plan, or index */
	size_t n;			      /* count */
	char index[24];			      /* storage for ?index= */
};

/* The change-detection state of one running plan. */
struct watch_state {
	bool has_index;	     /* Consul's lastParamVal != nil */
	uint64_t index;	     /* the index the next request blocks on */
	json_t *last;	     /* the last result handed to the handler (owned) */
	unsigned failures;   /* consecutive errors */
	uint64_t retry_ms;   /* WATCH_RETRY: how long to wait */
	uint64_t fire_index; /* WATCH_FIRE: the index for CONSUL_INDEX */
};

#define WATCH_STATE_INIT                                                                           \
	{                                                                                          \
		false, 0, NULL, 0, 0, 0                                                            \
	}

enum watch_step {
	WATCH_AGAIN, /* nothing new: query again */
	WATCH_FIRE,  /* run the handler with s->last */
	WATCH_RETRY, /* an error: wait s->retry_ms */
};

/* The request for the state's next query (q is overwritten; free with
 * watch_query_free). dc and stale are included when the plan has them. */
void watch_query_build(const struct watch_plan *p, const struct watch_state *s,
		       struct watch_query *q);
void watch_query_free(struct watch_query *q);

/*
 * One response: status, body and the X-Consul-Index header (NULL if absent).
 * WATCH_RETRY leaves Go's api message in err ("Unexpected response code: 500
 * (body)").
 */
enum watch_step watch_state_feed(struct watch_state *s, const struct watch_plan *p, int status,
				 const char *body, size_t len, const char *index_hdr,
				 struct buf *err);

/* A failed request (no response): sets s->retry_ms and returns WATCH_RETRY. */
enum watch_step watch_state_failed(struct watch_state *s);

void watch_state_free(struct watch_state *s);

/* Starting a handler (child.c): argv of a shell handler, `$SHELL -c line`
 * (/bin/sh without SHELL; line is borrowed), and environ with CONSUL_INDEX set
 * to index (slot holds that string; the array is malloc'd, its strings borrowed). */
void watch_shell_argv(char *argv[4], const char *line);
char **watch_child_env(uint64_t index, char *slot, size_t len);

/* Consul's event.IDToIndex: the two halves of a UUID XORed; 0 if malformed. */
uint64_t watch_event_id_index(const char *uuid);

#endif
