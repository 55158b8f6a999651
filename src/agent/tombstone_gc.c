/* Tombstone GC (see tombstone_gc.h). */
#include "agent/tombstone_gc.h"

#include "base/log.h"
#include "consensus/cmd.h"

#include <string.h>

static void reaped(void *data, int status, const struct txn_result *res)
{
	struct tombstone_gc *gc = data;
	(void)res;
	gc->reaping = false;
	if (status)
		log_debug("agent.leader", "tombstone reap failed: %d", status);
}

static void propose_reap(struct tombstone_gc *gc, uint64_t upto)
{
	struct cmd c = {.type = CMD_KV_REAP, .u.reap_index = upto};
	struct buf enc = BUF_INIT;
	cmd_encode(&c, &enc);
	if (consensus_apply(gc->cons, &enc, reaped, gc) == 0)
		gc->reaping = true;
	buf_free(&enc);
}

static void on_tick(uv_timer_t *t)
{
	struct tombstone_gc *gc = t->data;
	uint64_t now = uv_now(t->loop);
	if (!consensus_is_leader(gc->cons)) {
		gc->count = 0; /* a new leader starts its own clock, as Consul's does */
		return;
	}
	/* oldest record past the TTL: reap everything up to its index */
	uint64_t upto = 0;
	while (gc->count && now - gc->slots_ms[gc->head] >= gc->ttl_ms) {
		upto = gc->slots_index[gc->head];
		gc->head = (gc->head + 1) % TOMBSTONE_SLOTS;
		gc->count--;
	}
	if (upto && !gc->reaping && kv_tombstone_count(gc->store))
		propose_reap(gc, upto);
	if (gc->count < TOMBSTONE_SLOTS) {
		unsigned slot = (gc->head + gc->count) % TOMBSTONE_SLOTS;
		gc->slots_ms[slot] = now;
		gc->slots_index[slot] = store_index(gc->store);
		gc->count++;
	}
}

void tombstone_gc_start(struct tombstone_gc *gc, uv_loop_t *loop, struct store *store,
			struct consensus *cons, uint64_t ttl_ms)
{
	memset(gc, 0, sizeof(*gc));
	gc->store = store;
	gc->cons = cons;
	gc->ttl_ms = ttl_ms;
	uv_timer_init(loop, &gc->timer);
	gc->timer.data = gc;
	uint64_t every = ttl_ms / 30 ? ttl_ms / 30 : 1;
	uv_timer_start(&gc->timer, on_tick, every, every);
}

void tombstone_gc_close(struct tombstone_gc *gc)
{
	uv_close((uv_handle_t *)&gc->timer, NULL);
}
