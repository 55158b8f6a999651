/*
 * The two event buffers (events.h):
 *
 * event_dedupe is serf's recent-events window. Slot ltime % EVENT_WINDOW
 * remembers the IDs seen at that Lamport time; an event whose time is more
 * than EVENT_WINDOW behind the event clock can no longer be checked, so it is
 * refused as too old (that is what bounds re-delivery: gossip retransmits an
 * event for a few rounds only, far fewer than 512 Lamport ticks). A slot that
 * holds an older time is recycled when a newer time lands on it.
 *
 * event_ring is Consul's eventBuf: the last EVENT_RING_SIZE events accepted
 * by this agent, oldest evicted first.
 */
#include "gossip/events.h"

#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>

void event_dedupe_init(struct event_dedupe *d)
{
	memset(d, 0, sizeof(*d));
}

void event_dedupe_free(struct event_dedupe *d)
{
	for (size_t i = 0; i < EVENT_WINDOW; i++)
		free(d->slots[i].ids);
	event_dedupe_init(d);
}

void event_dedupe_set_min(struct event_dedupe *d, uint64_t t)
{
	d->min_time = t;
}

enum event_verdict event_dedupe_offer(struct event_dedupe *d, struct lamport *clock, uint64_t ltime,
				      const uint8_t id[16])
{
	lamport_witness(clock, ltime);
	if (ltime < d->min_time)
		return EVENT_TOO_OLD;
	uint64_t now = lamport_time(clock);
	if (now > EVENT_WINDOW && ltime < now - EVENT_WINDOW)
		return EVENT_TOO_OLD;
	struct event_seen *s = &d->slots[ltime % EVENT_WINDOW];
	if (s->used && s->ltime == ltime) {
		for (size_t i = 0; i < s->n; i++)
			if (memcmp(s->ids[i], id, 16) == 0)
				return EVENT_DUPLICATE;
		if (s->n == EVENT_SLOT_MAX)
			return EVENT_DROPPED;
	} else {
		s->used = true;
		s->ltime = ltime;
		s->n = 0;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4;
		s->ids = xrealloc(s->ids, s->cap * sizeof(*s->ids));
	}
	memcpy(s->ids[s->n++], id, 16);
	return EVENT_NEW;
}

/* ---- ring ---- */

void event_ring_init(struct event_ring *r)
{
	memset(r, 0, sizeof(*r));
}

void event_ring_free(struct event_ring *r)
{
	for (size_t i = 0; i < EVENT_RING_SIZE; i++)
		event_free(&r->items[i]);
	event_ring_init(r);
}

void event_ring_add(struct event_ring *r, const struct event *e)
{
	struct event *slot = &r->items[r->next];
	event_free(slot);
	event_copy(slot, e);
	r->next = (r->next + 1) % EVENT_RING_SIZE;
	if (r->count < EVENT_RING_SIZE)
		r->count++;
	r->added++;
}

size_t event_ring_list(const struct event_ring *r, const char *name, const struct event **out,
		       uint64_t *index)
{
	size_t n = 0;
	size_t first = (r->next + EVENT_RING_SIZE - r->count) % EVENT_RING_SIZE;
	for (size_t k = 0; k < r->count; k++) {
		const struct event *e = &r->items[(first + k) % EVENT_RING_SIZE];
		if (name && *name && strcmp(e->name, name) != 0)
			continue;
		out[n++] = e;
	}
	*index = n ? event_id_index(out[n - 1]->id) : 1;
	return n;
}
