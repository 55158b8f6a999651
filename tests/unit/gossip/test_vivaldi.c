/*
 * Unit tests of network coordinates (src/gossip/vivaldi.c, vivaldi_codec.c):
 * convergence on synthetic topologies with known latencies, serf's formulas
 * on hand-checked cases, invalid input, the wire form, Go-style JSON numbers
 * and the ?near= ordering.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "gossip/vivaldi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXN 25

struct sim {
	int n;
	struct vivaldi node[MAXN];
	double rtt[MAXN][MAXN]; /* true RTT, seconds */
	uint64_t rng;
};

static uint64_t next(struct sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

static void sim_init(struct sim *s, int n)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->rng = 88172645463325252ULL;
	for (int i = 0; i < n; i++)
		assert_int_equal(vivaldi_init(&s->node[i], NULL, (uint64_t)i + 1), 0);
}

static void sim_free(struct sim *s)
{
	for (int i = 0; i < s->n; i++)
		vivaldi_free(&s->node[i]);
}

/* rounds x n probes, each to a random peer, with +-jitter relative noise. */
static void sim_run(struct sim *s, int rounds, double jitter)
{
	char name[16];
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < s->n; i++) {
			int j = (int)(next(s) % (uint64_t)(s->n - 1));
			j += j >= i;
			double noise = 1.0 + jitter * (((double)(next(s) % 2001) / 1000.0) - 1.0);
			int64_t ns = (int64_t)(s->rtt[i][j] * noise * 1e9);
			struct vivaldi_coord peer = s->node[j].coord;
			snprintf(name, sizeof(name), "node-%d", j);
			assert_int_equal(vivaldi_update(&s->node[i], name, &peer, ns, NULL), 0);
		}
	}
}

/* Mean and worst relative error of the estimates over all pairs. */
static void sim_error(const struct sim *s, double *mean, double *worst)
{
	double sum = 0;
	int pairs = 0;
	*worst = 0;
	for (int i = 0; i < s->n; i++)
		for (int j = i + 1; j < s->n; j++) {
			double est = vivaldi_distance(&s->node[i].coord, &s->node[j].coord);
			double e = fabs(est - s->rtt[i][j]) / s->rtt[i][j];
			sum += e;
			pairs++;
			*worst = fmax(*worst, e);
		}
	*mean = sum / pairs;
}

/* 5 x 5 grid, 10 ms between neighbours (serf's performance test topology). */
static void test_converges_grid(void **state)
{
	static struct sim s;
	sim_init(&s, 25);
	for (int i = 0; i < 25; i++)
		for (int j = 0; j < 25; j++) {
			double dx = i % 5 - j % 5, dy = i / 5 - j / 5;
			s.rtt[i][j] = 0.010 * sqrt(dx * dx + dy * dy);
		}
	sim_run(&s, 1000, 0.0);
	double mean, worst;
	sim_error(&s, &mean, &worst);
	if (mean > 0.05 || worst > 0.15)
		fail_msg("grid: mean error %.3f, worst %.3f", mean, worst);
	for (int i = 0; i < 25; i++)
		assert_true(s.node[i].coord.error < 0.5);
	sim_free(&s);
}

/* 10 nodes on a line, 2 ms apart, each with a 5 ms access link (height), and
 * 5% jitter on every sample. */
static void test_converges_line_with_height(void **state)
{
	static struct sim s;
	sim_init(&s, 10);
	for (int i = 0; i < 10; i++)
		for (int j = 0; j < 10; j++)
			s.rtt[i][j] = 0.002 * abs(i - j) + (i != j ? 0.010 : 0);
	sim_run(&s, 1000, 0.05);
	double mean, worst;
	sim_error(&s, &mean, &worst);
	if (mean > 0.05 || worst > 0.15)
		fail_msg("line: mean error %.3f, worst %.3f", mean, worst);
	sim_free(&s);
}

static void test_fresh_and_distance(void **state)
{
	struct vivaldi_config cfg;
	vivaldi_config_default(&cfg);
	assert_true(cfg.error_max == 1.5 && cfg.ce == 0.25 && cfg.cc == 0.25);
	assert_true(cfg.adjustment_window == 20 && cfg.latency_filter == 3);
	assert_true(cfg.height_min == 10e-6 && cfg.gravity_rho == 150.0);
	struct vivaldi_coord a, b;
	vivaldi_coord_init(&a, &cfg);
	vivaldi_coord_init(&b, &cfg);
	assert_true(a.error == 1.5 && a.height == 10e-6 && a.adjustment == 0);
	/* 3-4-5 triangle plus two heights */
	a.vec[0] = 0.003;
	b.vec[1] = 0.004;
	a.height = b.height = 0.001;
	assert_int_equal(vivaldi_distance_ns(&a, &b), 7000000);
	/* adjustments apply when the sum stays positive */
	a.adjustment = 0.001;
	b.adjustment = -0.0005;
	assert_int_equal(vivaldi_distance_ns(&a, &b), 7500000);
	a.adjustment = -0.01;
	assert_int_equal(vivaldi_distance_ns(&a, &b), 7000000);
}

