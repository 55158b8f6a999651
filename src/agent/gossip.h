/*
 * The agent's gossip: its LAN pool (gossip/pool.h) configured from the
 * agent's config, the joins Consul performs at start, and what the agent
 * keeps from gossip (the user events /v1/event/list serves).
 *
 * Start-up, as Consul's agent:
 *   - tags from the config (role, dc, id, build, vsn, port for servers,
 *     expect/bootstrap when set), bound on serf_lan (or bind_addr) port
 *     ports.serf_lan, advertising the agent's LAN address;
 *   - servers also join the WAN pool: member name "<node>.<dc>", serf_wan
 *     (or bind_addr) port ports.serf_wan, advertise_addr_wan, gossip_wan
 *     tuning, join_wan / retry_join_wan;
 *   - the previous run's members are rejoined (the pool's snapshot) unless
 *     it left gracefully and rejoin_after_leave is off;
 *   - start_join (-join) once: if none of its addresses answer, the agent
 *     stops with an error;
 *   - retry_join (-retry-join) every retry_interval until one join works, or
 *     retry_max attempts failed (then the agent stops with an error); the
 *     same for the WAN pool with the _wan settings;
 *   - servers flood-join (Consul's FloodJoins): on every LAN event about a
 *     server and every 60 s, each alive server of our datacenter seen on the
 *     LAN that advertises a wan_join_port and is not in our WAN pool is
 *     joined there, so one server's -join-wan brings its whole datacenter in.
 *
 * User events that pass Consul's filters for this node (event_match_local:
 * node name, local services and tags) go into the ring of the last 256 and
 * wake blocked /v1/event/list readers through the store's TABLE_EVENTS
 * watchers. Loop thread only.
 */
#ifndef CAIRN_AGENT_GOSSIP_H
#define CAIRN_AGENT_GOSSIP_H

#include "base/buf.h"
#include "config/config.h"
#include "gossip/events.h"
#include "gossip/pool.h"
#include "state/store.h"

#include <uv.h>

#include <stdbool.h>

struct local_state;
struct agent_gossip;

typedef void (*agent_gossip_cb)(struct agent_gossip *g);

/* One pool with its start-up joins and retry-join timer. */
struct agent_pool {
	struct gossip_pool pool;
	struct agent_gossip *g;
	const char *label;	     /* "LAN" or "WAN" */
	bool started;		     /* pool must be closed */
	const struct strlist *retry; /* retry_join or retry_join_wan */
	int retry_max;
	uint64_t retry_interval_ms;
	uv_timer_t retry_timer;
	bool retry_started;
	int retry_attempts;
	bool leaving;
};

struct agent_gossip {
	struct agent_pool lan;
	struct agent_pool wan; /* servers only (wan.started) */
	uv_loop_t *loop;
	const struct config *cfg; /* the agent's (reloads replace it in place) */
	struct store *store;	  /* TABLE_EVENTS watchers */
	struct local_state *local;
	struct event_ring events; /* what /v1/event/list serves */
	/* the agent stops with this message (failed -join, retry_max) */
	void (*fatal)(void *ud, const char *msg);
	void (*members_changed)(void *ud); /* a LAN member event (leader reconcile) */
	void *ud;
	uv_timer_t flood_timer; /* servers: the periodic WAN flood join */
	bool flood_started;
	int leaves, closes; /* pools still leaving / closing (and the timer) */
	agent_gossip_cb leave_cb, close_cb;
};

struct agent_gossip_opts {
	uv_loop_t *loop;
	const struct config *cfg;
	struct store *store;
	struct local_state *local;
	const char *data_dir; /* NULL for -dev */
	const char *node_id;
	const char *advertise; /* LAN advertise IP */
	void (*fatal)(void *ud, const char *msg);
	void (*members_changed)(void *ud);
	void *ud;
};

/* 0, or -1 with err set (close it anyway). */
int agent_gossip_start(struct agent_gossip *g, const struct agent_gossip_opts *o, struct buf *err);
/* Graceful leave of every pool (leave_drain_time), then cb. */
void agent_gossip_leave(struct agent_gossip *g, agent_gossip_cb cb);
void agent_gossip_close(struct agent_gossip *g, agent_gossip_cb cb);

#endif
