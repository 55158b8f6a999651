/*
 * The option table: every agent option cairn knows, as data (see options.h).
 *
 * Defaults are Consul's (agent/config/default.go and the builder's computed
 * defaults), written as flag text: "30s" for durations, "8500" for ports. Where
 * Consul's RuntimeConfig leaves a value at zero and lets a subsystem default it
 * (reconnect_timeout 72h, session_ttl_min 10s, acl.role_ttl 30s), the table holds
 * the effective value, so DebugConfig shows what cairn will do.
 *
 * DebugConfig names are Consul's RuntimeConfig field names; a '.' nests (as
 * "Logging.LogLevel"), several names are written for one row when Consul repeats a
 * value ("Datacenter ACLResolverSettings.Datacenter"). Rows Consul has no field for
 * get a name in the same style.
 */
#include "config/options.h"

#include "base/version.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#define F(field) offsetof(struct config, field)

/* key, type, flags, default, -dev default, flags, DebugConfig name, field */
#define R(key, type, flags, def, dev, cli, dbg, field)                                             \
	{                                                                                          \
		key, type, flags, def, dev, cli, dbg, F(field)                                     \
	}

enum {
	RL = OPTF_RELOAD,
	SE = OPTF_SECRET,
	PO = OPTF_PORT,
	FO = OPTF_FLAGONLY,
	IN = OPTF_INTERNAL,
	SP = OPTF_SPLIT,
	LO = OPTF_LOWER,
};

#define B  OPT_BOOL
#define I  OPT_INT
#define U  OPT_UINT
#define Z  OPT_SIZE
#define FL OPT_FLOAT
#define S  OPT_STRING
#define D  OPT_DURATION
#define L  OPT_LIST
#define M  OPT_MAP
#define J  OPT_JSON
#define OL OPT_OBJLIST

