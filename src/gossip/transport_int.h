/*
 * Shared between transport.c (lifecycle, timer, UDP, the core's env) and
 * transport_tcp.c (inbound and outbound streams). Not an API.
 */
#ifndef CAIRN_GOSSIP_TRANSPORT_INT_H
#define CAIRN_GOSSIP_TRANSPORT_INT_H

#include "gossip/transport.h"

/* The loop's clock in ms (what the core's "now" means). */
uint64_t gt_now(const struct gossip_transport *t);
/* After every call into the core: deliver deferred completions, re-arm the timer. */
void gt_pump(struct gossip_transport *t);
/* A handle or request of t finished closing. */
void gt_release(struct gossip_transport *t);
/* Encrypt outgoing packets and streams now? */
bool gt_encrypting(const struct gossip_transport *t);

/* transport_tcp.c */
int gt_tcp_start(struct gossip_transport *t);
void gt_tcp_close_all(struct gossip_transport *t);
void gt_send_stream(void *ud, uint64_t id, const struct gaddr *to, const uint8_t *data, size_t len);

#endif