/* Two fresh nodes at the same point: the update pushes them apart along a
 * random direction; the height grows only once they are apart. */
static void test_first_update(void **state)
{
	struct vivaldi v;
	assert_int_equal(vivaldi_init(&v, NULL, 7), 0);
	struct vivaldi_coord other;
	vivaldi_coord_init(&other, &v.cfg);
	assert_int_equal(vivaldi_update(&v, "b", &other, 10000000, NULL), 0);
	double mag = 0;
	for (int i = 0; i < VIVALDI_DIM; i++)
		mag += v.coord.vec[i] * v.coord.vec[i];
	assert_true(sqrt(mag) > 0.0005);
	assert_true(v.coord.height == 10e-6);
	/* error: ce * weight(0.5) * wrongness + 1.5 * (1 - 0.125), capped at 1.5 */
	assert_true(v.coord.error <= 1.5);
	assert_non_null(vivaldi_peer_coord(&v, "b"));
	assert_null(vivaldi_peer_coord(&v, "c"));
	vivaldi_forget(&v, "b");
	assert_null(vivaldi_peer_coord(&v, "b"));
	vivaldi_free(&v);
}

/* The median filter: one spike among three samples does not move the RTT. */
static void test_latency_filter(void **state)
{
	struct vivaldi a, b;
	assert_int_equal(vivaldi_init(&a, NULL, 1), 0);
	assert_int_equal(vivaldi_init(&b, NULL, 1), 0);
	struct vivaldi_coord other;
	vivaldi_coord_init(&other, &a.cfg);
	other.vec[0] = 0.01;
	vivaldi_update(&a, "p", &other, 10000000, NULL);
	vivaldi_update(&a, "p", &other, 10000000, NULL);
	vivaldi_update(&a, "p", &other, 900000000, NULL); /* spike: median is 10 ms */
	vivaldi_update(&b, "p", &other, 10000000, NULL);
	vivaldi_update(&b, "p", &other, 10000000, NULL);
	vivaldi_update(&b, "p", &other, 10000000, NULL);
	for (int i = 0; i < VIVALDI_DIM; i++)
		assert_true(fabs(a.coord.vec[i] - b.coord.vec[i]) < 1e-12);
	vivaldi_free(&a);
	vivaldi_free(&b);
}

static void test_invalid_input(void **state)
{
	struct vivaldi v;
	assert_int_equal(vivaldi_init(&v, NULL, 1), 0);
	struct vivaldi_coord before = v.coord, bad;
	vivaldi_coord_init(&bad, &v.cfg);
	bad.vec[3] = NAN;
	const char *why = NULL;
	assert_int_equal(vivaldi_update(&v, "x", &bad, 1000000, &why), CAIRN_E_INVAL);
	assert_string_equal(why, "coordinate is invalid");
	bad.vec[3] = 0;
	bad.height = INFINITY;
	assert_int_equal(vivaldi_update(&v, "x", &bad, 1000000, NULL), CAIRN_E_INVAL);
	bad.height = 10e-6;
	assert_int_equal(vivaldi_update(&v, "x", &bad, -1, &why), CAIRN_E_INVAL);
	assert_string_equal(why, "round trip time not in valid range");
	assert_int_equal(vivaldi_update(&v, "x", &bad, VIVALDI_MAX_RTT_NS + 1, NULL),
			 CAIRN_E_INVAL);
	assert_memory_equal(&before, &v.coord, sizeof(before));
	assert_null(vivaldi_peer_coord(&v, "x"));
	/* zero RTT is accepted (coarse clocks), as serf does */
	assert_int_equal(vivaldi_update(&v, "x", &bad, 0, NULL), 0);
	assert_true(vivaldi_coord_valid(&v.coord));
	/* a peer far out (but finite) that drives ours to Inf resets it */
	struct vivaldi_coord huge = bad;
	huge.vec[0] = 1e308;
	huge.height = 1e308;
	huge.error = 1e-300;
	vivaldi_update(&v, "y", &huge, VIVALDI_MAX_RTT_NS, NULL);
	assert_true(vivaldi_coord_valid(&v.coord));
	struct vivaldi_config cfg;
	vivaldi_config_default(&cfg);
	cfg.latency_filter = 0;
	struct vivaldi w;
	assert_int_equal(vivaldi_init(&w, &cfg, 1), CAIRN_E_INVAL);
	vivaldi_set(&v, &bad);
	assert_memory_equal(&v.coord, &bad, sizeof(bad));
	bad.error = NAN;
	vivaldi_set(&v, &bad);
	assert_true(vivaldi_coord_valid(&v.coord));
	vivaldi_free(&v);
}

