/*
 * <query>.query lookups through dns_respond against a real store: a
 * prepared query by name and by ID (tags, "!tag", OnlyPassing), its DNS.TTL,
 * a template rendered for the name, and NXDOMAIN for unknown queries and
 * queries that find nothing; a query that fails over (DNS_QUERY_FAILOVER) and
 * another datacenter's query answered here (dns_respond_query).
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

	struct prepared_query *fo = pquery_new();
	fo->id = xstrdup("0d3c4a52-1111-4222-8333-000000000001");
	fo->name = xstrdup("cache");
	fo->service = xstrdup("cache"); /* none here */
	pq_list_add(&fo->dcs, "dc2");
	add_query(&F, fo);
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

static void test_failover(void **state)
{
	(void)state;
	uint8_t q[512];
	size_t n = mkq(q, "cache.query.consul", DNS_T_A, -1, false);
	/* without the view's permission the empty answer is just that */
	fix_out_len = 0;
	assert_int_equal(dns_respond(&F.v, q, n, 1, fix_out, &fix_out_len), DNS_REPLY);
	/* with it, the same answer, flagged for the driver to fail over */
	F.v.query_failover = true;
	assert_int_equal(dns_respond(&F.v, q, n, 1, fix_out, &fix_out_len), DNS_QUERY_FAILOVER);
	assert_dump(dns_dump(fix_out, fix_out_len, true, NULL),
		    "H rcode=NXDOMAIN flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q cache.query.consul. A\n" SOA);
	/* a query that finds instances, or names no datacenter, does not */
	n = mkq(q, "main-db.query.consul", DNS_T_A, -1, false);
	assert_int_equal(dns_respond(&F.v, q, n, 1, fix_out, &fix_out_len), DNS_REPLY);
	n = mkq(q, "any-web.query.consul", DNS_T_A, -1, false);
	assert_int_equal(dns_respond(&F.v, q, n, 1, fix_out, &fix_out_len), DNS_REPLY);
	F.v.query_failover = false;
	/* the driver gets the query it names, rendered */
	n = mkq(q, "any-web.query.consul", DNS_T_A, -1, false);
	struct prepared_query *pq = dns_query_resolve(&F.v, q, n);
	assert_non_null(pq);
	assert_string_equal(pq->service, "web");
	pquery_unref(pq);
	n = mkq(q, "web.service.consul", DNS_T_A, -1, false);
	assert_null(dns_query_resolve(&F.v, q, n));
}

/* Another datacenter's failover: the question names a query unknown here,
 * answered with the query that came along, never failing over again. */
static void test_respond_given_query(void **state)
{
	(void)state;
	struct prepared_query *given = pquery_new();
	given->name = xstrdup("cache");
	given->service = xstrdup("db");
	pq_list_add(&given->tags, "primary");
	pq_list_add(&given->dcs, "dc3");
	uint8_t q[512];
	size_t n = mkq(q, "elsewhere.query.consul", DNS_T_SRV, -1, false);
	F.v.query_failover = true;
	fix_out_len = 0;
	assert_int_equal(dns_respond_query(&F.v, q, n, 1, given, fix_out, &fix_out_len), DNS_REPLY);
	assert_dump(dns_dump(fix_out, fix_out_len, true, NULL),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=1\n"
		    "Q elsewhere.query.consul. SRV\n"
		    "AN elsewhere.query.consul. 0 SRV 1 1 5432 node1.node.dc1.consul.\n"
		    "AR node1.node.dc1.consul. 0 A 10.0.0.1\n");
	pq_list_add(&given->tags, "nothing-has-this");
	assert_int_equal(dns_respond_query(&F.v, q, n, 1, given, fix_out, &fix_out_len), DNS_REPLY);
	F.v.query_failover = false;
	pquery_unref(given);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_by_name_and_id),	cmocka_unit_test(test_template),
	    cmocka_unit_test(test_negatives),		cmocka_unit_test(test_failover),
	    cmocka_unit_test(test_respond_given_query),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
