/*
 * The UDP answer cache (dns/cache.h) and dns_cached_respond (dns/cached.h):
 * the key is the query without its ID (case and EDNS included), a hit gets the
 * query's ID, entries die with a new generation or past the age the caller
 * accepts (at most the cache's maximum), a
 * reload clears them, a worker is asked once per entry to have an old one
 * renewed, only AA NOERROR/NXDOMAIN replies are kept, the variants
 * of a shuffled answer rotate, and the store's generation moves with every
 * write so a health change is in the very next answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dns/cache.h"
#include "dns/cached.h"

#include "base/be.h"

#include "helpers.h"

/* A reply as the cache wants it: ID, QR|AA|rcode, then tag as the payload. */
static size_t mkr(uint8_t *buf, uint16_t id, unsigned rcode, bool aa, uint8_t tag)
{
	memset(buf, 0, 16);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	uint16_t fl = (uint16_t)(DNS_F_QR | (aa ? DNS_F_AA : 0) | rcode);
	buf[2] = (uint8_t)(fl >> 8);
	buf[3] = (uint8_t)fl;
	buf[12] = tag;
	return 16;
}

static void put1(struct dns_cache *c, const uint8_t *q, size_t qn, uint64_t gen, uint64_t now,
		 uint8_t tag)
{
	uint8_t r[16];
	size_t n = mkr(r, 0xdead, DNS_R_NOERROR, true, tag);
	const uint8_t *vars[1] = {r};
	dns_cache_put(c, q, qn, gen, now, vars, &n, 1);
}

static void test_key_and_id(void **state)
{
	(void)state;
	struct dns_cache *c = dns_cache_new(200);
	uint8_t q[512], q2[512], out[DNS_CACHE_REPLY_MAX];
	size_t qn = mkq(q, "web.service.consul", DNS_T_SRV, -1, false);
	assert_int_equal(dns_cache_get(c, q, qn, 1, 1000, 200, 0, out, sizeof(out)), 0);
	put1(c, q, qn, 1, 1000, 7);

	/* same question, another ID: a hit carrying the new ID */
	memcpy(q2, q, qn);
	q2[0] = 0xab;
	q2[1] = 0xcd;
	size_t n = dns_cache_get(c, q2, qn, 1, 1001, 200, 0, out, sizeof(out));
	assert_int_equal(n, 16);
	assert_int_equal(out[0], 0xab);
	assert_int_equal(out[1], 0xcd);
	assert_int_equal(out[12], 7);

	/* the case of the name, the type, RD, EDNS: other keys */
	size_t n2 = mkq(q2, "WEB.service.consul", DNS_T_SRV, -1, false);
	assert_int_equal(dns_cache_get(c, q2, n2, 1, 1001, 200, 0, out, sizeof(out)), 0);
	n2 = mkq(q2, "web.service.consul", DNS_T_A, -1, false);
	assert_int_equal(dns_cache_get(c, q2, n2, 1, 1001, 200, 0, out, sizeof(out)), 0);
	n2 = mkq(q2, "web.service.consul", DNS_T_SRV, 1232, false);
	assert_int_equal(dns_cache_get(c, q2, n2, 1, 1001, 200, 0, out, sizeof(out)), 0);
	memcpy(q2, q, qn);
	q2[2] = 0; /* RD off */
	assert_int_equal(dns_cache_get(c, q2, qn, 1, 1001, 200, 0, out, sizeof(out)), 0);

	/* too small a buffer is a miss, not an overflow */
	assert_int_equal(dns_cache_get(c, q, qn, 1, 1001, 200, 0, out, 15), 0);
	/* no header: never a key */
	assert_false(dns_cache_key_ok(q, 11));
	assert_int_equal(dns_cache_get(c, q, 11, 1, 1001, 200, 0, out, sizeof(out)), 0);

	struct dns_cache_stats st = dns_cache_stats(c);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.inserts, 1);
	assert_int_equal(st.entries, 1);
	dns_cache_free(c);
}