/* Many peers: the table grows and forgets correctly. */
static void test_peer_table(void **state)
{
	struct vivaldi v;
	assert_int_equal(vivaldi_init(&v, NULL, 1), 0);
	struct vivaldi_coord c;
	vivaldi_coord_init(&c, &v.cfg);
	char name[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		c.vec[1] = i * 1e-6;
		assert_int_equal(vivaldi_update(&v, name, &c, 1000000, NULL), 0);
	}
	assert_int_equal(v.npeers, 1000);
	for (int i = 0; i < 1000; i += 2) {
		snprintf(name, sizeof(name), "n%d", i);
		vivaldi_forget(&v, name);
	}
	assert_int_equal(v.npeers, 500);
	assert_null(vivaldi_peer_coord(&v, "n10"));
	const struct vivaldi_coord *p = vivaldi_peer_coord(&v, "n11");
	assert_non_null(p);
	assert_true(p->vec[1] == 11e-6);
	vivaldi_free(&v);
}

static void test_wire(void **state)
{
	struct vivaldi_coord c, d;
	struct vivaldi_config cfg;
	vivaldi_config_default(&cfg);
	vivaldi_coord_init(&c, &cfg);
	for (int i = 0; i < VIVALDI_DIM; i++)
		c.vec[i] = (i - 3) * 0.00123456789;
	c.error = 0.25;
	c.adjustment = -0.0001;
	uint8_t w[VIVALDI_WIRE_SIZE];
	vivaldi_encode(&c, w);
	assert_int_equal(w[0], 1);
	assert_int_equal(w[1], 8);
	/* height 10e-6 is 0x3EE4F8B588E368F1 big-endian at offset 82 */
	static const uint8_t h[8] = {0x3e, 0xe4, 0xf8, 0xb5, 0x88, 0xe3, 0x68, 0xf1};
	assert_memory_equal(w + 82, h, 8);
	assert_int_equal(vivaldi_decode(w, sizeof(w), &d), 0);
	assert_memory_equal(&c, &d, sizeof(c));
	assert_int_equal(vivaldi_decode(w, sizeof(w) - 1, &d), CAIRN_E_PARSE);
	assert_int_equal(vivaldi_decode(w, 0, &d), CAIRN_E_PARSE);
	w[1] = 4; /* dimensionality mismatch */
	assert_int_equal(vivaldi_decode(w, sizeof(w), &d), CAIRN_E_PARSE);
	w[1] = 8;
	w[0] = 2;
	assert_int_equal(vivaldi_decode(w, sizeof(w), &d), CAIRN_E_VERSION);
	w[0] = 1;
	memset(w + 2, 0xff, 8); /* a NaN */
	assert_int_equal(vivaldi_decode(w, sizeof(w), &d), CAIRN_E_PARSE);
	static const uint8_t inf[8] = {0x7f, 0xf0};
	memcpy(w + 2, inf, 8);
	assert_int_equal(vivaldi_decode(w, sizeof(w), &d), CAIRN_E_PARSE);
}

static void test_json(void **state)
{
	struct vivaldi_coord c;
	struct vivaldi_config cfg;
	vivaldi_config_default(&cfg);
	vivaldi_coord_init(&c, &cfg);
	c.vec[0] = 0.0012;
	c.vec[7] = -0.5;
	c.error = 0.2;
	struct buf b = BUF_INIT;
	struct jsonw w;
	jsonw_init(&w, &b, false);
	vivaldi_json(&w, &c);
	assert_string_equal(buf_cstr(&b), "{\"Vec\":[0.0012,0,0,0,0,0,0,-0.5],\"Error\":0.2,"
					  "\"Adjustment\":0,\"Height\":0.00001}");
	buf_free(&b);
}

static void test_sort_near(void **state)
{
	struct vivaldi_config cfg;
	vivaldi_config_default(&cfg);
	struct vivaldi_coord src, near1, near2, far;
	vivaldi_coord_init(&src, &cfg);
	vivaldi_coord_init(&near1, &cfg);
	vivaldi_coord_init(&near2, &cfg);
	vivaldi_coord_init(&far, &cfg);
	near1.vec[0] = near2.vec[1] = 0.001;
	far.vec[2] = 0.05;
	struct vivaldi_near items[] = {
	    {.name = "zeta", .coord = NULL},	 {.name = "far", .coord = &far},
	    {.name = "b-near", .coord = &near2}, {.name = "alpha", .coord = NULL},
	    {.name = "a-near", .coord = &near1}, {.name = "self", .coord = &src},
	};
	const char *want[] = {"self", "a-near", "b-near", "far", "alpha", "zeta"};
	size_t n = sizeof(items) / sizeof(items[0]);
	vivaldi_sort_near(NULL, items, n); /* no source: untouched */
	assert_string_equal(items[0].name, "zeta");
	vivaldi_sort_near(&src, items, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(items[i].name, want[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_converges_grid),
	    cmocka_unit_test(test_converges_line_with_height),
	    cmocka_unit_test(test_fresh_and_distance),
	    cmocka_unit_test(test_first_update),
	    cmocka_unit_test(test_latency_filter),
	    cmocka_unit_test(test_invalid_input),
	    cmocka_unit_test(test_peer_table),
	    cmocka_unit_test(test_wire),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_sort_near),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
