/*
 * The Raft node: libraft setup, proposals, leadership queries, batched
 * leadership confirmation (see consensus.h for the model). Loop thread only.
 */
#include "consensus/consensus.h"
#include "consensus/node_int.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "consensus/fsm.h"
#include "consensus/lockdelay.h"
#include "state/session.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <raft.h>
#include <raft/uv.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct apply_req {
	struct raft_apply req;
	struct consensus *c;
	consensus_apply_cb cb;
	void *data;
};

static void raft_closed(struct raft *r);

/* libraft's uv back end (0.15) predates raft_io version 2, so it lacks
 * async_work; the FSM's asynchronous snapshots need it. We provide it with
 * libuv's thread pool: the work function (snapshot encoding of a frozen view)
 * runs in a worker thread, the callback on the loop. */
struct async_job {
	uv_work_t work;
	struct raft_io_async_work *req;
	struct consensus *c;
	int status;
};

static void async_run(uv_work_t *w)
{
	struct async_job *j = w->data;
	j->status = j->req->work(j->req);
}

static void async_done(uv_work_t *w, int status)
{
	struct async_job *j = w->data;
	struct raft_io_async_work *req = j->req;
	struct consensus *c = j->c;
	int rv = status ? RAFT_CANCELED : j->status;
	free(j);
	req->cb(req, rv); /* raft is still open: closing waits for this job */
	if (--c->async_pending == 0 && c->close_deferred) {
		c->close_deferred = false;
		raft_close(&c->raft, raft_closed);
	}
}

static int io_async_work(struct raft_io *io, struct raft_io_async_work *req,
			 raft_io_async_work_cb cb)
{
	struct consensus *c = (struct consensus *)((char *)io - offsetof(struct consensus, io));
	struct async_job *j = xcalloc(1, sizeof(*j));
	j->req = req;
	j->c = c;
	j->work.data = j;
	req->cb = cb;
	int rv = uv_queue_work(c->loop, &j->work, async_run, async_done);
	if (rv) {
		free(j);
		return RAFT_IOERR;
	}
	c->async_pending++;
	return 0;
}

int consensus_map_raft_err(int rv)
{
	switch (rv) {
	case 0:
		return 0;
	case RAFT_NOTLEADER:
		return CAIRN_E_NOTLEADER;
	case RAFT_LEADERSHIPLOST:
		return CAIRN_E_LEADERLOST;
	case RAFT_SHUTDOWN:
	case RAFT_CANCELED:
		return CAIRN_E_SHUTDOWN;
	case RAFT_NOMEM:
		return CAIRN_E_INTERNAL;
	case RAFT_IOERR:
	case RAFT_NOSPACE:
		return CAIRN_E_IO;
	default:
		return CAIRN_E_INTERNAL;
	}
}

static int mkdir_p(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0700) && errno != EEXIST) {
				free(p);
				return -errno;
			}
			*s = '/';
		}
	}
	int rv = mkdir(p, 0700) && errno != EEXIST ? -errno : 0;
	free(p);
	return rv;
}

/* Election timing scaled like Consul's: base 1 s per multiplier unit. */
static void set_timeouts(struct raft *r, unsigned mult)
{
	if (mult < 1)
		mult = 1;
	if (mult > 10)
		mult = 10;
	raft_set_election_timeout(r, 1000 * mult);
	raft_set_heartbeat_timeout(r, 100 * mult);
}

/* Release our own TCP transport (a caller's transport is the caller's). */
static void close_transport(struct consensus *c)
{
	if (c->transport == &c->own_transport)
		raft_uv_tcp_close(c->transport);
	c->transport = NULL;
}

