/*
 * Agent boot and shutdown (see agent.h).
 *
 * Order at start: configuration (the config's watches are validated here, before
 * anything starts), logging, data dir and node ID, PID file, the state store,
 * Raft (servers) with the session TTL timers, the agent's services and checks,
 * gossip (LAN, and WAN on servers: agent/gossip.h, with the start-up joins) and
 * the leader's member reconciliation (agent/reconcile.h), the HTTP API, the DNS
 * interface, the config's watches, then the loop. A graceful leave (SIGINT on
 * clients, SIGTERM with leave_on_terminate, PUT /v1/agent/leave) first announces
 * the leave on gossip and waits for it to go out. Order at stop: stop the
 * watches (running handlers finish on their own), stop the DNS interface
 * (in-flight recursions are dropped), stop accepting HTTP (parked blocking
 * queries are cancelled), close Raft (pending writes fail), close the remaining
 * handles (session TTL timers, reconciliation, gossip pools among them), let the
 * loop drain, free the store, remove the -dev data dir and the PID file.
 *
 * A reload builds a new configuration and moves it into ag->cfg in place, so
 * whatever holds &ag->cfg (the API, the DNS view) reads the new values from
 * the next request on; nothing may keep pointers into its strings.
 *
 * Per loop iteration, a prepare handle flushes the store's fired watchers so a
 * burst of applies wakes each blocking query once (Redis's before-sleep hook),
 * and follows leadership (anti-entropy sync, session TTL timers). A one-second
 * timer refreshes gauges. Everything runs on the loop thread.
 */
#include "agent/agent.h"

#include "agent/dns_remote.h"
#include "agent/gossip.h"
#include "agent/https.h"
#include "agent/identity.h"
#include "agent/peers_json.h"
#include "agent/propose.h"
#include "agent/reconcile.h"
#include "agent/servers.h"
#include "agent/tombstone_gc.h"
#include "api/api.h"
#include "base/random.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/version.h"
#include "config/config.h"
#include "consensus/consensus.h"
#include "consensus/session_ttl.h"
#include "dns/dns.h"
#include "dns/server.h"
#include "http/http.h"
#include "agent/watches.h"
#include "local/local.h"
#include "rpc/client.h"
#include "rpc/mux.h"
#include "rpc/raft_transport.h"
#include "rpc/server.h"
#include "state/store.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct leave_waiter;

struct agent {
	uv_loop_t loop;
	int argc;
	char **argv;
	struct config cfg;
	char *data_dir; /* cfg.data_dir, or the -dev temporary dir */
	bool dev_dir;	/* data_dir is ours to remove */
	char *node_id;
	char advertise[64];
	struct store *store;
	struct consensus *cons;
	struct local_state local; /* this agent's services and checks */
	bool local_started;	  /* local was initialised (must be closed) */
	struct watches watches;	  /* the config's watches (agent/watches.h) */
	bool watches_started;	  /* watches was initialised (must be closed) */
	struct http_server *http;
	/* ports.https (agent/https.h), or NULL */
	struct http_server *https;
	struct dns_server *dns;	      /* the DNS interface, NULL when ports.dns < 0 */
	struct dns_view dns_view;     /* the store and &cfg, for dns_respond */
	struct dns_remote dns_remote; /* client agents: DNS answered by servers */
	uint64_t rng;		      /* xorshift64* state for answer shuffles */
	struct metrics *metrics;
	struct api api;
	struct tombstone_gc gc;
	bool gc_started;
	struct session_ttl ttl;			 /* session TTL timers (leader duty) */
	struct agent_gossip gossip;		 /* the LAN pool (agent/gossip.h) */
	struct reconcile reconcile;		 /* leader: gossip members into the catalog */
	struct servers servers;			 /* bootstrap_expect, Raft membership */
	struct rpc_mux *mux;			 /* port 8300: Raft and RPC (servers) */
	struct raft_uv_transport raft_transport; /* libraft over the mux */
	bool raft_transport_inited;
	struct rpc_server *rpc_server;
	struct rpc_client *rpc;		    /* calls to servers (forwarding) */
	struct http_server_config http_cfg; /* what HTTP and forwarded requests run through */
	bool leaving;			    /* a graceful leave is under way */
	bool servers_leader;		    /* leadership the servers module last heard of */
	bool ttl_started;		    /* ttl must be closed (servers) */
	struct proposer proposer;	    /* where local's catalog writes go (agent/propose.h) */
	struct leave_waiter *leave_waiter;  /* PUT /v1/agent/leave waiting for it */
	uv_prepare_t flush;
	uv_timer_t tick;
	uv_signal_t sigint, sigterm, sighup;
	bool stopping;
	bool graceful; /* stopped by a signal that leaves first */
	int exit_code;
};