// clang-format off
const struct opt config_options[] = {
	/* identity and mode */
	R("datacenter", S, LO, "dc1", NULL, "datacenter dc", "Datacenter ACLResolverSettings.Datacenter", datacenter),
	R("primary_datacenter", S, LO, NULL, NULL, NULL, "PrimaryDatacenter", primary_datacenter),
	R("node_name", S, 0, NULL, NULL, "node", "NodeName ACLResolverSettings.NodeName", node_name),
	R("node_id", S, LO, NULL, NULL, "node-id", "NodeID", node_id),
	R("data_dir", S, 0, NULL, NULL, "data-dir", "DataDir ACLTokens.DataDir", data_dir),
	R("server", B, 0, "false", "true", "server", "ServerMode", server),
	R("bootstrap", B, 0, "false", "true", "bootstrap", "Bootstrap", bootstrap),
	R("bootstrap_expect", I, 0, "0", NULL, "bootstrap-expect", "BootstrapExpect", bootstrap_expect),
	R("dev", B, FO, "false", "true", "dev", "DevMode", dev),
	R("partition", S, 0, NULL, NULL, NULL, "Partition", partition),
	R("segment", S, 0, NULL, NULL, "segment", "SegmentName", segment),
	R("segments", OL, 0, NULL, NULL, NULL, "Segments", segments),
	R("segment_limit", I, 0, "64", NULL, NULL, "SegmentLimit", segment_limit),
	R("segment_name_limit", I, 0, "64", NULL, NULL, "SegmentNameLimit", segment_name_limit),
	R("read_replica", B, 0, "false", NULL, "read-replica non-voting-server", "ReadReplica", read_replica),

	/* addresses */
	R("bind_addr", S, 0, "0.0.0.0", "127.0.0.1", "bind", "BindAddr", bind_addr),
	R("client_addr", S, SP, "127.0.0.1", NULL, "client", "ClientAddrs", client_addr),
	R("advertise_addr", S, 0, NULL, NULL, "advertise", "AdvertiseAddrLAN", advertise_addr),
	R("advertise_addr_ipv4", S, 0, NULL, NULL, NULL, "AdvertiseAddrLANIPv4", advertise_addr_ipv4),
	R("advertise_addr_ipv6", S, 0, NULL, NULL, NULL, "AdvertiseAddrLANIPv6", advertise_addr_ipv6),
	R("advertise_addr_wan", S, 0, NULL, NULL, "advertise-wan", "AdvertiseAddrWAN", advertise_addr_wan),
	R("advertise_addr_wan_ipv4", S, 0, NULL, NULL, NULL, "AdvertiseAddrWANIPv4", advertise_addr_wan_ipv4),
	R("advertise_addr_wan_ipv6", S, 0, NULL, NULL, NULL, "AdvertiseAddrWANIPv6", advertise_addr_wan_ipv6),
	R("serf_lan", S, 0, NULL, NULL, "serf-lan-bind", "SerfBindAddrLAN", serf_lan),
	R("serf_wan", S, 0, NULL, NULL, "serf-wan-bind", "SerfBindAddrWAN", serf_wan),
	R("serf_lan_allowed_cidrs", L, 0, NULL, NULL, "serf-lan-allowed-cidrs", "SerfAllowedCIDRsLAN", serf_lan_allowed_cidrs),
	R("serf_wan_allowed_cidrs", L, 0, NULL, NULL, "serf-wan-allowed-cidrs", "SerfAllowedCIDRsWAN", serf_wan_allowed_cidrs),
	R("addresses.dns", S, SP, NULL, NULL, NULL, "DNSAddrs", addresses.dns),
	R("addresses.http", S, SP, NULL, NULL, NULL, "HTTPAddrs", addresses.http),
	R("addresses.https", S, SP, NULL, NULL, NULL, "HTTPSAddrs", addresses.https),
	R("addresses.grpc", S, SP, NULL, NULL, NULL, "GRPCAddrs", addresses.grpc),
	R("ports.dns", I, PO, "8600", NULL, "dns-port", "DNSPort", ports.dns),
	R("ports.http", I, PO, "8500", NULL, "http-port", "HTTPPort", ports.http),
	R("ports.https", I, PO, "-1", NULL, "https-port", "HTTPSPort", ports.https),
	R("ports.grpc", I, PO, "-1", "8502", "grpc-port", "GRPCPort", ports.grpc),
	R("ports.grpc_tls", I, PO, "-1", NULL, "grpc-tls-port", "GRPCTLSPort", ports.grpc_tls),
	R("ports.serf_lan", I, PO, "8301", NULL, "serf-lan-port", "SerfPortLAN", ports.serf_lan),
	R("ports.serf_wan", I, PO, "8302", NULL, "serf-wan-port", "SerfPortWAN", ports.serf_wan),
	R("ports.server", I, PO, "8300", NULL, "server-port", "ServerPort", ports.server),
	R("ports.sidecar_min_port", I, PO, "21000", NULL, NULL, "ConnectSidecarMinPort", ports.sidecar_min_port),
	R("ports.sidecar_max_port", I, PO, "21255", NULL, NULL, "ConnectSidecarMaxPort", ports.sidecar_max_port),
	R("ports.expose_min_port", I, PO, "21500", NULL, NULL, "ExposeMinPort", ports.expose_min_port),
	R("ports.expose_max_port", I, PO, "21755", NULL, NULL, "ExposeMaxPort", ports.expose_max_port),
	R("tagged_addresses", M, 0, NULL, NULL, NULL, "TaggedAddresses", tagged_addresses),
	R("translate_wan_addrs", B, 0, "false", NULL, NULL, "TranslateWANAddrs", translate_wan_addrs),

	/* DNS */
	R("domain", S, 0, "consul.", NULL, "domain", "DNSDomain", domain),
	R("alt_domain", S, 0, NULL, NULL, "alt-domain", "DNSAltDomain", alt_domain),
	R("recursors", L, RL, NULL, NULL, "recursor", "DNSRecursors", recursors),
	R("dns_config.allow_stale", B, RL, "true", NULL, NULL, "DNSAllowStale", dns_config.allow_stale),
	R("dns_config.max_stale", D, RL, "87600h", NULL, NULL, "DNSMaxStale", dns_config.max_stale),
	R("dns_config.node_ttl", D, RL, "0s", NULL, NULL, "DNSNodeTTL", dns_config.node_ttl),
	R("dns_config.service_ttl", M, RL, NULL, NULL, NULL, "DNSServiceTTL", dns_config.service_ttl),
	R("dns_config.only_passing", B, RL, "false", NULL, NULL, "DNSOnlyPassing", dns_config.only_passing),
	R("dns_config.udp_answer_limit", I, RL, "3", NULL, NULL, "DNSUDPAnswerLimit", dns_config.udp_answer_limit),
	R("dns_config.a_record_limit", I, RL, "0", NULL, NULL, "DNSARecordLimit", dns_config.a_record_limit),
	R("dns_config.enable_truncate", B, RL, "false", NULL, NULL, "DNSEnableTruncate", dns_config.enable_truncate),
	R("dns_config.recursor_timeout", D, RL, "2s", NULL, NULL, "DNSRecursorTimeout", dns_config.recursor_timeout),
	R("dns_config.recursor_strategy", S, RL, "sequential", NULL, NULL, "DNSRecursorStrategy", dns_config.recursor_strategy),
	R("dns_config.disable_compression", B, RL, "false", NULL, NULL, "DNSDisableCompression", dns_config.disable_compression),
	R("dns_config.enable_additional_node_meta_txt", B, RL, "true", NULL, NULL, "DNSNodeMetaTXT", dns_config.enable_additional_node_meta_txt),
	R("dns_config.use_cache", B, RL, "false", NULL, NULL, "DNSUseCache", dns_config.use_cache),
	R("dns_config.cache_max_age", D, RL, "0s", NULL, NULL, "DNSCacheMaxAge", dns_config.cache_max_age),
	R("dns_config.prefer_namespace", B, RL, "false", NULL, NULL, "DNSPreferNamespace", dns_config.prefer_namespace),
	R("dns_config.soa.refresh", U, RL, "3600", NULL, NULL, "DNSSOA.Refresh", dns_config.soa.refresh),
	R("dns_config.soa.retry", U, RL, "600", NULL, NULL, "DNSSOA.Retry", dns_config.soa.retry),
	R("dns_config.soa.expire", U, RL, "86400", NULL, NULL, "DNSSOA.Expire", dns_config.soa.expire),
	R("dns_config.soa.min_ttl", U, RL, "0", NULL, NULL, "DNSSOA.Minttl", dns_config.soa.min_ttl),

	/* joining and leaving */
	R("start_join", L, 0, NULL, NULL, "join", "StartJoinAddrsLAN", start_join),
	R("start_join_wan", L, 0, NULL, NULL, "join-wan", "StartJoinAddrsWAN", join_wan),
	R("retry_join", L, 0, NULL, NULL, "retry-join", "RetryJoinLAN", retry_join),
	R("retry_join_wan", L, 0, NULL, NULL, "retry-join-wan", "RetryJoinWAN", retry_join_wan),
	R("retry_interval", D, 0, "30s", NULL, "retry-interval", "RetryJoinIntervalLAN", retry_interval),
	R("retry_interval_wan", D, 0, "30s", NULL, "retry-interval-wan", "RetryJoinIntervalWAN", retry_interval_wan),
	R("retry_max", I, 0, "0", NULL, "retry-max", "RetryJoinMaxAttemptsLAN", retry_max),
	R("retry_max_wan", I, 0, "0", NULL, "retry-max-wan", "RetryJoinMaxAttemptsWAN", retry_max_wan),
	R("rejoin_after_leave", B, 0, "false", NULL, "rejoin", "RejoinAfterLeave", rejoin_after_leave),
	R("reconnect_timeout", D, 0, "72h", NULL, NULL, "ReconnectTimeoutLAN", reconnect_timeout),
	R("reconnect_timeout_wan", D, 0, "72h", NULL, NULL, "ReconnectTimeoutWAN", reconnect_timeout_wan),
	R("advertise_reconnect_timeout", D, 0, "0s", NULL, NULL, "AdvertiseReconnectTimeout", advertise_reconnect_timeout),
	R("primary_gateways", L, 0, NULL, NULL, "primary-gateway", "PrimaryGateways", primary_gateways),
	R("primary_gateways_interval", D, 0, "30s", NULL, NULL, "PrimaryGatewaysInterval", primary_gateways_interval),
	R("leave_on_terminate", B, 0, "false", NULL, NULL, "LeaveOnTerm", leave_on_terminate),
	R("skip_leave_on_interrupt", B, 0, "false", NULL, NULL, "SkipLeaveOnInt", skip_leave_on_interrupt),

	/* gossip and encryption */
	R("gossip_lan.gossip_nodes", I, 0, "3", NULL, NULL, "GossipLANGossipNodes", gossip_lan.gossip_nodes),
	R("gossip_lan.gossip_interval", D, 0, "200ms", "100ms", NULL, "GossipLANGossipInterval", gossip_lan.gossip_interval),
	R("gossip_lan.probe_interval", D, 0, "1s", "100ms", NULL, "GossipLANProbeInterval", gossip_lan.probe_interval),
	R("gossip_lan.probe_timeout", D, 0, "500ms", "100ms", NULL, "GossipLANProbeTimeout", gossip_lan.probe_timeout),
	R("gossip_lan.suspicion_mult", I, 0, "4", "3", NULL, "GossipLANSuspicionMult", gossip_lan.suspicion_mult),
	R("gossip_lan.retransmit_mult", I, 0, "4", NULL, NULL, "GossipLANRetransmitMult", gossip_lan.retransmit_mult),
	R("gossip_wan.gossip_nodes", I, 0, "4", NULL, NULL, "GossipWANGossipNodes", gossip_wan.gossip_nodes),
	R("gossip_wan.gossip_interval", D, 0, "500ms", "100ms", NULL, "GossipWANGossipInterval", gossip_wan.gossip_interval),
	R("gossip_wan.probe_interval", D, 0, "5s", "100ms", NULL, "GossipWANProbeInterval", gossip_wan.probe_interval),
	R("gossip_wan.probe_timeout", D, 0, "3s", "100ms", NULL, "GossipWANProbeTimeout", gossip_wan.probe_timeout),
	R("gossip_wan.suspicion_mult", I, 0, "6", "3", NULL, "GossipWANSuspicionMult", gossip_wan.suspicion_mult),
	R("gossip_wan.retransmit_mult", I, 0, "4", NULL, NULL, "GossipWANRetransmitMult", gossip_wan.retransmit_mult),
	R("encrypt", S, SE, NULL, NULL, "encrypt", "EncryptKey", encrypt),
	R("encrypt_verify_incoming", B, 0, "true", NULL, NULL, "StaticRuntimeConfig.EncryptVerifyIncoming", encrypt_verify_incoming),
	R("encrypt_verify_outgoing", B, 0, "true", NULL, NULL, "StaticRuntimeConfig.EncryptVerifyOutgoing", encrypt_verify_outgoing),
	R("disable_keyring_file", B, 0, "false", "true", "disable-keyring-file", "DisableKeyringFile", disable_keyring_file),
	R("protocol", I, 0, "2", NULL, "protocol", "RPCProtocol", protocol),
	R("raft_protocol", I, 0, "3", NULL, "raft-protocol", "RaftProtocol", raft_protocol),

	/* Raft and server tuning */
	R("performance.raft_multiplier", I, 0, "5", "1", NULL, "RaftMultiplier", raft_multiplier),
	R("performance.leave_drain_time", D, 0, "5s", NULL, NULL, "LeaveDrainTime", leave_drain_time),
	R("performance.rpc_hold_timeout", D, 0, "7s", NULL, NULL, "RPCHoldTimeout", rpc_hold_timeout),
	R("raft_snapshot_threshold", I, RL, "16384", NULL, NULL, "RaftSnapshotThreshold", raft_snapshot_threshold),
	R("raft_snapshot_interval", D, RL, "30s", NULL, NULL, "RaftSnapshotInterval", raft_snapshot_interval),
	R("raft_trailing_logs", I, RL, "10240", NULL, NULL, "RaftTrailingLogs", raft_trailing_logs),
	R("raft_logstore", J, 0, NULL, NULL, NULL, "RaftLogStoreConfig", raft_logstore),
	R("raft_boltdb", J, 0, NULL, NULL, NULL, "RaftBoltDBConfig", raft_boltdb),
	R("server_rejoin_age_max", D, 0, "168h", NULL, NULL, "ServerRejoinAgeMax", server_rejoin_age_max),
	R("autopilot.cleanup_dead_servers", B, 0, "true", NULL, NULL, "AutopilotCleanupDeadServers", autopilot.cleanup_dead_servers),
	R("autopilot.last_contact_threshold", D, 0, "200ms", NULL, NULL, "AutopilotLastContactThreshold", autopilot.last_contact_threshold),
	R("autopilot.max_trailing_logs", I, 0, "250", NULL, NULL, "AutopilotMaxTrailingLogs", autopilot.max_trailing_logs),
	R("autopilot.min_quorum", U, 0, "0", NULL, NULL, "AutopilotMinQuorum", autopilot.min_quorum),
	R("autopilot.server_stabilization_time", D, 0, "10s", NULL, NULL, "AutopilotServerStabilizationTime", autopilot.server_stabilization_time),
	R("autopilot.redundancy_zone_tag", S, 0, NULL, NULL, NULL, "AutopilotRedundancyZoneTag", autopilot.redundancy_zone_tag),
	R("autopilot.disable_upgrade_migration", B, 0, "false", NULL, NULL, "AutopilotDisableUpgradeMigration", autopilot.disable_upgrade_migration),
	R("autopilot.upgrade_version_tag", S, 0, NULL, NULL, NULL, "AutopilotUpgradeVersionTag", autopilot.upgrade_version_tag),
	R("session_ttl_min", D, 0, "10s", NULL, NULL, "SessionTTLMin", session_ttl_min),
	R("rpc.enable_streaming", B, 0, "false", NULL, NULL, "RPCConfig.EnableStreaming", rpc_enable_streaming),
	R("use_streaming_backend", B, 0, "true", NULL, NULL, "UseStreamingBackend", use_streaming_backend),

	/* limits */
	R("limits.http_max_conns_per_client", I, RL, "200", NULL, NULL, "HTTPMaxConnsPerClient", http_max_conns_per_client),
	R("limits.rpc_max_conns_per_client", I, RL, "100", NULL, NULL, "RPCMaxConnsPerClient", rpc_max_conns_per_client),
	R("limits.rpc_rate", FL, RL, "-1", NULL, NULL, "RPCRateLimit", rpc_rate),
	R("limits.rpc_max_burst", I, RL, "1000", NULL, NULL, "RPCMaxBurst", rpc_max_burst),
	R("limits.https_handshake_timeout", D, 0, "5s", NULL, NULL, "HTTPSHandshakeTimeout", https_handshake_timeout),
	R("limits.rpc_handshake_timeout", D, 0, "5s", NULL, NULL, "RPCHandshakeTimeout", rpc_handshake_timeout),
	R("limits.rpc_client_timeout", D, RL, "60s", NULL, NULL, "RPCClientTimeout", rpc_client_timeout),
	R("limits.kv_max_value_size", Z, 0, "524288", NULL, NULL, "KVMaxValueSize", kv_max_value_size),
	R("limits.txn_max_req_len", Z, 0, "524288", NULL, NULL, "TxnMaxReqLen", txn_max_req_len),
	R("limits.request_limits", J, RL, NULL, NULL, NULL, "RequestLimits", request_limits),

	/* HTTP API and queries */
	R("http_config.block_endpoints", L, 0, NULL, NULL, NULL, "HTTPBlockEndpoints", http_config.block_endpoints),
	R("http_config.allow_write_http_from", L, 0, NULL, NULL, "allow-write-http-from", "AllowWriteHTTPFrom", http_config.allow_write_http_from),
	R("http_config.response_headers", M, 0, NULL, NULL, NULL, "HTTPResponseHeaders", http_config.response_headers),
	R("http_config.use_cache", B, 0, "true", NULL, NULL, "HTTPUseCache", http_config.use_cache),
	R("http_config.max_header_bytes", I, 0, "0", NULL, NULL, "HTTPMaxHeaderBytes", http_config.max_header_bytes),
	R("default_query_time", D, 0, "300s", NULL, "default-query-time", "DefaultQueryTime", default_query_time),
	R("max_query_time", D, 0, "600s", NULL, "max-query-time", "MaxQueryTime", max_query_time),
	R("discovery_max_stale", D, 0, "0s", NULL, NULL, "DiscoveryMaxStale", discovery_max_stale),
	R("disable_http_unprintable_char_filter", B, 0, "false", NULL, NULL, "DisableHTTPUnprintableCharFilter", disable_http_unprintable_char_filter),

	/* agent behaviour */
	R("ae_interval", D, 0, "1m", NULL, NULL, "AEInterval", ae_interval),
	R("check_update_interval", D, 0, "5m", NULL, NULL, "CheckUpdateInterval", check_update_interval),
	R("check_output_max_size", I, 0, "4096", NULL, "check_output_max_size", "CheckOutputMaxSize", check_output_max_size),
	R("discard_check_output", B, RL, "false", NULL, NULL, "DiscardCheckOutput", discard_check_output),
	R("check_deregister_interval_min", D, 0, "1m", NULL, NULL, "CheckDeregisterIntervalMin", check_deregister_interval_min),
	R("check_reap_interval", D, 0, "30s", NULL, NULL, "CheckReapInterval", check_reap_interval),
	R("sync_coordinate_interval_min", D, 0, "15s", NULL, NULL, "SyncCoordinateIntervalMin", sync_coordinate_interval_min),
	R("sync_coordinate_rate_target", FL, 0, "64", NULL, NULL, "SyncCoordinateRateTarget", sync_coordinate_rate_target),
	R("enable_script_checks", B, 0, "false", NULL, "enable-script-checks", "EnableRemoteScriptChecks", enable_script_checks),
	R("enable_local_script_checks", B, 0, "false", NULL, "enable-local-script-checks", "EnableLocalScriptChecks", enable_local_script_checks),
	R("enable_agent_tls_for_checks", B, 0, "false", NULL, NULL, "EnableAgentTLSForChecks", enable_agent_tls_for_checks),
	R("enable_central_service_config", B, 0, "true", NULL, NULL, "EnableCentralServiceConfig", enable_central_service_config),
	R("enable_debug", B, RL, "false", "true", NULL, "EnableDebug", enable_debug),
	R("disable_remote_exec", B, 0, "true", NULL, NULL, "DisableRemoteExec", disable_remote_exec),
	R("disable_update_check", B, 0, "false", NULL, NULL, "DisableUpdateCheck", disable_update_check),
	R("disable_anonymous_signature", B, 0, "false", "true", NULL, "DisableAnonymousSignature", disable_anonymous_signature),
	R("disable_coordinates", B, 0, "false", NULL, NULL, "DisableCoordinates", disable_coordinates),
	R("disable_host_node_id", B, 0, "true", NULL, "disable-host-node-id", "DisableHostNodeID", disable_host_node_id),
	R("auto_reload_config", B, 0, "false", NULL, "auto-reload-config", "AutoReloadConfig", auto_reload_config),
	R("experiments", L, 0, NULL, NULL, NULL, "Experiments", experiments),
	R("pid_file", S, 0, NULL, NULL, "pid-file", "PidFile", pid_file),
	R("node_meta", M, RL, NULL, NULL, "node-meta", "NodeMeta", node_meta),

	/* logging */
	R("log_level", S, RL, "INFO", "DEBUG", "log-level", "Logging.LogLevel", log_level),
	R("log_json", B, 0, "false", NULL, "log-json", "Logging.LogJSON", log_json),
	R("log_file", S, 0, NULL, NULL, "log-file", "Logging.LogFilePath", log_file),
	R("log_rotate_duration", D, 0, "0s", NULL, "log-rotate-duration", "Logging.LogRotateDuration", log_rotate_duration),
	R("log_rotate_bytes", I, 0, "0", NULL, "log-rotate-bytes", "Logging.LogRotateBytes", log_rotate_bytes),
	R("log_rotate_max_files", I, 0, "0", NULL, "log-rotate-max-files", "Logging.LogRotateMaxFiles", log_rotate_max_files),
	R("enable_syslog", B, 0, "false", NULL, "syslog", "Logging.EnableSyslog", enable_syslog),
	R("syslog_facility", S, 0, "LOCAL0", NULL, NULL, "Logging.SyslogFacility", syslog_facility),

	/* UI */
	R("ui_config.enabled", B, 0, "false", "true", "ui", "UIConfig.Enabled", ui),
	R("ui_config.dir", S, 0, NULL, NULL, "ui-dir", "UIConfig.Dir", ui_dir),
	R("ui_config.content_path", S, 0, "/ui/", NULL, "ui-content-path", "UIConfig.ContentPath", ui_content_path),
	R("ui_config.metrics_provider", S, RL, NULL, NULL, NULL, "UIConfig.MetricsProvider", ui_metrics_provider),
	R("ui_config.metrics_provider_files", L, RL, NULL, NULL, NULL, "UIConfig.MetricsProviderFiles", ui_metrics_provider_files),
	R("ui_config.metrics_provider_options_json", S, RL, NULL, NULL, NULL, "UIConfig.MetricsProviderOptionsJSON", ui_metrics_provider_options_json),
	R("ui_config.metrics_proxy", J, RL, NULL, NULL, NULL, "UIConfig.MetricsProxy", ui_metrics_proxy),
	R("ui_config.dashboard_url_templates", M, RL, NULL, NULL, NULL, "UIConfig.DashboardURLTemplates", ui_dashboard_url_templates),

	/* ACL */
	R("acl.enabled", B, 0, "false", NULL, NULL, "ACLsEnabled ACLResolverSettings.ACLsEnabled", acl.enabled),
	R("acl.default_policy", S, 0, "allow", NULL, NULL, "ACLResolverSettings.ACLDefaultPolicy", acl.default_policy),
	R("acl.down_policy", S, 0, "extend-cache", NULL, NULL, "ACLResolverSettings.ACLDownPolicy", acl.down_policy),
	R("acl.policy_ttl", D, 0, "30s", NULL, NULL, "ACLResolverSettings.ACLPolicyTTL", acl.policy_ttl),
	R("acl.role_ttl", D, 0, "30s", NULL, NULL, "ACLResolverSettings.ACLRoleTTL", acl.role_ttl),
	R("acl.token_ttl", D, 0, "30s", NULL, NULL, "ACLResolverSettings.ACLTokenTTL", acl.token_ttl),
	R("acl.enable_key_list_policy", B, 0, "false", NULL, NULL, "ACLEnableKeyListPolicy", acl.enable_key_list_policy),
	R("acl.enable_token_replication", B, 0, "false", NULL, NULL, "ACLTokenReplication", acl.enable_token_replication),
	R("acl.enable_token_persistence", B, 0, "false", NULL, NULL, "ACLTokens.EnablePersistence", acl.enable_token_persistence),
	R("acl.tokens.initial_management", S, SE | RL, NULL, NULL, NULL, "ACLInitialManagementToken", acl.tokens.initial_management),
	R("acl.tokens.agent", S, SE | RL, NULL, NULL, NULL, "ACLTokens.ACLAgentToken", acl.tokens.agent),
	R("acl.tokens.agent_recovery", S, SE | RL, NULL, NULL, NULL, "ACLTokens.ACLAgentRecoveryToken", acl.tokens.agent_recovery),
	R("acl.tokens.default", S, SE | RL, NULL, NULL, NULL, "ACLTokens.ACLDefaultToken", acl.tokens.default_token),
	R("acl.tokens.replication", S, SE | RL, NULL, NULL, NULL, "ACLTokens.ACLReplicationToken", acl.tokens.replication),
	R("acl.tokens.config_file_service_registration", S, SE | RL, NULL, NULL, NULL, "ACLTokens.ACLConfigFileRegistrationToken", acl.tokens.config_file_service_registration),
	R("acl.tokens.dns", S, SE | RL, NULL, NULL, NULL, "ACLTokens.ACLDNSToken", acl.tokens.dns),

	/* TLS, connect, telemetry and other blocks */
	R("tls", J, RL, NULL, NULL, NULL, "TLS", tls),
	R("server_name", S, 0, NULL, NULL, NULL, "ServerName", server_name),
	R("connect.enabled", B, 0, "true", "true", NULL, "ConnectEnabled", connect.enabled),
	R("connect.ca_provider", S, 0, NULL, NULL, NULL, "ConnectCAProvider", connect.ca_provider),
	R("connect.ca_config", J, 0, NULL, NULL, NULL, "ConnectCAConfig", connect.ca_config),
	R("connect.enable_mesh_gateway_wan_federation", B, 0, "false", NULL, NULL, "ConnectMeshGatewayWANFederationEnabled", connect.enable_mesh_gateway_wan_federation),
	R("connect.enable_serverless_plugin", B, 0, "false", NULL, NULL, "ConnectServerlessPluginEnabled", connect.enable_serverless_plugin),
	R("telemetry", J, 0, NULL, NULL, NULL, "Telemetry.Extra", telemetry.extra),
	R("telemetry.metrics_prefix", S, 0, "consul", NULL, NULL, "Telemetry.MetricsPrefix", telemetry.metrics_prefix),
	R("telemetry.filter_default", B, 0, "true", NULL, NULL, "Telemetry.FilterDefault", telemetry.filter_default),
	R("telemetry.prefix_filter", L, RL, NULL, NULL, NULL, "Telemetry.PrefixFilter", telemetry.prefix_filter),
	R("telemetry.disable_hostname", B, 0, "false", NULL, NULL, "Telemetry.DisableHostname", telemetry.disable_hostname),
	R("telemetry.statsd_address", S, 0, NULL, NULL, NULL, "Telemetry.StatsdAddr", telemetry.statsd_address),
	R("telemetry.statsite_address", S, 0, NULL, NULL, NULL, "Telemetry.StatsiteAddr", telemetry.statsite_address),
	R("telemetry.dogstatsd_addr", S, 0, NULL, NULL, NULL, "Telemetry.DogstatsdAddr", telemetry.dogstatsd_addr),
	R("telemetry.dogstatsd_tags", L, 0, NULL, NULL, NULL, "Telemetry.DogstatsdTags", telemetry.dogstatsd_tags),
	R("telemetry.prometheus_retention_time", D, 0, "0s", NULL, NULL, "Telemetry.PrometheusOpts.Expiration", telemetry.prometheus_retention_time),
	R("telemetry.retry_failed_connection", B, 0, "true", NULL, NULL, "Telemetry.RetryFailedConfiguration", telemetry.retry_failed_connection),
	R("telemetry.disable", B, 0, "false", NULL, NULL, "Telemetry.Disable", telemetry.disable),
	R("auto_config", J, 0, NULL, NULL, NULL, "AutoConfig", auto_config),
	R("auto_encrypt", J, 0, NULL, NULL, NULL, "AutoEncrypt", auto_encrypt),
	R("cache", J, 0, NULL, NULL, NULL, "Cache", cache),
	R("peering", J, 0, NULL, NULL, NULL, "Peering", peering),
	R("audit", J, 0, NULL, NULL, NULL, "Audit", audit),
	R("unix_sockets", J, 0, NULL, NULL, NULL, "UnixSockets", unix_sockets),
	R("xds", J, 0, NULL, NULL, NULL, "XDS", xds),
	R("cloud", J, 0, NULL, NULL, NULL, "Cloud", cloud),
	R("reporting", J, RL, NULL, NULL, NULL, "Reporting", reporting),
	R("locality", J, 0, NULL, NULL, NULL, "Locality", locality),
	R("snapshot_agent", J, 0, NULL, NULL, NULL, "SnapshotAgent", snapshot_agent),
	R("consul", J, 0, NULL, NULL, NULL, "ConsulTuning", consul_tuning),

	/* definitions for other subsystems */
	R("services", OL, RL, NULL, NULL, NULL, "Services", services),
	R("checks", OL, RL, NULL, NULL, NULL, "Checks", checks),
	R("watches", OL, RL, NULL, NULL, NULL, "Watches", watches),
	R("config_entries.bootstrap", OL, RL, NULL, NULL, NULL, "ConfigEntryBootstrap", config_entries_bootstrap),

	/* command line only */
	R("config_files", L, FO, NULL, NULL, "config-file", "ConfigFiles", config_files),
	R("config_dirs", L, FO, NULL, NULL, "config-dir", "ConfigDirs", config_dirs),
	R("config_format", S, FO, NULL, NULL, "config-format", "ConfigFormat", config_format),
	R("hcl", L, FO, NULL, NULL, "hcl", "HCL", hcl),

	/* build information */
	R("version", S, IN, CAIRN_CONSUL_VERSION, NULL, NULL, "Version", version),
	R("version_prerelease", S, IN, NULL, NULL, NULL, "VersionPrerelease", version_prerelease),
	R("version_metadata", S, IN, NULL, NULL, NULL, "VersionMetadata", version_metadata),
	R("revision", S, IN, CAIRN_REVISION, NULL, NULL, "Revision", revision),
	R("build_date", S, IN, CAIRN_BUILD_DATE, NULL, NULL, "BuildDate", build_date),
};

