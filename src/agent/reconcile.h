/*
 * Leader duty: reconcile the LAN gossip members into the catalog, as
 * Consul's leader does (leader.go reconcileMember / reconcileReaped).
 *
 * Model. Gossip is the truth about which agents exist and whether they
 * respond; the catalog must follow it. On the leader only, after every
 * member event, on gaining leadership and every reconcile_interval (60 s):
 *   alive member    its node is registered at its gossip address with the
 *                   serfHealth check passing ("Agent alive and reachable"),
 *                   and a server's "consul" service (port from its tags);
 *   failed member   serfHealth critical ("Agent not live or unreachable");
 *   left member     the node is deregistered with everything on it;
 *   reaped          a catalog node that has a serfHealth check but is no
 *                   longer a member is deregistered.
 * Members of another datacenter (dc tag) are left alone, and so is this
 * agent's own node (its anti-entropy sync registers it). A node whose
 * entries already match is not written, so a quiet cluster writes nothing.
 * An existing node keeps its ID, tagged addresses and meta (the agent's own
 * sync owns those); only its address follows gossip.
 *
 * One round at a time: a member event during a round asks for another
 * round when this one finishes. Loop thread only.
 */
#ifndef CAIRN_AGENT_RECONCILE_H
#define CAIRN_AGENT_RECONCILE_H

#include "config/config.h"
#include "consensus/consensus.h"
#include "gossip/pool.h"
#include "state/store.h"

#include <uv.h>

#include <stdbool.h>

#define RECONCILE_INTERVAL_MS 60000
#define RECONCILE_DELAY_MS    50 /* coalesces a burst of member events */

struct reconcile {
	uv_loop_t *loop;
	struct store *store;
	struct consensus *cons;
	struct gossip_pool *lan;
	const struct config *cfg;
	uv_timer_t timer;
	bool started;
	bool leader;  /* leadership at the last check */
	int inflight; /* writes of the current round */
	bool again;   /* a change arrived during the round */
	bool closing;
};

void reconcile_start(struct reconcile *r, uv_loop_t *loop, struct store *store,
		     struct consensus *cons, struct gossip_pool *lan, const struct config *cfg);
/* Something changed (member event): reconcile shortly if we lead. */
void reconcile_soon(struct reconcile *r);
/* Call once per loop iteration: a new leader reconciles at once. */
void reconcile_leadership(struct reconcile *r);
void reconcile_close(struct reconcile *r);

#endif