static int setup(struct consensus *c, const struct consensus_config *cfg, struct buf *err)
{
	int rv = mkdir_p(c->dir);
	if (rv) {
		buf_printf(err, "failed to create raft directory %s: %s", c->dir,
			   cairn_strerror(rv));
		return CAIRN_E_IO;
	}
	if (cfg->transport) {
		c->transport = cfg->transport;
	} else {
		c->transport = &c->own_transport;
		if ((rv = raft_uv_tcp_init(c->transport, c->loop))) {
			buf_printf(err, "raft transport: %s", raft_strerror(rv));
			c->transport = NULL;
			return CAIRN_E_INTERNAL;
		}
		if (cfg->bind && (rv = raft_uv_tcp_set_bind_address(c->transport, cfg->bind))) {
			buf_printf(err, "raft bind address %s: %s", cfg->bind, raft_strerror(rv));
			close_transport(c);
			return CAIRN_E_INVAL;
		}
	}
	if ((rv = raft_uv_init(&c->io, c->loop, c->dir, c->transport))) {
		buf_printf(err, "raft storage in %s: %s", c->dir, c->io.errmsg);
		close_transport(c);
		return CAIRN_E_IO;
	}
	if (c->io.version < 2 || !c->io.async_work) {
		c->io.version = 2;
		c->io.async_work = io_async_work;
	}
	fsm_init(&c->fsm, c->store, &c->raft);
	if ((rv = raft_init(&c->raft, &c->io, &c->fsm.raft_fsm, cfg->id, c->address))) {
		buf_printf(err, "raft init: %s", raft_errmsg(&c->raft));
		raft_uv_close(&c->io);
		close_transport(c);
		return CAIRN_E_INTERNAL;
	}
	c->raft_inited = true;
	c->raft.data = c;
	set_timeouts(&c->raft, cfg->raft_multiplier);
	raft_set_pre_vote(&c->raft, true);
	if (cfg->snapshot_threshold)
		raft_set_snapshot_threshold(&c->raft, cfg->snapshot_threshold);
	raft_set_snapshot_trailing(&c->raft, cfg->trailing_logs);
	return 0;
}

/* A configuration of these servers, all voters (close it either way). */
static int voters(const struct consensus_server *servers, size_t n, struct raft_configuration *conf)
{
	raft_configuration_init(conf);
	int rv = 0;
	for (size_t i = 0; i < n && rv == 0; i++)
		rv = raft_configuration_add(conf, servers[i].id, servers[i].address, RAFT_VOTER);
	return rv;
}

static int bootstrap(struct consensus *c, const struct consensus_server *servers, size_t n,
		     struct buf *err)
{
	struct raft_configuration conf;
	int rv = voters(servers, n, &conf);
	if (rv == 0)
		rv = raft_bootstrap(&c->raft, &conf);
	raft_configuration_close(&conf);
	if (rv == RAFT_CANTBOOTSTRAP)
		return 0; /* existing state: nothing to do */
	if (rv) {
		buf_printf(err, "raft bootstrap: %s", raft_errmsg(&c->raft));
		return CAIRN_E_INTERNAL;
	}
	for (size_t i = 0; i < n; i++)
		log_info("agent.server.raft", "bootstrapped cluster: id=%llx address=%s",
			 (unsigned long long)servers[i].id, servers[i].address);
	return 0;
}

static int recover(struct consensus *c, const struct consensus_server *servers, size_t n,
		   struct buf *err)
{
	struct raft_configuration conf;
	int rv = voters(servers, n, &conf);
	if (rv == 0)
		rv = raft_recover(&c->raft, &conf);
	raft_configuration_close(&conf);
	if (rv) {
		buf_printf(err, "raft recovery from peers.json: %s", raft_errmsg(&c->raft));
		return CAIRN_E_INTERNAL;
	}
	log_info("agent.server.raft", "recovered the Raft configuration: %zu voters", n);
	return 0;
}

static int start_raft(struct consensus *c, struct buf *err)
{
	int rv = raft_start(&c->raft);
	if (rv) {
		buf_printf(err, "raft start: %s", raft_errmsg(&c->raft));
		return CAIRN_E_IO;
	}
	c->started = true;
	return 0;
}

int consensus_bootstrap_start(struct consensus *c, const struct consensus_server *servers, size_t n,
			      struct buf *err)
{
	if (c->closing || c->started)
		return CAIRN_E_INVAL;
	int rv = n ? bootstrap(c, servers, n, err) : 0;
	return rv ? rv : start_raft(c, err);
}