static void flush_watches(uv_prepare_t *h)
{
	struct agent *ag = h->data;
	store_watch_flush(ag->store);
	/* a new leader compares this node's catalog entries at once instead of
	 * waiting for the 15 s retry after "No cluster leader" at start-up */
	if (ag->cons && consensus_poll(ag->cons) && ag->local_started &&
	    consensus_is_leader(ag->cons))
		local_sync_now(&ag->local, true);
	/* session TTL timers follow leadership (re-armed after a barrier) */
	if (ag->cons) {
		session_ttl_leadership(&ag->ttl);
		if (consensus_is_leader(ag->cons) != ag->servers_leader) {
			ag->servers_leader = !ag->servers_leader;
			servers_poke(&ag->servers);
		}
		reconcile_leadership(&ag->reconcile);
	}
}

static long rss_bytes(void)
{
	long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%*s %ld", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * sysconf(_SC_PAGESIZE);
}

static void tick(uv_timer_t *t)
{
	struct agent *ag = t->data;
	struct metrics *m = ag->metrics;
	metrics_gauge(m, M_RUNTIME_RSS, (double)rss_bytes());
	metrics_gauge(m, M_RUNTIME_UPTIME, (double)(uv_hrtime() - ag->api.start_ns) / 1e9);
	metrics_gauge(m, M_KV_ENTRIES, (double)kv_count(ag->store));
	if (ag->http)
		metrics_gauge(m, M_HTTP_CONNECTIONS, (double)http_server_conn_count(ag->http));
	if (ag->cons) {
		struct consensus_stats st;
		consensus_get_stats(ag->cons, &st);
		metrics_gauge(m, M_RAFT_LEADER, consensus_is_leader(ag->cons));
		metrics_gauge(m, M_RAFT_LAST_INDEX, (double)st.last_log_index);
		metrics_gauge(m, M_RAFT_APPLIED_INDEX, (double)st.applied_index);
		metrics_gauge(m, M_RAFT_SNAPSHOTS, (double)st.snapshots);
	}
}

/* ---- shutdown ---- */

static void close_rest(struct agent *ag)
{
	uv_close((uv_handle_t *)&ag->flush, NULL);
	uv_close((uv_handle_t *)&ag->tick, NULL);
	uv_close((uv_handle_t *)&ag->sigint, NULL);
	uv_close((uv_handle_t *)&ag->sigterm, NULL);
	uv_close((uv_handle_t *)&ag->sighup, NULL);
	if (ag->gc_started)
		tombstone_gc_close(&ag->gc);
	if (ag->ttl_started)
		session_ttl_close(&ag->ttl);
	reconcile_close(&ag->reconcile);
	servers_close(&ag->servers);
	agent_gossip_close(&ag->gossip, NULL);
	rpc_client_close(ag->rpc);
	ag->rpc = NULL;
	rpc_mux_close(ag->mux); /* Raft is closed: nothing uses port 8300 now */
	ag->mux = NULL;
}

static void consensus_closed(void *arg)
{
	struct agent *ag = arg;
	ag->cons = NULL;
	close_rest(ag);
}

static void local_closed(struct local_state *ls)
{
	struct agent *ag = (struct agent *)((char *)ls - offsetof(struct agent, local));
	ag->local_started = false;
	if (ag->cons)
		consensus_close(ag->cons, consensus_closed, ag);
	else
		close_rest(ag);
}

static void http_closed(void *arg)
{
	struct agent *ag = arg;
	ag->http = NULL;
	if (ag->local_started)
		local_close(&ag->local, local_closed);
	else
		local_closed(&ag->local);
}

