/*
 * Consensus: the Raft node behind every write, built on libraft (canonical raft
 * 0.15, API-compatible with cowsql/raft) with its libuv disk back end.
 *
 * Model. A server agent runs one struct consensus on the loop thread. Writes are
 * encoded commands (cmd.h) proposed with consensus_apply; the callback runs after
 * the entry is committed by a quorum (durable on disk) and applied to the store by
 * the FSM (fsm.c), with the FSM's result. Nothing else writes the store.
 *
 * Reads ask this module who leads and whether this node may answer:
 * consensus_is_leader / consensus_lease_valid for the default consistency mode,
 * consensus_confirm for `consistent` reads (a batched Raft barrier: requests that
 * arrive while one barrier is in flight share the next one).
 *
 * Layout on disk: <data_dir>/raft/ holds libraft's segments, metadata and
 * snapshots. A pristine node with bootstrap set bootstraps a one-voter
 * configuration; the cluster subsystem adds servers later.
 *
 * Lifetime: consensus_start .. consensus_close(cb); pending applies fail with
 * CAIRN_E_SHUTDOWN when closing.
 */
#ifndef CAIRN_CONSENSUS_CONSENSUS_H
#define CAIRN_CONSENSUS_CONSENSUS_H

#include "base/buf.h"
#include "consensus/autopilot.h"
#include "consensus/kvops.h"
#include "state/store.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct raft_uv_transport;

struct consensus;

struct consensus_config {
	const char *dir;	     /* directory for Raft data (created if missing) */
	const char *address;	     /* this server's Raft address, "ip:port" */
	const char *bind;	     /* listen address "ip:port" (IPv4), NULL = address */
	uint64_t id;		     /* Raft server ID, nonzero, stable across restarts */
	bool bootstrap;		     /* bootstrap a one-voter cluster if pristine */
	unsigned raft_multiplier;    /* Consul's performance.raft_multiplier (1..10) */
	unsigned snapshot_threshold; /* entries between snapshots (raft_snapshot_threshold) */
	unsigned trailing_logs;	     /* entries kept after a snapshot (raft_trailing_logs) */
	struct raft_uv_transport *transport; /* borrowed (rpc/raft_transport.h); NULL: libraft's TCP
						on bind */
	bool hold_start; /* set up but do not start: consensus_bootstrap_start decides */
	/* outage recovery (Consul's raft/peers.json): force this configuration
	 * into the log before starting (libraft's raft_recover) */
	const struct consensus_server *recover;
	size_t nrecover;
};

/* One voter of a bootstrap configuration. */
struct consensus_server {
	uint64_t id;
	const char *address; /* "ip:port" */
};

/* The Raft server ID of the agent with this node ID (a UUID): its first 16 hex
 * digits, never 0. Consul's Raft ID is the node ID itself; libraft wants a
 * number, so every place that maps a node or gossip member to a Raft server
 * derives it here. */
uint64_t consensus_server_id(const char *node_id);

int consensus_start(uv_loop_t *loop, struct store *store, const struct consensus_config *cfg,
		    struct consensus **out, struct buf *err);
void consensus_close(struct consensus *c, void (*cb)(void *arg), void *arg);
/* With hold_start: bootstrap these voters (n > 0, pristine state only) and
 * start; n == 0 starts without bootstrapping (a leader will add us). */
int consensus_bootstrap_start(struct consensus *c, const struct consensus_server *servers, size_t n,
			      struct buf *err);
bool consensus_started(const struct consensus *c);
/* No Raft state in dir yet (bootstrap_expect decides only for pristine servers). */
bool consensus_pristine(const char *dir);

/* ---- membership (membership.c; leader only) ---- */

enum consensus_role { CONSENSUS_VOTER, CONSENSUS_NONVOTER, CONSENSUS_SPARE };
struct consensus_member {
	uint64_t id;
	const char *address;
	enum consensus_role role;
};
/* The current configuration; *out borrowed until the next call. */
size_t consensus_configuration(const struct consensus *c, const struct consensus_member **out);
/* Add a server as a non-voter (replicated, not counted in quorums), and
 * promote one to voter later (autopilot's stabilization). */
