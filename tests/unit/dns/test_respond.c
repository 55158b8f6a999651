/*
 * dns_respond end to end against a real store: every lookup form, health
 * filtering, negatives with SOA, zone SOA/NS, reverse lookups, recursion and
 * refusal, EDNS, limits and truncation, shuffling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "helpers.h"

#include <stdio.h>

static struct fix F;

/* dns_view.dc_known: only "east" exists besides ours */
static bool only_east(void *ctx, const char *dc)
{
	(void)ctx;
	return strcmp(dc, "east") == 0;
}

static void populate(struct fix *f)
{
	struct cat_pair meta1[] = {{"env", "prod"}, {"rfc1035-x", "plain"}};
	const char *primary[] = {"primary"}, *v2[] = {"v2"};
	struct cat_service s1[3] = {svc("web1", "web", 8080), svc("consul", "consul", 8300),
				    svc("db1", "db", 5432)};
	s1[0].tags = primary;
	s1[0].ntags = 1;
	struct cat_check c1[] = {chk("db-check", "db1", CAT_CRITICAL),
				 chk("web-check", "web1", CAT_PASSING)};
	reg_node(f, "node1", "10.0.0.1", meta1, 2, s1, 3, c1, 2);

	struct cat_service s2 = svc("web2", "web", 8081);
	s2.tags = v2;
	s2.ntags = 1;
	s2.weight_passing = 10;
	s2.weight_warning = 2;
	struct cat_check c2 = chk("web2-check", "web2", CAT_WARNING);
	reg_node(f, "node2", "10.0.0.2", NULL, 0, &s2, 1, &c2, 1);

	struct cat_service s3 = svc("web3", "web", 8082);
	s3.address = "10.1.1.3";
	reg_node(f, "node3", "2001:db8::3", NULL, 0, &s3, 1, NULL, 0);

	struct cat_service s4 = svc("api", "api", 80);
	reg_node(f, "node4", "host.example.com", NULL, 0, &s4, 1, NULL, 0);

	struct cat_service s5 = svc("web5", "web", 8085);
	struct cat_check c5 = chk("_node_maintenance", "", CAT_MAINTENANCE);
	reg_node(f, "node5", "10.0.0.5", NULL, 0, &s5, 1, &c5, 1);

	struct cat_service s6 = svc("v6svc", "v6svc", 9000);
	reg_node(f, "node6", "2001:db8::6", NULL, 0, &s6, 1, NULL, 0);
}

static int setup(void **state)
{
	(void)state;
	fix_init(&F);
	populate(&F);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fix_free(&F);
	return 0;
}

#define SOA "NS consul. 0 SOA ns.consul. hostmaster.consul. 3600 600 86400 0\n"

static void test_service_srv(void **state)
{
	(void)state;
	const char *want = "H rcode=NOERROR flags=qr,aa,rd qd=1 an=3 ns=0 ar=5\n"
			   "Q web.service.consul. SRV\n"
			   "AN web.service.consul. 0 SRV 1 1 8080 node1.node.dc1.consul.\n"
			   "AN web.service.consul. 0 SRV 1 1 8082 0a010103.addr.dc1.consul.\n"
			   "AN web.service.consul. 0 SRV 1 2 8081 node2.node.dc1.consul.\n"
			   "AR 0a010103.addr.dc1.consul. 0 A 10.1.1.3\n"
			   "AR node1.node.dc1.consul. 0 A 10.0.0.1\n"
			   "AR node1.node.dc1.consul. 0 TXT \"env=prod\"\n"
			   "AR node1.node.dc1.consul. 0 TXT \"plain\"\n"
			   "AR node2.node.dc1.consul. 0 A 10.0.0.2\n";
	assert_dump(ask(&F, "web.service.consul", DNS_T_SRV), want);
	/* case-insensitive, explicit datacenter in both forms */
	struct dump_info di;
	char *t = askx(&F, "WEB.Service.DC1.Consul.", DNS_T_SRV, -1, 1, true, &di);
	assert_int_equal(di.counts[1], 3);
	assert_int_equal(di.srv_pointers, 0);
	free(t);
	t = askx(&F, "web.service.dc1.dc.consul", DNS_T_SRV, -1, 1, true, &di);
	assert_int_equal(di.counts[1], 3);
	free(t);
	/* no meta TXT when disabled */
	F.cfg.dns_config.enable_additional_node_meta_txt = false;
	t = askx(&F, "web.service.consul", DNS_T_SRV, -1, 1, true, &di);
	assert_int_equal(di.counts[3], 3);
	free(t);
	F.cfg.dns_config.enable_additional_node_meta_txt = true;
}

