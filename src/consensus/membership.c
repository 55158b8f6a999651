/*
 * Raft configuration changes (consensus.h, "membership"): the leader adds
 * servers, promotes them, removes them and hands leadership over.
 *
 * Model. libraft changes its configuration one step at a time. A new server
 * comes in as autopilot adds it (agent/servers.c): raft_add puts it in as a
 * spare, raft_assign(RAFT_STANDBY) makes it a non-voter that is replicated
 * but not counted; once it has been healthy for server_stabilization_time,
 * consensus_promote's raft_assign(RAFT_VOTER) catches its log up and makes it
 * a voter. raft_remove takes one out. A struct change carries one request
 * through its steps; only one change is in flight at a time
 * (consensus_changing), which is what libraft accepts. Loop thread only. */
#include "consensus/node_int.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"

#include <stdlib.h>
#include <string.h>

#define LOG "agent.server.raft"

struct change {
	struct raft_change req;
	struct raft_transfer transfer;
	struct consensus *c;
	uint64_t id;
	bool promote; /* add: assign `role` after the add committed */
	int role;     /* RAFT_VOTER, or RAFT_STANDBY for a non-voter */
	void (*cb)(void *data, int status);
	void *data;
};

static void finish(struct change *ch, int status)
{
	ch->c->changing = false;
	if (ch->cb)
		ch->cb(ch->data, status);
	free(ch);
}

static void changed(struct raft_change *req, int status)
{
	struct change *ch = req->data;
	struct consensus *c = ch->c;
	if (status == 0 && ch->promote && !c->closing) {
		ch->promote = false;
		int rv = raft_assign(&c->raft, &ch->req, ch->id, ch->role, changed);
		if (rv == 0)
			return;
		status = rv;
	}
	if (status)
		log_warn(LOG, "configuration change for server %llx failed: %s",
			 (unsigned long long)ch->id, raft_strerror(status));
	finish(ch, status ? consensus_map_raft_err(status) : 0);
}

static struct change *begin(struct consensus *c, uint64_t id, void (*cb)(void *, int), void *data)
{
	struct change *ch = xcalloc(1, sizeof(*ch));
	ch->role = RAFT_VOTER;
	ch->c = c;
	ch->id = id;
	ch->cb = cb;
	ch->data = data;
	ch->req.data = ch;
	return ch;
}

static int check(const struct consensus *c)
{
	if (c->closing || !c->started)
		return CAIRN_E_SHUTDOWN;
	if (raft_state((struct raft *)&c->raft) != RAFT_LEADER)
		return CAIRN_E_NOTLEADER;
	return c->changing ? CAIRN_E_BUSY : 0;
}

int consensus_add_nonvoter(struct consensus *c, uint64_t id, const char *address,
			   void (*cb)(void *data, int status), void *data)
{
	int rv = check(c);
	if (rv)
		return rv;
	struct change *ch = begin(c, id, cb, data);
	ch->role = RAFT_STANDBY;
	ch->promote = true;
	rv = raft_add(&c->raft, &ch->req, id, address, changed);
	if (rv) {
		free(ch);
		return consensus_map_raft_err(rv);
	}
	c->changing = true;
	log_info(LOG, "adding server as a non-voter: id=%llx address=%s", (unsigned long long)id,
		 address);
	return 0;
}

int consensus_promote(struct consensus *c, uint64_t id, void (*cb)(void *data, int status),
		      void *data)
{
	int rv = check(c);
	if (rv)
		return rv;
	struct change *ch = begin(c, id, cb, data);
	rv = raft_assign(&c->raft, &ch->req, id, RAFT_VOTER, changed);
	if (rv) {
		free(ch);
		return consensus_map_raft_err(rv);
	}
	c->changing = true;
	log_info(LOG, "promoting server to voter: id=%llx", (unsigned long long)id);
	return 0;
}

int consensus_remove_server(struct consensus *c, uint64_t id, void (*cb)(void *data, int status),
			    void *data)
{
	int rv = check(c);
	if (rv)
		return rv;
	struct change *ch = begin(c, id, cb, data);
	rv = raft_remove(&c->raft, &ch->req, id, changed);
	if (rv) {
		free(ch);
		return rv == RAFT_BADID ? CAIRN_E_NOTFOUND : consensus_map_raft_err(rv);
	}
	c->changing = true;
	log_info(LOG, "removing server: id=%llx", (unsigned long long)id);
	return 0;
}

static void transferred(struct raft_transfer *req)
{
	struct change *ch = req->data;
	raft_id lid = 0;
	const char *addr = NULL;
	raft_leader(&ch->c->raft, &lid, &addr);
	finish(ch, lid && lid != ch->c->id ? 0 : CAIRN_E_TIMEOUT);
}

int consensus_transfer(struct consensus *c, uint64_t id, void (*cb)(void *data, int status),
		       void *data)
{
	int rv = check(c);
	if (rv)
		return rv;
	struct change *ch = begin(c, id, cb, data);
	ch->transfer.data = ch;
	rv = raft_transfer(&c->raft, &ch->transfer, id, transferred);
	if (rv) {
		free(ch);
		return rv == RAFT_BADID || rv == RAFT_NOTFOUND ? CAIRN_E_NOTFOUND
							       : consensus_map_raft_err(rv);
	}
	c->changing = true;
	return 0;
}

bool consensus_changing(const struct consensus *c)
{
	return c->changing;
}

size_t consensus_configuration(const struct consensus *c, const struct consensus_member **out)
{
	struct consensus *m = (struct consensus *)c;
	const struct raft_configuration *conf = &c->raft.configuration;
	m->members = xrealloc(m->members, (conf->n + 1) * sizeof(*m->members));
	for (unsigned i = 0; i < conf->n; i++) {
		const struct raft_server *s = &conf->servers[i];
		m->members[i] =
		    (struct consensus_member){s->id, s->address,
					      s->role == RAFT_VOTER	? CONSENSUS_VOTER
					      : s->role == RAFT_STANDBY ? CONSENSUS_NONVOTER
									: CONSENSUS_SPARE};
	}
	*out = m->members;
	return conf->n;
}