int consensus_add_nonvoter(struct consensus *c, uint64_t id, const char *address,
			   void (*cb)(void *data, int status), void *data);
int consensus_promote(struct consensus *c, uint64_t id, void (*cb)(void *data, int status),
		      void *data);
int consensus_remove_server(struct consensus *c, uint64_t id, void (*cb)(void *data, int status),
			    void *data);
/* Hand leadership to id (0: the most up-to-date voter). */
int consensus_transfer(struct consensus *c, uint64_t id, void (*cb)(void *data, int status),
		       void *data);
/* A configuration change is in flight (one at a time). */
bool consensus_changing(const struct consensus *c);

/* ---- operator (autopilot.c) ---- */

/* A server's replication progress as the leader sees it. */
struct consensus_progress {
	uint64_t match_index;  /* highest entry known to be in its log */
	bool recent;	       /* it answered within the election timeout */
	uint64_t last_send_ms; /* ms since the leader last sent it entries (0: us) */
};
/* Leader only: 0, CAIRN_E_NOTLEADER or CAIRN_E_NOTFOUND (id not a member). */
int consensus_progress(const struct consensus *c, uint64_t id, struct consensus_progress *out);
/* The applied autopilot configuration (autopilot.h): the same on every server
 * that applied the same log. Changed by proposing CMD_AUTOPILOT_SET. */
void consensus_autopilot(const struct consensus *c, struct autopilot_config *out);

/* Result of an applied write: status 0 and res (valid only during the callback),
 * or a failure (CAIRN_E_NOTLEADER, CAIRN_E_LEADERLOST, CAIRN_E_SHUTDOWN, ...)
 * with res NULL. */
typedef void (*consensus_apply_cb)(void *data, int status, const struct txn_result *res);
/* Propose cmd (its bytes are copied). On a nonzero return cb is never called. */
int consensus_apply(struct consensus *c, const struct buf *cmd, consensus_apply_cb cb, void *data);

/* Consistent-read confirmation: cb(data, 0) once leadership is confirmed by a
 * quorum after the call, or cb(data, error). Cancel before it runs to drop it. */
struct consensus_confirm {
	void (*cb)(void *data, int status);
	void *data;
	struct consensus_confirm *next; /* private */
	struct consensus_confirm **pprev;
};
void consensus_confirm(struct consensus *c, struct consensus_confirm *req);
void consensus_confirm_cancel(struct consensus_confirm *req);

bool consensus_is_leader(const struct consensus *c);
/* The leader may answer default-consistency reads: it heard from a quorum within
 * the lease window (always true for a single voter). */
bool consensus_lease_valid(const struct consensus *c);
/* "ip:port" of the known leader, "" when none. */
const char *consensus_leader_address(const struct consensus *c);
bool consensus_known_leader(const struct consensus *c);
/* Milliseconds since this node last heard from the leader (0 on the leader). */
uint64_t consensus_last_contact_ms(const struct consensus *c);

/* An acquire of key must be refused now: a session holding it was invalidated
 * less than its LockDelay ago (lockdelay.h; Consul's KVSLockDelay check). */
bool consensus_lock_delayed(struct consensus *c, const char *key);

/* Voters' addresses, in configuration order. Returns count; *addrs borrowed. */
size_t consensus_peers(const struct consensus *c, const char ***addrs);

struct consensus_stats {
	const char *state; /* "Leader", "Follower", "Candidate", "Shutdown" */
	uint64_t term;
	uint64_t last_log_index;
	uint64_t applied_index;
	uint64_t commit_index;
	uint64_t last_snapshot_index;
	uint64_t num_peers;
	uint64_t applies;   /* commands applied since start */
	uint64_t snapshots; /* snapshots taken since start */
};
void consensus_get_stats(const struct consensus *c, struct consensus_stats *st);

/* Notice role and leader changes (libraft 0.15 has no callback for them) and log
 * them as Consul does; the agent calls it once per loop iteration. Returns true
 * when this node's leadership changed. */
bool consensus_poll(struct consensus *c);

#endif
