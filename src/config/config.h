/*
 * Agent configuration: Consul's agent options, read from flags, JSON/HCL files and
 * config directories, merged in Consul's order and validated with Consul's words.
 *
 * Model. One option table (config/options.c) drives everything: each row names a
 * key path as a file spells it ("ports.http"), its type, default, -dev default,
 * reload behaviour, command-line flag(s), DebugConfig name and the field of struct
 * config it fills. Loading is:
 *
 *   defaults -> -dev defaults -> list flags -> files/dirs in the order given
 *            -> scalar and map flags -> -hcl fragments -> computed defaults -> validation
 *
 * Scalars are replaced by later sources, lists are appended (so list flags come
 * first, as in Consul), maps are merged key by key. `service`/`services`/`check`/
 * `checks`/`watches` blocks are kept as parsed JSON (json_t arrays of objects,
 * appended across files) for the subsystems that own them.
 *
 * Ownership. A struct config owns every string, list, map and json_t it points to;
 * config_free releases them and leaves a zeroed struct. Not thread-safe; the loop
 * thread loads it at boot and on reload, and treats it as read-only otherwise.
 */
#ifndef CAIRN_CONFIG_CONFIG_H
#define CAIRN_CONFIG_CONFIG_H

#include "base/buf.h"
#include "base/jsonw.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A list of strings, in source order. */
struct strlist {
	char **items; /* owned strings */
	size_t len;   /* count */
};

/* A string-to-string map in insertion order; setting an existing key replaces it. */
struct strmap {
	char **keys;   /* owned, unique */
	char **values; /* owned, parallel to keys */
	size_t len;    /* count */
};

/* Listener ports; -1 disables a listener (Consul turns any value <= 0 into -1). */
struct config_ports {
	int dns;	      /* ports.dns, 8600 (UDP and TCP) */
	int http;	      /* ports.http, 8500 */
	int https;	      /* ports.https, -1 */
	int grpc;	      /* ports.grpc, -1 (8502 in -dev) */
	int grpc_tls;	      /* ports.grpc_tls, -1 */
	int serf_lan;	      /* ports.serf_lan, 8301 */
	int serf_wan;	      /* ports.serf_wan, 8302 */
	int server;	      /* ports.server, 8300: server RPC and Raft */
	int sidecar_min_port; /* ports.sidecar_min_port, 21000 */
	int sidecar_max_port; /* ports.sidecar_max_port, 21255 */
	int expose_min_port;  /* ports.expose_min_port, 21500 */
	int expose_max_port;  /* ports.expose_max_port, 21755 */
};

/* Per-protocol listener addresses overriding client_addr (space-separated, may be unix://). */
struct config_addresses {
	char *dns;   /* addresses.dns */
	char *http;  /* addresses.http */
	char *https; /* addresses.https */
	char *grpc;  /* addresses.grpc */
};

/* Gossip (memberlist) tuning for one pool. */
struct config_gossip {
	int gossip_nodes;	 /* nodes gossiped to per interval */
	int64_t gossip_interval; /* ns between gossip rounds */
	int64_t probe_interval;	 /* ns between failure-detection probes */
	int64_t probe_timeout;	 /* ns to wait for a probe ack */
	int suspicion_mult;	 /* suspicion timeout multiplier */
	int retransmit_mult;	 /* broadcast retransmission multiplier */
};

/* DNS interface settings (dns_config). */
struct config_dns {
	bool allow_stale;		      /* answer from any server (true) */
	int64_t max_stale;		      /* ns of staleness tolerated (87600h) */
	int64_t node_ttl;		      /* ns, TTL of node answers (0) */
	struct strmap service_ttl;	      /* service name or "*" prefix -> Go duration text */
	bool only_passing;		      /* hide warning instances too */
	int udp_answer_limit;		      /* answers per UDP response (3) */
	int a_record_limit;		      /* A/AAAA records per response, 0 = no limit */
	bool enable_truncate;		      /* set TC when answers were cut */
	int64_t recursor_timeout;	      /* ns per recursor query (2s) */
	char *recursor_strategy;	      /* "sequential" or "random" */
	bool disable_compression;	      /* no name compression in answers */
	bool enable_additional_node_meta_txt; /* node meta TXT in additional (true) */
	bool use_cache;			      /* answer from the agent cache */
	int64_t cache_max_age;		      /* ns, cache staleness bound */
	bool prefer_namespace;		      /* enterprise; accepted, unused */
	struct {
		unsigned refresh; /* dns_config.soa.refresh, 3600 */
		unsigned retry;	  /* dns_config.soa.retry, 600 */
		unsigned expire;  /* dns_config.soa.expire, 86400 */
		unsigned min_ttl; /* dns_config.soa.min_ttl, 0 */
	} soa;
};

