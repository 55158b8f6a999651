/*
 * Unit tests of the Lamport clock (src/gossip/lamport.c): serf's semantics
 * (increment returns the new time, witness moves past the stamp) and the
 * saturation at 2^64-1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gossip/lamport.h"

static void test_increment(void **state)
{
	struct lamport c;
	lamport_init(&c);
	assert_int_equal(lamport_time(&c), 0);
	assert_int_equal(lamport_increment(&c), 1);
	assert_int_equal(lamport_increment(&c), 2);
	assert_int_equal(lamport_time(&c), 2);
}

static void test_witness(void **state)
{
	struct lamport c;
	lamport_init(&c);
	lamport_witness(&c, 41);
	assert_int_equal(lamport_time(&c), 42);
	lamport_witness(&c, 10); /* older: no change */
	assert_int_equal(lamport_time(&c), 42);
	lamport_witness(&c, 42); /* equal: move past it */
	assert_int_equal(lamport_time(&c), 43);
	lamport_witness(&c, 0);
	assert_int_equal(lamport_time(&c), 43);
}

/* Causality: what B stamps after seeing A's stamp is later than A's. */
static void test_causality(void **state)
{
	struct lamport a, b;
	lamport_init(&a);
	lamport_init(&b);
	for (int i = 0; i < 100; i++)
		lamport_increment(&a);
	uint64_t sent = lamport_time(&a);
	lamport_increment(&a);
	lamport_witness(&b, sent);
	uint64_t reply = lamport_time(&b);
	lamport_increment(&b);
	assert_true(reply > sent);
}

static void test_saturates(void **state)
{
	struct lamport c;
	lamport_init(&c);
	lamport_witness(&c, UINT64_MAX);
	assert_true(lamport_time(&c) == UINT64_MAX);
	assert_true(lamport_increment(&c) == UINT64_MAX);
	lamport_witness(&c, UINT64_MAX - 1);
	assert_true(lamport_time(&c) == UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_increment),
	    cmocka_unit_test(test_witness),
	    cmocka_unit_test(test_causality),
	    cmocka_unit_test(test_saturates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
