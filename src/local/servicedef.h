/*
 * Service definitions: one service as users write it, parsed and validated.
 *
 * A definition arrives as JSON from config files (`service`, `services`, already
 * merged by config/ into cfg->services), from PUT /v1/agent/service/register, and
 * from the agent's own files under data_dir (persist.c). Consul decodes all of them
 * with Go's case-insensitive field matching plus snake_case aliases, so keys here
 * are matched after folding case and dropping '_' ("EnableTagOverride",
 * "enable_tag_override" and "enabletagoverride" are one key). The keys of Meta and
 * TaggedAddresses are user data and are kept exactly. Unknown keys are ignored,
 * as Consul's API does; a JSON null counts as absent.
 *
 * Recognised fields: ID, Name, Tags, Address, Port, Meta, Weights {Passing,
 * Warning}, TaggedAddresses {<tag>: {Address, Port}}, EnableTagOverride, Kind,
 * SocketPath, Token, Check, Checks (parsed with checks/checkdef.h), Proxy and
 * Connect (kept opaque, as given), Namespace/Partition/Locality (ignored).
 *
 * Steps, as Consul's AgentRegisterService does them:
 *   servicedef_parse     JSON -> struct service_def   (decode errors: CAIRN_E_PARSE,
 *                                                      the API answers 400
 *                                                      "Request decode failed: <msg>")
 *   servicedef_validate  name, address, weights, meta, checks (CAIRN_E_INVAL,
 *                        the message is the whole 400 body, in Consul's words)
 *   servicedef_finalize  ID defaults to Name; check IDs/names default
 *                        ("service:<id>[:n]", "Service '<name>' check"); default
 *                        weights {1, 1}; lan_ipv4/wan_ipv4 (or _ipv6) tagged
 *                        addresses from Address, as addServiceInternal does.
 *
 * Ownership. A struct service_def owns everything it points to; servicedef_free
 * releases it and leaves it zeroed. Pure code: no libuv, no globals, any thread.
 */
#ifndef CAIRN_LOCAL_SERVICEDEF_H
#define CAIRN_LOCAL_SERVICEDEF_H

#include "base/buf.h"
#include "base/jsonw.h"
#include "checks/checkdef.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* One Meta pair. */
struct svc_meta {
	char *key;   /* owned, as given */
	char *value; /* owned */
};

/* One TaggedAddresses entry ("lan", "wan", "lan_ipv4", ...). */
struct svc_addr {
	char *tag;     /* owned, as given */
	char *address; /* owned, "" when absent */
	int port;      /* 0 when absent */
};

struct service_def {
	char *kind;		  /* Kind, "" for a typical service */
	char *id;		  /* ID; NULL until given or defaulted to name */
	char *name;		  /* Name; NULL if absent */
	char **tags;		  /* Tags, in given order (duplicates kept, as Consul) */
	size_t n_tags;		  /* count */
	char *address;		  /* Address, "" when absent */
	char *socket_path;	  /* SocketPath, "" when absent */
	int port;		  /* Port, 0 when absent */
	struct svc_meta *meta;	  /* Meta, sorted by key (Go prints maps sorted) */
	size_t n_meta;		  /* count */
	struct svc_addr *tagged;  /* TaggedAddresses, sorted by tag */
	size_t n_tagged;	  /* count */
	bool has_weights;	  /* Weights was given (else {1, 1} after finalize) */
	int weight_passing;	  /* Weights.Passing */
	int weight_warning;	  /* Weights.Warning */
	bool enable_tag_override; /* EnableTagOverride: catalog tags win in anti-entropy */
	char *token;		  /* Token, "" when absent (ACLs come later) */
	json_t *proxy;		  /* Proxy object as given (reference), NULL if absent */
	json_t *connect;	  /* Connect object as given (reference), NULL if absent */
	struct checkdef *checks;  /* Check then Checks, in order; empty ones skipped */
	size_t n_checks;	  /* count */
	char *check_status_error; /* a Check/Checks Status that is not a valid status
				     (reported by validate, as Consul does), else NULL */
};

/*
 * Parse one service object. Returns 0, or CAIRN_E_PARSE with a one-line
 * message appended to err (e.g. "Port: expected a number"); *out is then
 * empty. Checks are parsed with checkdef_parse but not validated.
 */
int servicedef_parse(const json_t *obj, struct service_def *out, struct buf *err);

/*
 * Consul's checks on a registration, messages verbatim:
 *   "Missing service name"
 *   "Invalid service address"                     (0.0.0.0, ::, [::])
 *   "Invalid Weights: Passing must be greater than 0" (and Warning's, range)
 *   "Invalid Service Meta: <why>"                 (64 pairs, key format, lengths,
 *                                                  reserved "consul-" prefix)
 *   "Invalid check: <checkdef_validate message>"
 *   "Status for checks must 'passing', 'warning', 'critical'"
 * Returns 0 or CAIRN_E_INVAL with the message in err.
 */
int servicedef_validate(const struct service_def *d, struct buf *err);

/* Fill the defaults listed above (only what is missing). Call after validate. */
void servicedef_finalize(struct service_def *d);

/* Equal as the catalog would store them (checks not compared). */
bool servicedef_same(const struct service_def *a, const struct service_def *b);

/*
 * The definition back as registration JSON with CamelCase keys (ID, Name, Tags,
 * Address, Port, Meta, TaggedAddresses, Weights, EnableTagOverride, Kind,
 * SocketPath, Token, Proxy, Connect), without its checks; servicedef_parse reads
 * it back to an equal definition. Writes one object value.
 */
void servicedef_write_json(const struct service_def *d, struct jsonw *w);

/* "lan_ipv4"-style tagged address lookup; NULL when absent. */
const struct svc_addr *servicedef_tagged(const struct service_def *d, const char *tag);
/* Meta lookup; NULL when absent. */
const char *servicedef_meta(const struct service_def *d, const char *key);

void servicedef_copy(struct service_def *dst, const struct service_def *src);
void servicedef_free(struct service_def *d);

/* true when key, with case folded and '_' dropped, equals norm (lower case, no
 * '_'): the field matching every Consul definition uses. */
bool servicedef_key_is(const char *key, const char *norm);

#endif
