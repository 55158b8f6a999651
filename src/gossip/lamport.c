/*
 * Lamport clock (lamport.h). Saturates at UINT64_MAX instead of wrapping: a
 * peer that gossips a stamp of 2^64-1 would otherwise send every clock back
 * to zero and make every later event look ancient.
 */
#include "gossip/lamport.h"

uint64_t lamport_time(const struct lamport *c)
{
	return c->time;
}

uint64_t lamport_increment(struct lamport *c)
{
	if (c->time != UINT64_MAX)
		c->time++;
	return c->time;
}

void lamport_witness(struct lamport *c, uint64_t v)
{
	if (v < c->time)
		return;
	c->time = v == UINT64_MAX ? v : v + 1;
}
