/*
 * The agent's gossip pools (agent/gossip.h): configuration into a pool,
 * start-up joins, retry-join, the servers' WAN flood join, and the
 * user-event ring.
 */
#include "agent/gossip.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "base/version.h"
#include "local/local.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG	 "agent"
#define FLOOD_MS 60000 /* Consul's SerfFloodInterval */

static uint64_t ns_ms(int64_t ns)
{
	return ns > 0 ? (uint64_t)ns / 1000000u : 0;
}

/* gossip_lan / gossip_wan on top of memberlist's defaults (keys that are set). */
static void tuning(const struct config *c, bool wan, struct memberlist_config *ml)
{
	const struct config_gossip *g = wan ? &c->gossip_wan : &c->gossip_lan;
	if (wan)
		memberlist_config_wan(ml);
	else
		memberlist_config_lan(ml);
	if (g->gossip_nodes > 0)
		ml->gossip_nodes = g->gossip_nodes;
	if (g->gossip_interval > 0)
		ml->gossip_interval = ns_ms(g->gossip_interval);
	if (g->probe_interval > 0)
		ml->probe_interval = ns_ms(g->probe_interval);
	if (g->probe_timeout > 0)
		ml->probe_timeout = ns_ms(g->probe_timeout);
	if (g->suspicion_mult > 0)
		ml->suspicion_mult = g->suspicion_mult;
	if (g->retransmit_mult > 0)
		ml->retransmit_mult = g->retransmit_mult;
	if (c->encrypt && *c->encrypt)
		ml->packet_budget -= GCRYPT_OVERHEAD; /* the seal must fit in a datagram */
}

/* Consul's serf tags for this agent. */
static void own_tags(const struct config *c, const char *node_id, bool wan, struct tags *t)
{
	char build[64];
	snprintf(build, sizeof(build), "%s:cairn", CAIRN_CONSUL_VERSION);
	struct consul_tags ct = {
	    .role = c->server ? CONSUL_ROLE_SERVER : CONSUL_ROLE_CLIENT,
	    .dc = c->datacenter,
	    .segment = "",
	    .id = node_id,
	    .build = build,
	    .vsn = 2,
	    .vsn_min = 2,
	    .vsn_max = 3,
	    .raft_vsn = c->server ? 3 : -1,
	    .port = c->server ? c->ports.server : -1,
	    .wan_join_port = c->server ? c->ports.serf_wan : -1,
	    .expect = c->server && c->bootstrap_expect > 1 ? c->bootstrap_expect : -1,
	    .bootstrap = c->server && c->bootstrap,
	};
	if (wan) /* the WAN pool only needs to find servers and their RPC port */
		ct.wan_join_port = ct.expect = -1;
	consul_tags_put(&ct, t);
}

/* ---- user events ---- */

struct svc_iter {
	const struct local_service **svcs;
	size_t n;
};

static bool next_service(void *ctx, size_t i, struct event_service *out)
{
	struct svc_iter *it = ctx;
	if (i >= it->n)
		return false;
	const struct service_def *d = &it->svcs[i]->def;
	*out = (struct event_service){d->id, d->name, (const char *const *)d->tags, d->n_tags};
	return true;
}

static void on_user_event(void *ud, struct gossip_pool *p, const struct event *e)
{
	(void)p;
	struct agent_gossip *g = ud;
	if (strcmp(e->name, "_rexec") == 0) {
		/* Consul's remote exec events never reach the event list; running
		 * them (disable_remote_exec = false) is not built */
		log_debug(LOG, "ignoring remote exec event, disabled.");
		return;
	}
	struct svc_iter it = {NULL, 0};
	if (g->local)
		it.n = local_services(g->local, &it.svcs); /* the array is ours to free */
	bool match = event_match_local(e, g->cfg->node_name, next_service, &it);
	free(it.svcs);
	if (!match) {
		log_debug(LOG, "user event %s does not match this node's filters", e->name);
		return;
	}
	log_debug(LOG, "new user event: %s", e->name);
	event_ring_add(&g->events, e);
	store_watch_touch(g->store, TABLE_EVENTS, e->name);
}

/* ---- WAN flood join ---- */

