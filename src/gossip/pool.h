/*
 * gossip_pool: one gossip pool as an agent runs it (LAN on 8301, or the
 * servers' WAN on 8302): the libuv transport (transport.h) with its SWIM
 * core, the serf layer above it (serf.h), the pool's keyring and its file,
 * and the rejoin snapshot, wired together.
 *
 * What the pool adds to its parts:
 *   - hook plumbing: the transport's hooks feed serf; serf's broadcasts go
 *     out through the transport; serf's reconnects become transport joins;
 *     one timer drives serf_tick.
 *   - names: joins take "host", "host:port", "ip", "[v6]:port" strings and
 *     resolve host names with uv_getaddrinfo (never blocking the loop).
 *   - the snapshot (data_dir/serf/local.snapshot or remote.snapshot):
 *     members' comings and goings and the clocks are appended as they
 *     happen; gossip_pool_rejoin joins the members alive at the last run
 *     unless the last thing we did was a graceful leave (and the caller did
 *     not ask for rejoin_after_leave).
 *   - the keyring (keyring_setup at start; keyring_* changes saved to the
 *     file by gossip_pool_keyring_save).
 *
 * Ownership: the caller owns the struct's memory; after gossip_pool_start
 * (whatever it returned) release it with gossip_pool_close and wait for the
 * callback. Loop thread only.
 */
#ifndef CAIRN_GOSSIP_POOL_H
#define CAIRN_GOSSIP_POOL_H

#include "base/buf.h"
#include "gossip/keyring.h"
#include "gossip/serf.h"
#include "gossip/tags.h"
#include "gossip/transport.h"

#include <uv.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gossip_pool;

struct gossip_pool_config {
	enum keyring_pool which;  /* LAN or WAN: file names, log prefix */
	const char *data_dir;	  /* NULL: nothing on disk (-dev) */
	const char *node_name;	  /* "node" on LAN, "node.dc" on WAN */
	const char *bind_ip;	  /* literal */
	uint16_t port;		  /* 8301 / 8302 */
	const char *advertise_ip; /* NULL: bind_ip */
	uint16_t advertise_port;  /* 0: port */
	struct memberlist_config ml;
	struct serf_config serf;
	const struct tags *tags; /* copied */
	const char *encrypt;	 /* base64 key or NULL */
	bool disable_keyring_file;
	bool verify_incoming, verify_outgoing;
	/* what the agent hears (optional) */
	void *ud;
	void (*member_event)(void *ud, struct gossip_pool *p, enum serf_event_type t,
			     const struct serf_member *m);
	void (*user_event)(void *ud, struct gossip_pool *p, const struct event *e);
};

typedef void (*gossip_pool_join_cb)(struct gossip_pool *p, int joined, const char *err, void *data);
typedef void (*gossip_pool_cb)(struct gossip_pool *p);

struct gossip_pool_join;   /* pool_join.c: one join in flight */
struct pending_bcast;	   /* pool.c */
struct pool_keyring_state; /* pool_keyring.c */

/* Private to pool*.c; public so the caller owns the memory. */
struct gossip_pool {
	uv_loop_t *loop;
	enum keyring_pool which;
	struct gossip_transport t;
	struct serf *serf;
	struct keyring keyring;
	char keyring_path[KEYRING_ERR_MAX]; /* "" : not saved */
	struct serf_snapshot *snap;	    /* NULL without data_dir */
	struct serf_snapshot_replay replay; /* what the last run left */
	uv_timer_t timer;		    /* serf_tick */
	uv_timer_t bcast_timer;		    /* flushes bcasts outside the core */
	struct pending_bcast *bcasts;	    /* serf broadcasts waiting for the flush */
	struct pending_bcast **bcast_tail;
	uint64_t rng;
	void *ud;
	void (*member_event)(void *ud, struct gossip_pool *p, enum serf_event_type t,
			     const struct serf_member *m);
	void (*user_event)(void *ud, struct gossip_pool *p, const struct event *e);
	struct gossip_pool_join *joins; /* in flight */
	struct pool_keyring_state *kq;	/* keyring operations (pool_keyring.h), NULL until used */
	gossip_pool_cb leave_cb, close_cb;
	bool started, leaving, closing;
	size_t resolving; /* name resolutions in flight */
	int refs;	  /* handles, transport and resolutions whose close is pending */
};

/* Sets up the keyring, replays the snapshot, binds and starts gossiping
 * alone. 0, or -1 with a message in err; release with gossip_pool_close
 * either way. */
int gossip_pool_start(struct gossip_pool *p, uv_loop_t *loop, const struct gossip_pool_config *c,
		      struct buf *err);

/* Join through each address (resolving names). cb(joined, err) once all
 * have answered: joined counts the successes, err is the last failure's
 * text ("" when none). Returns 0, or -1 when nothing could start (cb is
 * then not called). ignore_old: events fired before the join are not
 * delivered (Consul's default; -replay turns it off). */
int gossip_pool_join(struct gossip_pool *p, const char *const *addrs, size_t n, bool ignore_old,
		     gossip_pool_join_cb cb, void *data);

/* Join the members the snapshot remembers, unless the last run left
 * gracefully and !rejoin_after_leave. Returns how many addresses were
 * tried (0: nothing to do). */
int gossip_pool_rejoin(struct gossip_pool *p, bool rejoin_after_leave, gossip_pool_join_cb cb,
		       void *data);

/* Graceful leave: serf leave intent, "leave" in the snapshot, the core's
 * left message, then cb after it went out or drain_ms. */
int gossip_pool_leave(struct gossip_pool *p, uint64_t drain_ms, gossip_pool_cb cb);

int gossip_pool_force_leave(struct gossip_pool *p, const char *name, bool prune);
int gossip_pool_fire(struct gossip_pool *p, struct event *e);

/* Save the keyring after a keyring_* change (no-op without a file). */
int gossip_pool_keyring_save(struct gossip_pool *p, char *err);

/* Stop everything; cb once all handles closed (then the memory is free). */
void gossip_pool_close(struct gossip_pool *p, gossip_pool_cb cb);

/* The member list (serf) and the core's view. */
const struct serf *gossip_pool_serf(const struct gossip_pool *p);
/* Our network coordinate and the last one heard from each peer. */
const struct vivaldi *gossip_pool_vivaldi(const struct gossip_pool *p);
/* The coordinate of a member by name (ours included), or NULL. */
const struct vivaldi_coord *gossip_pool_coord(const struct gossip_pool *p, const char *name);
/* Moves whenever a coordinate was updated (X-Consul-Index of coordinate reads). */
uint64_t gossip_pool_coord_updates(const struct gossip_pool *p);

#endif
