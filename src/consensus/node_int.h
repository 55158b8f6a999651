/*
 * Private to the Raft node's files (node.c, membership.c): the struct
 * behind struct consensus.
 */
#ifndef CAIRN_CONSENSUS_NODE_INT_H
#define CAIRN_CONSENSUS_NODE_INT_H

#include "consensus/consensus.h"
#include "consensus/fsm.h"
#include "consensus/lockdelay.h"

#include <raft.h>
#include <raft/uv.h>

struct consensus {
	uv_loop_t *loop;
	struct store *store;
	struct raft raft;
	struct raft_io io;
	struct raft_uv_transport own_transport; /* raft_uv_tcp, when none was given */
	struct raft_uv_transport *transport;	/* own_transport or the caller's */
	uint64_t id;				/* our Raft server ID */
	bool started;				/* raft_start ran */
	struct fsm fsm;
	char *dir;
	char *address;
	bool raft_inited;
	bool closing;
	struct consensus *grave_next; /* closed: kept for libraft's late close (node.c) */
	unsigned async_pending;	      /* snapshot jobs in the thread pool */
	bool close_deferred;	      /* raft_close waits for them */
	/* consistent-read confirmation: a barrier covers the requests that were
	 * waiting when it was started; later arrivals wait for the next one */
	struct consensus_confirm *waiting;
	struct consensus_confirm *covered;
	struct raft_barrier barrier;
	bool barrier_busy;
	int last_state;	      /* raft_state at the last consensus_poll */
	char last_leader[64]; /* leader address at the last consensus_poll */
	/* voter addresses, rebuilt on demand */
	const char **peers;
	size_t npeers;
	void (*close_cb)(void *arg);
	void *close_arg;
	struct lock_delay delays;	   /* keys released by invalidations (lockdelay.h) */
	bool changing;			   /* a configuration change is in flight (membership.c) */
	struct consensus_member *members;  /* consensus_configuration's answer */
	struct autopilot_config autopilot; /* applied configuration (autopilot.c) */
	uint64_t autopilot_index;	   /* index it was applied at */
	bool autopilot_loaded;		   /* read from the raft dir yet */
};

int consensus_map_raft_err(int rv);

#endif