static void flood_joined(struct gossip_pool *p, int joined, const char *err, void *data)
{
	(void)p;
	char *addr = data;
	if (joined > 0)
		log_debug(LOG, "Successfully performed flood-join for server at address: %s", addr);
	else
		log_debug(LOG, "Failed to flood-join server at address: %s: %s", addr, err);
	free(addr);
}

/* Consul's FloodJoins: every alive server of our datacenter in the LAN pool
 * that advertises a WAN join port and is not in our WAN pool yet is joined
 * there (its LAN address, that port), so one server's -join-wan brings all
 * of its datacenter's servers into the WAN pool. On LAN events about a
 * server and every FLOOD_MS. */
static void wan_flood(struct agent_gossip *g)
{
	if (!g->wan.started || g->wan.leaving || g->lan.leaving)
		return;
	const struct serf *lan = gossip_pool_serf(&g->lan.pool);
	const struct serf *wan = gossip_pool_serf(&g->wan.pool);
	const char *dc = g->cfg->datacenter;
	for (size_t i = 0, n = lan ? serf_count(lan) : 0; i < n; i++) {
		const struct serf_member *m = serf_at(lan, i);
		const char *role = tags_get(&m->tags, "role");
		const char *mdc = tags_get(&m->tags, "dc");
		const char *port = tags_get(&m->tags, "wan_join_port");
		if (m->status != SERF_ALIVE || !role || strcmp(role, "consul") || !mdc ||
		    strcmp(mdc, dc) || !port || atoi(port) <= 0 ||
		    strcmp(m->name, g->cfg->node_name) == 0)
			continue;
		char wname[2 * GOSSIP_NAME_MAX + 2];
		snprintf(wname, sizeof(wname), "%s.%s", m->name, dc);
		if (serf_find(wan, wname))
			continue;
		char ip[INET6_ADDRSTRLEN] = "", addr[INET6_ADDRSTRLEN + 16];
		inet_ntop(m->addr.family == 6 ? AF_INET6 : AF_INET, m->addr.ip, ip, sizeof(ip));
		snprintf(addr, sizeof(addr), m->addr.family == 6 ? "[%s]:%s" : "%s:%s", ip, port);
		const char *one[1] = {addr};
		char *copy = xstrdup(addr);
		if (gossip_pool_join(&g->wan.pool, one, 1, true, flood_joined, copy))
			free(copy);
	}
}

static void flood_tick(uv_timer_t *t)
{
	wan_flood(t->data);
}

static void on_member_event(void *ud, struct gossip_pool *p, enum serf_event_type t,
			    const struct serf_member *m)
{
	(void)p;
	(void)t;
	struct agent_gossip *g = ud;
	if (g->members_changed)
		g->members_changed(g->ud);
	const char *role = m ? tags_get(&m->tags, "role") : NULL;
	if (role && strcmp(role, "consul") == 0) /* a server came or changed (as Consul) */
		wan_flood(g);
}

/* ---- joins ---- */

static struct agent_pool *of_pool(struct gossip_pool *p)
{
	return (struct agent_pool *)((char *)p - offsetof(struct agent_pool, pool));
}

static void retry_tick(uv_timer_t *t);

static void retry_joined(struct gossip_pool *p, int joined, const char *err, void *data)
{
	(void)data;
	struct agent_pool *ap = of_pool(p);
	struct agent_gossip *g = ap->g;
	if (joined > 0) {
		log_info(LOG,
			 "Join cluster completed. Synced with initial agents: cluster=%s "
			 "num_agents=%d",
			 ap->label, joined);
		return;
	}
	ap->retry_attempts++;
	if (ap->retry_max > 0 && ap->retry_attempts >= ap->retry_max) {
		log_error(LOG, "max join %s retry exhausted, exiting", ap->label);
		if (g->fatal)
			g->fatal(g->ud, "max join retry exhausted");
		return;
	}
	uint64_t wait = ap->retry_interval_ms ? ap->retry_interval_ms : 30000;
	log_warn(LOG,
		 "Join cluster failed, will retry: cluster=%s retry_interval=%llums "
		 "error=\"%s\"",
		 ap->label, (unsigned long long)wait, err);
	uv_timer_start(&ap->retry_timer, retry_tick, wait, 0);
}

