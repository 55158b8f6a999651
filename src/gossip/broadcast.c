/*
 * The transmit-limited broadcast queue (SWIM's infection-style dissemination).
 * Membership messages and user broadcasts wait here, already framed as packet
 * parts, and ride along on every UDP packet we send (piggybacked on pings, acks
 * and nacks) and in gossip rounds. Each part is sent at most
 * retransmit_mult * ceil(log10(N + 1)) times, which for N members spreads it to
 * all with high probability. Parts sent fewer times go first (newest first
 * within a count), so fresh news overtakes old. A newer message about a member
 * replaces the queued one about the same member: only the latest state of each
 * member is worth spreading. User broadcasts are never replaced (serf dedupes).
 *
 * Storage: tiers[t] is a doubly-linked list of the parts sent t times. Items
 * are freed when their limit is reached, when replaced, or with the object.
 */
#include "gossip/internal.h"

#include "base/alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int bq_limit(const struct memberlist *ml)
{
	int scale = (int)ceil(log10((double)ml->nnodes + 1.0));
	if (scale < 1)
		scale = 1;
	return ml->cfg.retransmit_mult * scale;
}

static void unlink_item(struct memberlist *ml, struct bitem *it)
{
	if (it->prev)
		it->prev->next = it->next;
	else
		ml->tiers[it->transmits] = it->next;
	if (it->next)
		it->next->prev = it->prev;
	it->prev = it->next = NULL;
	ml->qlen--;
	if (it->len < 256)
		ml->lencnt[it->len]--;
}

static void push_front(struct memberlist *ml, struct bitem *it)
{
	if (it->transmits >= ml->ntiers) {
		int n = it->transmits + 8;
		ml->tiers = xrealloc(ml->tiers, (size_t)n * sizeof(*ml->tiers));
		memset(ml->tiers + ml->ntiers, 0, (size_t)(n - ml->ntiers) * sizeof(*ml->tiers));
		ml->ntiers = n;
	}
	it->prev = NULL;
	it->next = ml->tiers[it->transmits];
	if (it->next)
		it->next->prev = it;
	ml->tiers[it->transmits] = it;
	ml->qlen++;
	if (it->len < 256)
		ml->lencnt[it->len]++;
}

static void drop(struct memberlist *ml, struct bitem *it)
{
	if (it->node && it->node->bc == it)
		it->node->bc = NULL;
	free(it);
}

static struct bitem *new_item(const uint8_t *part, size_t len)
{
	struct bitem *it = xcalloc(1, sizeof(*it) + len);
	it->len = (uint16_t)len;
	memcpy(it->data, part, len);
	return it;
}

void bq_queue(struct memberlist *ml, struct mnode *about, const struct gmsg *m)
{
	struct buf b = BUF_INIT;
	gwire_put_msg(&b, m);
	struct bitem *it = new_item((const uint8_t *)b.data, b.len);
	buf_free(&b);
	if (about->bc) {
		unlink_item(ml, about->bc);
		drop(ml, about->bc);
	}
	it->node = about;
	about->bc = it;
	push_front(ml, it);
}

void bq_queue_raw(struct memberlist *ml, const uint8_t *part, size_t len)
{
	push_front(ml, new_item(part, len));
}

/* Could any queued part fit in room? After a mass join every member queues an
 * alive for every other one, and without this test each nearly full packet
 * walked the whole queue looking for a part small enough (O(N^3) overall).
 * Parts of 256 bytes or more are not counted, so room >= 256 always says yes. */
static bool any_fits(const struct memberlist *ml, size_t room)
{
	if (room >= 256)
		return true;
	for (size_t l = 0; l <= room; l++)
		if (ml->lencnt[l])
			return true;
	return false;
}

/* Appends queued parts to pkt while they fit in budget; returns how many. */
size_t bq_fill(struct memberlist *ml, struct buf *pkt, size_t budget)
{
	struct bitem *taken[GOSSIP_UDP_MAX / GWIRE_MSG_HDR + 1];
	size_t n = 0, cap = sizeof(taken) / sizeof(taken[0]);
	if (pkt->len >= budget || ml->qlen == 0)
		return 0;
	size_t room = budget - pkt->len;
	size_t checked_room = (size_t)-1;
	bool fits = true;
	for (int t = 0; t < ml->ntiers && room >= 16 && n < cap; t++) {
		for (struct bitem *it = ml->tiers[t]; it && room >= 16 && n < cap; it = it->next) {
			if (it->len > room) {
				if (room != checked_room) {
					checked_room = room;
					fits = any_fits(ml, room);
				}
				if (!fits)
					goto done;
				continue;
			}
			buf_append(pkt, it->data, it->len);
			room -= it->len;
			taken[n++] = it;
		}
	}
done:;
	int limit = bq_limit(ml);
	/* move the sent parts up one tier, oldest first so the newest ends in front */
	for (size_t i = n; i-- > 0;) {
		struct bitem *it = taken[i];
		unlink_item(ml, it);
		it->transmits++;
		if (it->node == ml->self && ml->leaving && it->transmits >= limit)
			ml->leave_done = true;
		if (it->transmits >= limit)
			drop(ml, it);
		else
			push_front(ml, it);
	}
	return n;
}

void bq_detach(struct memberlist *ml, struct mnode *n)
{
	if (n->bc) {
		n->bc->node = NULL;
		n->bc = NULL;
	}
}

void bq_free_all(struct memberlist *ml)
{
	for (int t = 0; t < ml->ntiers; t++) {
		struct bitem *it = ml->tiers[t];
		while (it) {
			struct bitem *next = it->next;
			free(it);
			it = next;
		}
	}
	free(ml->tiers);
}

size_t memberlist_queue_len(const struct memberlist *ml)
{
	return ml->qlen;
}
