/*
 * Check definitions: one health check as users write it, parsed and validated.
 *
 * A definition arrives as JSON in three places: config files (`check`, `checks`,
 * and `check`/`checks` inside a service), PUT /v1/agent/check/register, and the
 * `Check`/`Checks` of PUT /v1/agent/service/register. Consul decodes all three with
 * Go's case-insensitive field matching plus snake_case aliases, so keys here are
 * matched after folding case and dropping '_' ("TLSSkipVerify", "tlsskipverify"
 * and "tls_skip_verify" are one key); "args"/"ScriptArgs", "id"/"CheckID" are
 * aliases. Unknown keys are ignored (Consul ignores them in API bodies).
 * Durations are Go duration strings or integer nanoseconds.
 *
 * Steps, as Consul does them:
 *   checkdef_parse      JSON -> struct checkdef (type errors only)
 *   checkdef_validate   CheckType.Validate(): interval/TTL/alias rules
 *   checkdef_allowed    script checks vs enable_(local_)script_checks
 *   checkdef_set_service_defaults / checkdef_set_check_defaults   default ID/Name
 *
 * Ownership. A struct checkdef owns every string it points to; checkdef_free
 * releases them. checkdef_copy makes a deep copy. Pure code: no libuv, no
 * globals, any thread.
 */
#ifndef CAIRN_CHECKS_CHECKDEF_H
#define CAIRN_CHECKS_CHECKDEF_H

#include "base/buf.h"
#include "base/jsonw.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Check health, in Consul's words. Order is severity: worse compares greater. */
enum check_status {
	CHECK_PASSING,
	CHECK_WARNING,
	CHECK_CRITICAL,
};

/* What kind of check a definition describes (Consul's CheckType.Type()). */
enum check_kind {
	CHECK_KIND_NONE, /* not a valid check */
	CHECK_KIND_TTL,
	CHECK_KIND_SCRIPT,
	CHECK_KIND_HTTP,
	CHECK_KIND_TCP,
	CHECK_KIND_UDP,
	CHECK_KIND_GRPC,
	CHECK_KIND_H2PING,
	CHECK_KIND_ALIAS,
	CHECK_KIND_DOCKER,
	CHECK_KIND_OSSERVICE,
};

/* Where a definition came from; decides which script-check switch applies. */
enum check_source {
	CHECK_SOURCE_LOCAL,  /* config files (Consul's ConfigSourceLocal) */
	CHECK_SOURCE_REMOTE, /* the HTTP API (ConfigSourceRemote) */
};

#define CHECK_OUTPUT_MAX_DEFAULT 4096 /* Consul's checks.DefaultBufSize */

/* One request header: a name and its values, in the order given. */
struct check_header {
	char *name;	 /* owned */
	char **values;	 /* owned strings */
	size_t n_values; /* count */
};

struct checkdef {
	char *id;	  /* ID / CheckID; NULL until given or defaulted */
	char *name;	  /* Name; NULL until given or defaulted */
	char *notes;	  /* Notes, NULL if absent */
	char *service_id; /* ServiceID (standalone checks bound to a service), NULL if absent */
	bool has_status;  /* Status was given */
	enum check_status status; /* initial status when has_status, else critical */

	int64_t interval;		   /* ns, 0 if absent */
	int64_t timeout;		   /* ns, 0 if absent (runner default applies) */
	int64_t ttl;			   /* ns, 0 if absent */
	int64_t deregister_critical_after; /* DeregisterCriticalServiceAfter, ns, 0 = never */

	char *http;		      /* URL, NULL if absent */
	char *method;		      /* NULL = GET */
	struct check_header *headers; /* Header, map of lists, in given order */
	size_t n_headers;	      /* count */
	char *body;		      /* request body, NULL if absent */
	bool tls_skip_verify;	      /* TLSSkipVerify */
	char *tls_server_name;	      /* TLSServerName (SNI and verified name), NULL if absent */
	bool disable_redirects;	      /* DisableRedirects: 3xx is the answer */
	char *tcp;		      /* host:port, NULL if absent */
	char *udp;		      /* host:port, NULL if absent */
	char *grpc;		      /* host:port[/service], NULL if absent */
	bool grpc_use_tls;	      /* GRPCUseTLS */
	char *h2ping;		      /* host:port, NULL if absent */
	bool h2ping_use_tls;	      /* H2PingUseTLS */
	char *alias_node;	      /* AliasNode, NULL if absent */
	char *alias_service;	      /* AliasService, NULL if absent */
	char **args;		      /* Args / ScriptArgs */
	size_t n_args;		      /* count */
	char *script;		      /* legacy Script (run with sh -c), NULL if absent */
	char *docker_container_id;    /* DockerContainerID, NULL if absent */
	char *shell;		      /* Shell (docker checks), NULL if absent */
	char *os_service;	      /* OSService, NULL if absent */
	int success_before_passing;   /* SuccessBeforePassing, 0 = at once */
	int failures_before_warning;  /* FailuresBeforeWarning, 0 = same as critical */
	int failures_before_critical; /* FailuresBeforeCritical, 0 = at once */
	int output_max_size;	      /* OutputMaxSize, 0 = agent's check_output_max_size */
};

