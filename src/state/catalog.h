/*
 * The catalog: nodes, the services on them and their health checks (Consul's
 * catalog and health state), held in the state store beside the KV tree.
 *
 * Model. Three kinds of immutable, reference-counted entries, like KV entries:
 * a node, a service instance on a node, a check on a node (node-level when its
 * service_id is "", else bound to one service instance of the same node). An
 * update publishes a new entry; store_freeze takes references, so snapshots
 * cost pointer copies. Each entry is one allocation holding its strings, lists
 * and maps; maps are sorted by key (as Go marshals them) with unique keys.
 *
 * Names compare case-insensitively (ASCII), as Consul's indexes lowercase them:
 * node names, service IDs within a node, check IDs within a node and service
 * names. Entries keep the spelling they were registered with.
 *
 * Orders (Consul's index orders): nodes by name; a node's services by service
 * ID; a node's checks by check ID; the instances of a service name by node name
 * then service ID; checks of a service name or in a state by node then check ID.
 *
 * Indexes for blocking queries (X-Consul-Index). Each only moves when what its
 * read returns can have changed, and never goes backwards (deletes move them
 * too):
 *
 *   catalog_service_index(name)  instances of that service name, their checks,
 *                                node-level checks of their nodes, their nodes;
 *                                covers /v1/catalog/service, /v1/health/service,
 *                                /v1/health/checks. Churn of service A never
 *                                moves service B's index.
 *   catalog_node_index(node)     the node, its services and its checks
 *                                (/v1/catalog/node, node-services, health/node)
 *   catalog_nodes_index          node entries created, changed or deleted
 *   catalog_services_index       any service instance created/changed/deleted
 *   catalog_checks_index(state)  checks entering, leaving or changing in state
 *                                (CAT_ANY: any check change)
 *
 * A name with nothing registered reports its table's floor: the highest index
 * at which a name of that table (service name, node) lost its last entry. All
 * indexes are >= 1.
 *
 * Watches. catalog_watch_* register a struct watcher (store.h) on exactly what
 * the matching index covers; commits fire them through the store's watch
 * registry (tables TABLE_NODES, TABLE_SERVICES, TABLE_CHECKS, keys private to
 * the catalog), so a watcher of service B is not woken by writes to service A.
 *
 * Writes go through a store transaction (store.h): catalog_txn_register /
 * catalog_txn_deregister record undo information, so store_txn_abort restores
 * the catalog exactly (entries and indexes); store_txn_commit moves indexes and
 * fires watchers. A write that changes nothing (Consul's anti-entropy re-sends
 * unchanged services) changes no entry, no index and wakes nobody.
 *
 * Threads and memory. Loop thread only. Pointers returned by reads are valid
 * until the next write transaction, or longer with catalog_*_ref.
 */
#ifndef CAIRN_STATE_CATALOG_H
#define CAIRN_STATE_CATALOG_H

#include "state/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Check states, as Consul spells them (cat_status_name). */
enum cat_status {
	CAT_PASSING = 0,
	CAT_WARNING,
	CAT_CRITICAL,
	CAT_MAINTENANCE,
	CAT_STATUS_COUNT_,
	CAT_ANY = -1 /* catalog_checks_in_state / catalog_checks_index: every state */
};

/* One map entry (node meta, node tagged addresses, service meta). */
struct cat_pair {
	const char *key;
	const char *value;
};

/* Service tagged address: "lan_ipv4": {"Address": ..., "Port": ...}. */
struct cat_svc_addr {
	const char *key;
	const char *address;
	int32_t port;
};

/*
 * Entries. As stored, every pointer points into the entry's own allocation and
 * no string pointer is NULL unless documented ("" when absent). The same
 * structs serve as templates for writes (catalog_register): then the caller
 * owns the pointers, refs and indexes are ignored, NULL strings mean "".
 */
/*
 * A compact JSON rendering of an entry, made by the HTTP API on the first read
 * that needs it and freed with the entry. Entries are immutable once published,
 * so the text never goes stale; it is not part of equality, commands or
 * snapshots, and the store never reads it. Written on the loop thread only
 * (through a const entry: it is a cache, not state).
 */
