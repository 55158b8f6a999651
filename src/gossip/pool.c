/*
 * gossip_pool: transport + serf + keyring + snapshot for one pool (pool.h).
 *
 * Hook plumbing. The transport calls its hooks from inside the SWIM core,
 * where nothing may change the core's state; serf may want to gossip from
 * there (a refutation, an event it passes on). So serf's broadcasts are
 * queued here and handed to the transport from a zero-delay timer, outside
 * the core. Everything else serf asks for (reconnects) happens from our own
 * timer, which is outside the core already.
 *
 * The snapshot follows serf's member events: alive members with their
 * address, members that stopped being alive, and the clocks every time we
 * pass through the timer (cheap: the snapshot only writes on change).
 */
#include "gossip/pool.h"
#include "gossip/pool_int.h"
#include "gossip/pool_keyring.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *pool_name(const struct gossip_pool *p)
{
	return p->which == KEYRING_WAN ? "agent.gossip.wan" : "agent.gossip.lan";
}

const char *gossip_pool_log(const struct gossip_pool *p)
{
	return pool_name(p);
}

/* ---- serf env ---- */

static uint64_t pool_rand(void *ud)
{
	struct gossip_pool *p = ud;
	/* splitmix64: only spreads reconnect choices, no secrecy needed */
	uint64_t z = (p->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct pending_bcast {
	struct pending_bcast *next;
	size_t len;
	uint8_t data[];
};

static void flush_bcasts(uv_timer_t *h)
{
	struct gossip_pool *p = h->data;
	struct pending_bcast *b = p->bcasts;
	p->bcasts = NULL;
	p->bcast_tail = &p->bcasts;
	while (b) {
		struct pending_bcast *next = b->next;
		if (!p->closing && gossip_transport_broadcast(&p->t, b->data, b->len) != 0)
			log_warn(pool_name(p), "dropped a serf broadcast of %zu bytes", b->len);
		free(b);
		b = next;
	}
}

static int pool_broadcast(void *ud, const uint8_t *data, size_t len)
{
	struct gossip_pool *p = ud;
	if (p->closing)
		return CAIRN_E_SHUTDOWN;
	struct pending_bcast *b = xmalloc(sizeof(*b) + len);
	b->next = NULL;
	b->len = len;
	memcpy(b->data, data, len);
	*p->bcast_tail = b;
	p->bcast_tail = &b->next;
	uv_timer_start(&p->bcast_timer, flush_bcasts, 0, 0);
	return 0;
}

int gossip_pool_broadcast(struct gossip_pool *p, const uint8_t *data, size_t len)
{
	return pool_broadcast(p, data, len);
}

static void reconnect_done(struct gossip_pool *p, int joined, const char *err, void *data)
{
	(void)data;
	if (!joined)
		log_debug(pool_name(p), "reconnect failed: %s", err);
}

static void pool_reconnect(void *ud, const struct gaddr *addr, const char *name)
{
	struct gossip_pool *p = ud;
	log_info(pool_name(p), "attempting reconnect to %s", name);
	gossip_pool_join_addrs(p, addr, 1, false, reconnect_done, NULL);
}

static void pool_member_event(void *ud, enum serf_event_type t, const struct serf_member *m)
{
	struct gossip_pool *p = ud;
	static const char *const what[] = {
	    [SERF_EV_JOIN] = "member joined",	[SERF_EV_LEAVE] = "member left",
	    [SERF_EV_FAILED] = "member failed", [SERF_EV_UPDATE] = "member updated",
	    [SERF_EV_REAP] = "member reaped",
	};
	char ip[64];
	gaddr_format(&m->addr, ip, sizeof(ip));
	log_info(pool_name(p), "%s: %s %s", what[t], m->name, ip);
	if (p->snap) {
		if (t == SERF_EV_JOIN || t == SERF_EV_UPDATE)
			serf_snapshot_alive(p->snap, m->name, &m->addr);
		else if (t != SERF_EV_REAP || m->status == SERF_ALIVE)
			serf_snapshot_not_alive(p->snap, m->name);
	}
	if (p->member_event)
		p->member_event(p->ud, p, t, m);
}

static void pool_user_event(void *ud, const struct event *e)
{
	struct gossip_pool *p = ud;
	if (p->user_event)
		p->user_event(p->ud, p, e);
}

/* ---- transport hooks (inside the core) ---- */

static void hook_notify(void *ud, enum memberlist_event ev, const struct memberlist_node *n)
{
	struct gossip_pool *p = ud;
	if (p->serf)
		serf_on_notify(p->serf, uv_now(p->loop), ev, n);
}

static bool hook_user_msg(void *ud, const uint8_t *data, size_t len)
{
	struct gossip_pool *p = ud;
	if (pool_keyring_kind(data, len)) /* keyring operations: pool_keyring.c */
		return gossip_pool_keyring_msg(p, data, len);
	return p->serf && serf_on_user_msg(p->serf, uv_now(p->loop), data, len);
}

static void hook_local_state(void *ud, bool join, struct buf *out)
{
	struct gossip_pool *p = ud;
	if (p->serf)
		serf_local_state(p->serf, join, out);
}

static void hook_merge_state(void *ud, const uint8_t *data, size_t len, bool join)
{
	struct gossip_pool *p = ud;
	if (p->serf)
		serf_merge_state(p->serf, uv_now(p->loop), data, len, join);
}

/* ---- the serf timer ---- */

static void arm(struct gossip_pool *p);

static void on_timer(uv_timer_t *h)
{
	struct gossip_pool *p = h->data;
	if (p->closing || !p->serf)
		return;
	serf_tick(p->serf, uv_now(p->loop));
	if (p->snap)
		serf_snapshot_clocks(p->snap, serf_member_clock(p->serf),
				     serf_event_clock(p->serf));
	arm(p);
}

static void arm(struct gossip_pool *p)
{
	uint64_t next = serf_next_deadline(p->serf);
	uint64_t now = uv_now(p->loop);
	/* at least once a second, so the snapshot's clocks stay fresh */
	uint64_t delay = next == MEMBERLIST_NEVER ? 1000 : next > now ? next - now : 0;
	uv_timer_start(&p->timer, on_timer, delay < 1000 ? delay : 1000, 0);
}

/* ---- start ---- */

static int setup_keyring(struct gossip_pool *p, const struct gossip_pool_config *c, struct buf *err)
{
	char msg[KEYRING_ERR_MAX] = "", warn[KEYRING_ERR_MAX] = "";
	bool no_file = c->disable_keyring_file || !c->data_dir;
	int rc = keyring_setup(&p->keyring, c->which, c->data_dir, c->encrypt, no_file,
			       p->keyring_path, warn, msg);
	if (rc) {
		buf_printf(err, "%s", msg);
		return -1;
	}
	if (*warn)
		log_warn(pool_name(p), "%s", warn);
	return 0;
}

static int open_snapshot(struct gossip_pool *p, const struct gossip_pool_config *c, struct buf *err)
{
	if (!c->data_dir)
		return 0;
	char path[4096];
	snprintf(path, sizeof(path), "%s/serf/%s", c->data_dir,
		 c->which == KEYRING_WAN ? "remote.snapshot" : "local.snapshot");
	p->snap = serf_snapshot_open(path, &p->replay, err);
	if (!p->snap)
		return -1;
	if (p->replay.skipped)
		log_warn(pool_name(p), "snapshot %s: skipped %zu unreadable lines", path,
			 p->replay.skipped);
	return 0;
}

static int start_transport(struct gossip_pool *p, const struct gossip_pool_config *c,
			   struct buf *err)
{
	struct gossip_transport_config tc;
	gossip_transport_config_default(&tc);
	tc.bind_ip = c->bind_ip;
	tc.port = c->port;
	tc.advertise_ip = c->advertise_ip;
	tc.advertise_port = c->advertise_port;
	tc.node_name = c->node_name;
	tc.ml = c->ml;
	tc.keyring = &p->keyring;
	tc.verify_incoming = c->verify_incoming;
	tc.verify_outgoing = c->verify_outgoing;
	tc.hooks = (struct gossip_hooks){p, hook_notify, hook_user_msg, hook_local_state,
					 hook_merge_state};
	uint8_t meta[TAGS_META_MAX];
	size_t mlen = 0;
	if (c->tags && tags_encode(c->tags, meta, sizeof(meta), &mlen, err))
		return -1;
	tc.meta = meta;
	tc.meta_len = mlen;
	int rc = gossip_transport_start(&p->t, p->loop, &tc);
	if (rc) {
		buf_printf(err, "Failed to start %s gossip on %s:%u: %s",
			   c->which == KEYRING_WAN ? "WAN" : "LAN", c->bind_ip ? c->bind_ip : "",
			   c->port, cairn_strerror(rc));
		return -1;
	}
	return 0;
}

int gossip_pool_start(struct gossip_pool *p, uv_loop_t *loop, const struct gossip_pool_config *c,
		      struct buf *err)
{
	memset(p, 0, sizeof(*p));
	p->loop = loop;
	p->which = c->which;
	p->ud = c->ud;
	p->member_event = c->member_event;
	p->user_event = c->user_event;
	p->rng = uv_hrtime() ^ (uint64_t)(uintptr_t)p;
	p->bcast_tail = &p->bcasts;
	keyring_init(&p->keyring);
	uv_timer_init(loop, &p->timer);
	uv_timer_init(loop, &p->bcast_timer);
	p->timer.data = p->bcast_timer.data = p;
	p->started = true;
	if (setup_keyring(p, c, err) || open_snapshot(p, c, err))
		return -1;
	struct serf_env env = {
	    .ud = p,
	    .rand64 = pool_rand,
	    .broadcast = pool_broadcast,
	    .reconnect = pool_reconnect,
	    .member_event = pool_member_event,
	    .user_event = pool_user_event,
	};
	p->serf = serf_new(&c->serf, &env, c->node_name, uv_now(loop));
	/* the clocks move on from where the last run left them */
	serf_restore_clocks(p->serf, p->replay.clock, p->replay.event_clock);
	if (start_transport(p, c, err))
		return -1;
	arm(p);
	return 0;
}

int gossip_pool_rejoin(struct gossip_pool *p, bool rejoin_after_leave, gossip_pool_join_cb cb,
		       void *data)
{
	if (!p->replay.n)
		return 0;
	if (p->replay.left && !rejoin_after_leave) {
		log_info(pool_name(p), "ignoring previous nodes: the last run left gracefully "
				       "(rejoin_after_leave is off)");
		return 0;
	}
	log_info(pool_name(p), "rejoining %zu previously known nodes", p->replay.n);
	if (gossip_pool_join_addrs(p, p->replay.addrs, p->replay.n, false, cb, data))
		return 0;
	return (int)p->replay.n;
}

/* ---- leave, force-leave, events, keyring ---- */

static void left(struct gossip_transport *t, int err)
{
	struct gossip_pool *p = (struct gossip_pool *)((char *)t - offsetof(struct gossip_pool, t));
	if (err)
		log_warn(pool_name(p), "leave: timed out waiting for the leave message to go out");
	gossip_pool_cb cb = p->leave_cb;
	p->leave_cb = NULL;
	if (cb)
		cb(p);
}

int gossip_pool_leave(struct gossip_pool *p, uint64_t drain_ms, gossip_pool_cb cb)
{
	if (p->leaving || p->closing || !p->serf)
		return CAIRN_E_SHUTDOWN;
	p->leaving = true;
	p->leave_cb = cb;
	serf_leave(p->serf, uv_now(p->loop));
	if (p->snap)
		serf_snapshot_leave(p->snap);
	flush_bcasts(&p->bcast_timer); /* the intent goes ahead of the core's left */
	int rc = gossip_transport_leave(&p->t, drain_ms, left);
	if (rc) {
		p->leave_cb = NULL;
		return rc;
	}
	return 0;
}

int gossip_pool_force_leave(struct gossip_pool *p, const char *name, bool prune)
{
	if (p->closing || !p->serf)
		return CAIRN_E_SHUTDOWN;
	return serf_force_leave(p->serf, uv_now(p->loop), name, prune);
}

int gossip_pool_fire(struct gossip_pool *p, struct event *e)
{
	if (p->closing || !p->serf)
		return CAIRN_E_SHUTDOWN;
	return serf_user_event(p->serf, e);
}

int gossip_pool_keyring_save(struct gossip_pool *p, char *err)
{
	if (!*p->keyring_path)
		return 0;
	return keyring_save_file(&p->keyring, p->keyring_path, err);
}

const struct serf *gossip_pool_serf(const struct gossip_pool *p)
{
	return p->serf;
}

const struct vivaldi *gossip_pool_vivaldi(const struct gossip_pool *p)
{
	return gossip_transport_vivaldi(&p->t);
}

uint64_t gossip_pool_coord_updates(const struct gossip_pool *p)
{
	return p->t.stats.coord_updates;
}

const struct vivaldi_coord *gossip_pool_coord(const struct gossip_pool *p, const char *name)
{
	const struct vivaldi *v = gossip_transport_vivaldi(&p->t);
	if (!v || !name)
		return NULL;
	if (strcmp(p->t.mlcfg.name, name) == 0)
		return &v->coord;
	return vivaldi_peer_coord(v, name);
}

/* ---- close ---- */

void gossip_pool_release(struct gossip_pool *p)
{
	if (--p->refs > 0)
		return;
	if (p->serf)
		serf_free(p->serf);
	p->serf = NULL;
	if (p->snap)
		serf_snapshot_close(p->snap);
	p->snap = NULL;
	serf_snapshot_replay_free(&p->replay);
	keyring_free(&p->keyring);
	gossip_pool_cb cb = p->close_cb;
	if (cb)
		cb(p);
}

static void handle_closed(uv_handle_t *h)
{
	gossip_pool_release(h->data);
}

static void transport_closed(struct gossip_transport *t)
{
	gossip_pool_release((struct gossip_pool *)((char *)t - offsetof(struct gossip_pool, t)));
}

void gossip_pool_close(struct gossip_pool *p, gossip_pool_cb cb)
{
	if (p->closing)
		return;
	p->closing = true;
	p->close_cb = cb;
	p->leave_cb = NULL;
	gossip_pool_cancel_joins(p);
	struct pending_bcast *b = p->bcasts;
	while (b) {
		struct pending_bcast *next = b->next;
		free(b);
		b = next;
	}
	p->bcasts = NULL;
	p->refs = 1 + (int)p->resolving; /* ours, and each name resolution in flight */
	if (p->started) {
		p->refs += 3;
		uv_close((uv_handle_t *)&p->timer, handle_closed);
		uv_close((uv_handle_t *)&p->bcast_timer, handle_closed);
		gossip_transport_close(&p->t, transport_closed);
	}
	if (gossip_pool_keyring_close(p)) /* its timer's close drops this one */
		p->refs++;
	gossip_pool_release(p);
}
