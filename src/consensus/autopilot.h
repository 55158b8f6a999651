/*
 * Autopilot configuration: Consul's operator settings for server management
 * (GET/PUT /v1/operator/autopilot/configuration), replicated through Raft.
 *
 * Model. A PUT becomes a CMD_AUTOPILOT_SET command (cmd.h); every server
 * applies it in log order (autopilot.c), so every server holds the same
 * configuration at the same index. The applied configuration is also written
 * to <raft dir>/autopilot.conf with the index it was applied at, because a
 * Raft snapshot of the store does not carry it: a restarted server loads the
 * file and then ignores replayed commands older than what it loaded. A server
 * that joins later and catches up by snapshot install has the defaults until
 * the next PUT (docs/compat.md).
 *
 * Pure data here; the apply and the file live in autopilot.c (loop thread).
 */
#ifndef CAIRN_CONSENSUS_AUTOPILOT_H
#define CAIRN_CONSENSUS_AUTOPILOT_H

#include <stdbool.h>
#include <stdint.h>

#define AUTOPILOT_TAG_MAX 128 /* RedundancyZoneTag / UpgradeVersionTag bound */

struct autopilot_config {
	bool cleanup_dead_servers;		     /* CleanupDeadServers (true) */
	uint64_t last_contact_threshold_ns;	     /* LastContactThreshold (200ms) */
	uint64_t max_trailing_logs;		     /* MaxTrailingLogs (250) */
	uint64_t min_quorum;			     /* MinQuorum (0) */
	uint64_t server_stabilization_time_ns;	     /* ServerStabilizationTime (10s) */
	char redundancy_zone_tag[AUTOPILOT_TAG_MAX]; /* RedundancyZoneTag ("") */
	bool disable_upgrade_migration;		     /* DisableUpgradeMigration (false) */
	char upgrade_version_tag[AUTOPILOT_TAG_MAX]; /* UpgradeVersionTag ("") */
	uint64_t create_index;			     /* index of the first set (0: defaults) */
	uint64_t modify_index;			     /* index of the latest set */
};

/* Consul's defaults (create/modify index 0). */
void autopilot_config_default(struct autopilot_config *c);

#endif
