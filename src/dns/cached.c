/*
 * dns_cached_respond (cached.h): the cache in front of dns_respond for UDP.
 *
 * The variants are built one after the other on the loop thread, right after
 * the reply the client is waiting for, into one scratch buffer per build
 * (dns_respond needs room for DNS_MSG_MAX). The first build counts the random
 * numbers it drew through a wrapper around the view's source: none means the
 * answer has no shuffle and one variant is all there is.
 */
#include "dns/cached.h"

#include "base/alloc.h"
#include "state/store.h"

#include <stdlib.h>
#include <string.h>

struct counted {
	uint64_t (*rand)(void *ctx); /* the view's source */
	void *ctx;		     /* its context */
	size_t draws;		     /* numbers drawn so far */
};

static uint64_t counted_rand(void *ctx)
{
	struct counted *k = ctx;
	k->draws++;
	return k->rand(k->ctx);
}

uint64_t dns_view_generation(const struct dns_view *v)
{
	return v->store ? store_generation(v->store) : 0;
}

/* The remaining variants of the reply in out[n] (already cacheable); stored
 * with it. A build that comes out different in kind (not cacheable) stops the
 * whole entry: nothing is stored. */
static void fill(struct dns_cache *c, const struct dns_view *v, uint64_t gen, uint64_t now_ms,
		 const uint8_t *pkt, size_t len, const uint8_t *first, size_t n, bool shuffled)
{
	const uint8_t *vars[DNS_CACHE_VARIANTS] = {first};
	size_t lens[DNS_CACHE_VARIANTS] = {n};
	size_t nv = 1;
	uint8_t *bufs = NULL, *scratch = NULL;
	if (shuffled) {
		bufs = xmalloc((DNS_CACHE_VARIANTS - 1) * DNS_CACHE_REPLY_MAX);
		scratch = xmalloc(DNS_MSG_MAX);
		for (; nv < DNS_CACHE_VARIANTS; nv++) {
			size_t m = 0;
			if (dns_respond(v, pkt, len, 0, scratch, &m) != DNS_REPLY ||
			    !dns_cache_cacheable(scratch, m))
				goto out;
			uint8_t *dst = bufs + (nv - 1) * DNS_CACHE_REPLY_MAX;
			memcpy(dst, scratch, m);
			vars[nv] = dst;
			lens[nv] = m;
		}
	}
	dns_cache_put(c, pkt, len, gen, now_ms, vars, lens, nv);
out:
	free(bufs);
	free(scratch);
}

enum dns_outcome dns_cached_respond(struct dns_cache *c, const struct dns_view *v, uint64_t now_ms,
				    const uint8_t *pkt, size_t len, uint8_t *out, size_t *out_len)
{
	bool keyed = dns_cache_key_ok(pkt, len);
	uint64_t gen = dns_view_generation(v);
	if (keyed) {
		uint64_t rnd = v->rand ? v->rand(v->rand_ctx) : 0;
		size_t n = dns_cache_get(c, pkt, len, gen, now_ms, DNS_CACHE_RENEW_MS, rnd, out,
					 DNS_MSG_MAX);
		if (n) {
			*out_len = n;
			return DNS_REPLY;
		}
	}
	struct dns_view cv = *v;
	struct counted k = {v->rand, v->rand_ctx, 0};
	if (v->rand) {
		cv.rand = counted_rand;
		cv.rand_ctx = &k;
	}
	enum dns_outcome o = dns_respond(&cv, pkt, len, 0, out, out_len);
	if (o == DNS_REPLY && keyed && dns_cache_cacheable(out, *out_len))
		fill(c, v, gen, now_ms, pkt, len, out, *out_len, k.draws > 0);
	return o;
}