struct cat_json {
	char *text; /* NULL until rendered */
	size_t len; /* bytes in text */
};

struct cat_node {
	uint32_t refs;		 /* store + frozen snapshots; loop thread only */
	uint64_t create_index;	 /* Raft index that created the node */
	uint64_t modify_index;	 /* Raft index of the last change to the node entry */
	const char *id;		 /* node ID (UUID), "" when none */
	const char *name;	 /* Node */
	const char *address;	 /* Address */
	const char *datacenter;	 /* Datacenter */
	struct cat_pair *tagged; /* TaggedAddresses ("lan", "wan", ...), by key */
	size_t ntagged;		 /* entries in tagged */
	struct cat_pair *meta;	 /* Meta (node meta), by key */
	size_t nmeta;		 /* entries in meta */
	struct cat_json json;	 /* rendering cache (above) */
};

struct cat_service {
	uint32_t refs;		     /* store + frozen snapshots; loop thread only */
	uint64_t create_index;	     /* Raft index that created the instance */
	uint64_t modify_index;	     /* Raft index of its last change */
	const char *node;	     /* the node's name (as registered) */
	const char *id;		     /* ID, unique per node ("" in a template: = name) */
	const char *name;	     /* Service */
	const char *kind;	     /* Kind: "" for a typical service, "connect-proxy"... */
	const char **tags;	     /* Tags, in given order (repeats kept, as Consul) */
	size_t ntags;		     /* entries in tags */
	const char *address;	     /* Address ("" = use the node's) */
	struct cat_svc_addr *tagged; /* TaggedAddresses, by key */
	size_t ntagged;		     /* entries in tagged */
	struct cat_pair *meta;	     /* Meta, by key */
	size_t nmeta;		     /* entries in meta */
	int32_t port;		     /* Port */
	const char *socket_path;     /* SocketPath */
	int32_t weight_passing;	     /* Weights.Passing (stored as given; the agent
					defaults {1, 1}) */
	int32_t weight_warning;	     /* Weights.Warning */
	bool enable_tag_override;    /* EnableTagOverride */
	const char *proxy_json;	     /* Proxy as JSON text, NULL when absent */
	const char *connect_json;    /* Connect as JSON text, NULL when absent */
	const char *locality_json;   /* Locality as JSON text, NULL when absent */
	struct cat_json json;	     /* rendering cache (above) */
};

struct cat_check {
	uint32_t refs;		     /* store + frozen snapshots; loop thread only */
	uint64_t create_index;	     /* Raft index that created the check */
	uint64_t modify_index;	     /* Raft index of its last change */
	const char *node;	     /* the node's name (as registered) */
	const char *id;		     /* CheckID, unique per node ("" in a template: = name) */
	const char *name;	     /* Name */
	enum cat_status status;	     /* Status */
	const char *notes;	     /* Notes */
	const char *output;	     /* Output */
	const char *service_id;	     /* ServiceID, "" for a node-level check */
	const char *service_name;    /* ServiceName: copied from the service on write */
	const char **service_tags;   /* ServiceTags: copied from the service on write */
	size_t nservice_tags;	     /* entries in service_tags */
	const char *type;	     /* Type ("http", "ttl", ...; "" unknown) */
	const char *interval;	     /* Interval as text ("10s"), "" when none */
	const char *timeout;	     /* Timeout as text, "" when none */
	int32_t exposed_port;	     /* ExposedPort */
	const char *definition_json; /* Definition as JSON text, NULL when absent */
	struct cat_json json;	     /* rendering cache (above) */
};

const char *cat_status_name(enum cat_status st); /* "passing", ..., "any" for CAT_ANY */
/* Returns the state, CAT_ANY for "any", or -2 when unknown. */
int cat_status_parse(const char *name);

