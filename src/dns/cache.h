/*
 * The UDP answer cache: finished reply packets, keyed by the query bytes, so a
 * repeated question costs a table lookup and a copy instead of a catalog walk
 * and an encode.
 *
 * Model. The key is the query after its 2-byte ID: flags, counts, question
 * and EDNS OPT, everything that can change the answer (the name's case too,
 * so the echoed question is the client's). The value is up to
 * DNS_CACHE_VARIANTS complete replies, each built by dns_respond with its own
 * shuffle; a hit copies one chosen at random and writes the query's ID into
 * it, so answers still rotate. An entry is good while two things hold:
 *   - its generation equals the caller's current one: the store's
 *     store_generation, which moves on every write transaction, so a write
 *     acknowledged over HTTP is never hidden by a cached answer;
 *   - it is younger than the age the caller accepts, and never older than
 *     DNS_CACHE_MAX_MS: the loop thread, which can rebuild, takes entries up to
 *     DNS_CACHE_RENEW_MS old and rebuilds older ones on its own queries; the
 *     worker threads take them up to DNS_CACHE_MAX_MS and, the first time one
 *     serves an entry older than DNS_CACHE_RENEW_MS, ask the loop to rebuild
 *     it (the renew flag of dns_cache_get_locked), so they keep answering
 *     while the loop renews (an entry of the current generation is right
 *     whatever its age: the age bound renews the set of shuffles and keeps
 *     the time-dependent SOA serial within a second).
 * A configuration reload empties the cache (dns_cache_clear).
 *
 * Only what dns_respond computed completely from the store and configuration
 * for cairn's own zones is cached (dns_cache_cacheable: AA set, NOERROR or
 * NXDOMAIN, at most DNS_CACHE_REPLY_MAX bytes): never recursor answers or the
 * SERVFAIL of a failed recursion, which depend on other servers, nor FORMERR,
 * NOTIMP, BADVERS or REFUSED, which are cheap to compute anyway.
 *
 * Table: DNS_CACHE_SLOTS slots, a key hashes to two neighbouring ones
 * (2-way); an insert replaces the same key, an empty or stale slot, else the
 * older of the two. Entries are immutable heap blocks; a replaced one is freed
 * after the lock is released. Memory is bounded by slots x (key + variants).
 *
 * Threads. Every function takes the cache's mutex except the _locked ones,
 * which expect the caller to hold it (dns_cache_lock): each UDP worker thread
 * (worker.c) answers a whole recvmmsg batch under one lock. Lookups may come
 * from any thread; entries are built and inserted by the loop thread only (it
 * alone reads the store).
 */
#ifndef CAIRN_DNS_CACHE_H
#define CAIRN_DNS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_CACHE_VARIANTS  8	 /* shuffles kept per question */
#define DNS_CACHE_SLOTS	    1024 /* table size (a power of two) */
#define DNS_CACHE_RENEW_MS  100	 /* the loop rebuilds entries older than this */
#define DNS_CACHE_MAX_MS    250	 /* no entry is served older than this */
#define DNS_CACHE_KEY_MAX   512	 /* longer queries are not cached */
#define DNS_CACHE_REPLY_MAX 1232 /* longer replies are not cached (RFC 9715's safe size) */

struct dns_cache;

struct dns_cache_stats {
	uint64_t hits;	  /* lookups answered */
	uint64_t misses;  /* lookups not answered (absent, stale, other key) */
	uint64_t inserts; /* entries stored */
	size_t entries;	  /* slots in use (stale ones included) */
};

/* max_ms: the oldest an entry is served (DNS_CACHE_MAX_MS in the server). */
struct dns_cache *dns_cache_new(uint64_t max_ms);
void dns_cache_free(struct dns_cache *c);

/* Can this query be a key (a header and at most DNS_CACHE_KEY_MAX bytes)? */
bool dns_cache_key_ok(const uint8_t *pkt, size_t len);
/* May this reply be cached (see the model)? */
bool dns_cache_cacheable(const uint8_t *reply, size_t len);

/* Monotonic milliseconds, cheap (CLOCK_MONOTONIC_COARSE): the clock the
 * server passes as now_ms. */
uint64_t dns_cache_now_ms(void);

void dns_cache_lock(struct dns_cache *c);
void dns_cache_unlock(struct dns_cache *c);
/*
 * The reply to the query pkt[len] when the cache holds one for gen at most
 * age_ms old at now_ms (and at most the cache's max_ms): a variant picked by
 * rnd, copied into out (cap bytes) with pkt's ID. Returns its length, 0 on a
 * miss (or when it does not fit cap). With renew (the _locked form only),
 * *renew is set on a hit at least DNS_CACHE_RENEW_MS old that nobody asked to
 * renew yet, and the entry remembers it was asked (left alone otherwise).
 */
size_t dns_cache_get_locked(struct dns_cache *c, const uint8_t *pkt, size_t len, uint64_t gen,
			    uint64_t now_ms, uint64_t age_ms, uint64_t rnd, uint8_t *out,
			    size_t cap, bool *renew);
size_t dns_cache_get(struct dns_cache *c, const uint8_t *pkt, size_t len, uint64_t gen,
		     uint64_t now_ms, uint64_t age_ms, uint64_t rnd, uint8_t *out, size_t cap);

/*
 * Stores the n replies vars[i] (lens[i] bytes each, 1 <= n <=
 * DNS_CACHE_VARIANTS) for the query pkt[len], valid for gen from now_ms.
 * Ignored when the key or a reply does not qualify.
 */
void dns_cache_put(struct dns_cache *c, const uint8_t *pkt, size_t len, uint64_t gen,
		   uint64_t now_ms, const uint8_t *const *vars, const size_t *lens, size_t n);

/* Drops every entry (configuration reload). */
void dns_cache_clear(struct dns_cache *c);

struct dns_cache_stats dns_cache_stats(struct dns_cache *c);

#endif
