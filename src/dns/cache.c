/*
 * The UDP answer cache (model in cache.h): a mutex, a 2-way table of
 * immutable entries, FNV-1a over the key.
 *
 * An entry is one heap block: the header, the key, then the variants back to
 * back. It never changes once inserted (but for its renew_asked mark, written
 * under the lock); replacing or clearing unlinks it
 * under the lock and frees it after, so the lock is held only for pointer
 * moves and the one memcpy of a hit.
 */
#include "dns/cache.h"

#include "dns/wire.h"

#include "base/alloc.h"
#include "base/be.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct centry {
	uint64_t hash;			   /* of the key */
	uint64_t gen;			   /* store generation it was built at */
	uint64_t born_ms;		   /* dns_cache_now_ms at insert */
	uint16_t klen;			   /* key bytes (the query without its ID) */
	uint16_t nvar;			   /* variants */
	bool renew_asked;		   /* a renewal was asked for (the one mutable field) */
	uint16_t vlen[DNS_CACHE_VARIANTS]; /* their lengths */
	uint32_t voff[DNS_CACHE_VARIANTS]; /* their offsets in data */
	uint8_t data[];			   /* key, then the variants */
};

struct dns_cache {
	pthread_mutex_t mu;		      /* guards everything below */
	uint64_t max_ms;		      /* the oldest an entry is served */
	struct centry *slot[DNS_CACHE_SLOTS]; /* NULL = empty */
	struct dns_cache_stats st;	      /* counters (entries kept current) */
};

#define MASK (DNS_CACHE_SLOTS - 1)

_Static_assert((DNS_CACHE_SLOTS & MASK) == 0, "DNS_CACHE_SLOTS must be a power of two");
_Static_assert(DNS_CACHE_REPLY_MAX <= 65535 && DNS_CACHE_KEY_MAX <= 65535, "uint16_t lengths");

struct dns_cache *dns_cache_new(uint64_t max_ms)
{
	struct dns_cache *c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	c->max_ms = max_ms;
	return c;
}

void dns_cache_free(struct dns_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < DNS_CACHE_SLOTS; i++)
		free(c->slot[i]);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

bool dns_cache_key_ok(const uint8_t *pkt, size_t len)
{
	return pkt && len >= DNS_HDR_LEN && len - 2 <= DNS_CACHE_KEY_MAX;
}

bool dns_cache_cacheable(const uint8_t *reply, size_t len)
{
	if (!reply || len < DNS_HDR_LEN || len > DNS_CACHE_REPLY_MAX)
		return false;
	uint16_t flags = be16_get(reply + 2);
	unsigned rcode = flags & 0xF;
	return (flags & DNS_F_QR) && (flags & DNS_F_AA) &&
	       (rcode == DNS_R_NOERROR || rcode == DNS_R_NXDOMAIN);
}

uint64_t dns_cache_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void dns_cache_lock(struct dns_cache *c)
{
	pthread_mutex_lock(&c->mu);
}

void dns_cache_unlock(struct dns_cache *c)
{
	pthread_mutex_unlock(&c->mu);
}