/* ACL tokens given in configuration (all secrets). */
struct config_acl_tokens {
	char *initial_management;		/* acl.tokens.initial_management (was master) */
	char *agent;				/* acl.tokens.agent */
	char *agent_recovery;			/* acl.tokens.agent_recovery (was agent_master) */
	char *default_token;			/* acl.tokens.default */
	char *replication;			/* acl.tokens.replication */
	char *config_file_service_registration; /* acl.tokens.config_file_service_registration */
	char *dns;				/* acl.tokens.dns */
};

/* The acl block. */
struct config_acl {
	bool enabled;		       /* acl.enabled */
	char *default_policy;	       /* "allow" or "deny" */
	char *down_policy;	       /* "extend-cache", "allow", "deny", "async-cache" */
	int64_t policy_ttl;	       /* ns, 30s */
	int64_t role_ttl;	       /* ns, 30s */
	int64_t token_ttl;	       /* ns, 30s */
	bool enable_key_list_policy;   /* KV list needs list permission */
	bool enable_token_replication; /* replicate tokens to this DC */
	bool enable_token_persistence; /* tokens set via API survive restarts */
	struct config_acl_tokens tokens;
};

/* Autopilot (server health and dead-server cleanup). */
struct config_autopilot {
	bool cleanup_dead_servers;	   /* true */
	int64_t last_contact_threshold;	   /* ns, 200ms */
	int max_trailing_logs;		   /* 250 */
	unsigned min_quorum;		   /* 0 */
	int64_t server_stabilization_time; /* ns, 10s */
	char *redundancy_zone_tag;	   /* enterprise */
	bool disable_upgrade_migration;	   /* enterprise */
	char *upgrade_version_tag;	   /* enterprise */
};

/* Telemetry: the keys cairn models; the rest of the block is kept in extra. */
struct config_telemetry {
	char *metrics_prefix;		   /* "consul" */
	bool filter_default;		   /* true */
	struct strlist prefix_filter;	   /* "+prefix" / "-prefix" rules */
	bool disable_hostname;		   /* no hostname prefix on gauges */
	char *statsd_address;		   /* host:port */
	char *statsite_address;		   /* host:port */
	char *dogstatsd_addr;		   /* host:port */
	struct strlist dogstatsd_tags;	   /* extra tags */
	int64_t prometheus_retention_time; /* ns, 0 disables /v1/agent/metrics?format=prometheus */
	bool retry_failed_connection;	   /* true */
	bool disable;			   /* telemetry.disable */
	json_t *extra;			   /* every other telemetry key (circonus_*, ...) */
};

/* Connect (service mesh) settings cairn stores for later. */
struct config_connect {
	bool enabled;	   /* true */
	char *ca_provider; /* "consul", "vault", "aws-pca" */
	json_t *ca_config; /* provider configuration, as given */
	bool enable_mesh_gateway_wan_federation;
	bool enable_serverless_plugin;
};

/* http_config. */
struct config_http {
	struct strlist block_endpoints;	      /* path prefixes answered 403 */
	struct strlist allow_write_http_from; /* CIDRs allowed to write */
	struct strmap response_headers;	      /* added to every response */
	bool use_cache;			      /* true */
	int max_header_bytes;		      /* 0 = Go's default (1 MiB) */
};

struct config {
	/* --- identity and mode --- */
	char *datacenter;	  /* lowercased; "dc1" */
	char *primary_datacenter; /* lowercased; defaults to datacenter */
	char *node_name;	  /* defaults to the hostname */
	char *node_id;		  /* lowercased UUID; random when not given */
	bool node_id_generated;	  /* node_id was generated here, not configured: the agent
				     should prefer the one persisted under data_dir */
	char *data_dir;		  /* required unless dev */
	bool server;		  /* server mode */
	bool bootstrap;		  /* elect self without peers (set by bootstrap_expect = 1, -dev) */
	int bootstrap_expect;	  /* servers to wait for before bootstrapping (0 = off) */
	bool dev;		  /* -dev: in-memory server, elects itself at once */
	char *partition;	  /* enterprise admin partition; accepted, unused */
	char *segment;		  /* enterprise network segment; accepted, unused */
	json_t *segments;	  /* enterprise segments (array); accepted, unused */
	int segment_limit;	  /* most segments declarable (64) */
	int segment_name_limit;	  /* longest segment name (64) */
	bool read_replica;	  /* enterprise; accepted, unused */

