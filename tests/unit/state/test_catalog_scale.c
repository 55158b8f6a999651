/*
 * Catalog at scale: 10,000 services with 10,000 checks on one node stay well
 * under 30 MB of heap (measured with mallinfo2, skipped under sanitizers whose
 * allocator it cannot see); re-registering an unchanged service costs a few
 * lookups (timed against the first registration); a node-level check change
 * touches every service; freeze + encode + restore round-trips the lot.
 * Figures are printed as "# ..." lines.
 */
#include "test_catalog_helpers.h"

#include "base/err.h"

#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <cmocka.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

#define N 10000

static double ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int register_all(struct store *s, uint64_t first, int port)
{
	static const char *tags[] = {"primary", "v1"};
	struct cat_pair meta[] = {{"version", "1.2.3"}};
	for (int i = 0; i < N; i++) {
		char id[32], name[32], cid[48];
		snprintf(id, sizeof(id), "svc-%05d", i);
		snprintf(name, sizeof(name), "service-%05d", i);
		snprintf(cid, sizeof(cid), "service:%s", id);
		struct cat_service svc = svc_tmpl(id, name, port + i % 1000);
		svc.tags = tags;
		svc.ntags = 2;
		svc.meta = meta;
		svc.nmeta = 1;
		struct cat_check c = chk_tmpl(cid, id, CAT_PASSING);
		c.name = "Service TTL";
		c.type = "ttl";
		c.output = "TTL check passed";
		int rc = reg1(s, first + (uint64_t)i, "bench-node", "10.0.0.1", &svc, &c);
		if (rc)
			return rc;
	}
	return 0;
}

static void test_memory_and_noop_cost(void **state)
{
	struct mallinfo2 before = mallinfo2();
	struct store *s = store_new();
	double t0 = ms();
	assert_int_equal(register_all(s, 1, 8000), 0);
	double t1 = ms();
	struct mallinfo2 after = mallinfo2();
	size_t used = after.uordblks - before.uordblks;
	printf("# %d services + %d checks on one node: %.2f MB heap, register %.1f us each\n", N, N,
	       (double)used / 1e6, (t1 - t0) * 1e3 / N);
	if (!UNDER_SANITIZER)
		assert_true(used < 30u * 1000 * 1000);
	assert_int_equal(catalog_service_count(s), N);
	assert_int_equal(catalog_check_count(s), N);

	uint64_t idx_before = catalog_service_index(s, "service-00042");
	double t2 = ms();
	assert_int_equal(register_all(s, N + 1, 8000), 0); /* anti-entropy: unchanged */
	double t3 = ms();
	printf("# unchanged re-registration: %.2f us each\n", (t3 - t2) * 1e3 / N);
	assert_int_equal(catalog_service_index(s, "service-00042"), idx_before);
	/* unchanged costs no more than creation (which also moves vectors) */
	assert_true(t3 - t2 < (t1 - t0) * 2 + 50);

	/* a node-level check touches every service on the node */
	struct cat_check serf = chk_tmpl("serfHealth", "", CAT_PASSING);
	double t4 = ms();
	assert_int_equal(reg1(s, 3 * N, "bench-node", "10.0.0.1", NULL, &serf), 0);
	printf("# node-level check over %d services: %.2f ms\n", N, ms() - t4);
	assert_int_equal(catalog_service_index(s, "service-09999"), 3 * N);

	struct store_frozen *f = store_freeze(s);
	struct buf snap = BUF_INIT;
	double t5 = ms();
	store_frozen_encode(f, &snap);
	double t6 = ms();
	store_frozen_release(f);
	struct store *r = store_new();
	assert_int_equal(store_restore(r, snap.data, snap.len), 0);
	printf("# snapshot %zu bytes: encode %.1f ms, restore %.1f ms\n", snap.len, t6 - t5,
	       ms() - t6);
	assert_int_equal(catalog_service_count(r), N);
	assert_int_equal(catalog_service_index(r, "service-09999"), 3 * N);
	buf_free(&snap);
	store_free(r);
	assert_int_equal(dereg(s, 3 * N + 1, "bench-node", NULL, NULL), 0);
	assert_int_equal(catalog_service_count(s), 0);
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_memory_and_noop_cost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