static void dns_closed(void *arg)
{
	struct agent *ag = arg;
	ag->dns = NULL;
	if (ag->https) /* freed on its own; nothing waits for it */
		http_server_close(ag->https, NULL, NULL);
	ag->https = NULL;
	if (ag->http)
		http_server_close(ag->http, http_closed, ag);
	else
		http_closed(ag);
}

static void agent_stop(struct agent *ag)
{
	if (ag->stopping)
		return;
	ag->stopping = true;
	log_info("agent", "Requesting shutdown");
	rpc_server_close(ag->rpc_server); /* forwarded requests in flight are cancelled */
	ag->rpc_server = NULL;
	if (ag->watches_started)
		watches_close(&ag->watches, NULL);
	ag->watches_started = false;
	if (ag->dns)
		dns_server_close(ag->dns, dns_closed, ag);
	else
		dns_closed(ag);
}

/* ---- signals and reload ---- */

static int agent_reload(void *arg, struct buf *out)
{
	struct agent *ag = arg;
	struct config next;
	struct buf err = BUF_INIT, fixed = BUF_INIT;
	int rv = 0;
	log_info("agent", "Reloading configuration...");
	if (config_reload(ag->argc, ag->argv, &ag->cfg, &next, &fixed, &err)) {
		while (err.len && err.data[err.len - 1] == '\n') /* one line in the log */
			err.data[--err.len] = '\0';
		log_error("agent", "Failed to reload configs: %s", buf_cstr(&err));
		if (out)
			buf_append(out, err.data, err.len);
		buf_free(&err);
		buf_free(&fixed);
		return -1;
	}
	if (fixed.len)
		log_warn("agent", "changes to these options need a restart: %s", buf_cstr(&fixed));
	buf_free(&fixed);
	enum log_level level;
	if (next.log_level && log_level_parse(next.log_level, &level) == 0 &&
	    level != log_get_level()) {
		log_setup(level, ag->cfg.log_json);
		log_info("agent", "log level changed to %s", log_level_name(level));
	}
	/* non-reloadable options kept their old values in next, so the swap only
	 * changes what may change at run time; the API and the DNS view hold &ag->cfg
	 * and nothing holds pointers into its strings */
	config_free(&ag->cfg);
	ag->cfg = next;
	dns_server_config_changed(ag->dns); /* cached DNS answers used the old one */
	if (ag->local_started && local_reload(&ag->local, &ag->cfg, &err)) {
		log_error("agent", "Failed reloading services and checks: %s", buf_cstr(&err));
		if (out)
			buf_append(out, err.data, err.len);
		rv = -1;
	}
	if (rv == 0 && ag->watches_started && watches_apply(&ag->watches, &ag->cfg, &err)) {
		log_error("agent", "Failed reloading watches: %s", buf_cstr(&err));
		if (out)
			buf_printf(out, "Failed reloading watches: %s", buf_cstr(&err));
		rv = -1;
	}
	buf_free(&err);
	return rv;
}

struct leave_waiter {
	void (*done)(void *data);
	void *data;
};

static void leave_done(struct agent_gossip *g)
{
	struct agent *ag = (struct agent *)((char *)g - offsetof(struct agent, gossip));
	struct leave_waiter *w = ag->leave_waiter;
	ag->leave_waiter = NULL;
	if (w) {
		w->done(w->data);
		free(w);
	}
	agent_stop(ag);
}

/* Consul's leave: announce it on gossip, wait leave_drain_time at most, then
 * shut down. done (optional) runs once the leave went out (the HTTP reply). */
static void agent_leave(struct agent *ag, void (*done)(void *data), void *data)
{
	if (done) {
		if (ag->leaving || ag->stopping) {
			done(data);
			return;
		}
		ag->leave_waiter = xmalloc(sizeof(*ag->leave_waiter));
		*ag->leave_waiter = (struct leave_waiter){done, data};
	}
	if (ag->leaving || ag->stopping)
		return;
	ag->leaving = true;
	agent_gossip_leave(&ag->gossip, leave_done);
}

