/*
 * Leader reconciliation of gossip members into the catalog (reconcile.h).
 */
#include "agent/reconcile.h"

#include "base/alloc.h"
#include "base/log.h"
#include "consensus/catalog_ops.h"
#include "consensus/cmd.h"
#include "local/local.h"
#include "state/catalog.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG	      "agent.leader"
#define FAILED_OUTPUT "Agent not live or unreachable"

static void round_start(struct reconcile *r);

static void applied(void *data, int status, const struct txn_result *res)
{
	struct reconcile *r = data;
	const char *why = status || !res ? NULL : catalog_ops_error(res);
	if (status || why)
		log_warn(LOG, "reconcile: catalog write failed: %s",
			 why ? why : "raft apply failed");
	if (--r->inflight > 0 || r->closing)
		return;
	if (r->again) {
		r->again = false;
		reconcile_soon(r);
	}
}

static void propose(struct reconcile *r, const struct cmd *c)
{
	struct buf enc = BUF_INIT;
	cmd_encode(c, &enc);
	r->inflight++;
	if (consensus_apply(r->cons, &enc, applied, r))
		applied(r, -1, NULL);
	buf_free(&enc);
}

static void member_ip(const struct serf_member *m, char *out, size_t cap)
{
	*out = '\0';
	if (m->addr.family == 4)
		inet_ntop(AF_INET, m->addr.ip, out, (socklen_t)cap);
	else if (m->addr.family == 6)
		inet_ntop(AF_INET6, m->addr.ip, out, (socklen_t)cap);
}

/* Does the catalog already say what gossip says? */
static bool in_step(const struct reconcile *r, const struct serf_member *m, const char *ip,
		    enum cat_status want, bool server)
{
	const struct cat_node *n = catalog_node(r->store, m->name);
	if (!n || strcmp(n->address, ip) != 0)
		return false;
	const struct cat_check *c = catalog_node_check(r->store, m->name, LOCAL_SERF_CHECK_ID);
	if (!c || c->status != want)
		return false;
	return !server || catalog_node_service(r->store, m->name, "consul");
}

static void register_member(struct reconcile *r, const struct serf_member *m, const char *ip,
			    enum cat_status st, bool server)
{
	const struct cat_node *have = catalog_node(r->store, m->name);
	const char *id = tags_get(&m->tags, "id");
	struct cat_node node = {
	    .id = have ? have->id
		  : id ? id
		       : "",
	    .name = m->name,
	    .address = ip,
	    .datacenter = r->cfg->datacenter,
	};
	if (have) { /* the agent's own sync owns these */
		node.tagged = have->tagged;
		node.ntagged = have->ntagged;
		node.meta = have->meta;
		node.nmeta = have->nmeta;
	}
	struct cat_check serf = {
	    .id = LOCAL_SERF_CHECK_ID,
	    .name = LOCAL_SERF_CHECK_NAME,
	    .status = st,
	    .notes = "",
	    .output = st == CAT_PASSING ? LOCAL_SERF_ALIVE_OUTPUT : FAILED_OUTPUT,
	    .service_id = "",
	    .type = "",
	    .interval = "",
	    .timeout = "",
	};
	struct cat_service consul = {
	    .id = "consul",
	    .name = "consul",
	    .kind = "",
	    .address = "",
	    .socket_path = "",
	    .weight_passing = 1,
	    .weight_warning = 1,
	};
	const char *port = tags_get(&m->tags, "port");
	consul.port = port ? atoi(port) : 8300;
	bool with_consul = server && !catalog_node_service(r->store, m->name, "consul");
	struct cmd c = {.type = CMD_CATALOG_REGISTER, .version = 1};
	c.u.reg = (struct cat_register){
	    .node = &node,
	    .services = with_consul ? &consul : NULL,
	    .nservices = with_consul ? 1 : 0,
	    .checks = &serf,
	    .nchecks = 1,
	};
	char *why = NULL;
	if (catalog_register_validate(&c.u.reg, &why)) {
		/* a member whose ID the catalog refuses: register it without one */
		log_debug(LOG, "reconcile %s: %s", m->name, why);
		free(why);
		node.id = "";
	}
	log_info(LOG, "member %s: registering with serfHealth %s", m->name, cat_status_name(st));
	propose(r, &c);
}