static void test_generation_expiry_clear(void **state)
{
	(void)state;
	struct dns_cache *c = dns_cache_new(200);
	uint8_t q[512], out[DNS_CACHE_REPLY_MAX];
	size_t qn = mkq(q, "web.service.consul", DNS_T_A, -1, false);
	put1(c, q, qn, 5, 1000, 1);
	assert_int_not_equal(dns_cache_get(c, q, qn, 5, 1000, 200, 0, out, sizeof(out)), 0);
	assert_int_not_equal(dns_cache_get(c, q, qn, 5, 1199, 200, 0, out, sizeof(out)), 0);
	/* lifetime over */
	assert_int_equal(dns_cache_get(c, q, qn, 5, 1200, 200, 0, out, sizeof(out)), 0);
	/* a clock before the entry (never from a monotonic clock): not trusted */
	assert_int_equal(dns_cache_get(c, q, qn, 5, 999, 200, 0, out, sizeof(out)), 0);
	/* another generation, either way */
	assert_int_equal(dns_cache_get(c, q, qn, 6, 1100, 200, 0, out, sizeof(out)), 0);
	assert_int_equal(dns_cache_get(c, q, qn, 4, 1100, 200, 0, out, sizeof(out)), 0);
	/* a newer put replaces */
	put1(c, q, qn, 6, 1100, 2);
	assert_int_equal(dns_cache_get(c, q, qn, 6, 1100, 200, 0, out, sizeof(out)), 16);
	assert_int_equal(out[12], 2);
	assert_int_equal(dns_cache_stats(c).entries, 1);
	/* the caller's age bound (the loop renews at 100 ms, the worker serves
	 * up to the cache's max), never beyond the cache's max */
	assert_int_equal(dns_cache_get(c, q, qn, 6, 1250, 100, 0, out, sizeof(out)), 0);
	assert_int_equal(dns_cache_get(c, q, qn, 6, 1250, 250, 0, out, sizeof(out)), 16);
	assert_int_equal(dns_cache_get(c, q, qn, 6, 1250, 151, 0, out, sizeof(out)), 16);
	assert_int_equal(dns_cache_get(c, q, qn, 6, 1300, 1000, 0, out, sizeof(out)), 0);
	/* reload */
	dns_cache_clear(c);
	assert_int_equal(dns_cache_get(c, q, qn, 6, 1100, 200, 0, out, sizeof(out)), 0);
	assert_int_equal(dns_cache_stats(c).entries, 0);
	dns_cache_free(c);
}

/* What a worker thread sees: hits up to the cache's max age, and a renewal
 * request the first time an entry past DNS_CACHE_RENEW_MS is served. */
static size_t get_w(struct dns_cache *c, const uint8_t *q, size_t qn, uint64_t now, bool *renew)
{
	uint8_t out[DNS_CACHE_REPLY_MAX];
	*renew = false;
	dns_cache_lock(c);
	size_t n =
	    dns_cache_get_locked(c, q, qn, 1, now, DNS_CACHE_MAX_MS, 0, out, sizeof(out), renew);
	dns_cache_unlock(c);
	return n;
}

static void test_renew_asked_once(void **state)
{
	(void)state;
	struct dns_cache *c = dns_cache_new(DNS_CACHE_MAX_MS);
	uint8_t q[512];
	bool renew;
	size_t qn = mkq(q, "web.service.consul", DNS_T_A, -1, false);
	put1(c, q, qn, 1, 1000, 1);
	assert_int_equal(get_w(c, q, qn, 1000 + DNS_CACHE_RENEW_MS - 1, &renew), 16);
	assert_false(renew); /* young */
	assert_int_equal(get_w(c, q, qn, 1000 + DNS_CACHE_RENEW_MS, &renew), 16);
	assert_true(renew); /* old: served, and renewal asked */
	assert_int_equal(get_w(c, q, qn, 1000 + DNS_CACHE_RENEW_MS + 5, &renew), 16);
	assert_false(renew); /* asked already */
	/* the rebuild replaces the entry, which can be asked for again later */
	put1(c, q, qn, 1, 1000 + DNS_CACHE_RENEW_MS + 10, 2);
	assert_int_equal(get_w(c, q, qn, 1000 + DNS_CACHE_RENEW_MS + 20, &renew), 16);
	assert_false(renew);
	assert_int_equal(get_w(c, q, qn, 1000 + 2 * DNS_CACHE_RENEW_MS + 10, &renew), 16);
	assert_true(renew);
	/* a miss asks nothing */
	assert_int_equal(get_w(c, q, qn, 1000 + DNS_CACHE_MAX_MS + 500, &renew), 0);
	assert_false(renew);
	dns_cache_free(c);
}