bool consensus_started(const struct consensus *c)
{
	return c->started;
}

uint64_t consensus_server_id(const char *node_id)
{
	uint64_t v = 0;
	int digits = 0;
	for (const char *p = node_id; *p && digits < 16; p++) {
		if (*p == '-')
			continue;
		int c = tolower((unsigned char)*p);
		v = v << 4 | (uint64_t)(isdigit(c) ? c - '0' : c - 'a' + 10);
		digits++;
	}
	return v ? v : 1;
}

bool consensus_pristine(const char *dir)
{
	static const char *const names[] = {"metadata1", "metadata2"};
	char path[4096];
	struct stat st;
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st) == 0)
			return false;
	}
	return true;
}

/* The FSM's invalidations report released keys here, on every server. */
static void on_lock_delay(void *ctx, const char *key, uint64_t delay_ns)
{
	struct consensus *c = ctx;
	lock_delay_set(&c->delays, key, uv_now(c->loop), delay_ns);
}

bool consensus_lock_delayed(struct consensus *c, const char *key)
{
	return lock_delay_until(&c->delays, key, uv_now(c->loop)) != 0;
}

int consensus_start(uv_loop_t *loop, struct store *store, const struct consensus_config *cfg,
		    struct consensus **out, struct buf *err)
{
	struct consensus *c = xcalloc(1, sizeof(*c));
	c->loop = loop;
	c->store = store;
	lock_delay_init(&c->delays);
	store_set_lock_delay_fn(store, on_lock_delay, c);
	c->dir = xstrdup(cfg->dir);
	c->address = xstrdup(cfg->address);
	*out = NULL;
	c->id = cfg->id;
	int rv = setup(c, cfg, err);
	struct consensus_server self = {cfg->id, c->address};
	if (rv == 0 && cfg->bootstrap)
		rv = bootstrap(c, &self, 1, err);
	if (rv == 0 && cfg->nrecover)
		rv = recover(c, cfg->recover, cfg->nrecover, err);
	if (rv == 0 && !cfg->hold_start)
		rv = start_raft(c, err);
	if (rv) {
		/* raft_init succeeded: it must be closed through the loop; the
		 * caller runs the loop to finish shutting down */
		consensus_close(c, NULL, NULL);
		return rv;
	}
	*out = c;
	return 0;
}

/* Frees what c owns and reports the close; c itself is the caller's to free. */
static void release(struct consensus *c)
{
	void (*cb)(void *) = c->close_cb;
	void *arg = c->close_arg;
	fsm_close(&c->fsm);
	store_set_lock_delay_fn(c->store, NULL, NULL);
	lock_delay_free(&c->delays);
	free(c->peers);
	free(c->members);
	free(c->dir);
	free(c->address);
	if (cb)
		cb(arg);
}

/* Closed nodes whose memory libraft may still touch (raft_closed). */
static struct consensus *graveyard;

/* libraft 0.15's uv back end can run its close callback a second time, after
 * this one, when an open segment's writer finishes closing (that close is not
 * among the things it waits for: canonical/raft#341, fixed in cowsql/raft#45).
 * That late call reads the back end (c->io.impl) and calls libraft's io close
 * callback on &c->io again, which frees what io.data's raft owns and calls its
 * close_cb. So the back end and the block holding io and raft are never freed
 * (kept reachable in the graveyard, a few KB per closed node, i.e. once per
 * process), and the raft that io.data points at (raft_init set it to
 * &c->raft) is zeroed: a second close frees nothing and calls nothing. */
static void raft_closed(struct raft *r)
{
	struct consensus *c = r->data;
	memset(&c->raft, 0, sizeof(c->raft));
	close_transport(c);
	c->grave_next = graveyard;
	graveyard = c;
	release(c);
}

static void fail_confirms(struct consensus_confirm **list, int status)
{
	while (*list) {
		struct consensus_confirm *req = *list;
		consensus_confirm_cancel(req);
		req->cb(req->data, status);
	}
}