static void test_service_tags_rfc2782(void **state)
{
	(void)state;
	assert_dump(ask(&F, "primary.web.service.consul", DNS_T_A),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=0\n"
		    "Q primary.web.service.consul. A\n"
		    "AN primary.web.service.consul. 0 A 10.0.0.1\n");
	assert_dump(ask(&F, "_web._v2.service.consul", DNS_T_SRV),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=1\n"
		    "Q _web._v2.service.consul. SRV\n"
		    "AN _web._v2.service.consul. 0 SRV 1 2 8081 node2.node.dc1.consul.\n"
		    "AR node2.node.dc1.consul. 0 A 10.0.0.2\n");
	/* "_tcp" is no filter; "service" may be left out for SRV */
	struct dump_info di;
	free(askx(&F, "_web._tcp.service.consul", DNS_T_SRV, -1, 1, true, &di));
	assert_int_equal(di.counts[1], 3);
	free(askx(&F, "_web._tcp.consul", DNS_T_SRV, -1, 1, true, &di));
	assert_int_equal(di.counts[1], 3);
	free(askx(&F, "_web._tcp.dc1.consul", DNS_T_SRV, -1, 1, true, &di));
	assert_int_equal(di.counts[1], 3);
	/* as Consul, "_udp" is a tag like any other */
	free(askx(&F, "_web._udp.service.consul", DNS_T_SRV, -1, 1, true, &di));
	assert_int_equal(di.rcode, DNS_R_NXDOMAIN);
	/* unknown tag */
	assert_dump(ask(&F, "nope.web.service.consul", DNS_T_A),
		    "H rcode=NXDOMAIN flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q nope.web.service.consul. A\n" SOA);
}