	/* --- addresses --- */
	char *bind_addr;	   /* one IP for cluster traffic; "0.0.0.0" */
	char *client_addr;	   /* space-separated IPs or unix:// for HTTP/DNS/gRPC */
	char *advertise_addr;	   /* LAN advertise IP ("" = derive from bind) */
	char *advertise_addr_ipv4; /* tagged lan_ipv4 */
	char *advertise_addr_ipv6; /* tagged lan_ipv6 */
	char *advertise_addr_wan;  /* WAN advertise IP ("" = advertise_addr) */
	char *advertise_addr_wan_ipv4;
	char *advertise_addr_wan_ipv6;
	char *serf_lan; /* serf LAN bind IP ("" = bind_addr) */
	char *serf_wan; /* serf WAN bind IP ("" = bind_addr) */
	struct strlist serf_lan_allowed_cidrs;
	struct strlist serf_wan_allowed_cidrs;
	struct config_addresses addresses;
	struct config_ports ports;
	struct strmap tagged_addresses; /* extra node tagged addresses */
	bool translate_wan_addrs;	/* answer remote DCs with WAN addresses */

	/* --- DNS --- */
	char *domain;		  /* "consul." */
	char *alt_domain;	  /* second domain answered, "" = none */
	struct strlist recursors; /* upstream DNS servers (deduplicated) */
	struct config_dns dns_config;

	/* --- joining --- */
	struct strlist start_join;	     /* -join: join once at start */
	struct strlist join_wan;	     /* -join-wan (start_join_wan in files) */
	struct strlist retry_join;	     /* -retry-join: join with retries */
	struct strlist retry_join_wan;	     /* -retry-join-wan */
	int64_t retry_interval;		     /* ns between retry-join attempts (30s) */
	int64_t retry_interval_wan;	     /* ns (30s) */
	int retry_max;			     /* attempts, 0 = forever */
	int retry_max_wan;		     /* attempts, 0 = forever */
	bool rejoin_after_leave;	     /* -rejoin: ignore a previous leave */
	int64_t reconnect_timeout;	     /* ns before a failed LAN node is reaped (72h) */
	int64_t reconnect_timeout_wan;	     /* ns (72h) */
	int64_t advertise_reconnect_timeout; /* client-only override, 0 = unset */
	struct strlist primary_gateways;     /* -primary-gateway */
	int64_t primary_gateways_interval;   /* ns (30s) */
	bool leave_on_terminate;	     /* SIGTERM leaves; default !server */
	bool skip_leave_on_interrupt;	     /* SIGINT does not leave; default server */

	/* --- gossip and encryption --- */
	struct config_gossip gossip_lan; /* 3 nodes, 200ms, 1s, 500ms, x4, x4 (-dev: 100ms) */
	struct config_gossip gossip_wan; /* 3 nodes, 500ms, 5s, 3s, x6, x4 */
	char *encrypt;			 /* base64 gossip key (16/24/32 bytes) */
	bool encrypt_verify_incoming;	 /* true */
	bool encrypt_verify_outgoing;	 /* true */
	bool disable_keyring_file;	 /* do not persist the keyring */
	int protocol;			 /* RPC protocol version, 2 */
	int raft_protocol;		 /* 3 (the only one supported) */

	/* --- Raft and server tuning --- */
	int raft_multiplier;		/* performance.raft_multiplier, 1..10, 5 (-dev: 1) */
	int64_t leave_drain_time;	/* performance.leave_drain_time, 5s */
	int64_t rpc_hold_timeout;	/* performance.rpc_hold_timeout, 7s */
	int raft_snapshot_threshold;	/* entries between snapshots, 16384 */
	int64_t raft_snapshot_interval; /* ns between snapshot checks, 30s */
	int raft_trailing_logs;		/* entries kept after a snapshot, 10240 */
	json_t *raft_logstore;		/* raft_logstore block, as given */
	int64_t server_rejoin_age_max;	/* 168h */
	struct config_autopilot autopilot;
	int64_t session_ttl_min;    /* minimum session TTL, 10s */
	bool rpc_enable_streaming;  /* rpc.enable_streaming (servers) */
	bool use_streaming_backend; /* true */