void catalog_node_ref(struct cat_node *n);
void catalog_node_unref(struct cat_node *n);
void catalog_service_ref(struct cat_service *svc);
void catalog_service_unref(struct cat_service *svc);
void catalog_check_ref(struct cat_check *c);
void catalog_check_unref(struct cat_check *c);

/* ---- Reads (loop thread, pure) ---- */

/* Iteration callbacks: a nonzero return stops the walk and is returned. */
typedef int (*cat_node_fn)(void *ctx, const struct cat_node *n);
typedef int (*cat_service_fn)(void *ctx, const struct cat_service *svc);
typedef int (*cat_check_fn)(void *ctx, const struct cat_check *c);
/* An instance: a service and the node it runs on. */
typedef int (*cat_instance_fn)(void *ctx, const struct cat_node *n, const struct cat_service *svc);
typedef int (*cat_name_fn)(void *ctx, const char *name);

/* Nodes. */
const struct cat_node *catalog_node(const struct store *s, const char *name);
/* The node holding a node ID (case-insensitive), NULL when none or id is "";
 * /v1/txn Node ops look a node up by ID first (catalog_txnops.c). */
const struct cat_node *catalog_node_by_id(const struct store *s, const char *id);
size_t catalog_node_count(const struct store *s);
int catalog_nodes(const struct store *s, cat_node_fn fn, void *ctx); /* by name */
/* True when n has every (key, value) of filters in its meta (Consul's
 * ?node-meta=k:v, repeated: all must match). nfilters 0: true. */
bool catalog_node_meta_match(const struct cat_node *n, const struct cat_pair *filters,
			     size_t nfilters);

/* A node's services (by ID) and checks (by check ID); 0 and no call when the
 * node is missing (use catalog_node to tell). */
const struct cat_service *catalog_node_service(const struct store *s, const char *node,
					       const char *service_id);
int catalog_node_services(const struct store *s, const char *node, cat_service_fn fn, void *ctx);
const struct cat_check *catalog_node_check(const struct store *s, const char *node,
					   const char *check_id);
int catalog_node_checks(const struct store *s, const char *node, cat_check_fn fn, void *ctx);
size_t catalog_service_count(const struct store *s); /* instances, all nodes */
size_t catalog_check_count(const struct store *s);   /* checks, all nodes */

/* Service names (each once, by name; a name registered with several spellings
 * is reported with its first instance's). */
int catalog_service_names(const struct store *s, cat_name_fn fn, void *ctx);
/* Instances of a service name, by node name then service ID. */
int catalog_service_instances(const struct store *s, const char *name, cat_instance_fn fn,
			      void *ctx);
size_t catalog_service_instance_count(const struct store *s, const char *name);
/* The union of the tags of a name's instances, sorted, each once, for
 * /v1/catalog/services. *out is malloc'd (caller frees the array, not the
 * strings, which live as long as the entries). Returns the count. When
 * nfilters > 0 only instances on nodes matching the node-meta filters count. */
size_t catalog_service_tags(const struct store *s, const char *name, const struct cat_pair *filters,
			    size_t nfilters, const char ***out);

/* The checks that decide an instance's health (/v1/health/service "Checks"):
 * its node's node-level checks and the instance's own, merged by check ID. */
int catalog_instance_checks(const struct store *s, const struct cat_service *svc, cat_check_fn fn,
			    void *ctx);
/* Checks bound to instances of a service name (/v1/health/checks/:service),
 * by node then check ID. */
int catalog_service_checks(const struct store *s, const char *name, cat_check_fn fn, void *ctx);
/* Checks in a state (CAT_ANY: all), by node then check ID. */
int catalog_checks_in_state(const struct store *s, int state, cat_check_fn fn, void *ctx);

/* Blocking-query indexes (model above). state: enum cat_status or CAT_ANY. */
uint64_t catalog_service_index(const struct store *s, const char *name);
uint64_t catalog_node_index(const struct store *s, const char *node);
uint64_t catalog_nodes_index(const struct store *s);
uint64_t catalog_services_index(const struct store *s);
uint64_t catalog_checks_index(const struct store *s, int state);

