/*
 * Servers finding each other (servers.h): bootstrap_expect and the leader's
 * Raft membership changes.
 */
#include "agent/servers.h"

#include "agent/identity.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "gossip/servers.h"
#include "rpc/client.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG	    "agent.server"
#define PERIOD_MS   5000 /* re-check even without events (failed promotions...) */
#define ASK_MS	    3000 /* the peers question's deadline */
#define MAX_SERVERS 64

static void arm(struct servers *s, uint64_t ms);

/* The servers of our datacenter that gossip knows, self included. */
static size_t gather(const struct servers *s, struct server *out, size_t cap, bool alive_only)
{
	struct gossip_server gs[MAX_SERVERS];
	size_t n = gossip_servers(s->lan, s->cfg->datacenter, alive_only, gs,
				  cap < MAX_SERVERS ? cap : MAX_SERVERS);
	for (size_t i = 0; i < n; i++) {
		struct server *sv = &out[i];
		sv->id = consensus_server_id(gs[i].id);
		snprintf(sv->address, sizeof(sv->address), "%s", gs[i].rpc);
		snprintf(sv->name, sizeof(sv->name), "%s", gs[i].m->name);
		sv->status = gs[i].m->status;
		sv->bootstrap = gs[i].bootstrap;
		sv->since = gs[i].m->since;
	}
	return n;
}

static int by_id(const void *a, const void *b)
{
	uint64_t x = ((const struct server *)a)->id, y = ((const struct server *)b)->id;
	return x < y ? -1 : x > y;
}

/* ---- bootstrap_expect ---- */

static void start_raft(struct servers *s, const struct server *sv, size_t n)
{
	struct consensus_server cs[MAX_SERVERS];
	for (size_t i = 0; i < n; i++)
		cs[i] = (struct consensus_server){sv[i].id, sv[i].address};
	struct buf err = BUF_INIT;
	if (n)
		log_info(LOG, "found expected number of peers, attempting bootstrap: peers=%zu", n);
	else
		log_info(LOG, "existing Raft peers reported by a server, disabling bootstrap mode");
	if (consensus_bootstrap_start(s->cons, cs, n, &err))
		log_error(LOG, "failed to start Raft: %s", buf_cstr(&err));
	buf_free(&err);
}

struct ask {
	struct servers *s;
};

/* A server answered its Raft peers (a JSON array of "ip:port"). Empty: it
 * waits as we do. Listing us: it bootstrapped a moment ago with the same
 * servers, so we bootstrap that exact configuration too (same voters, same
 * cluster). Not listing us: a cluster exists without us; we start empty and
 * its leader adds us. */
static void note_peers(struct servers *s, const char *body, size_t len)
{
	json_t *v = json_loadb(body, len, 0, NULL);
	size_t n = json_array_size(v);
	if (n) {
		char self[96] = "";
		struct server sv[MAX_SERVERS];
		size_t ns = gather(s, sv, MAX_SERVERS, false);
		for (size_t i = 0; i < ns; i++)
			if (strcmp(sv[i].name, s->cfg->node_name) == 0)
				snprintf(self, sizeof(self), "%s", sv[i].address);
		bool listed = false;
		free(s->peers);
		s->peers = xcalloc(n, sizeof(*s->peers));
		s->npeers = 0;
		for (size_t i = 0; i < n; i++) {
			const char *a = json_string_value(json_array_get(v, i));
			if (a && strcmp(a, self) == 0)
				listed = true;
			for (size_t k = 0; a && k < ns; k++)
				if (strcmp(sv[k].address, a) == 0)
					s->peers[s->npeers++] = sv[k];
		}
		if (!listed || s->npeers != n) {
			s->has_peers = true; /* start empty: the leader adds us */
			s->npeers = 0;
		} else if (!s->join_bootstrap) {
			s->join_bootstrap = true; /* bootstrap s->peers */
		}
	}
	json_decref(v);
}