static void api_leave_hook(void *arg, void (*done)(void *data), void *data)
{
	struct agent *ag = arg;
	ag->graceful = true;
	agent_leave(ag, done, data);
}

static void members_changed(void *ud)
{
	struct agent *ag = ud;
	reconcile_soon(&ag->reconcile);
	servers_poke(&ag->servers);
}

/* A failed -join or exhausted -retry-join stops the agent with exit 1. */
static void gossip_fatal(void *ud, const char *msg)
{
	struct agent *ag = ud;
	log_error("agent", "Error starting agent: %s", msg);
	ag->exit_code = 1;
	agent_stop(ag);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct agent *ag = s->data;
	if (signum == SIGHUP) {
		log_info("agent", "Caught signal: hangup");
		agent_reload(ag, NULL);
		return;
	}
	log_info("agent", "Caught signal: %s", signum == SIGINT ? "interrupt" : "terminated");
	/* Consul: SIGINT leaves unless skip_leave_on_interrupt (servers' default),
	 * SIGTERM leaves only with leave_on_terminate (clients' default); a
	 * shutdown without a leave exits 1 */
	bool graceful = (signum == SIGINT && !ag->cfg.skip_leave_on_interrupt) ||
			(signum == SIGTERM && ag->cfg.leave_on_terminate);
	if (ag->stopping)
		return;
	if (graceful) {
		log_info("agent", "Gracefully shutting down agent...");
		ag->graceful = true;
		agent_leave(ag, NULL, NULL);
		return;
	}
	log_info("agent", "Graceful shutdown disabled. Exiting");
	ag->exit_code = 1;
	agent_stop(ag);
}

/* ---- start ---- */

/* Consul advertises the bind address, or with 0.0.0.0 the first private IPv4. */
static void pick_advertise(struct agent *ag)
{
	const struct config *c = &ag->cfg;
	const char *a = c->advertise_addr && *c->advertise_addr ? c->advertise_addr : c->bind_addr;
	if (a && *a && strcmp(a, "0.0.0.0") != 0 && strcmp(a, "::") != 0) {
		snprintf(ag->advertise, sizeof(ag->advertise), "%s", a);
		return;
	}
	snprintf(ag->advertise, sizeof(ag->advertise), "127.0.0.1");
	struct ifaddrs *ifs, *i;
	if (getifaddrs(&ifs))
		return;
	for (i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		uint32_t ip = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
		bool private = (ip >> 24) == 10 || (ip >> 20) == 0xac1 || (ip >> 16) == 0xc0a8 ||
			       (ip >> 22) == (100u << 2 | 1); /* 100.64/10 */
		if (private) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr,
				  ag->advertise, sizeof(ag->advertise));
			break;
		}
	}
	freeifaddrs(ifs);
}

static int prepare_identity(struct agent *ag, struct buf *err)
{
	const struct config *c = &ag->cfg;
	if (c->dev && (!c->data_dir || !*c->data_dir)) {
		ag->data_dir = identity_dev_dir();
		ag->dev_dir = true;
		if (!ag->data_dir) {
			buf_printf(err, "failed to create a temporary data directory");
			return -1;
		}
	} else {
		ag->data_dir = xstrdup(c->data_dir);
		int rv = identity_mkdir(ag->data_dir);
		if (rv) {
			buf_printf(err, "Error creating data dir %s: %s", ag->data_dir,
				   cairn_strerror(rv));
			return -1;
		}
	}
	/* a node ID the config generated is only a fallback: a persisted one wins */
	ag->node_id = identity_node_id(ag->data_dir, c->node_id_generated ? NULL : c->node_id, err);
	if (!ag->node_id)
		return -1;
	/* the configuration reports the ID the agent really uses */
	free(ag->cfg.node_id);
	ag->cfg.node_id = xstrdup(ag->node_id);
	return 0;
}

static int write_pid_file(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%d", (int)getpid());
	return fclose(f);
}