/* ---- Watches (what the index of the same name covers) ---- */

void catalog_watch_service(struct store *s, struct watcher *w, const char *name);
void catalog_watch_node(struct store *s, struct watcher *w, const char *node);
void catalog_watch_nodes(struct store *s, struct watcher *w);
void catalog_watch_services(struct store *s, struct watcher *w);
void catalog_watch_checks(struct store *s, struct watcher *w, int state);

/* ---- Writes (loop thread, from the FSM) ---- */

/*
 * /v1/catalog/register (Consul's RegisterRequest), generalised to any number of
 * services so anti-entropy can sync many in one Raft entry; the HTTP API sends
 * at most one. Templates are copied. In order:
 *   - the node is created or updated with id, address, datacenter, tagged
 *     addresses and meta (skip_node_update keeps an existing node as it is;
 *     a missing one is created even then, as Consul); an entry equal to the
 *     stored one changes nothing; a node ID already held by a node of another
 *     name renames it (the old node and everything on it go, as Consul);
 *   - each service is created or replaced (CreateIndex kept) unless equal;
 *     an empty id means the name;
 *   - each check likewise (empty id means the name); its node field must be
 *     "" or the request's node; a check with a service_id must name a service
 *     of this node, registered before or in this request: ServiceName and
 *     ServiceTags are copied from it. Templates carry the status as an enum:
 *     the API maps Consul's missing status to CAT_CRITICAL.
 * Like Consul, registering a service under an existing ID replaces it, and a
 * check whose service's name or tags change is rewritten with the new ones.
 */
struct cat_register {
	const struct cat_node *node;	    /* template: name, id, address, dc, maps */
	bool skip_node_update;		    /* SkipNodeUpdate: keep an existing node as is */
	const struct cat_service *services; /* templates (node field ignored) */
	size_t nservices;		    /* 0..; the HTTP API sends 0 or 1 */
	const struct cat_check *checks;	    /* templates (node: "" or the request's) */
	size_t nchecks;			    /* Check and Checks together */
};

/* Deregister (Consul's precedence): service_id set: that service and its
 * checks; else check_id set: that check; else the node with all its services
 * and checks. Removing something missing succeeds and changes nothing. */
struct cat_deregister {
	const char *node;	/* Node (required) */
	const char *service_id; /* ServiceID, NULL or "" when not given */
	const char *check_id;	/* CheckID, NULL or "" when not given */
};

/*
 * Validate a request the way Consul's RPC endpoint does, before anything is
 * proposed: returns 0, or CAIRN_E_INVAL and sets *why to Consul's message
 * (malloc'd, caller frees), e.g. "Must provide node", "Must provide address
 * if SkipNodeUpdate is not set", "Bad node ID: ...", "Must provide service name
 * with ID", "Invalid service address", and cairn's own "Must provide service
 * name" / "Must provide check ID or name" where Consul would store an entry
 * without a name. Pure; the API calls it to answer 400/500
 * early, and catalog_txn_register calls it again (a log entry is not trusted).
 */
int catalog_register_validate(const struct cat_register *r, char **why);
int catalog_deregister_validate(const struct cat_deregister *d, char **why);

/*
 * Apply within t. Returns 0 when applied (possibly as a no-op), or an error with
 * *why set to Consul's message (malloc'd): CAIRN_E_INVAL for what validate
 * rejects, CAIRN_E_NOTFOUND for a check naming a service the node lacks
 * ("Unknown service ID 'x' for check ID 'y'"), CAIRN_E_EXIST for a node name
 * held by another node ID whose serfHealth is not critical ("failed inserting
 * node: failed inserting node: Node name x is reserved by node <id> with name
 * x (<address>)", Consul's words, doubled prefix included). On error part of
 * the request may have been applied: the caller aborts t (catalog_ops.c does).
 */
int catalog_txn_register(struct store_txn *t, const struct cat_register *r, char **why);
int catalog_txn_deregister(struct store_txn *t, const struct cat_deregister *d, char **why);

#endif
