/*
 * dns_respond through the answer cache (cache.h), for UDP queries: a hit is a
 * copy; a miss runs dns_respond and, when the reply may be cached, stores it
 * with up to DNS_CACHE_VARIANTS - 1 more replies built the same way, each
 * with its own shuffle. An answer that drew no random numbers (no shuffle:
 * a node, an NXDOMAIN, a service with one instance) is stored once; only
 * shuffled ones pay for the extra builds, once per entry lifetime.
 *
 * Entries older than DNS_CACHE_RENEW_MS are rebuilt here (the worker still
 * serves them up to DNS_CACHE_MAX_MS meanwhile). Loop thread (it reads the
 * store through the view); the generation is the view's store's
 * store_generation.
 */
#ifndef CAIRN_DNS_CACHED_H
#define CAIRN_DNS_CACHED_H

#include "dns/cache.h"
#include "dns/dns.h"

/* As dns_respond(v, pkt, len, 0 (UDP), out, out_len), with c in front;
 * now_ms is dns_cache_now_ms() (a parameter for the tests). */
enum dns_outcome dns_cached_respond(struct dns_cache *c, const struct dns_view *v, uint64_t now_ms,
				    const uint8_t *pkt, size_t len, uint8_t *out, size_t *out_len);

/* The view's generation: store_generation of its store (0 without one). */
uint64_t dns_view_generation(const struct dns_view *v);

#endif