void consensus_close(struct consensus *c, void (*cb)(void *arg), void *arg)
{
	c->closing = true;
	c->close_cb = cb;
	c->close_arg = arg;
	fail_confirms(&c->waiting, CAIRN_E_SHUTDOWN);
	fail_confirms(&c->covered, CAIRN_E_SHUTDOWN);
	if (!c->raft_inited) {
		release(c);
		free(c);
		return;
	}
	c->raft.data = c;
	if (c->async_pending) { /* a snapshot job would call back into a closed raft */
		c->close_deferred = true;
		return;
	}
	raft_close(&c->raft, raft_closed);
}

static void apply_done(struct raft_apply *req, int status, void *result)
{
	struct apply_req *a = req->data;
	struct txn_result *res = fsm_take_result(&a->c->fsm, result);
	if (status == 0) {
		struct txn_result empty = {0};
		a->cb(a->data, 0, res ? res : &empty);
	} else {
		a->cb(a->data, consensus_map_raft_err(status), NULL);
	}
	if (res) {
		txn_result_free(res);
		free(res);
	}
	free(a);
}

int consensus_apply(struct consensus *c, const struct buf *cmd, consensus_apply_cb cb, void *data)
{
	if (c->closing)
		return CAIRN_E_SHUTDOWN;
	if (raft_state(&c->raft) != RAFT_LEADER)
		return consensus_known_leader(c) ? CAIRN_E_NOTLEADER : CAIRN_E_NOLEADER;
	struct apply_req *a = xcalloc(1, sizeof(*a));
	a->c = c;
	a->cb = cb;
	a->data = data;
	a->req.data = a;
	struct raft_buffer b;
	if (fsm_frame(cmd->data, cmd->len, &b)) {
		free(a);
		return CAIRN_E_INTERNAL;
	}
	int rv = raft_apply(&c->raft, &a->req, &b, 1, apply_done);
	if (rv) {
		raft_free(b.base);
		free(a);
		return consensus_map_raft_err(rv);
	}
	return 0;
}

/* ---- consistent-read confirmation ---- */

static void list_push(struct consensus_confirm **list, struct consensus_confirm *req)
{
	req->next = *list;
	if (*list)
		(*list)->pprev = &req->next;
	req->pprev = list;
	*list = req;
}

void consensus_confirm_cancel(struct consensus_confirm *req)
{
	if (!req->pprev)
		return;
	*req->pprev = req->next;
	if (req->next)
		req->next->pprev = req->pprev;
	req->next = NULL;
	req->pprev = NULL;
}

static void start_barrier(struct consensus *c);

static void barrier_done(struct raft_barrier *b, int status)
{
	struct consensus *c = b->data;
	c->barrier_busy = false;
	fail_confirms(&c->covered, consensus_map_raft_err(status));
	if (c->waiting && !c->closing)
		start_barrier(c);
}

static void start_barrier(struct consensus *c)
{
	/* move every waiting request under the new barrier */
	while (c->waiting) {
		struct consensus_confirm *req = c->waiting;
		consensus_confirm_cancel(req);
		list_push(&c->covered, req);
	}
	c->barrier.data = c;
	int rv = raft_barrier(&c->raft, &c->barrier, barrier_done);
	if (rv) {
		fail_confirms(&c->covered, consensus_map_raft_err(rv));
		return;
	}
	c->barrier_busy = true;
}

void consensus_confirm(struct consensus *c, struct consensus_confirm *req)
{
	req->next = NULL;
	req->pprev = NULL;
	if (c->closing) {
		req->cb(req->data, CAIRN_E_SHUTDOWN);
		return;
	}
	if (raft_state(&c->raft) != RAFT_LEADER) {
		req->cb(req->data,
			consensus_known_leader(c) ? CAIRN_E_NOTLEADER : CAIRN_E_NOLEADER);
		return;
	}
	list_push(&c->waiting, req);
	if (!c->barrier_busy)
		start_barrier(c);
}

/* ---- leadership queries ---- */

bool consensus_is_leader(const struct consensus *c)
{
	return raft_state((struct raft *)&c->raft) == RAFT_LEADER;
}