static void asked(void *data, int status, const struct rpc_frame *reply)
{
	struct ask *a = data;
	struct servers *s = a->s;
	free(a);
	if (!s || s->closing)
		return;
	struct rpc_http_reply r;
	if (status == 0 && reply->type == RPC_HTTP_REPLY &&
	    rpc_http_reply_decode(reply->payload, reply->len, &r) == 0 && r.status == 200) {
		s->answers++;
		note_peers(s, r.body, r.blen);
	}
	if (--s->pending > 0)
		return;
	s->asking = false;
	/* everyone answered: decide now; else ask again a little later */
	arm(s, s->answers >= s->asked ? 0 : 1000);
}

static void maybe_bootstrap(struct servers *s)
{
	int expect = s->cfg->bootstrap_expect;
	struct server sv[MAX_SERVERS];
	size_t n = gather(s, sv, MAX_SERVERS, true);
	if ((int)n < expect || s->asking)
		return;
	if (s->has_peers) {
		start_raft(s, NULL, 0);
		return;
	}
	if (s->join_bootstrap) {
		start_raft(s, s->peers, s->npeers);
		return;
	}
	if (s->asked == (int)n - 1 && s->answers == s->asked) {
		qsort(sv, n, sizeof(sv[0]), by_id);
		start_raft(s, sv, n);
		return;
	}
	/* ask every other server whether it already has Raft peers */
	static const char q[] = "GET /v1/status/peers?stale HTTP/1.1\r\n"
				"X-Cairn-Forwarded: 2\r\nContent-Length: 0\r\n\r\n";
	s->asking = true;
	s->answers = 0;
	s->asked = (int)n - 1;
	s->pending = 1; /* ours, dropped below */
	for (size_t i = 0; i < n; i++) {
		if (strcmp(sv[i].name, s->cfg->node_name) == 0)
			continue;
		struct ask *a = xcalloc(1, sizeof(*a));
		a->s = s;
		if (rpc_call(s->rpc, sv[i].address, RPC_HTTP, q, sizeof(q) - 1, ASK_MS, asked, a))
			s->pending++;
		else
			free(a);
	}
	if (--s->pending == 0) {
		s->asking = false;
		arm(s, 1000);
	}
}

/* ---- the leader's membership changes ---- */

static void changed(void *data, int status)
{
	struct servers *s = data;
	if (s->closing)
		return;
	arm(s, status ? 1000 : 0);
}

/* Consul's guard: a server that bootstrapped itself (bootstrap tag) while
 * another server did too runs its own cluster; adding it would merge two
 * Raft histories, so it is left out with Consul's error. */
static bool two_bootstraps(const struct server *all, size_t n, const struct server *cand)
{
	if (!cand->bootstrap)
		return false;
	for (size_t i = 0; i < n; i++)
		if (&all[i] != cand && all[i].bootstrap) {
			log_error(LOG,
				  "Two nodes are in bootstrap mode. Only one node should be in "
				  "bootstrap mode, not adding Raft peer: node=%s other=%s",
				  cand->name, all[i].name);
			return true;
		}
	return false;
}

static bool in_config(const struct consensus_member *cm, size_t n, uint64_t id, bool voter)
{
	for (size_t i = 0; i < n; i++)
		if (cm[i].id == id)
			return !voter || cm[i].role == CONSENSUS_VOTER;
	return false;
}

/* Autopilot's ServerStabilizationTime: a new server votes only once it has
 * been alive that long; until then the timer is set for when it will be. */
static bool stable(struct servers *s, const struct server *sv)
{
	struct autopilot_config ap;
	consensus_autopilot(s->cons, &ap);
	uint64_t need = ap.server_stabilization_time_ns / 1000000, now = uv_now(s->loop);
	uint64_t since = sv->since < now ? now - sv->since : 0;
	if (since >= need)
		return true;
	arm(s, need - since);
	return false;
}

/* Autopilot's CleanupDeadServers: a failed server leaves the configuration
 * when the voters left keep a healthy majority and at least MinQuorum
 * (raft-autopilot's rule), so a dead server stops counting toward quorum. */