static int start_consensus(struct agent *ag, struct buf *err)
{
	const struct config *c = &ag->cfg;
	char dir[4096], addr[96], bind[96];
	snprintf(dir, sizeof(dir), "%s/raft", ag->data_dir);
	snprintf(addr, sizeof(addr), "%s:%d", ag->advertise, c->ports.server);
	const char *b = c->bind_addr && *c->bind_addr ? c->bind_addr : "0.0.0.0";
	snprintf(bind, sizeof(bind), "%s:%d", strcmp(b, "::") == 0 ? "0.0.0.0" : b,
		 c->ports.server);
	bool bootstrap = c->dev || c->bootstrap || c->bootstrap_expect == 1;
	/* a pristine server waiting for bootstrap_expect servers starts Raft
	 * once they are seen (agent/servers.h); one with state starts now */
	bool hold = !bootstrap && c->bootstrap_expect > 1 && consensus_pristine(dir);
	if (hold)
		log_info("agent.server", "bootstrap_expect = %d: waiting for %d servers",
			 c->bootstrap_expect, c->bootstrap_expect);
	if (rpc_mux_start(&ag->mux, &ag->loop, strcmp(b, "::") == 0 ? "0.0.0.0" : b,
			  c->ports.server, err))
		return -1;
	rpc_raft_transport_init(&ag->raft_transport, &ag->loop, ag->mux);
	ag->raft_transport_inited = true;
	struct consensus_config cc = {
	    .dir = dir,
	    .address = addr,
	    .bind = bind,
	    .id = consensus_server_id(ag->node_id),
	    .bootstrap = bootstrap,
	    .raft_multiplier = (unsigned)c->raft_multiplier,
	    .snapshot_threshold = (unsigned)c->raft_snapshot_threshold,
	    .trailing_logs = (unsigned)c->raft_trailing_logs,
	    .transport = &ag->raft_transport,
	    .hold_start = hold,
	};
	struct peers_json pj;
	if (peers_json_load(dir, &pj, err))
		return -1;
	cc.recover = pj.servers;
	cc.nrecover = pj.n;
	if (pj.n)
		cc.hold_start = false;
	int rv = consensus_start(&ag->loop, ag->store, &cc, &ag->cons, err);
	if (rv == 0 && pj.n)
		peers_json_done(dir);
	peers_json_free(&pj);
	return rv;
}

/* The agent's own services and checks: config files, then what the API
 * registered before a restart; anti-entropy keeps the catalog in step. */
static int start_local(struct agent *ag, struct buf *err)
{
	struct local_opts lo = {
	    .loop = &ag->loop,
	    .store = ag->store,
	    .cons = ag->cons,
	    .cfg = &ag->cfg,
	    .node_id = ag->node_id,
	    .advertise = ag->advertise,
	    .advertise_wan = ag->cfg.advertise_addr_wan && *ag->cfg.advertise_addr_wan
				 ? ag->cfg.advertise_addr_wan
				 : NULL,
	    .data_dir = ag->dev_dir ? NULL : ag->data_dir,
	    .propose = agent_propose,
	    .propose_ctx = &ag->proposer,
	};
	if (local_init(&ag->local, &lo, err))
		return -1;
	ag->local_started = true;
	ag->api.local = &ag->local;
	if (local_load(&ag->local, err))
		return -1;
	return local_start(&ag->local) ? (buf_printf(err, "failed to start checks"), -1) : 0;
}

static int start_gossip(struct agent *ag, struct buf *err)
{
	struct agent_gossip_opts o = {
	    .loop = &ag->loop,
	    .cfg = &ag->cfg,
	    .store = ag->store,
	    .local = &ag->local,
	    .data_dir = ag->dev_dir ? NULL : ag->data_dir,
	    .node_id = ag->node_id,
	    .advertise = ag->advertise,
	    .fatal = gossip_fatal,
	    .members_changed = members_changed,
	    .ud = ag,
	};
	if (agent_gossip_start(&ag->gossip, &o, err))
		return -1;
	if (ag->cons) {
		reconcile_start(&ag->reconcile, &ag->loop, ag->store, ag->cons,
				&ag->gossip.lan.pool, &ag->cfg);
		servers_start(&ag->servers, &ag->loop, ag->cons, &ag->gossip.lan.pool, &ag->cfg,
			      ag->rpc);
	}
	ag->api.lan = &ag->gossip.lan.pool;
	ag->api.wan = ag->gossip.wan.started ? &ag->gossip.wan.pool : NULL;
	ag->api.events = &ag->gossip.events;
	ag->api.leave = api_leave_hook;
	return 0;
}