static uint64_t hash_key(const uint8_t *k, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= k[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static bool same_key(const struct centry *e, uint64_t h, const uint8_t *k, size_t n)
{
	return e && e->hash == h && e->klen == n && memcmp(e->data, k, n) == 0;
}

/* Of generation gen and younger than age (and than the cache's max_ms). */
static bool fresh(const struct dns_cache *c, const struct centry *e, uint64_t gen, uint64_t now,
		  uint64_t age)
{
	if (age > c->max_ms)
		age = c->max_ms;
	return e->gen == gen && now >= e->born_ms && now - e->born_ms < age;
}

size_t dns_cache_get_locked(struct dns_cache *c, const uint8_t *pkt, size_t len, uint64_t gen,
			    uint64_t now_ms, uint64_t age_ms, uint64_t rnd, uint8_t *out,
			    size_t cap, bool *renew)
{
	if (!dns_cache_key_ok(pkt, len)) {
		c->st.misses++;
		return 0;
	}
	const uint8_t *k = pkt + 2;
	size_t kn = len - 2;
	uint64_t h = hash_key(k, kn);
	size_t i = (size_t)h & MASK;
	struct centry *e = c->slot[i];
	if (!same_key(e, h, k, kn))
		e = c->slot[(i + 1) & MASK];
	if (!same_key(e, h, k, kn) || !fresh(c, e, gen, now_ms, age_ms)) {
		c->st.misses++;
		return 0;
	}
	size_t v = (size_t)(rnd % e->nvar);
	size_t n = e->vlen[v];
	if (n > cap) {
		c->st.misses++;
		return 0;
	}
	memcpy(out, e->data + e->voff[v], n);
	out[0] = pkt[0]; /* the query's ID */
	out[1] = pkt[1];
	c->st.hits++;
	if (renew && !e->renew_asked && now_ms - e->born_ms >= DNS_CACHE_RENEW_MS) {
		e->renew_asked = true; /* one request per entry: the rebuild replaces it */
		*renew = true;
	}
	return n;
}

size_t dns_cache_get(struct dns_cache *c, const uint8_t *pkt, size_t len, uint64_t gen,
		     uint64_t now_ms, uint64_t age_ms, uint64_t rnd, uint8_t *out, size_t cap)
{
	dns_cache_lock(c);
	size_t n = dns_cache_get_locked(c, pkt, len, gen, now_ms, age_ms, rnd, out, cap, NULL);
	dns_cache_unlock(c);
	return n;
}

void dns_cache_put(struct dns_cache *c, const uint8_t *pkt, size_t len, uint64_t gen,
		   uint64_t now_ms, const uint8_t *const *vars, const size_t *lens, size_t n)
{
	if (!dns_cache_key_ok(pkt, len) || n < 1 || n > DNS_CACHE_VARIANTS)
		return;
	size_t kn = len - 2, total = kn;
	for (size_t v = 0; v < n; v++) {
		if (!dns_cache_cacheable(vars[v], lens[v]))
			return;
		total += lens[v];
	}
	/* built outside the lock */
	struct centry *e = xmalloc(sizeof(*e) + total);
	e->hash = hash_key(pkt + 2, kn);
	e->gen = gen;
	e->born_ms = now_ms;
	e->klen = (uint16_t)kn;
	e->nvar = (uint16_t)n;
	e->renew_asked = false;
	memcpy(e->data, pkt + 2, kn);
	size_t off = kn;
	for (size_t v = 0; v < n; v++) {
		e->vlen[v] = (uint16_t)lens[v];
		e->voff[v] = (uint32_t)off;
		memcpy(e->data + off, vars[v], lens[v]);
		off += lens[v];
	}

	size_t i = (size_t)e->hash & MASK, j = (i + 1) & MASK;
	dns_cache_lock(c);
	struct centry *a = c->slot[i], *b = c->slot[j];
	size_t at;
	if (same_key(a, e->hash, e->data, kn))
		at = i;
	else if (same_key(b, e->hash, e->data, kn))
		at = j;
	else if (!a || !b)
		at = !a ? i : j;
	else if (!fresh(c, a, gen, now_ms, c->max_ms))
		at = i;
	else if (!fresh(c, b, gen, now_ms, c->max_ms))
		at = j;
	else
		at = a->born_ms <= b->born_ms ? i : j;
	struct centry *old = c->slot[at];
	c->slot[at] = e;
	c->st.inserts++;
	if (!old)
		c->st.entries++;
	dns_cache_unlock(c);
	free(old);
}

void dns_cache_clear(struct dns_cache *c)
{
	struct centry *gone[DNS_CACHE_SLOTS];
	dns_cache_lock(c);
	memcpy(gone, c->slot, sizeof(gone));
	memset(c->slot, 0, sizeof(c->slot));
	c->st.entries = 0;
	dns_cache_unlock(c);
	for (size_t i = 0; i < DNS_CACHE_SLOTS; i++)
		free(gone[i]);
}

struct dns_cache_stats dns_cache_stats(struct dns_cache *c)
{
	dns_cache_lock(c);
	struct dns_cache_stats s = c->st;
	dns_cache_unlock(c);
	return s;
}