static unsigned voter_count(const struct raft *r)
{
	unsigned n = 0;
	for (unsigned i = 0; i < r->configuration.n; i++)
		if (r->configuration.servers[i].role == RAFT_VOTER)
			n++;
	return n;
}

bool consensus_lease_valid(const struct consensus *c)
{
	const struct raft *r = &c->raft;
	if (!consensus_is_leader(c))
		return false;
	if (voter_count(r) <= 1)
		return true;
	/* a quorum of voters (counting us) was heard from within the election
	 * timeout: libraft's own leader check-quorum signal */
	unsigned heard = 0;
	for (unsigned i = 0; i < r->configuration.n; i++) {
		const struct raft_server *s = &r->configuration.servers[i];
		if (s->role != RAFT_VOTER)
			continue;
		if (s->id == r->id || r->leader_state.progress[i].recent_recv)
			heard++;
	}
	return heard > voter_count(r) / 2;
}

const char *consensus_leader_address(const struct consensus *c)
{
	raft_id id;
	const char *addr = NULL;
	raft_leader((struct raft *)&c->raft, &id, &addr);
	return addr ? addr : "";
}

bool consensus_known_leader(const struct consensus *c)
{
	return consensus_leader_address(c)[0] != '\0';
}

uint64_t consensus_last_contact_ms(const struct consensus *c)
{
	struct raft *r = (struct raft *)&c->raft;
	if (raft_state(r) == RAFT_LEADER)
		return 0;
	raft_time now = r->io->time(r->io);
	return now > r->election_timer_start ? now - r->election_timer_start : 0;
}

size_t consensus_peers(const struct consensus *c, const char ***addrs)
{
	struct consensus *m = (struct consensus *)c;
	const struct raft *r = &c->raft;
	m->peers = xrealloc(m->peers, (r->configuration.n + 1) * sizeof(char *));
	size_t n = 0;
	for (unsigned i = 0; i < r->configuration.n; i++)
		if (r->configuration.servers[i].role == RAFT_VOTER)
			m->peers[n++] = r->configuration.servers[i].address;
	m->npeers = n;
	*addrs = m->peers;
	return n;
}

void consensus_get_stats(const struct consensus *c, struct consensus_stats *st)
{
	struct raft *r = (struct raft *)&c->raft;
	static const char *const states[] = {"Shutdown", "Follower", "Candidate", "Leader"};
	int s = raft_state(r);
	memset(st, 0, sizeof(*st));
	st->state = s >= 0 && s <= RAFT_LEADER ? states[s] : "Unknown";
	st->term = r->current_term;
	st->last_log_index = raft_last_index(r);
	st->applied_index = raft_last_applied(r);
	st->commit_index = r->commit_index;
	st->last_snapshot_index = r->log.snapshot.last_index;
	st->num_peers = voter_count(r) ? voter_count(r) - 1 : 0;
	st->applies = c->fsm.applies;
	st->snapshots = c->fsm.snapshots;
}

bool consensus_poll(struct consensus *c)
{
	if (c->closing)
		return false;
	int state = raft_state(&c->raft);
	const char *leader = consensus_leader_address(c);
	bool changed =
	    state != c->last_state && (state == RAFT_LEADER || c->last_state == RAFT_LEADER);
	if (state != c->last_state) {
		static const char *const names[] = {"shutdown", "follower", "candidate", "leader"};
		log_info("agent.server.raft", "entering %s state: node=%s",
			 state >= 0 && state <= RAFT_LEADER ? names[state] : "unknown", c->address);
		if (state == RAFT_LEADER)
			log_info("agent.server", "cluster leadership acquired");
		else if (c->last_state == RAFT_LEADER)
			log_info("agent.server", "cluster leadership lost");
		c->last_state = state;
	}
	if (strcmp(leader, c->last_leader) != 0) {
		if (*leader)
			log_info("agent.server", "New leader elected: address=%s", leader);
		snprintf(c->last_leader, sizeof(c->last_leader), "%s", leader);
	}
	return changed;
}
