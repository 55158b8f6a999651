/*
 * Session TTL timers, a leader duty (Consul's agent/consul/session_ttl.go).
 *
 * Model. A session created with a TTL must be renewed; the leader invalidates
 * it when no renewal came within TTL x SESSION_TTL_MULTIPLIER (2, Consul's
 * SessionTTLMultiplier: the grace a client gets). Only the leader runs timers;
 * expiry proposes CMD_SESSION_DESTROY through Raft, so the invalidation (locks
 * released or deleted, lock-delay) is applied by every server at one index.
 *
 * API:
 *   session_ttl_reset(t, session)   arm or re-arm its timer (create, renew);
 *                                   no-op for a session without TTL or when
 *                                   this node does not lead
 *   session_ttl_clear(t, id)        forget it (destroyed through the API)
 *   session_ttl_leadership(t)       call once per loop iteration (cheap):
 *                                   on gaining it, once every entry of the log
 *                                   as it was then is applied, every TTL
 *                                   session gets a fresh full timer
 *                                   (as Consul's initializeSessionTimers); on
 *                                   losing it, every timer stops
 *
 * A timer whose session is gone when it fires (invalidated by a check or a
 * node deregistration) is dropped quietly. Memory: one heap-allocated libuv
 * timer per TTL session, freed in its close callback; a linear list (renew is
 * O(TTL sessions)). Loop thread only; session_ttl_close stops everything.
 */
#ifndef CAIRN_CONSENSUS_SESSION_TTL_H
#define CAIRN_CONSENSUS_SESSION_TTL_H

#include "consensus/consensus.h"
#include "state/session.h"
#include "state/store.h"

#include <stdbool.h>
#include <uv.h>

#define SESSION_TTL_MULTIPLIER 2

struct ttl_timer;

struct session_ttl {
	uv_loop_t *loop;
	struct store *store;
	struct consensus *cons;
	struct ttl_timer *timers; /* armed timers (list) */
	size_t ntimers;		  /* entries in timers */
	bool leader;		  /* leadership seen at the last call */
	bool started;		  /* start ran, close not yet */
	bool arming;		  /* leader, waiting for applied >= arm_at */
	uint64_t arm_at;	  /* last log index when leadership was won */
	uint64_t expired;	  /* sessions invalidated by a lapsed TTL */
};

void session_ttl_start(struct session_ttl *t, uv_loop_t *loop, struct store *store,
		       struct consensus *cons);
void session_ttl_close(struct session_ttl *t);
void session_ttl_leadership(struct session_ttl *t);
void session_ttl_reset(struct session_ttl *t, const struct session *e);
void session_ttl_clear(struct session_ttl *t, const char *id);

#endif