/* "passing", "warning", "critical". */
const char *check_status_name(enum check_status s);
/* Parses Consul's three words (exact, lower case). Returns 0 or -1. */
int check_status_parse(const char *s, enum check_status *out);

/*
 * Parse one check object. Returns 0, or CAIRN_E_INVAL with a one-line message
 * appended to err (e.g. `invalid duration "x" for Interval`, "Header values must
 * be a list of strings", "Bad check status"); *out is then empty (freed).
 * A JSON null value counts as absent. Does not validate (see below). err may
 * be NULL here and in the functions below (the message is then dropped).
 */
int checkdef_parse(const json_t *obj, struct checkdef *out, struct buf *err);

/*
 * Consul's CheckType.Validate(), messages verbatim (callers wrap them, e.g. the
 * HTTP API answers 400 "Invalid check: <msg>"):
 *   "Interval and TTL cannot both be specified"
 *   "Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks"
 *   "Interval cannot be set for Alias checks"
 *   "TTL must be not be set for Alias checks"
 *   "TTL must be > 0 for TTL checks"
 *   "MaxOutputMaxSize must be positive"
 *   "FailuresBeforeWarning can't be higher than FailuresBeforeCritical"
 * plus "Cannot have both script and args" (for the legacy `script` key) and
 * "Check is not valid" when no type is recognised (agent.addCheck's words).
 * Returns 0 or CAIRN_E_INVAL with the message in err.
 */
int checkdef_validate(const struct checkdef *d, struct buf *err);

/*
 * Script checks (args, script, docker) are refused unless allowed: from config
 * files when enable_local is set (config: enable_local_script_checks, which
 * defaults to enable_script_checks), from the API only when enable_script is.
 * Returns 0 or CAIRN_E_PERM with Consul's message in err:
 *   "Scripts are disabled on this agent; to enable, configure
 *    'enable_script_checks' or 'enable_local_script_checks' to true"
 *   "Scripts are disabled on this agent from remote calls; to enable, configure
 *    'enable_script_checks' to true"
 */
int checkdef_allowed(const struct checkdef *d, enum check_source src, bool enable_script,
		     bool enable_local, struct buf *err);

/*
 * Defaults for a check declared inside a service (Consul's addServiceInternal):
 * ID "service:<service_id>" when the service has one check, "service:<id>:<n>"
 * (n = index + 1) when it has several; Name "Service '<service_name>' check";
 * ServiceID set to the service's. Only fills what is missing.
 */
void checkdef_set_service_defaults(struct checkdef *d, const char *service_id,
				   const char *service_name, size_t index, size_t count);
/* True when nothing at all was given (Consul skips an empty `check: {}`). */
bool checkdef_empty(const struct checkdef *d);

/* Defaults for a standalone check: ID = Name when missing. */
void checkdef_set_check_defaults(struct checkdef *d);

/* The type this definition runs as (Consul's precedence: grpc, http, ttl, tcp,
 * udp, alias, docker, script, h2ping, os_service). */
enum check_kind checkdef_kind(const struct checkdef *d);
/* "http", "tcp", "ttl", "script", "grpc", "alias", "udp", "h2ping", "docker",
 * "os_service"; "" for CHECK_KIND_NONE. This is HealthCheck.Type. */
const char *check_kind_name(enum check_kind k);

/*
 * The catalog's HealthCheck.Definition object, as Consul's server encodes
 * structs.HealthCheckDefinition (every field omitempty; Interval, Timeout and
 * DeregisterCriticalServiceAfter as duration strings first, TTL as ns). Writes
 * one JSON object value (the caller writes the "Definition" key).
 */
void checkdef_write_definition(const struct checkdef *d, struct jsonw *w);
/* HealthCheck.Interval / .Timeout strings: "" when zero, else Go's form ("10s"). */
void checkdef_format_duration(struct buf *out, int64_t ns);

/*
 * The definition back as config JSON with snake_case keys (only fields that are
 * set; durations as integer nanoseconds, so the round trip is exact), for the
 * owner to persist it and re-parse it with checkdef_parse.
 */
void checkdef_write_json(const struct checkdef *d, struct jsonw *w);

void checkdef_copy(struct checkdef *dst, const struct checkdef *src);
void checkdef_free(struct checkdef *d);

#endif