static void test_cacheable(void **state)
{
	(void)state;
	uint8_t r[DNS_CACHE_REPLY_MAX + 1];
	assert_true(dns_cache_cacheable(r, mkr(r, 1, DNS_R_NOERROR, true, 0)));
	assert_true(dns_cache_cacheable(r, mkr(r, 1, DNS_R_NXDOMAIN, true, 0)));
	assert_false(dns_cache_cacheable(r, mkr(r, 1, DNS_R_NOERROR, false, 0))); /* recursed */
	assert_false(dns_cache_cacheable(r, mkr(r, 1, DNS_R_SERVFAIL, true, 0)));
	assert_false(dns_cache_cacheable(r, mkr(r, 1, DNS_R_FORMERR, true, 0)));
	assert_false(dns_cache_cacheable(r, mkr(r, 1, DNS_R_NOTIMP, true, 0)));
	assert_false(dns_cache_cacheable(r, mkr(r, 1, DNS_R_REFUSED, false, 0)));
	mkr(r, 1, DNS_R_NOERROR, true, 0);
	assert_true(dns_cache_cacheable(r, DNS_CACHE_REPLY_MAX));
	assert_false(dns_cache_cacheable(r, DNS_CACHE_REPLY_MAX + 1));
	r[2] &= 0x7f; /* not a response */
	assert_false(dns_cache_cacheable(r, 16));

	/* a put with one unfit variant stores nothing */
	struct dns_cache *c = dns_cache_new(200);
	uint8_t q[512], a[16], b[16], out[DNS_CACHE_REPLY_MAX];
	size_t qn = mkq(q, "x.service.consul", DNS_T_A, -1, false);
	const uint8_t *vars[2] = {a, b};
	size_t lens[2] = {mkr(a, 1, DNS_R_NOERROR, true, 1), mkr(b, 1, DNS_R_SERVFAIL, true, 2)};
	dns_cache_put(c, q, qn, 1, 0, vars, lens, 2);
	assert_int_equal(dns_cache_get(c, q, qn, 1, 0, 200, 0, out, sizeof(out)), 0);
	dns_cache_put(c, q, qn, 1, 0, vars, lens, 0);
	assert_int_equal(dns_cache_stats(c).inserts, 0);
	dns_cache_free(c);
}

static void test_variants_rotate(void **state)
{
	(void)state;
	struct dns_cache *c = dns_cache_new(200);
	uint8_t q[512], out[DNS_CACHE_REPLY_MAX], r[DNS_CACHE_VARIANTS][16];
	const uint8_t *vars[DNS_CACHE_VARIANTS];
	size_t lens[DNS_CACHE_VARIANTS];
	for (size_t v = 0; v < DNS_CACHE_VARIANTS; v++) {
		lens[v] = mkr(r[v], 0, DNS_R_NOERROR, true, (uint8_t)(10 + v));
		vars[v] = r[v];
	}
	size_t qn = mkq(q, "web.service.consul", DNS_T_SRV, -1, false);
	dns_cache_put(c, q, qn, 1, 0, vars, lens, DNS_CACHE_VARIANTS);
	bool seen[DNS_CACHE_VARIANTS] = {false};
	for (uint64_t rnd = 0; rnd < 2 * DNS_CACHE_VARIANTS; rnd++) {
		assert_int_equal(dns_cache_get(c, q, qn, 1, 10, 200, rnd, out, sizeof(out)), 16);
		assert_int_equal(out[12], 10 + rnd % DNS_CACHE_VARIANTS);
		seen[out[12] - 10] = true;
	}
	for (size_t v = 0; v < DNS_CACHE_VARIANTS; v++)
		assert_true(seen[v]);
	dns_cache_free(c);
}

