/* Shared between pool.c and pool_join.c (see pool.h). */
#ifndef CAIRN_GOSSIP_POOL_INT_H
#define CAIRN_GOSSIP_POOL_INT_H

#include "gossip/pool.h"

/* Join resolved addresses (pool_join.c); 0 or -1 (cb not called). */
int gossip_pool_join_addrs(struct gossip_pool *p, const struct gaddr *addrs, size_t n,
			   bool ignore_old, gossip_pool_join_cb cb, void *data);
/* Forget joins in flight (their callbacks are not called). */
void gossip_pool_cancel_joins(struct gossip_pool *p);
/* Drop one reference of a closing pool; the last frees it (pool.c). */
void gossip_pool_release(struct gossip_pool *p);
/* "ip:port" ("[v6]:port") of a gossip address. */
void gaddr_format(const struct gaddr *a, char *out, size_t cap);
/* Queue a user broadcast; it goes out from a timer, outside the core (pool.c). */
int gossip_pool_broadcast(struct gossip_pool *p, const uint8_t *data, size_t len);
/* The log subsystem name of the pool. */
const char *gossip_pool_log(const struct gossip_pool *p);

#endif