static bool may_prune(const struct servers *s, const struct consensus_member *cm, size_t ncm,
		      const struct server *sv, size_t n)
{
	struct autopilot_config ap;
	consensus_autopilot(s->cons, &ap);
	if (!ap.cleanup_dead_servers)
		return false;
	size_t voters = 0, healthy = 0;
	for (size_t k = 0; k < ncm; k++) {
		if (cm[k].role != CONSENSUS_VOTER)
			continue;
		voters++;
		for (size_t i = 0; i < n; i++)
			if (sv[i].id == cm[k].id && sv[i].status == SERF_ALIVE)
				healthy++;
	}
	size_t after = voters - 1;
	return voters > 1 && after >= ap.min_quorum && healthy > after / 2;
}

static void reconcile_servers(struct servers *s)
{
	if (consensus_changing(s->cons))
		return;
	const struct consensus_member *cm;
	size_t ncm = consensus_configuration(s->cons, &cm);
	struct server sv[MAX_SERVERS];
	size_t n = gather(s, sv, MAX_SERVERS, false);
	for (size_t i = 0; i < n; i++) {
		if (sv[i].status == SERF_ALIVE && !in_config(cm, ncm, sv[i].id, false) &&
		    !two_bootstraps(sv, n, &sv[i])) {
			log_info(LOG, "adding server to the Raft configuration: %s (%s)",
				 sv[i].name, sv[i].address);
			consensus_add_nonvoter(s->cons, sv[i].id, sv[i].address, changed, s);
			return;
		}
		if (sv[i].status == SERF_ALIVE && in_config(cm, ncm, sv[i].id, false) &&
		    !in_config(cm, ncm, sv[i].id, true) && stable(s, &sv[i])) {
			log_info(LOG, "autopilot: promoting server to voter: %s", sv[i].name);
			consensus_promote(s->cons, sv[i].id, changed, s);
			return;
		}
		if (sv[i].status == SERF_LEFT && in_config(cm, ncm, sv[i].id, false) &&
		    strcmp(sv[i].name, s->cfg->node_name) != 0) {
			log_info(LOG, "removing server that left: %s", sv[i].name);
			consensus_remove_server(s->cons, sv[i].id, changed, s);
			return;
		}
		if (sv[i].status == SERF_FAILED && in_config(cm, ncm, sv[i].id, false) &&
		    may_prune(s, cm, ncm, sv, n)) {
			log_info(LOG, "autopilot: removing dead server: %s", sv[i].name);
			consensus_remove_server(s->cons, sv[i].id, changed, s);
			return;
		}
	}
}

/* ---- driving ---- */

static void tick(uv_timer_t *t)
{
	struct servers *s = t->data;
	if (s->closing)
		return;
	if (!consensus_started(s->cons))
		maybe_bootstrap(s);
	else if (consensus_is_leader(s->cons))
		reconcile_servers(s);
	if (!s->closing && !uv_is_active((uv_handle_t *)&s->timer))
		arm(s, PERIOD_MS);
}

static void arm(struct servers *s, uint64_t ms)
{
	if (s->started && !s->closing)
		uv_timer_start(&s->timer, tick, ms, 0);
}

void servers_start(struct servers *s, uv_loop_t *loop, struct consensus *cons,
		   struct gossip_pool *lan, const struct config *cfg, struct rpc_client *rpc)
{
	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->cons = cons;
	s->lan = lan;
	s->cfg = cfg;
	s->rpc = rpc;
	uv_timer_init(loop, &s->timer);
	s->timer.data = s;
	s->started = true;
	arm(s, 0);
}

void servers_poke(struct servers *s)
{
	arm(s, 50);
}

void servers_close(struct servers *s)
{
	free(s->peers);
	s->peers = NULL;
	if (!s->started || s->closing)
		return;
	s->closing = true;
	uv_close((uv_handle_t *)&s->timer, NULL);
}