/* Many keys: the table keeps answering right (a slot's key is checked), stays
 * bounded, and the newest entry of a key wins. */
static void test_many_keys(void **state)
{
	(void)state;
	struct dns_cache *c = dns_cache_new(200);
	uint8_t q[512], out[DNS_CACHE_REPLY_MAX];
	char name[64];
	for (int i = 0; i < 4 * DNS_CACHE_SLOTS; i++) {
		snprintf(name, sizeof(name), "n%d.node.consul", i);
		size_t qn = mkq(q, name, DNS_T_A, -1, false);
		put1(c, q, qn, 1, 0, (uint8_t)i);
	}
	assert_true(dns_cache_stats(c).entries <= DNS_CACHE_SLOTS);
	size_t hits = 0;
	for (int i = 0; i < 4 * DNS_CACHE_SLOTS; i++) {
		snprintf(name, sizeof(name), "n%d.node.consul", i);
		size_t qn = mkq(q, name, DNS_T_A, -1, false);
		if (dns_cache_get(c, q, qn, 1, 0, 200, 0, out, sizeof(out))) {
			assert_int_equal(out[12], (uint8_t)i);
			hits++;
		}
	}
	assert_true(hits > DNS_CACHE_SLOTS / 2 && hits <= DNS_CACHE_SLOTS);
	dns_cache_free(c);
}

/* ---- dns_cached_respond over a real store ---- */

static void three_web(struct fix *f, enum cat_status st3)
{
	const char *addrs[3] = {"10.0.0.1", "10.0.0.2", "10.0.0.3"};
	const char *nodes[3] = {"web-1", "web-2", "web-3"};
	for (int i = 0; i < 3; i++) {
		struct cat_service s = svc("web", "web", 8080);
		struct cat_check k = chk("c", "web", i == 2 ? st3 : CAT_PASSING);
		reg_node(f, nodes[i], addrs[i], NULL, 0, &s, 1, &k, 1);
	}
}

static size_t draws;

static uint64_t count_rand(void *ctx)
{
	draws++;
	return fix_rand(ctx);
}

static size_t ask_cached(struct fix *f, struct dns_cache *c, uint64_t now, const char *name,
			 uint16_t type, uint16_t id, uint8_t *out)
{
	uint8_t q[512];
	size_t qn = mkq(q, name, type, -1, false);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	size_t n = 0;
	assert_int_equal(dns_cached_respond(c, &f->v, now, q, qn, out, &n), DNS_REPLY);
	return n;
}

