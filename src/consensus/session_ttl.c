/* Session TTL timers on the leader (see session_ttl.h). Loop thread. */
#include "consensus/session_ttl.h"

#include "base/alloc.h"
#include "base/duration.h"
#include "base/log.h"
#include "consensus/cmd.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ttl_timer {
	uv_timer_t timer; /* data points back here */
	struct session_ttl *owner;
	char *id;		/* the session */
	struct ttl_timer *next; /* owner's list */
};

static void timer_closed(uv_handle_t *h)
{
	struct ttl_timer *tt = h->data;
	free(tt->id);
	free(tt);
}

/* Unlink tt and close its handle (freed in the close callback). */
static void drop(struct session_ttl *t, struct ttl_timer *tt)
{
	for (struct ttl_timer **pp = &t->timers; *pp; pp = &(*pp)->next) {
		if (*pp == tt) {
			*pp = tt->next;
			t->ntimers--;
			break;
		}
	}
	uv_timer_stop(&tt->timer);
	uv_close((uv_handle_t *)&tt->timer, timer_closed);
}

static struct ttl_timer *find(struct session_ttl *t, const char *id)
{
	for (struct ttl_timer *tt = t->timers; tt; tt = tt->next)
		if (strcasecmp(tt->id, id) == 0)
			return tt;
	return NULL;
}

static void destroyed(void *data, int status, const struct txn_result *res)
{
	(void)res;
	if (status)
		log_warn("agent.server.session", "failed to invalidate expired session %s: %d",
			 (const char *)data, status);
	free(data);
}

static void expired(uv_timer_t *h)
{
	struct ttl_timer *tt = h->data;
	struct session_ttl *t = tt->owner;
	if (session_get(t->store, tt->id)) {
		struct cmd c = {.type = CMD_SESSION_DESTROY, .u.session_id = tt->id};
		struct buf enc = BUF_INIT;
		char *id = xstrdup(tt->id);
		cmd_encode(&c, &enc);
		log_debug("agent.server.session", "session %s expired", tt->id);
		t->expired++;
		if (consensus_apply(t->cons, &enc, destroyed, id))
			free(id);
		buf_free(&enc);
	}
	drop(t, tt);
}

void session_ttl_reset(struct session_ttl *t, const struct session *e)
{
	int64_t ns;
	if (!t->started || !e->ttl[0] || !consensus_is_leader(t->cons))
		return;
	if (duration_parse(e->ttl, false, &ns) || ns <= 0)
		return;
	uint64_t ms = ((uint64_t)ns / 1000000) * SESSION_TTL_MULTIPLIER;
	struct ttl_timer *tt = find(t, e->id);
	if (!tt) {
		tt = xcalloc(1, sizeof(*tt));
		tt->owner = t;
		tt->id = xstrdup(e->id);
		uv_timer_init(t->loop, &tt->timer);
		tt->timer.data = tt;
		tt->next = t->timers;
		t->timers = tt;
		t->ntimers++;
	}
	uv_timer_start(&tt->timer, expired, ms ? ms : 1, 0);
}

void session_ttl_clear(struct session_ttl *t, const char *id)
{
	struct ttl_timer *tt = find(t, id);
	if (tt)
		drop(t, tt);
}

static void clear_all(struct session_ttl *t)
{
	while (t->timers)
		drop(t, t->timers);
}

static int arm_one(void *ctx, const struct session *e)
{
	session_ttl_reset(ctx, e);
	return 0;
}

/* Every entry in the log when leadership was won is applied: the store holds
 * every committed session, so every TTL gets a full fresh timer. */
static void arm_all(struct session_ttl *t)
{
	t->arming = false;
	session_list(t->store, arm_one, t);
	log_debug("agent.server.session", "armed %zu session TTL timers", t->ntimers);
}

/*
 * No Raft barrier here: libraft 0.15 crashes when closed while a barrier entry
 * is being written, which a SIGTERM right after an election did. Waiting until
 * the applied index reaches the last log index seen at the election gives the
 * same guarantee (that index includes the new leader's own entry).
 */
void session_ttl_leadership(struct session_ttl *t)
{
	bool leader = t->started && consensus_is_leader(t->cons);
	struct consensus_stats st;
	if (leader != t->leader) {
		t->leader = leader;
		clear_all(t);
		t->arming = leader;
		if (leader) {
			consensus_get_stats(t->cons, &st);
			t->arm_at = st.last_log_index;
		}
	}
	if (!t->arming)
		return;
	consensus_get_stats(t->cons, &st);
	if (st.applied_index >= t->arm_at)
		arm_all(t);
}

void session_ttl_start(struct session_ttl *t, uv_loop_t *loop, struct store *store,
		       struct consensus *cons)
{
	memset(t, 0, sizeof(*t));
	t->loop = loop;
	t->store = store;
	t->cons = cons;
	t->started = true;
	session_ttl_leadership(t);
}

void session_ttl_close(struct session_ttl *t)
{
	if (!t->started)
		return;
	t->arming = false;
	clear_all(t);
	t->started = false;
	t->leader = false;
}
