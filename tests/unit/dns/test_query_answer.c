/*
 * <query>.query lookups through dns_respond against a real store: a
 * prepared query by name and by ID (tags, "!tag", OnlyPassing), its DNS.TTL,
 * a template rendered for the name, and NXDOMAIN for unknown queries, other
 * datacenters and queries that find nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "helpers.h"

#include "base/alloc.h"
#include "state/query.h"

static struct fix F;

#define QID "0d3c4a52-1111-4222-8333-444455556666"
#define TID "0d3c4a52-1111-4222-8333-777788889999"

static void add_query(struct fix *f, struct prepared_query *q)
{
	char *why = NULL;
	struct store_txn *t = store_txn_begin(f->s, f->index++);
	assert_int_equal(pquery_txn_set(t, q, false, &why), 0);
	store_txn_commit(t);
	pquery_unref(q);
}

static int setup(void **state)
{
	(void)state;
	fix_init(&F);
	const char *primary[] = {"primary"}, *replica[] = {"replica"};
	struct cat_service s1 = svc("db1", "db", 5432), s2 = svc("db2", "db", 5433);
	s1.tags = primary;
	s1.ntags = 1;
	s2.tags = replica;
	s2.ntags = 1;
	struct cat_check c2 = chk("db2-check", "db2", CAT_WARNING);
	reg_node(&F, "node1", "10.0.0.1", NULL, 0, &s1, 1, NULL, 0);
	reg_node(&F, "node2", "10.0.0.2", NULL, 0, &s2, 1, &c2, 1);

	struct prepared_query *q = pquery_new();
	q->id = xstrdup(QID);
	q->name = xstrdup("main-db");
	q->service = xstrdup("db");
	pq_list_add(&q->tags, "!replica");
	q->dns_ttl = xstrdup("30s");
	add_query(&F, q);

	struct prepared_query *t = pquery_new();
	t->id = xstrdup(TID);
	t->name = xstrdup("any-");
	t->tmpl_type = xstrdup(QUERY_TEMPLATE_PREFIX);
	t->service = xstrdup("${name.suffix}");
	add_query(&F, t);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fix_free(&F);
	return 0;
}

#define SOA "NS consul. 0 SOA ns.consul. hostmaster.consul. 3600 600 86400 0\n"

static void test_by_name_and_id(void **state)
{
	(void)state;
	assert_dump(ask(&F, "main-db.query.consul", DNS_T_SRV),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=1\n"
		    "Q main-db.query.consul. SRV\n"
		    "AN main-db.query.consul. 30 SRV 1 1 5432 node1.node.dc1.consul.\n"
		    "AR node1.node.dc1.consul. 30 A 10.0.0.1\n");
	assert_dump(ask(&F, QID ".query.dc1.consul", DNS_T_A),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=0\n"
		    "Q " QID ".query.dc1.consul. A\n"
		    "AN " QID ".query.dc1.consul. 30 A 10.0.0.1\n");
}

static void test_template(void **state)
{
	(void)state;
	struct dump_info di;
	free(askx(&F, "any-db.query.consul", DNS_T_A, -1, 1, true, &di));
	assert_int_equal(di.counts[1], 2); /* both: a warning instance passes */
	free(askx(&F, "any-web.query.consul", DNS_T_A, -1, 1, true, &di));
	assert_int_equal(di.counts[1], 0);
}

static void test_negatives(void **state)
{
	(void)state;
	assert_dump(ask(&F, "nope.query.consul", DNS_T_A),
		    "H rcode=NXDOMAIN flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q nope.query.consul. A\n" SOA);
	assert_dump(ask(&F, "main-db.query.dc2.consul", DNS_T_A), "OTHER_DC dc2\n");
	assert_dump(ask(&F, "any-missing.query.consul", DNS_T_SRV),
		    "H rcode=NXDOMAIN flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q any-missing.query.consul. SRV\n" SOA);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_by_name_and_id),
	    cmocka_unit_test(test_template),
	    cmocka_unit_test(test_negatives),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