	/* --- limits --- */
	int http_max_conns_per_client;	 /* limits.http_max_conns_per_client, 200 */
	int rpc_max_conns_per_client;	 /* limits.rpc_max_conns_per_client, 100 */
	double rpc_rate;		 /* limits.rpc_rate, requests/s; < 0 = unlimited */
	int rpc_max_burst;		 /* limits.rpc_max_burst, 1000 */
	int64_t https_handshake_timeout; /* limits.https_handshake_timeout, 5s */
	int64_t rpc_handshake_timeout;	 /* limits.rpc_handshake_timeout, 5s */
	int64_t rpc_client_timeout;	 /* limits.rpc_client_timeout, 60s */
	uint64_t kv_max_value_size;	 /* limits.kv_max_value_size, 524288 (413 above) */
	uint64_t txn_max_req_len;	 /* limits.txn_max_req_len, 524288 */
	json_t *request_limits;		 /* limits.request_limits, as given */

	/* --- HTTP API and queries --- */
	struct config_http http_config;
	int64_t default_query_time;  /* ns, blocking wait default (300s) */
	int64_t max_query_time;	     /* ns, blocking wait cap (600s) */
	int64_t discovery_max_stale; /* ns, 0 = off */
	bool disable_http_unprintable_char_filter;

	/* --- agent behaviour --- */
	int64_t ae_interval;		       /* ns, anti-entropy period (1m) */
	int64_t check_update_interval;	       /* ns, output-only changes synced this often (5m) */
	int check_output_max_size;	       /* bytes of check output kept (4096) */
	bool discard_check_output;	       /* do not store check output */
	int64_t check_deregister_interval_min; /* ns (1m) */
	int64_t check_reap_interval;	       /* ns (30s) */
	int64_t sync_coordinate_interval_min;  /* ns (15s) */
	double sync_coordinate_rate_target;    /* updates/s across the cluster (64) */
	bool enable_script_checks;	       /* script checks from any source */
	bool enable_local_script_checks;       /* script checks from config files only;
						  defaults to enable_script_checks */
	bool enable_agent_tls_for_checks;
	bool enable_central_service_config; /* true */
	bool enable_debug;		    /* /debug/pprof endpoints */
	bool disable_remote_exec;	    /* true */
	bool disable_update_check;	    /* no checkpoint calls */
	bool disable_anonymous_signature;
	bool disable_coordinates;
	bool disable_host_node_id; /* true: node_id never derived from the host */
	bool auto_reload_config;   /* watch config files */
	struct strlist experiments;
	char *pid_file;		 /* write our PID here */
	struct strmap node_meta; /* node metadata (-node-meta key:value) */

	/* --- logging --- */
	char *log_level;	     /* as given: "INFO", "debug"... (-dev: "DEBUG") */
	bool log_json;		     /* JSON log lines */
	char *log_file;		     /* path or directory */
	int64_t log_rotate_duration; /* ns */
	int log_rotate_bytes;	     /* 0 = no size rotation */
	int log_rotate_max_files;    /* 0 = keep all */
	bool enable_syslog;	     /* -syslog */
	char *syslog_facility;	     /* "LOCAL0" */

	/* --- UI --- */
	bool ui;		   /* ui_config.enabled (-ui, "ui") */
	char *ui_dir;		   /* ui_config.dir: serve UI files from here */
	char *ui_content_path;	   /* ui_config.content_path, "/ui/" */
	char *ui_metrics_provider; /* ui_config.metrics_provider */
	struct strlist ui_metrics_provider_files;
	char *ui_metrics_provider_options_json;
	json_t *ui_metrics_proxy; /* ui_config.metrics_proxy, as given */
	struct strmap ui_dashboard_url_templates;