/* client_addr may list several space-separated addresses. */
static char **split_addrs(const char *list)
{
	size_t n = 0;
	char **out = xcalloc(strlen(list) / 2 + 2, sizeof(char *));
	char *copy = xstrdup(list), *save = NULL;
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
		out[n++] = xstrdup(t);
	free(copy);
	return out;
}

static void free_addrs(char **a)
{
	for (char **p = a; *p; p++)
		free(*p);
	free(a);
}

/* unix_sockets.<key> when a non-empty string (the block's values live as long
 * as the config). */
static const char *unix_socket_key(const struct config *c, const char *key)
{
	const char *s = json_string_value(json_object_get(c->unix_sockets, key));
	return s && *s ? s : NULL;
}

/* One "Started HTTP server" line per listener, as Consul logs them. */
static void log_http_listeners(char **addrs, int port)
{
	for (char **p = addrs; *p; p++)
		if (strncmp(*p, "unix://", 7) == 0)
			log_info("agent", "Started HTTP server: address=%s network=unix", *p + 7);
		else
			log_info("agent", "Started HTTP server: address=%s:%d network=tcp", *p,
				 port);
}

/* HTTP on addresses.http, else client_addr (space-separated; IPs or unix://
 * sockets with unix_sockets' owner and mode). */
static int start_http(struct agent *ag, struct buf *err)
{
	const struct config *c = &ag->cfg;
	ag->http_cfg = (struct http_server_config){
	    .unix_user = unix_socket_key(c, "user"),
	    .unix_group = unix_socket_key(c, "group"),
	    .unix_mode = unix_socket_key(c, "mode"),
	    .max_body = 64u << 20,
	    .max_conns_per_client = (int)c->http_max_conns_per_client,
	    .idle_timeout_ms = 0,
	    .dispatch = api_dispatch,
	    .on_headers = api_on_headers,
	    .ctx = &ag->api,
	};
	/* servers answer forwarded requests through the same API, HTTP port or not */
	if (ag->mux)
		ag->rpc_server = rpc_server_start(&ag->loop, ag->mux, &ag->http_cfg, ag->cons,
						  dns_remote_serve, &ag->dns_remote);
	if (agent_https_start(&ag->loop, c, &ag->http_cfg, &ag->https, err))
		return -1;
	if (c->ports.http < 0)
		return 0;
	const char *list = "127.0.0.1";
	if (c->addresses.http && *c->addresses.http)
		list = c->addresses.http;
	else if (c->client_addr && *c->client_addr)
		list = c->client_addr;
	char **addrs = split_addrs(list);
	struct http_server_config hc = ag->http_cfg;
	hc.addrs = (const char **)addrs;
	hc.port = c->ports.http;
	int rv = http_server_start(&ag->loop, &hc, &ag->http, err);
	if (rv == 0)
		log_http_listeners(addrs, c->ports.http);
	free_addrs(addrs);
	return rv;
}