static void deregister_node(struct reconcile *r, const char *name, const char *why)
{
	log_info(LOG, "deregistering node %s (%s)", name, why);
	struct cmd c = {.type = CMD_CATALOG_DEREGISTER, .version = 1};
	c.u.dereg = (struct cat_deregister){.node = name};
	propose(r, &c);
}

static void reconcile_member(struct reconcile *r, const struct serf_member *m)
{
	const char *dc = tags_get(&m->tags, "dc");
	if (strcasecmp(m->name, r->cfg->node_name) == 0 || (dc && strcmp(dc, r->cfg->datacenter)))
		return;
	const char *role = tags_get(&m->tags, "role");
	bool server = role && strcmp(role, "consul") == 0;
	char ip[64];
	member_ip(m, ip, sizeof(ip));
	switch (m->status) {
	case SERF_ALIVE:
	case SERF_LEAVING:
		if (!in_step(r, m, ip, CAT_PASSING, server))
			register_member(r, m, ip, CAT_PASSING, server);
		break;
	case SERF_FAILED:
		if (!in_step(r, m, ip, CAT_CRITICAL, false))
			register_member(r, m, ip, CAT_CRITICAL, server);
		break;
	case SERF_LEFT:
		if (catalog_node(r->store, m->name))
			deregister_node(r, m->name, "left the cluster");
		break;
	default:
		break;
	}
}

/* Catalog nodes with a serfHealth check that gossip no longer knows. */
struct reap_ctx {
	struct reconcile *r;
	const struct serf *s;
	char **names;
	size_t n, cap;
};

static int reap_candidate(void *ctx, const struct cat_node *n)
{
	struct reap_ctx *x = ctx;
	if (strcasecmp(n->name, x->r->cfg->node_name) == 0 || serf_find(x->s, n->name) ||
	    !catalog_node_check(x->r->store, n->name, LOCAL_SERF_CHECK_ID))
		return 0;
	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 8;
		x->names = xrealloc(x->names, x->cap * sizeof(*x->names));
	}
	x->names[x->n++] = xstrdup(n->name);
	return 0;
}

static void round_start(struct reconcile *r)
{
	const struct serf *s = gossip_pool_serf(r->lan);
	if (!s || r->closing || !consensus_is_leader(r->cons))
		return;
	if (r->inflight) {
		r->again = true;
		return;
	}
	r->inflight++; /* held while proposing, so applied() cannot finish the round early */
	for (size_t i = 0, n = serf_count(s); i < n; i++)
		reconcile_member(r, serf_at(s, i));
	struct reap_ctx x = {.r = r, .s = s};
	catalog_nodes(r->store, reap_candidate, &x);
	for (size_t i = 0; i < x.n; i++) {
		deregister_node(r, x.names[i], "reaped: no longer a gossip member");
		free(x.names[i]);
	}
	free(x.names);
	applied(r, 0, NULL);
}

static void on_timer(uv_timer_t *t)
{
	struct reconcile *r = t->data;
	round_start(r);
	if (!r->closing)
		uv_timer_start(&r->timer, on_timer, RECONCILE_INTERVAL_MS, 0);
}

void reconcile_start(struct reconcile *r, uv_loop_t *loop, struct store *store,
		     struct consensus *cons, struct gossip_pool *lan, const struct config *cfg)
{
	memset(r, 0, sizeof(*r));
	r->loop = loop;
	r->store = store;
	r->cons = cons;
	r->lan = lan;
	r->cfg = cfg;
	uv_timer_init(loop, &r->timer);
	r->timer.data = r;
	r->started = true;
	uv_timer_start(&r->timer, on_timer, RECONCILE_INTERVAL_MS, 0);
}

void reconcile_soon(struct reconcile *r)
{
	if (!r->started || r->closing)
		return;
	if (r->inflight) {
		r->again = true;
		return;
	}
	uv_timer_start(&r->timer, on_timer, RECONCILE_DELAY_MS, 0);
}

void reconcile_leadership(struct reconcile *r)
{
	if (!r->started || r->closing)
		return;
	bool leader = consensus_is_leader(r->cons);
	if (leader && !r->leader)
		reconcile_soon(r);
	r->leader = leader;
}

void reconcile_close(struct reconcile *r)
{
	if (!r->started || r->closing)
		return;
	r->closing = true;
	uv_close((uv_handle_t *)&r->timer, NULL);
}