	/* --- ACL, TLS, connect and other blocks --- */
	struct config_acl acl;
	json_t *tls;	   /* tls block (with deprecated top-level keys mapped
			      into tls.defaults etc.), as given */
	char *server_name; /* TLS server name */
	struct config_connect connect;
	struct config_telemetry telemetry;
	json_t *auto_config;	/* auto_config block, as given */
	json_t *auto_encrypt;	/* auto_encrypt block, as given */
	json_t *cache;		/* cache block, as given */
	json_t *peering;	/* peering block, as given */
	json_t *audit;		/* enterprise audit block, as given */
	json_t *unix_sockets;	/* unix_sockets block, as given */
	json_t *xds;		/* xds block, as given */
	json_t *cloud;		/* HCP cloud block, as given */
	json_t *reporting;	/* reporting block, as given */
	json_t *locality;	/* locality block, as given */
	json_t *snapshot_agent; /* snapshot_agent block (ignored, as Consul) */
	json_t *raft_boltdb;	/* deprecated raft_boltdb block */
	json_t *consul_tuning;	/* the internal "consul" block */

	/* --- definitions kept as parsed JSON for their subsystems --- */
	json_t *services;		  /* array of service objects ("service" + "services") */
	json_t *checks;			  /* array of check objects ("check" + "checks") */
	json_t *watches;		  /* array of watch objects */
	json_t *config_entries_bootstrap; /* config_entries.bootstrap, array of objects */

	/* --- command line only --- */
	struct strlist config_files; /* -config-file, as given */
	struct strlist config_dirs;  /* -config-dir, as given */
	char *config_format;	     /* -config-format: "", "json" or "hcl" */
	struct strlist hcl;	     /* -hcl fragments, as given */

	/* --- build information (not user-settable) --- */
	char *version; /* reported as Config.Version */
	char *version_prerelease;
	char *version_metadata;
	char *revision;	  /* git revision */
	char *build_date; /* RFC 3339 */
};

/* What config_dump writes: the two objects of GET /v1/agent/self. */
enum config_view {
	CONFIG_VIEW_SELF,  /* "Config": Datacenter, PrimaryDatacenter, NodeName, NodeID,
			      Revision, Server, Version, BuildDate */
	CONFIG_VIEW_DEBUG, /* "DebugConfig": every option under its Consul RuntimeConfig
			      name, keys sorted as Go prints maps, secrets "hidden" */
};

/* Fill c with Consul's defaults (no hostname, no node ID, no validation). c is overwritten,
 * not freed. */
void config_defaults(struct config *c);

/*
 * Build the configuration from an agent command line (argv[0] is the command name,
 * "agent"), reading the files and directories it names. On success returns 0 and out
 * owns a validated configuration; warnings were logged with log_warn("agent.config").
 * On error returns CAIRN_E_INVAL, out is left zeroed and err holds the message(s), one
 * per line, naming the source (file, "command line", "flags-N.hcl"), the key and the
 * problem; the caller prints them and exits 1.
 */
int config_load(int argc, char **argv, struct config *out, struct buf *err);

/*
 * For `cairn validate`: load the given files/directories (as -config-file/-config-dir
 * would) with full validation. Returns 0 and appends the warnings (one per line) to out,
 * or CAIRN_E_INVAL and appends the error lines to out.
 */
int config_validate_paths(char **paths, int n, struct buf *out);

/* `cairn validate [-quiet] [-config-format=json|hcl] FILE_OR_DIRECTORY...`; returns the
 * exit code (0 valid, 1 invalid) after printing Consul's messages. argv[0] = "validate". */
int config_validate_main(int argc, char **argv);

/*
 * Reload: load again from the same command line into next. Options that Consul does
 * not apply on reload keep cur's value in next; their keys are appended to
 * not_reloadable (one per line) when they changed, so the caller can warn. A node_id
 * generated on first load is carried over. Returns 0, or CAIRN_E_INVAL with err set
 * (next is then zeroed and cur should stay in use).
 */
int config_reload(int argc, char **argv, const struct config *cur, struct config *next,
		  struct buf *not_reloadable, struct buf *err);

/* Release everything c owns and zero it. Safe on a zeroed struct. */
void config_free(struct config *c);

/* Write a jansson tree through w (keys sorted as Go prints maps, or as stored);
 * also used for the opaque JSON blocks the catalog keeps. */
void config_write_json(struct jsonw *w, json_t *v, bool sort_keys);

/* Write the view of c as one JSON object value (the caller writes the key). */
void config_dump(const struct config *c, struct jsonw *w, enum config_view view);

#endif
