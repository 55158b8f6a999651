/*
 * Lamport clock, as serf keeps them (one for member status, one for user
 * events, one for queries).
 *
 * Model: a counter that never goes back. A node stamps what it originates
 * with the current time and then increments; when it receives a stamped
 * message it witnesses the stamp, which moves the clock past it. So if event
 * A could have caused B (B was sent after A was seen), A's time < B's time.
 *
 * Plain struct, no allocation, single-threaded (the loop thread owns it).
 * The value travels on the wire as a big-endian uint64 (events.h) and in the
 * push/pull state blob.
 */
#ifndef CAIRN_GOSSIP_LAMPORT_H
#define CAIRN_GOSSIP_LAMPORT_H

#include <stdint.h>

struct lamport {
	uint64_t time; /* the current time; starts at 0 */
};

static inline void lamport_init(struct lamport *c)
{
	c->time = 0;
}

/* The current time. */
uint64_t lamport_time(const struct lamport *c);
/* Advance by one and return the new time. */
uint64_t lamport_increment(struct lamport *c);
/* A stamp v was seen: afterwards the clock is past v (time = v + 1 when
 * v >= time; otherwise unchanged). */
void lamport_witness(struct lamport *c, uint64_t v);

#endif