static void retry_tick(uv_timer_t *t)
{
	struct agent_pool *ap = t->data;
	log_info(LOG, "Joining cluster...: cluster=%s", ap->label);
	if (gossip_pool_join(&ap->pool, (const char *const *)ap->retry->items, ap->retry->len, true,
			     retry_joined, NULL))
		retry_joined(&ap->pool, 0, "cannot join now", NULL);
}

static void start_joined(struct gossip_pool *p, int joined, const char *err, void *data)
{
	(void)data;
	struct agent_pool *ap = of_pool(p);
	if (joined > 0) {
		log_info(LOG, "Join %s completed. Synced with %d initial agents", ap->label,
			 joined);
		return;
	}
	log_error(LOG, "Failed to join %s: %s", ap->label, err);
	if (ap->g->fatal)
		ap->g->fatal(ap->g->ud, err);
}

static void rejoined(struct gossip_pool *p, int joined, const char *err, void *data)
{
	(void)data;
	struct agent_pool *ap = of_pool(p);
	if (joined > 0)
		log_info(LOG, "Rejoined %d previously known %s nodes", joined, ap->label);
	else
		log_warn(LOG, "Failed to rejoin previously known %s nodes: %s", ap->label, err);
}

static void start_joins(struct agent_pool *ap, const struct strlist *start)
{
	struct gossip_pool *p = &ap->pool;
	gossip_pool_rejoin(p, ap->g->cfg->rejoin_after_leave, rejoined, NULL);
	if (start->len && gossip_pool_join(p, (const char *const *)start->items, start->len, true,
					   start_joined, NULL))
		start_joined(p, 0, "cannot join now", NULL);
	if (ap->retry->len) {
		uv_timer_init(ap->g->loop, &ap->retry_timer);
		ap->retry_timer.data = ap;
		ap->retry_started = true;
		uv_timer_start(&ap->retry_timer, retry_tick, 0, 0);
	}
}

/* ---- start, leave, close ---- */

static int start_pool(struct agent_gossip *g, struct agent_pool *ap, bool wan,
		      const struct agent_gossip_opts *o, struct buf *err)
{
	const struct config *c = o->cfg;
	ap->g = g;
	ap->label = wan ? "WAN" : "LAN";
	ap->retry = wan ? &c->retry_join_wan : &c->retry_join;
	ap->retry_max = wan ? c->retry_max_wan : c->retry_max;
	ap->retry_interval_ms = ns_ms(wan ? c->retry_interval_wan : c->retry_interval);
	int port = wan ? c->ports.serf_wan : c->ports.serf_lan;
	if (port <= 0 || port > 65535) {
		if (!wan) {
			buf_printf(err, "ports.serf_lan must be a port; the LAN gossip pool is "
					"required");
			return -1;
		}
		return 0; /* ports.serf_wan = -1 turns the WAN pool off, as Consul */
	}
	const char *bind = wan ? c->serf_wan : c->serf_lan;
	if (!bind || !*bind)
		bind = c->bind_addr && *c->bind_addr ? c->bind_addr : "0.0.0.0";
	const char *adv = o->advertise;
	if (wan && c->advertise_addr_wan && *c->advertise_addr_wan)
		adv = c->advertise_addr_wan;
	char name[GOSSIP_NAME_MAX + 1];
	snprintf(name, sizeof(name), wan ? "%s.%s" : "%s", c->node_name, c->datacenter);
	struct tags tags = TAGS_INIT;
	own_tags(c, o->node_id, wan, &tags);
	struct gossip_pool_config pc = {
	    .which = wan ? KEYRING_WAN : KEYRING_LAN,
	    .data_dir = o->data_dir,
	    .node_name = name,
	    .bind_ip = bind,
	    .port = (uint16_t)port,
	    .advertise_ip = adv,
	    .tags = &tags,
	    .encrypt = c->encrypt,
	    .disable_keyring_file = c->disable_keyring_file,
	    .verify_incoming = c->encrypt_verify_incoming,
	    .verify_outgoing = c->encrypt_verify_outgoing,
	    .ud = g,
	    .user_event = wan ? NULL : on_user_event, /* Consul's events are LAN-wide */
	    .member_event = wan ? NULL : on_member_event,
	};
	tuning(c, wan, &pc.ml);
	serf_config_default(&pc.serf);
	int64_t rt = wan				  ? c->reconnect_timeout_wan
		     : c->advertise_reconnect_timeout > 0 ? c->advertise_reconnect_timeout
							  : c->reconnect_timeout;
	if (rt > 0)
		pc.serf.reconnect_timeout = ns_ms(rt);
	ap->started = true;
	int rc = gossip_pool_start(&ap->pool, g->loop, &pc, err);
	tags_free(&tags);
	if (rc)
		return -1;
	start_joins(ap, wan ? &c->join_wan : &c->start_join);
	return 0;
}