/* xorshift64* (Vigna): the answer shuffle source, seeded from getrandom. */
static uint64_t agent_rand(void *ctx)
{
	uint64_t *s = ctx;
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static void seed_rand(struct agent *ag)
{
	random_bytes(&ag->rng, sizeof(ag->rng));
	if (ag->rng == 0) /* the one state xorshift never leaves */
		ag->rng = 0x9E3779B97F4A7C15ull;
}

/* UDP and TCP on addresses.dns, else client_addr; unix sockets are HTTP only. */
static int start_dns(struct agent *ag, struct buf *err)
{
	const struct config *c = &ag->cfg;
	/* the view also answers client agents' DNS over RPC, listener or not */
	seed_rand(ag);
	ag->dns_view = (struct dns_view){
	    .store = ag->store,
	    .cfg = &ag->cfg,
	    .rand = agent_rand,
	    .rand_ctx = &ag->rng,
	    .dc_known = ag->gossip.wan.started ? dns_remote_dc_known : NULL,
	    .query_failover = ag->gossip.wan.started,
	    .dc_ctx = &ag->gossip.wan.pool,
	};
	/* a client agent's store holds no catalog: servers answer; a server asks
	 * other datacenters' servers (also for its clients' questions over RPC) */
	ag->dns_remote = (struct dns_remote){
	    .rpc = ag->rpc,
	    .lan = &ag->gossip.lan.pool,
	    .wan = ag->gossip.wan.started ? &ag->gossip.wan.pool : NULL,
	    .cfg = &ag->cfg,
	    .view = &ag->dns_view,
	};
	if (c->ports.dns < 0)
		return 0;
	const char *list = "127.0.0.1";
	if (c->addresses.dns && *c->addresses.dns)
		list = c->addresses.dns;
	else if (c->client_addr && *c->client_addr)
		list = c->client_addr;
	char **addrs = split_addrs(list);
	size_t n = 0;
	for (char **p = addrs; *p; p++) {
		if (strncmp(*p, "unix://", 7) == 0) {
			log_warn("agent", "DNS cannot listen on %s: skipped", *p);
			free(*p);
			continue;
		}
		addrs[n++] = *p;
	}
	addrs[n] = NULL;
	struct dns_server_config dc = {
	    .addrs = (const char **)addrs,
	    .port = c->ports.dns,
	    .view = &ag->dns_view,
	};
	dc.client = !ag->cons;
	dc.remote_ask = dns_remote_ask;
	dc.remote_cancel = dns_remote_cancel;
	dc.remote_ctx = &ag->dns_remote;
	int rv = n ? dns_server_start(&ag->loop, &dc, &ag->dns, err) : 0;
	free_addrs(addrs);
	return rv;
}

static void banner(struct agent *ag)
{
	const struct config *c = &ag->cfg;
	if (c->log_json)
		return; /* Consul prints no banner when every line must be JSON */
	printf("==> Starting Consul agent...\n"
	       "               Version: '%s'\n"
	       "            Build Date: '%s'\n"
	       "               Node ID: '%s'\n"
	       "             Node name: '%s'\n"
	       "            Datacenter: '%s' (Segment: '%s')\n"
	       "                Server: %s (Bootstrap: %s)\n"
	       "           Client Addr: [%s] (HTTP: %d, HTTPS: %d, gRPC: %d, DNS: %d)\n"
	       "          Cluster Addr: %s (LAN: %d, WAN: %d)\n"
	       "     Gossip Encryption: %s\n"
	       "           ACL Enabled: %s\n\n"
	       "==> Log data will now stream in as it occurs:\n\n",
	       CAIRN_CONSUL_VERSION, CAIRN_BUILD_DATE, ag->node_id, c->node_name, c->datacenter,
	       c->server ? "<all>" : "", c->server ? "true" : "false",
	       (c->bootstrap || c->bootstrap_expect == 1 || c->dev) ? "true" : "false",
	       c->client_addr, c->ports.http, c->ports.https, c->ports.grpc, c->ports.dns,
	       ag->advertise, c->ports.serf_lan, c->ports.serf_wan,
	       c->encrypt && *c->encrypt ? "true" : "false", c->acl.enabled ? "true" : "false");
	fflush(stdout);
}

static void init_handles(struct agent *ag)
{
	uv_prepare_init(&ag->loop, &ag->flush);
	ag->flush.data = ag;
	uv_prepare_start(&ag->flush, flush_watches);
	uv_timer_init(&ag->loop, &ag->tick);
	ag->tick.data = ag;
	uv_timer_start(&ag->tick, tick, 0, 1000);
	uv_signal_t *sigs[] = {&ag->sigint, &ag->sigterm, &ag->sighup};
	int nums[] = {SIGINT, SIGTERM, SIGHUP};
	for (int i = 0; i < 3; i++) {
		uv_signal_init(&ag->loop, sigs[i]);
		sigs[i]->data = ag;
		uv_signal_start(sigs[i], on_signal, nums[i]);
	}
}

static int agent_start(struct agent *ag, struct buf *err)
{
	const struct config *c = &ag->cfg;
	if (watches_check(c, err)) /* before anything starts: nothing to undo */
		return -1;
	if (prepare_identity(ag, err))
		return -1;
	if (c->pid_file && *c->pid_file && write_pid_file(c->pid_file)) {
		buf_printf(err, "Could not write PID file %s", c->pid_file);
		return -1;
	}
	pick_advertise(ag);
	banner(ag);
	ag->store = store_new();
	ag->metrics = metrics_new(uv_hrtime());
	ag->api = (struct api){
	    .loop = &ag->loop,
	    .store = ag->store,
	    .cfg = &ag->cfg,
	    .metrics = ag->metrics,
	    .start_ns = uv_hrtime(),
	    .node_id = ag->node_id,
	    .advertise = ag->advertise,
	    .reload = agent_reload,
	    .agent = ag,
	};
	init_handles(ag);
	ag->rpc = rpc_client_new(&ag->loop, ag->cfg.bind_addr);
	ag->api.rpc = ag->rpc;
	/* client agents hold no Raft state: their writes and reads go to servers */
	if (c->server && start_consensus(ag, err))
		return -1;
	ag->api.cons = ag->cons;
	ag->proposer = (struct proposer){ag->cons, ag->rpc, &ag->gossip.lan.pool, &ag->cfg};
	if (start_local(ag, err))
		return -1;
	if (start_gossip(ag, err))
		return -1;
	if (ag->cons) {
		tombstone_gc_start(&ag->gc, &ag->loop, ag->store, ag->cons, TOMBSTONE_TTL_MS);
		ag->gc_started = true;
		session_ttl_start(&ag->ttl, &ag->loop, ag->store, ag->cons);
		ag->api.ttl = &ag->ttl;
		ag->ttl_started = true;
	}
	if (start_http(ag, err))
		return -1;
	if (start_dns(ag, err))
		return -1;
	if (watches_init(&ag->watches, &ag->loop))
		return -1;
	ag->watches_started = true;
	return watches_apply(&ag->watches, &ag->cfg, err);
}

static void agent_cleanup(struct agent *ag)
{
	if (ag->raft_transport_inited) /* after the loop ran libraft's close */
		rpc_raft_transport_free(&ag->raft_transport);
	if (ag->store)
		store_free(ag->store);
	metrics_free(ag->metrics);
	if (ag->cfg.pid_file && *ag->cfg.pid_file)
		unlink(ag->cfg.pid_file);
	if (ag->dev_dir && ag->data_dir)
		identity_remove_tree(ag->data_dir);
	free(ag->data_dir);
	free(ag->node_id);
	config_free(&ag->cfg);
}

int agent_main(int argc, char **argv)
{
	struct agent *ag = xcalloc(1, sizeof(*ag));
	struct buf err = BUF_INIT;
	ag->argc = argc;
	ag->argv = argv;
	signal(SIGPIPE, SIG_IGN); /* a client that went away is a write error, not a death */
	log_hold();
	if (config_load(argc, argv, &ag->cfg, &err)) {
		log_release();
		fprintf(stderr, "==> %s\n", buf_cstr(&err));
		buf_free(&err);
		free(ag);
		return 1;
	}
	enum log_level level = LOG_INFO;
	if (ag->cfg.log_level)
		log_level_parse(ag->cfg.log_level, &level);
	log_setup(level, ag->cfg.log_json);
	log_release();
	uv_loop_init(&ag->loop);
	int rc = 0;
	if (agent_start(ag, &err)) {
		fprintf(stderr, "==> %s\n", buf_cstr(&err));
		log_error("agent", "startup error: %s", buf_cstr(&err));
		rc = 1;
		if (uv_loop_alive(&ag->loop)) {
			ag->stopping = false;
			agent_stop(ag);
		}
	} else {
		log_info("agent", "Consul agent running!");
	}
	uv_run(&ag->loop, UV_RUN_DEFAULT);
	uv_loop_close(&ag->loop);
	if (rc == 0) {
		rc = ag->exit_code;
		if (ag->graceful)
			log_info("agent", "Graceful exit completed");
		log_info("agent", "shutdown complete");
	}
	agent_cleanup(ag);
	buf_free(&err);
	free(ag);
	return rc;
}
