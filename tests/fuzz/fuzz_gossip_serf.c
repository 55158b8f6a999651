/*
 * Fuzz target: the serf layer's peer input (src/gossip/serf*.c). The input is
 * tried as one intent and as one push-pull blob: whatever decodes re-encodes
 * to exactly the same bytes (the formats are canonical). Then it is fed to a
 * serf holding a few members in every status, whole (as a user message and
 * as a merged push-pull, join or not) and cut into [u8 length][bytes] user
 * messages. Afterwards the member table must still be sorted and unique, its
 * status counts right, self listed and not failed, and our own push-pull
 * blob must decode.
 */
// fuzz-lib: gossip
#include "gossip/serf_int.h"

#include <stdlib.h>
#include <string.h>

static uint64_t rnd(void *ud)
{
	return ++*(uint64_t *)ud;
}

static int bcast(void *ud, const uint8_t *data, size_t len)
{
	struct serf_intent in;
	/* what we broadcast is ours: intents must decode */
	if ((data[0] == SERF_WIRE_JOIN || data[0] == SERF_WIRE_LEAVE) &&
	    serf_intent_decode(data, len, &in) != 0)
		abort();
	return 0;
}

static void check_intent(const uint8_t *data, size_t size)
{
	struct serf_intent in;
	uint8_t out[SERF_INTENT_MAX];
	size_t len;
	if (serf_intent_decode(data, size, &in) != 0)
		return;
	if (serf_intent_encode(&in, out, sizeof(out), &len) != 0 || len != size ||
	    memcmp(out, data, size) != 0)
		abort();
}

static void copy_stamps(struct buf *b, const struct serf_span *sp)
{
	size_t sec = serf_state_section(b), cur = 0;
	uint64_t lt;
	char name[GOSSIP_NAME_MAX + 1];
	while (serf_state_next(sp, &cur, &lt, name))
		serf_state_add(b, sec, lt, name);
}

static void check_state(const uint8_t *data, size_t size)
{
	struct serf_state st;
	if (serf_state_decode(data, size, &st) != 0)
		return;
	struct buf b = BUF_INIT;
	serf_state_begin(&b, st.clock, st.event_clock);
	copy_stamps(&b, &st.left);
	copy_stamps(&b, &st.stamps);
	size_t sec = serf_state_section(&b), cur = 0;
	const uint8_t *ev;
	size_t evlen;
	while (serf_state_next_event(&st.events, &cur, &ev, &evlen))
		serf_state_event(&b, sec, ev, evlen);
	if (b.len != size || memcmp(b.data, data, size) != 0)
		abort();
	buf_free(&b);
}

static void notify(struct serf *s, enum memberlist_event ev, const char *name)
{
	struct memberlist_node n = {.name = name, .addr = {.family = 4, .port = 1}};
	serf_on_notify(s, 1000, ev, &n);
}

static void check_serf(const struct serf *s)
{
	size_t failed = 0, left = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct serf_member *m = &s->members[i]->pub;
		if (i && strcmp(s->members[i - 1]->pub.name, m->name) >= 0)
			abort();
		failed += m->status == SERF_FAILED;
		left += m->status == SERF_LEFT;
	}
	if (failed != s->nfailed || left != s->nleft || !serf_find(s, "self") ||
	    serf_find(s, "self")->status == SERF_FAILED)
		abort();
	for (size_t i = 1; i < s->nintents; i++)
		if (strcmp(s->intents[i - 1].name, s->intents[i].name) >= 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_intent(data, size);
	check_state(data, size);

	uint64_t seed = 0;
	struct serf_config cfg;
	serf_config_default(&cfg);
	struct serf_env env = {.ud = &seed, .rand64 = rnd, .broadcast = bcast};
	struct serf *s = serf_new(&cfg, &env, "self", 0);
	notify(s, MEMBERLIST_JOIN, "self");
	notify(s, MEMBERLIST_JOIN, "alive");
	notify(s, MEMBERLIST_JOIN, "failed");
	notify(s, MEMBERLIST_FAIL, "failed");
	notify(s, MEMBERLIST_JOIN, "left");
	notify(s, MEMBERLIST_LEAVE, "left");

	serf_on_user_msg(s, 2000, data, size);
	struct buf b = BUF_INIT;
	serf_local_state(s, true, &b); /* a join pending: the merge may announce */
	serf_merge_state(s, 2000, data, size, size & 1);
	for (size_t off = 0; off < size;) {
		size_t len = data[off++];
		if (len > size - off)
			len = size - off;
		serf_on_user_msg(s, 3000, data + off, len);
		off += len;
	}
	serf_tick(s, 4000);
	check_serf(s);

	buf_reset(&b);
	serf_local_state(s, false, &b);
	struct serf_state st;
	if (serf_state_decode((const uint8_t *)b.data, b.len, &st) != 0)
		abort();
	buf_free(&b);
	serf_free(s);
	return 0;
}