static void test_service_a(void **state)
{
	(void)state;
	assert_dump(ask(&F, "web.service.consul", DNS_T_A),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=3 ns=0 ar=0\n"
		    "Q web.service.consul. A\n"
		    "AN web.service.consul. 0 A 10.0.0.1\n"
		    "AN web.service.consul. 0 A 10.0.0.2\n"
		    "AN web.service.consul. 0 A 10.1.1.3\n");
	/* AAAA for a service with only IPv4 addresses: NODATA */
	assert_dump(ask(&F, "web.service.consul", DNS_T_AAAA),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q web.service.consul. AAAA\n" SOA);
	assert_dump(ask(&F, "v6svc.service.consul", DNS_T_AAAA),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=0\n"
		    "Q v6svc.service.consul. AAAA\n"
		    "AN v6svc.service.consul. 0 AAAA 2001:db8::6\n");
	assert_dump(ask(&F, "v6svc.service.consul", DNS_T_SRV),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=1\n"
		    "Q v6svc.service.consul. SRV\n"
		    "AN v6svc.service.consul. 0 SRV 1 1 9000 node6.node.dc1.consul.\n"
		    "AR node6.node.dc1.consul. 0 AAAA 2001:db8::6\n");
	/* hostname addresses: CNAME for A, the hostname as SRV target */
	assert_dump(ask(&F, "api.service.consul", DNS_T_A),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=0\n"
		    "Q api.service.consul. A\n"
		    "AN api.service.consul. 0 CNAME host.example.com.\n");
	assert_dump(ask(&F, "api.service.consul", DNS_T_SRV),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=0\n"
		    "Q api.service.consul. SRV\n"
		    "AN api.service.consul. 0 SRV 1 1 80 host.example.com.\n");
	/* other types: NODATA */
	assert_dump(ask(&F, "web.service.consul", DNS_T_TXT),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q web.service.consul. TXT\n" SOA);
	/* a_record_limit */
	F.cfg.dns_config.a_record_limit = 1;
	struct dump_info di;
	free(askx(&F, "web.service.consul", DNS_T_A, -1, 1, true, &di));
	assert_int_equal(di.counts[1], 1);
	free(askx(&F, "web.service.consul", DNS_T_SRV, -1, 1, true, &di));
	assert_int_equal(di.counts[1], 3); /* A/AAAA only, as Consul */
	F.cfg.dns_config.a_record_limit = 0;
}

static void test_health(void **state)
{
	(void)state;
	/* db's only instance is critical; web5's node is in maintenance */
	assert_dump(ask(&F, "db.service.consul", DNS_T_SRV),
		    "H rcode=NXDOMAIN flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q db.service.consul. SRV\n" SOA);
	assert_dump(ask(&F, "nosuch.service.consul", DNS_T_A),
		    "H rcode=NXDOMAIN flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q nosuch.service.consul. A\n" SOA);
	F.cfg.dns_config.only_passing = true;
	assert_dump(ask(&F, "web.service.consul", DNS_T_A),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=2 ns=0 ar=0\n"
		    "Q web.service.consul. A\n"
		    "AN web.service.consul. 0 A 10.0.0.1\n"
		    "AN web.service.consul. 0 A 10.1.1.3\n");
	F.cfg.dns_config.only_passing = false;
}

static void test_node(void **state)
{
	(void)state;
	assert_dump(ask(&F, "node1.node.consul", DNS_T_A),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=2\n"
		    "Q node1.node.consul. A\n"
		    "AN node1.node.consul. 0 A 10.0.0.1\n"
		    "AR node1.node.consul. 0 TXT \"env=prod\"\n"
		    "AR node1.node.consul. 0 TXT \"plain\"\n");
	assert_dump(ask(&F, "node1.node.dc1.consul", DNS_T_TXT),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=2 ns=0 ar=0\n"
		    "Q node1.node.dc1.consul. TXT\n"
		    "AN node1.node.dc1.consul. 0 TXT \"env=prod\"\n"
		    "AN node1.node.dc1.consul. 0 TXT \"plain\"\n");
	assert_dump(ask(&F, "NODE1.node.consul", DNS_T_ANY),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=3 ns=0 ar=0\n"
		    "Q NODE1.node.consul. ANY\n"
		    "AN NODE1.node.consul. 0 A 10.0.0.1\n"
		    "AN NODE1.node.consul. 0 TXT \"env=prod\"\n"
		    "AN NODE1.node.consul. 0 TXT \"plain\"\n");
	assert_dump(ask(&F, "node3.node.consul", DNS_T_AAAA),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=0\n"
		    "Q node3.node.consul. AAAA\n"
		    "AN node3.node.consul. 0 AAAA 2001:db8::3\n");
	assert_dump(ask(&F, "node3.node.consul", DNS_T_A),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q node3.node.consul. A\n" SOA);
	assert_dump(ask(&F, "node4.node.consul", DNS_T_A),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=0\n"
		    "Q node4.node.consul. A\n"
		    "AN node4.node.consul. 0 CNAME host.example.com.\n");
	assert_dump(ask(&F, "node1.node.consul", DNS_T_SRV),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q node1.node.consul. SRV\n" SOA);
	assert_dump(ask(&F, "nobody.node.consul", DNS_T_A),
		    "H rcode=NXDOMAIN flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q nobody.node.consul. A\n" SOA);
	/* another datacenter's names are that datacenter's to answer (the
	 * driver asks it), whatever the case or the ".dc" form */
	assert_dump(ask(&F, "node1.node.dc2.consul", DNS_T_A), "OTHER_DC dc2\n");
	assert_dump(ask(&F, "web.service.DC2.dc.consul", DNS_T_SRV), "OTHER_DC dc2\n");
	assert_dump(ask(&F, "_web._tcp.service.east.consul", DNS_T_SRV), "OTHER_DC east\n");
	/* ours, named, is answered here; addr ignores the locality */
	assert_dump(ask(&F, "nobody.node.dc1.dc.consul", DNS_T_A),
		    "H rcode=NXDOMAIN flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q nobody.node.dc1.dc.consul. A\n" SOA);
	assert_dump(ask(&F, "7f000001.addr.dc2.consul", DNS_T_A),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=0\n"
		    "Q 7f000001.addr.dc2.consul. A\n"
		    "AN 7f000001.addr.dc2.consul. 0 A 127.0.0.1\n");
	/* a datacenter the WAN pool does not know is NXDOMAIN here */
	F.v.dc_known = only_east;
	assert_dump(ask(&F, "web.service.dc2.consul", DNS_T_SRV),
		    "H rcode=NXDOMAIN flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q web.service.dc2.consul. SRV\n" SOA);
	assert_dump(ask(&F, "web.service.east.consul", DNS_T_SRV), "OTHER_DC east\n");
	F.v.dc_known = NULL;
	/* not a locality: three labels, or "<x>.<y>" without "dc" */
	assert_dump(ask(&F, "node1.node.a.b.consul", DNS_T_A),
		    "H rcode=NXDOMAIN flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q node1.node.a.b.consul. A\n" SOA);
	/* node TTL */
	F.cfg.dns_config.node_ttl = 30LL * 1000000000LL;
	assert_dump(ask(&F, "node3.node.consul", DNS_T_AAAA),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=0\n"
		    "Q node3.node.consul. AAAA\n"
		    "AN node3.node.consul. 30 AAAA 2001:db8::3\n");
	F.cfg.dns_config.node_ttl = 0;
}

static void test_meta_escaping(void **state)
{
	(void)state;
	struct cat_pair meta[] = {{" a=b ", "x`y"}, {"RFC1035-raw", "v=1"}};
	reg_node(&F, "metanode", "10.9.9.9", meta, 2, NULL, 0, NULL, 0);
	assert_dump(ask(&F, "metanode.node.consul", DNS_T_TXT),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=2 ns=0 ar=0\n"
		    "Q metanode.node.consul. TXT\n"
		    "AN metanode.node.consul. 0 TXT \"` a`=b` =x``y\"\n"
		    "AN metanode.node.consul. 0 TXT \"v=1\"\n");
}

static void test_addr_and_ptr(void **state)
{
	(void)state;
	assert_dump(ask(&F, "0a000001.addr.dc1.consul", DNS_T_A),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=0\n"
		    "Q 0a000001.addr.dc1.consul. A\n"
		    "AN 0a000001.addr.dc1.consul. 0 A 10.0.0.1\n");
	assert_dump(ask(&F, "20010db8000000000000000000000003.addr.consul", DNS_T_AAAA),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=0\n"
		    "Q 20010db8000000000000000000000003.addr.consul. AAAA\n"
		    "AN 20010db8000000000000000000000003.addr.consul. 0 AAAA 2001:db8::3\n");
	assert_dump(ask(&F, "0a0000zz.addr.consul", DNS_T_A),
		    "H rcode=NXDOMAIN flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q 0a0000zz.addr.consul. A\n" SOA);
	assert_dump(ask(&F, "1.0.0.10.in-addr.arpa", DNS_T_PTR),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=0\n"
		    "Q 1.0.0.10.in-addr.arpa. PTR\n"
		    "AN 1.0.0.10.in-addr.arpa. 0 PTR node1.node.dc1.consul.\n");
	assert_dump(ask(&F, "3.1.1.10.in-addr.arpa", DNS_T_PTR),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=0\n"
		    "Q 3.1.1.10.in-addr.arpa. PTR\n"
		    "AN 3.1.1.10.in-addr.arpa. 0 PTR web.service.dc1.consul.\n");
	assert_dump(
	    ask(&F, "3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
		DNS_T_PTR),
	    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=0\n"
	    "Q 3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. "
	    "PTR\n"
	    "AN 3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 0 "
	    "PTR node3.node.dc1.consul.\n");
	assert_dump(ask(&F, "9.9.9.192.in-addr.arpa", DNS_T_PTR),
		    "H rcode=NXDOMAIN flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q 9.9.9.192.in-addr.arpa. PTR\n" SOA);
	strlist_add(&F.cfg.recursors, "8.8.8.8");
	assert_dump(ask(&F, "9.9.9.192.in-addr.arpa", DNS_T_PTR), "RECURSE\n");
	assert_dump(ask(&F, "0.10.in-addr.arpa", DNS_T_PTR), "RECURSE\n");
	/* known reverse names are still answered, with RA */
	assert_dump(ask(&F, "1.0.0.10.in-addr.arpa", DNS_T_PTR),
		    "H rcode=NOERROR flags=qr,aa,rd,ra qd=1 an=1 ns=0 ar=0\n"
		    "Q 1.0.0.10.in-addr.arpa. PTR\n"
		    "AN 1.0.0.10.in-addr.arpa. 0 PTR node1.node.dc1.consul.\n");
	strlist_free(&F.cfg.recursors);
}

static void test_outside_and_zone(void **state)
{
	(void)state;
	assert_dump(ask(&F, "example.com", DNS_T_A),
		    "H rcode=REFUSED flags=qr,rd qd=1 an=0 ns=0 ar=0\n"
		    "Q example.com. A\n");
	assert_dump(ask(&F, "notconsul", DNS_T_A),
		    "H rcode=REFUSED flags=qr,rd qd=1 an=0 ns=0 ar=0\n"
		    "Q notconsul. A\n");
	strlist_add(&F.cfg.recursors, "8.8.8.8");
	assert_dump(ask(&F, "example.com", DNS_T_A), "RECURSE\n");
	strlist_free(&F.cfg.recursors);

	assert_dump(ask(&F, "consul", DNS_T_SOA),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=1 ar=1\n"
		    "Q consul. SOA\n"
		    "AN consul. 0 SOA ns.consul. hostmaster.consul. 3600 600 86400 0\n"
		    "NS consul. 0 NS node1.node.dc1.consul.\n"
		    "AR node1.node.dc1.consul. 0 A 10.0.0.1\n");
	assert_dump(ask(&F, "consul", DNS_T_NS),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=1\n"
		    "Q consul. NS\n"
		    "AN consul. 0 NS node1.node.dc1.consul.\n"
		    "AR node1.node.dc1.consul. 0 A 10.0.0.1\n");
	assert_dump(ask(&F, "consul", DNS_T_A),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q consul. A\n" SOA);
	assert_dump(ask(&F, "consul", DNS_T_AXFR),
		    "H rcode=NOTIMP flags=qr,aa,rd qd=1 an=0 ns=0 ar=0\n"
		    "Q consul. TYPE?\n");
	assert_dump(ask(&F, "x.query.consul", DNS_T_A),
		    "H rcode=NXDOMAIN flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q x.query.consul. A\n" SOA);
	/* SOA values from dns_config.soa */
	F.cfg.dns_config.soa.min_ttl = 7;
	F.cfg.dns_config.soa.refresh = 1;
	assert_dump(ask(&F, "nobody.node.consul", DNS_T_A),
		    "H rcode=NXDOMAIN flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q nobody.node.consul. A\n"
		    "NS consul. 7 SOA ns.consul. hostmaster.consul. 1 600 86400 7\n");
	F.cfg.dns_config.soa.min_ttl = 0;
	F.cfg.dns_config.soa.refresh = 3600;
}

static void test_domains(void **state)
{
	(void)state;
	set_str(&F.cfg.domain, "Cluster.Example.");
	set_str(&F.cfg.alt_domain, "alt.test");
	assert_dump(ask(&F, "_web._v2.service.cluster.example", DNS_T_SRV),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=1\n"
		    "Q _web._v2.service.cluster.example. SRV\n"
		    "AN _web._v2.service.cluster.example. 0 SRV 1 2 8081 "
		    "node2.node.dc1.cluster.example.\n"
		    "AR node2.node.dc1.cluster.example. 0 A 10.0.0.2\n");
	assert_dump(ask(&F, "_web._v2.service.alt.test", DNS_T_SRV),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=1\n"
		    "Q _web._v2.service.alt.test. SRV\n"
		    "AN _web._v2.service.alt.test. 0 SRV 1 2 8081 node2.node.dc1.alt.test.\n"
		    "AR node2.node.dc1.alt.test. 0 A 10.0.0.2\n");
	assert_dump(ask(&F, "nobody.node.alt.test", DNS_T_A),
		    "H rcode=NXDOMAIN flags=qr,aa,rd qd=1 an=0 ns=1 ar=0\n"
		    "Q nobody.node.alt.test. A\n"
		    "NS alt.test. 0 SOA ns.alt.test. hostmaster.alt.test. 3600 600 86400 0\n");
	assert_dump(ask(&F, "web.service.consul", DNS_T_A),
		    "H rcode=REFUSED flags=qr,rd qd=1 an=0 ns=0 ar=0\n"
		    "Q web.service.consul. A\n");
	set_str(&F.cfg.domain, "consul.");
	set_str(&F.cfg.alt_domain, NULL);
}

static void test_service_ttl(void **state)
{
	(void)state;
	strmap_set(&F.cfg.dns_config.service_ttl, "*", "5s");
	strmap_set(&F.cfg.dns_config.service_ttl, "we*", "1m");
	strmap_set(&F.cfg.dns_config.service_ttl, "api", "2h");
	assert_dump(ask(&F, "primary.web.service.consul", DNS_T_A),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=0\n"
		    "Q primary.web.service.consul. A\n"
		    "AN primary.web.service.consul. 60 A 10.0.0.1\n");
	assert_dump(ask(&F, "api.service.consul", DNS_T_SRV),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=0\n"
		    "Q api.service.consul. SRV\n"
		    "AN api.service.consul. 7200 SRV 1 1 80 host.example.com.\n");
	assert_dump(ask(&F, "v6svc.service.consul", DNS_T_SRV),
		    "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=1\n"
		    "Q v6svc.service.consul. SRV\n"
		    "AN v6svc.service.consul. 5 SRV 1 1 9000 node6.node.dc1.consul.\n"
		    "AR node6.node.dc1.consul. 5 AAAA 2001:db8::6\n");
	strmap_free(&F.cfg.dns_config.service_ttl);
}

static void test_edns_and_header(void **state)
{
	(void)state;
	struct dump_info di;
	char *t = askx(&F, "node3.node.consul", DNS_T_AAAA, 1232, 0, true, &di);
	assert_string_equal(t, "H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=1\n"
			       "Q node3.node.consul. AAAA\n"
			       "AN node3.node.consul. 0 AAAA 2001:db8::3\n"
			       "AR . OPT size=1232 ext=0 ver=0 do=0\n");
	free(t);
	assert_int_equal(fix_out[0], 0x12);
	assert_int_equal(fix_out[1], 0x34);

	/* DO copied; BADVERS for EDNS version 1 */
	uint8_t q[512];
	size_t n = mkq(q, "node3.node.consul", DNS_T_AAAA, 4096, true);
	size_t len;
	assert_int_equal(dns_respond(&F.v, q, n, 0, fix_out, &len), DNS_REPLY);
	t = dns_dump(fix_out, len, true, NULL);
	assert_non_null(strstr(t, "do=1"));
	free(t);
	q[n - 5] = 1; /* OPT version */
	assert_int_equal(dns_respond(&F.v, q, n, 0, fix_out, &len), DNS_REPLY);
	t = dns_dump(fix_out, len, true, NULL);
	assert_string_equal(t, "H rcode=BADVERS flags=qr,rd qd=1 an=0 ns=0 ar=1\n"
			       "Q node3.node.consul. AAAA\n"
			       "AR . OPT size=4096 ext=1 ver=0 do=1\n");
	free(t);

	/* malformed: FORMERR with the header; responses dropped; opcode NOTIFY */
	n = mkq(q, "a.consul", DNS_T_A, -1, false);
	q[5] = 2;
	assert_int_equal(dns_respond(&F.v, q, n, 0, fix_out, &len), DNS_REPLY);
	t = dns_dump(fix_out, len, true, NULL);
	assert_string_equal(t, "H rcode=FORMERR flags=qr,rd qd=0 an=0 ns=0 ar=0\n");
	free(t);
	q[5] = 1;
	q[2] |= 0x80;
	assert_int_equal(dns_respond(&F.v, q, n, 0, fix_out, &len), DNS_DROP);
	q[2] = 0x01 | (4 << 3);
	assert_int_equal(dns_respond(&F.v, q, n, 0, fix_out, &len), DNS_REPLY);
	t = dns_dump(fix_out, len, true, NULL);
	assert_string_equal(t, "H rcode=NOTIMP flags=qr,rd qd=1 an=0 ns=0 ar=0\n"
			       "Q a.consul. A\n");
	free(t);
	assert_int_equal(dns_respond(&F.v, q, 3, 0, fix_out, &len), DNS_DROP);

	/* compression off: no pointers at all */
	F.cfg.dns_config.disable_compression = true;
	free(askx(&F, "web.service.consul", DNS_T_SRV, -1, 1, true, &di));
	assert_int_equal(di.pointers, 0);
	assert_int_equal(di.counts[1], 3);
	F.cfg.dns_config.disable_compression = false;
	free(askx(&F, "web.service.consul", DNS_T_SRV, -1, 1, true, &di));
	assert_true(di.pointers > 0);
	assert_int_equal(di.srv_pointers, 0);
}

static void test_udp_answer_limit(void **state)
{
	(void)state;
	/* plain UDP keeps udp_answer_limit (3) answers, with TC; EDNS/TCP all */
	struct cat_service s[6];
	char ids[6][8];
	for (int i = 0; i < 6; i++) {
		snprintf(ids[i], sizeof(ids[i]), "m%d", i);
		s[i] = svc(ids[i], "many", 7000 + i);
	}
	reg_node(&F, "mnode", "10.7.0.1", NULL, 0, s, 6, NULL, 0);
	struct dump_info di;
	free(askx(&F, "many.service.consul", DNS_T_SRV, -1, 0, true, &di));
	assert_int_equal(di.counts[1], 3);
	assert_int_equal(di.counts[3], 1); /* the one node's address */
	assert_true(di.flags & DNS_F_TC);
	free(askx(&F, "many.service.consul", DNS_T_SRV, 1232, 0, true, &di));
	assert_int_equal(di.counts[1], 6);
	assert_false(di.flags & DNS_F_TC);
	free(askx(&F, "many.service.consul", DNS_T_SRV, -1, 1, true, &di));
	assert_int_equal(di.counts[1], 6);
	F.cfg.dns_config.udp_answer_limit = 0;
	free(askx(&F, "many.service.consul", DNS_T_SRV, -1, 0, true, &di));
	assert_int_equal(di.counts[1], 6);
	F.cfg.dns_config.udp_answer_limit = 3;
}

static void test_truncation_200(void **state)
{
	(void)state;
	for (int i = 0; i < 200; i++) {
		char node[32], addr[32];
		snprintf(node, sizeof(node), "big-node-%03d", i);
		snprintf(addr, sizeof(addr), "10.50.%d.%d", i / 100, i % 100 + 1);
		struct cat_service s = svc("big", "big", 9000 + i);
		reg_node(&F, node, addr, NULL, 0, &s, 1, NULL, 0);
	}
	struct dump_info di;
	char *t = askx(&F, "big.service.consul", DNS_T_SRV, 1232, 0, false, &di);
	assert_false(di.malformed);
	assert_true(di.flags & DNS_F_TC);
	assert_true(fix_out_len <= 1232);
	assert_true(di.counts[1] > 10 && di.counts[1] < 200);
	assert_int_equal(di.counts[3], 1); /* only the OPT */
	free(t);
	free(askx(&F, "big.service.consul", DNS_T_SRV, -1, 0, false, &di));
	assert_true(fix_out_len <= 512);
	assert_true(di.flags & DNS_F_TC);
	t = askx(&F, "big.service.consul", DNS_T_SRV, -1, 1, false, &di);
	assert_false(di.malformed);
	assert_false(di.flags & DNS_F_TC);
	assert_int_equal(di.counts[1], 200);
	assert_int_equal(di.counts[3], 200);
	assert_int_equal(di.srv_pointers, 0);
	free(t);
	free(askx(&F, "big.service.consul", DNS_T_A, -1, 1, false, &di));
	assert_int_equal(di.counts[1], 200);
	free(askx(&F, "big.service.consul", DNS_T_A, 4096, 0, false, &di));
	assert_int_equal(di.counts[1], 200); /* 12+22+200*16+11 fits in 4096 */
	free(askx(&F, "big.service.consul", DNS_T_A, 1232, 0, false, &di));
	assert_true(di.flags & DNS_F_TC);
	assert_int_equal(di.counts[1], (1232 - 12 - 24 - 11) / 16);
}

static void test_shuffle(void **state)
{
	(void)state;
	/* the 3 web instances come in all 6 orders */
	bool seen[6] = {false};
	for (int i = 0; i < 200; i++) {
		char *t = askx(&F, "web.service.consul", DNS_T_A, -1, 1, false, NULL);
		const char *a = strstr(t, "10.0.0.1"), *b = strstr(t, "10.0.0.2"),
			   *c = strstr(t, "10.1.1.3");
		assert_true(a && b && c);
		int k = a < b ? (b < c ? 0 : a < c ? 1 : 2) : (a < c ? 3 : b < c ? 4 : 5);
		seen[k] = true;
		free(t);
	}
	for (int i = 0; i < 6; i++)
		assert_true(seen[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_service_srv),
	    cmocka_unit_test(test_service_tags_rfc2782),
	    cmocka_unit_test(test_service_a),
	    cmocka_unit_test(test_health),
	    cmocka_unit_test(test_node),
	    cmocka_unit_test(test_meta_escaping),
	    cmocka_unit_test(test_addr_and_ptr),
	    cmocka_unit_test(test_outside_and_zone),
	    cmocka_unit_test(test_domains),
	    cmocka_unit_test(test_service_ttl),
	    cmocka_unit_test(test_edns_and_header),
	    cmocka_unit_test(test_udp_answer_limit),
	    cmocka_unit_test(test_truncation_200),
	    cmocka_unit_test(test_shuffle),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