int agent_gossip_start(struct agent_gossip *g, const struct agent_gossip_opts *o, struct buf *err)
{
	memset(g, 0, sizeof(*g));
	g->loop = o->loop;
	g->cfg = o->cfg;
	g->store = o->store;
	g->local = o->local;
	g->fatal = o->fatal;
	g->members_changed = o->members_changed;
	g->ud = o->ud;
	event_ring_init(&g->events);
	if (start_pool(g, &g->lan, false, o, err))
		return -1;
	if (o->cfg->server && start_pool(g, &g->wan, true, o, err))
		return -1;
	if (g->wan.started) {
		uv_timer_init(g->loop, &g->flood_timer);
		g->flood_timer.data = g;
		g->flood_started = true;
		uv_timer_start(&g->flood_timer, flood_tick, FLOOD_MS, FLOOD_MS);
	}
	return 0;
}

static void pool_left(struct gossip_pool *p)
{
	struct agent_gossip *g = of_pool(p)->g;
	if (--g->leaves > 0)
		return;
	log_info(LOG, "Graceful leave complete");
	agent_gossip_cb cb = g->leave_cb;
	g->leave_cb = NULL;
	if (cb)
		cb(g);
}

static void leave_pool(struct agent_gossip *g, struct agent_pool *ap)
{
	if (ap->retry_started)
		uv_timer_stop(&ap->retry_timer);
	if (!ap->started)
		return;
	uint64_t drain = ns_ms(g->cfg->leave_drain_time);
	log_info(LOG, "Gracefully leaving the %s pool", ap->label);
	g->leaves++;
	if (gossip_pool_leave(&ap->pool, drain ? drain : 5000, pool_left))
		g->leaves--;
}

void agent_gossip_leave(struct agent_gossip *g, agent_gossip_cb cb)
{
	if (g->flood_started)
		uv_timer_stop(&g->flood_timer);
	g->leave_cb = cb;
	g->leaves = 1; /* ours, dropped below: cb runs once every pool left */
	leave_pool(g, &g->wan);
	leave_pool(g, &g->lan);
	pool_left(&g->lan.pool);
}

static void close_done(struct agent_gossip *g)
{
	if (--g->closes > 0)
		return;
	event_ring_free(&g->events);
	agent_gossip_cb cb = g->close_cb;
	if (cb)
		cb(g);
}

static void pool_closed(struct gossip_pool *p)
{
	struct agent_pool *ap = of_pool(p);
	ap->started = false;
	close_done(ap->g);
}

static void retry_closed(uv_handle_t *h)
{
	struct agent_pool *ap = h->data;
	ap->retry_started = false;
	if (ap->started)
		gossip_pool_close(&ap->pool, pool_closed);
	else
		pool_closed(&ap->pool);
}

static void close_pool(struct agent_gossip *g, struct agent_pool *ap)
{
	ap->g = g;
	g->closes++;
	if (ap->retry_started)
		uv_close((uv_handle_t *)&ap->retry_timer, retry_closed);
	else if (ap->started)
		gossip_pool_close(&ap->pool, pool_closed);
	else
		pool_closed(&ap->pool);
}

static void flood_closed(uv_handle_t *h)
{
	close_done(h->data);
}

void agent_gossip_close(struct agent_gossip *g, agent_gossip_cb cb)
{
	g->close_cb = cb;
	g->leave_cb = NULL;
	g->closes = 1; /* ours, dropped below */
	if (g->flood_started) {
		g->flood_started = false;
		g->closes++;
		uv_close((uv_handle_t *)&g->flood_timer, flood_closed);
	}
	close_pool(g, &g->wan);
	close_pool(g, &g->lan);
	close_done(g);
}