// clang-format on

const size_t config_options_len = sizeof(config_options) / sizeof(config_options[0]);

/* Keys Consul renamed; new == NULL means read and ignored. */
// clang-format off
const struct opt_alias config_aliases[] = {
	{"service", "services", false},
	{"check", "checks", false},
	{"ui", "ui_config.enabled", true},
	{"ui_dir", "ui_config.dir", true},
	{"ui_content_path", "ui_config.content_path", true},
	{"acl_datacenter", "primary_datacenter", true},
	{"acl_default_policy", "acl.default_policy", true},
	{"acl_down_policy", "acl.down_policy", true},
	{"acl_ttl", "acl.token_ttl", true},
	{"acl_master_token", "acl.tokens.initial_management", true},
	{"acl_agent_master_token", "acl.tokens.agent_recovery", true},
	{"acl_agent_token", "acl.tokens.agent", true},
	{"acl_token", "acl.tokens.default", true},
	{"acl_replication_token", "acl.tokens.replication", true},
	{"enable_acl_replication", "acl.enable_token_replication", true},
	{"acl_enable_key_list_policy", "acl.enable_key_list_policy", true},
	{"acl.tokens.master", "acl.tokens.initial_management", true},
	{"acl.tokens.agent_master", "acl.tokens.agent_recovery", true},
	{"non_voting_server", "read_replica", true},
	{"ca_file", "tls.defaults.ca_file", true},
	{"ca_path", "tls.defaults.ca_path", true},
	{"cert_file", "tls.defaults.cert_file", true},
	{"key_file", "tls.defaults.key_file", true},
	{"tls_cipher_suites", "tls.defaults.tls_cipher_suites", true},
	{"tls_min_version", "tls.defaults.tls_min_version", true},
	{"verify_incoming", "tls.defaults.verify_incoming", true},
	{"verify_incoming_https", "tls.https.verify_incoming", true},
	{"verify_incoming_rpc", "tls.internal_rpc.verify_incoming", true},
	{"verify_outgoing", "tls.defaults.verify_outgoing", true},
	{"verify_server_hostname", "tls.internal_rpc.verify_server_hostname", true},
	{"tls_prefer_server_cipher_suites", NULL, true},
	{"acl_enforce_version_8", NULL, true},
	{"acl_disabled_ttl", NULL, false},
	{"acl.disabled_ttl", NULL, false},
	{"connect.test_ca_leaf_root_change_spread", NULL, false},
	{"ports.proxy_min_port", NULL, false},
	{"ports.proxy_max_port", NULL, false},
};