static void test_cached_respond(void **state)
{
	(void)state;
	struct fix f;
	fix_init(&f);
	three_web(&f, CAT_PASSING);
	struct dns_cache *c = dns_cache_new(200);
	static uint8_t out[DNS_MSG_MAX], plain[DNS_MSG_MAX];

	/* a miss answers as dns_respond does, and stores the variants */
	size_t n = ask_cached(&f, c, 0, "web.service.consul", DNS_T_SRV, 0x0101, out);
	assert_int_equal(dns_cache_stats(c).misses, 1);
	assert_int_equal(dns_cache_stats(c).inserts, 1);
	char *first = dns_dump(out, n, true, NULL);
	/* hits: the same records (sorted), the query's ID, several orders */
	size_t orders = 0;
	char *seen[DNS_CACHE_VARIANTS * 4];
	for (int i = 0; i < 40; i++) {
		n = ask_cached(&f, c, 10, "web.service.consul", DNS_T_SRV, (uint16_t)(0x200 + i),
			       out);
		assert_int_equal(out[0], 0x02);
		assert_int_equal(out[1], i);
		assert_dump(dns_dump(out, n, true, NULL), first);
		char *raw = dns_dump(out, n, false, NULL);
		bool dup = false;
		for (size_t j = 0; j < orders && !dup; j++)
			dup = strcmp(seen[j], raw) == 0;
		if (dup || orders == sizeof(seen) / sizeof(seen[0]))
			free(raw);
		else
			seen[orders++] = raw;
	}
	assert_int_equal(dns_cache_stats(c).hits, 40);
	assert_true(orders >= 2); /* 8 shuffles of 3: all equal has odds 6^-7 */
	for (size_t j = 0; j < orders; j++)
		free(seen[j]);

	/* a deterministic answer (a node) is built once: one draw, the variant pick */
	f.v.rand = count_rand;
	draws = 0;
	ask_cached(&f, c, 10, "web-1.node.consul", DNS_T_A, 1, out);
	assert_int_equal(draws, 1);
	assert_int_equal(dns_cache_stats(c).inserts, 2);
	n = ask_cached(&f, c, 10, "nope.service.consul", DNS_T_A, 1, out); /* NXDOMAIN: cached */
	assert_int_equal(out[3] & 0xF, DNS_R_NXDOMAIN);
	assert_int_equal(dns_cache_stats(c).inserts, 3);

	/* a write: the next answer is the store's, not the cache's */
	struct cat_service s = svc("web", "web", 8080);
	struct cat_check k = chk("c", "web", CAT_CRITICAL);
	reg_node(&f, "web-3", "10.0.0.3", NULL, 0, &s, 1, &k, 1);
	n = ask_cached(&f, c, 20, "web.service.consul", DNS_T_SRV, 9, out);
	uint8_t q[512];
	size_t qn = mkq(q, "web.service.consul", DNS_T_SRV, -1, false);
	size_t pn = 0;
	dns_respond(&f.v, q, qn, 0, plain, &pn);
	char *want = dns_dump(plain, pn, true, NULL);
	assert_dump(dns_dump(out, n, true, NULL), want);
	free(want);
	assert_int_equal(be16_get(out + 6), 2); /* two SRV answers left */

	/* outcomes other than a reply from cairn's zones are not stored */
	uint64_t ins = dns_cache_stats(c).inserts;
	n = ask_cached(&f, c, 20, "example.com", DNS_T_A, 1, out); /* REFUSED: no recursors */
	assert_int_equal(out[3] & 0xF, DNS_R_REFUSED);
	n = ask_cached(&f, c, 20, "consul", DNS_T_AXFR, 1, out); /* NOTIMP */
	assert_int_equal(dns_cache_stats(c).inserts, ins);
	free(first);
	dns_cache_free(c);
	fix_free(&f);
}

/* Every write moves the store's generation, committed or aborted. */
static void test_store_generation(void **state)
{
	(void)state;
	struct fix f;
	fix_init(&f);
	uint64_t g0 = store_generation(f.s);
	three_web(&f, CAT_PASSING);
	uint64_t g1 = store_generation(f.s);
	assert_true(g1 > g0);
	struct store_txn *t = store_txn_begin(f.s, f.index++);
	assert_int_equal(kv_txn_set(t, "k", "v", 1, 0), 0);
	store_txn_commit(t);
	uint64_t g2 = store_generation(f.s);
	assert_true(g2 > g1);
	t = store_txn_begin(f.s, f.index++);
	assert_int_equal(kv_txn_set(t, "k", "w", 1, 0), 0);
	store_txn_abort(t);
	assert_true(store_generation(f.s) > g2);
	fix_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_and_id),	     cmocka_unit_test(test_generation_expiry_clear),
	    cmocka_unit_test(test_renew_asked_once), cmocka_unit_test(test_cacheable),
	    cmocka_unit_test(test_variants_rotate),  cmocka_unit_test(test_many_keys),
	    cmocka_unit_test(test_cached_respond),   cmocka_unit_test(test_store_generation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