// clang-format on

const size_t config_aliases_len = sizeof(config_aliases) / sizeof(config_aliases[0]);

size_t opt_index(const struct opt *o)
{
	return (size_t)(o - config_options);
}

static bool user_key(const struct opt *o)
{
	return !(o->flags & OPTF_FLAGONLY);
}

const struct opt *opt_find(const char *path)
{
	for (size_t i = 0; i < config_options_len; i++)
		if (user_key(&config_options[i]) && strcmp(config_options[i].key, path) == 0)
			return &config_options[i];
	for (size_t i = 0; i < config_options_len; i++)
		if (user_key(&config_options[i]) && strcasecmp(config_options[i].key, path) == 0)
			return &config_options[i];
	return NULL;
}

/* Is name one of the space-separated words of list? */
static bool word_in(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

const struct opt *opt_find_flag(const char *name)
{
	for (size_t i = 0; i < config_options_len; i++)
		if (word_in(config_options[i].cli, name))
			return &config_options[i];
	return NULL;
}

static bool has_prefix(const char *key, const char *prefix, size_t n)
{
	return strncasecmp(key, prefix, n) == 0 && key[n] == '.';
}

bool opt_is_block(const char *prefix)
{
	size_t n = strlen(prefix);
	for (size_t i = 0; i < config_options_len; i++)
		if (user_key(&config_options[i]) && has_prefix(config_options[i].key, prefix, n))
			return true;
	for (size_t i = 0; i < config_aliases_len; i++)
		if (has_prefix(config_aliases[i].old, prefix, n))
			return true;
	return false;
}

const struct opt *opt_find_bag(const char *path)
{
	const struct opt *best = NULL;
	for (size_t i = 0; i < config_options_len; i++) {
		const struct opt *o = &config_options[i];
		size_t n = strlen(o->key);
		if (o->type == OPT_JSON && user_key(o) && has_prefix(path, o->key, n) &&
		    (!best || n > strlen(best->key)))
			best = o;
	}
	return best;
}

const struct opt_alias *opt_find_alias(const char *path)
{
	for (size_t i = 0; i < config_aliases_len; i++)
		if (strcmp(config_aliases[i].old, path) == 0)
			return &config_aliases[i];
	for (size_t i = 0; i < config_aliases_len; i++)
		if (strcasecmp(config_aliases[i].old, path) == 0)
			return &config_aliases[i];
	return NULL;
}
