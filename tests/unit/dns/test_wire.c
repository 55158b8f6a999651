/*
 * The wire codec: query decoding (valid, EDNS, every kind of malformation),
 * names, and response encoding (each record type, compression, SRV targets
 * uncompressed, truncation at record boundaries with TC and OPT kept).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dump.h"

#include "dns/dns.h"
#include "dns/wire.h"

#include <stdio.h>

static const uint8_t QHDR[12] = {0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};

/* header + raw name bytes + type A class IN (+ extra bytes) */
static size_t build(uint8_t *p, const void *name, size_t nlen, const void *tail, size_t tlen)
{
	memcpy(p, QHDR, 12);
	memcpy(p + 12, name, nlen);
	uint8_t tq[4] = {0, 1, 0, 1};
	memcpy(p + 12 + nlen, tq, 4);
	if (tlen)
		memcpy(p + 16 + nlen, tail, tlen);
	return 16 + nlen + tlen;
}

static void test_decode_valid(void **state)
{
	(void)state;
	uint8_t p[512];
	const uint8_t opt[11] = {0, 0, 41, 0x10, 0x00, 0, 0, 0x80, 0, 0, 0};
	size_t n = build(p, "\3Web\7service\6consul\0", 20, opt, 11);
	p[11] = 1; /* ARCOUNT */
	struct dns_query q;
	assert_int_equal(dns_query_decode(p, n, &q), DNS_DEC_OK);
	assert_int_equal(q.id, 0xabcd);
	assert_true(q.flags & DNS_F_RD);
	assert_int_equal(q.qname_len, 20);
	assert_memory_equal(q.qname, "\3Web\7service\6consul\0", 20);
	assert_int_equal(q.qtype, DNS_T_A);
	assert_true(q.edns);
	assert_int_equal(q.edns_size, 4096);
	assert_int_equal(q.edns_version, 0);
	assert_true(q.edns_do);

	/* no OPT */
	n = build(p, "\1a\0", 3, NULL, 0);
	assert_int_equal(dns_query_decode(p, n, &q), DNS_DEC_OK);
	assert_false(q.edns);

	/* an answer-section RR whose owner points back at the question */
	const uint8_t rr[] = {0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4};
	n = build(p, "\1a\0", 3, rr, sizeof(rr));
	p[7] = 1;
	assert_int_equal(dns_query_decode(p, n, &q), DNS_DEC_OK);
}

static void test_decode_bad(void **state)
{
	(void)state;
	uint8_t p[1024];
	struct dns_query q;
	size_t n = build(p, "\1a\0", 3, NULL, 0);

	assert_int_equal(dns_query_decode(p, 11, &q), DNS_DEC_DROP);
	p[2] |= 0x80; /* QR: a response */
	assert_int_equal(dns_query_decode(p, n, &q), DNS_DEC_DROP);
	p[2] = 0x01 | (2 << 3); /* opcode STATUS */
	assert_int_equal(dns_query_decode(p, n, &q), DNS_DEC_NOTIMP);
	assert_true(q.has_question);
	p[2] = 0x01;
	p[5] = 0; /* QDCOUNT 0 */
	assert_int_equal(dns_query_decode(p, n, &q), DNS_DEC_FORMERR);
	p[5] = 2; /* QDCOUNT 2 */
	assert_int_equal(dns_query_decode(p, n, &q), DNS_DEC_FORMERR);
	p[5] = 1;
	/* truncated question */
	assert_int_equal(dns_query_decode(p, n - 1, &q), DNS_DEC_FORMERR);
	assert_int_equal(dns_query_decode(p, 14, &q), DNS_DEC_FORMERR);

	/* pointer to itself, forward pointer, pointer loop through the header */
	n = build(p, "\xC0\x0C", 2, NULL, 0);
	assert_int_equal(dns_query_decode(p, n, &q), DNS_DEC_FORMERR);
	n = build(p, "\1a\xC0\x20", 4, NULL, 0);
	assert_int_equal(dns_query_decode(p, n, &q), DNS_DEC_FORMERR);
	n = build(p, "\xC0\x02", 2, NULL, 0);
	p[2] = 0xC0; /* header bytes 2..3 = pointer to 2: loop */
	p[3] = 0x02;
	assert_int_equal(dns_query_decode(p, n, &q), DNS_DEC_DROP); /* QR bit set by it */
	n = build(p, "\xC0\x04", 2, NULL, 0);
	p[4] = 0xC0; /* QDCOUNT bytes point to 4: loop */
	p[5] = 0x04;
	assert_int_equal(dns_query_decode(p, n, &q), DNS_DEC_FORMERR);

	/* extended label type, label over 63 */
	n = build(p,
		  "\x41"
		  "a\0",
		  3, NULL, 0);
	assert_int_equal(dns_query_decode(p, n, &q), DNS_DEC_FORMERR);
	n = build(p, "\x80\0", 2, NULL, 0);
	assert_int_equal(dns_query_decode(p, n, &q), DNS_DEC_FORMERR);

	/* name over 255 bytes: 128 one-byte labels */
	uint8_t big[300];
	size_t bn = 0;
	for (int i = 0; i < 128; i++) {
		big[bn++] = 1;
		big[bn++] = 'x';
	}
	big[bn++] = 0;
	n = build(p, big, bn, NULL, 0);
	assert_int_equal(dns_query_decode(p, n, &q), DNS_DEC_FORMERR);

	/* two OPT records; OPT with a non-root owner; options overrunning RDATA */
	const uint8_t opt2[22] = {0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0,
				  0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0};
	n = build(p, "\1a\0", 3, opt2, 22);
	p[11] = 2;
	assert_int_equal(dns_query_decode(p, n, &q), DNS_DEC_FORMERR);
	const uint8_t optn[13] = {1, 'x', 0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0};
	n = build(p, "\1a\0", 3, optn, 13);
	p[11] = 1;
	assert_int_equal(dns_query_decode(p, n, &q), DNS_DEC_FORMERR);
	const uint8_t optb[17] = {0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 6, 0, 8, 0, 9, 1, 2};
	n = build(p, "\1a\0", 3, optb, 17);
	p[11] = 1;
	assert_int_equal(dns_query_decode(p, n, &q), DNS_DEC_FORMERR);
	/* ARCOUNT larger than the records present */
	n = build(p, "\1a\0", 3, NULL, 0);
	p[11] = 3;
	assert_int_equal(dns_query_decode(p, n, &q), DNS_DEC_FORMERR);
}

static void test_names(void **state)
{
	(void)state;
	uint8_t w[DNS_NAME_MAX];
	const char *a[] = {"node1", "node", "dc1", "consul."};
	assert_int_equal(dns_name_from_text(a, 4, w), 23);
	assert_memory_equal(w, "\5node1\4node\3dc1\6consul\0", 23);
	const char *b[] = {"a.b.c."};
	assert_int_equal(dns_name_from_text(b, 1, w), 7);
	const char *bad1[] = {"a..b"}, *bad2[] = {""}, *bad3[] = {"a.", "b"}, *bad4[] = {"."};
	assert_int_equal(dns_name_from_text(bad1, 1, w), -1);
	assert_int_equal(dns_name_from_text(bad2, 1, w), -1);
	assert_int_equal(dns_name_from_text(bad3, 2, w), -1);
	assert_int_equal(dns_name_from_text(bad4, 1, w), -1);
	char l64[70];
	memset(l64, 'x', 64);
	l64[64] = 0;
	const char *bad5[] = {l64};
	assert_int_equal(dns_name_from_text(bad5, 1, w), -1);
	l64[63] = 0;
	assert_int_equal(dns_name_from_text(bad5, 1, w), 65);

	assert_true(dns_name_eq((const uint8_t *)"\3WEB\0", (const uint8_t *)"\3web\0"));
	assert_false(dns_name_eq((const uint8_t *)"\3web\0", (const uint8_t *)"\3wex\0"));
	assert_false(dns_name_eq((const uint8_t *)"\3web\0", (const uint8_t *)"\3web\1a\0"));
}

#define N(s) ((const uint8_t *)(s))

static void fill(struct dns_msg *m, struct dns_rr st[3][8])
{
	memset(m, 0, sizeof(*m));
	m->id = 7;
	m->flags = DNS_F_QR | DNS_F_AA;
	m->qname = N("\3web\7service\6consul\0");
	m->qtype = DNS_T_SRV;
	m->qclass = DNS_C_IN;
	for (int s = 0; s < 3; s++)
		dns_rrlist_init(&m->sec[s], st[s], 8);
}

static void test_encode_types(void **state)
{
	(void)state;
	struct dns_rr st[3][8];
	struct dns_msg m;
	fill(&m, st);
	const uint8_t *node = N("\5node1\4node\3dc1\6consul\0");
	struct dns_rr *rr = dns_rrlist_add(&m.sec[0]);
	*rr = (struct dns_rr){.name = m.qname, .type = DNS_T_SRV, .ttl = 5};
	rr->u.srv.priority = 1;
	rr->u.srv.weight = 10;
	rr->u.srv.port = 8080;
	rr->u.srv.target = node;
	rr = dns_rrlist_add(&m.sec[0]);
	*rr = (struct dns_rr){.name = m.qname, .type = DNS_T_CNAME, .ttl = 0};
	rr->u.target = N("\4HOST\7example\3com\0");
	rr = dns_rrlist_add(&m.sec[0]);
	*rr = (struct dns_rr){.name = N("\1x\0"), .type = DNS_T_PTR};
	rr->u.target = node;
	rr = dns_rrlist_add(&m.sec[1]);
	*rr = (struct dns_rr){.name = N("\6consul\0"), .type = DNS_T_SOA, .ttl = 0};
	rr->u.soa.mname = N("\2ns\6consul\0");
	rr->u.soa.rname = N("\12hostmaster\6consul\0");
	rr->u.soa.serial = 1;
	rr->u.soa.refresh = 3600;
	rr->u.soa.retry = 600;
	rr->u.soa.expire = 86400;
	rr->u.soa.minimum = 0;
	rr = dns_rrlist_add(&m.sec[1]);
	*rr = (struct dns_rr){.name = N("\6consul\0"), .type = DNS_T_NS};
	rr->u.target = node;
	rr = dns_rrlist_add(&m.sec[2]);
	*rr = (struct dns_rr){.name = node, .type = DNS_T_A, .ttl = 5, .u.addr = {10, 0, 0, 1}};
	rr = dns_rrlist_add(&m.sec[2]);
	*rr = (struct dns_rr){.name = node, .type = DNS_T_AAAA, .u.addr = {0x20, 0x01, 0x0d, 0xb8}};
	rr = dns_rrlist_add(&m.sec[2]);
	char longtxt[600];
	memset(longtxt, 'v', sizeof(longtxt));
	*rr = (struct dns_rr){.name = node, .type = DNS_T_TXT};
	rr->u.txt.text = longtxt;
	rr->u.txt.len = 600;
	rr = dns_rrlist_add(&m.sec[2]);
	*rr = (struct dns_rr){.name = node, .type = DNS_T_TXT};
	rr->u.txt.text = "";
	rr->u.txt.len = 0;
	m.edns = true;
	m.edns_size = 1232;
	m.edns_do = true;

	uint8_t out[DNS_MSG_MAX];
	size_t len = dns_msg_encode(&m, out, DNS_MSG_MAX, true);
	struct dump_info di;
	char *text = dns_dump(out, len, false, &di);
	const char *want = "H rcode=NOERROR flags=qr,aa qd=1 an=3 ns=2 ar=5\n"
			   "Q web.service.consul. SRV\n"
			   "AN web.service.consul. 5 SRV 1 10 8080 node1.node.dc1.consul.\n"
			   "AN web.service.consul. 0 CNAME HOST.example.com.\n"
			   "AN x. 0 PTR node1.node.dc1.consul.\n"
			   "NS consul. 0 SOA ns.consul. hostmaster.consul. 3600 600 86400 0\n"
			   "NS consul. 0 NS node1.node.dc1.consul.\n"
			   "AR node1.node.dc1.consul. 5 A 10.0.0.1\n"
			   "AR node1.node.dc1.consul. 0 AAAA 2001:db8::\n"
			   "AR node1.node.dc1.consul. 0 TXT \"<255 bytes>\" \"<255 bytes>\" \"<90 "
			   "bytes>\"\n"
			   "AR node1.node.dc1.consul. 0 TXT \"\"\n"
			   "AR . OPT size=1232 ext=0 ver=0 do=1\n";
	if (strcmp(text, want))
		fprintf(stderr, "%s", text);
	assert_string_equal(text, want);
	free(text);
	assert_int_equal(di.srv_pointers, 0);
	assert_true(di.pointers >= 8);
	size_t compressed = len;

	/* without compression: same records, no pointers, longer */
	len = dns_msg_encode(&m, out, DNS_MSG_MAX, false);
	text = dns_dump(out, len, false, &di);
	assert_int_equal(di.pointers, 0);
	assert_false(di.malformed);
	free(text);
	assert_true(len > compressed + 60);
	for (int s = 0; s < 3; s++)
		dns_rrlist_free(&m.sec[s]);
}

static void test_compression_case_and_offsets(void **state)
{
	(void)state;
	/* a case-different owner compresses against the question; names past
	 * 0x3FFF are never pointer targets (the message still parses) */
	struct dns_rr st[3][8];
	struct dns_msg m;
	fill(&m, st);
	char txt[250];
	memset(txt, 't', sizeof(txt));
	for (int i = 0; i < 80; i++) {
		struct dns_rr *rr = dns_rrlist_add(&m.sec[0]);
		*rr = (struct dns_rr){.name = N("\3WEB\7SERVICE\6CONSUL\0"), .type = DNS_T_TXT};
		rr->u.txt.text = txt;
		rr->u.txt.len = sizeof(txt);
		rr = dns_rrlist_add(&m.sec[0]);
		*rr = (struct dns_rr){.name = N("\1n\4node\3dc1\6consul\0"), .type = DNS_T_A};
		rr->u.addr[0] = (uint8_t)i;
	}
	uint8_t out[DNS_MSG_MAX];
	size_t len = dns_msg_encode(&m, out, DNS_MSG_MAX, true);
	assert_true(len > 0x3FFF);
	struct dump_info di;
	char *text = dns_dump(out, len, false, &di);
	assert_false(di.malformed);
	assert_int_equal(di.counts[1], 160);
	/* every owner ends in a pointer (n.node.dc1 shares "consul" with the question) */
	assert_int_equal(di.pointers, 160);
	free(text);
	/* the first owner is exactly a pointer to the question (offset 12) */
	size_t qend = 12 + 20 + 4;
	assert_int_equal(out[qend], 0xC0);
	assert_int_equal(out[qend + 1], 12);
	for (int s = 0; s < 3; s++)
		dns_rrlist_free(&m.sec[s]);
}

static void test_truncation(void **state)
{
	(void)state;
	struct dns_rr st[3][8];
	struct dns_msg m;
	fill(&m, st);
	m.qtype = DNS_T_A;
	for (int i = 0; i < 200; i++) {
		struct dns_rr *rr = dns_rrlist_add(&m.sec[0]);
		*rr = (struct dns_rr){
		    .name = m.qname, .type = DNS_T_A, .u.addr = {10, 0, 0, (uint8_t)i}};
	}
	m.edns = true;
	m.edns_size = 512;
	uint8_t out[DNS_MSG_MAX];
	size_t len = dns_msg_encode(&m, out, 512, true);
	assert_true(len <= 512);
	struct dump_info di;
	free(dns_dump(out, len, false, &di));
	assert_false(di.malformed);
	assert_true(di.flags & DNS_F_TC);
	/* 12 + 24 question + 16 per A + 11 OPT <= 512: 29 answers */
	assert_int_equal(di.counts[1], 29);
	assert_int_equal(di.counts[3], 1); /* the OPT survived */
	assert_int_equal(len, 12 + 24 + 29 * 16 + 11);

	/* additional records cut alone: no TC */
	m.sec[0].n = 2;
	for (int i = 0; i < 100; i++) {
		struct dns_rr *rr = dns_rrlist_add(&m.sec[2]);
		*rr = (struct dns_rr){.name = N("\1h\0"), .type = DNS_T_A};
	}
	len = dns_msg_encode(&m, out, 512, true);
	free(dns_dump(out, len, false, &di));
	assert_false(di.malformed);
	assert_false(di.flags & DNS_F_TC);
	assert_int_equal(di.counts[1], 2);
	assert_true(di.counts[3] > 10 && di.counts[3] < 101);
	assert_true(len <= 512);

	/* an authority record cut: TC, and nothing of the additional section */
	struct dns_rr *soa = dns_rrlist_add(&m.sec[1]);
	char big[400];
	memset(big, 'x', sizeof(big));
	*soa = (struct dns_rr){.name = N("\1z\0"), .type = DNS_T_TXT};
	soa->u.txt.text = big;
	soa->u.txt.len = sizeof(big);
	m.sec[0].n = 10;
	len = dns_msg_encode(&m, out, 512, true);
	free(dns_dump(out, len, false, &di));
	assert_true(di.flags & DNS_F_TC);
	assert_int_equal(di.counts[1], 10);
	assert_int_equal(di.counts[2], 0);
	assert_int_equal(di.counts[3], 1);
	for (int s = 0; s < 3; s++)
		dns_rrlist_free(&m.sec[s]);
}

static void test_respond_error(void **state)
{
	(void)state;
	uint8_t p[512], out[DNS_MSG_MAX];
	const uint8_t opt[11] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
	size_t n = build(p, "\7example\3com\0", 13, opt, 11);
	p[11] = 1;
	size_t len = 0;
	assert_int_equal(dns_respond_error(p, n, DNS_R_SERVFAIL, out, &len), DNS_REPLY);
	char *text = dns_dump(out, len, false, NULL);
	assert_string_equal(text, "H rcode=SERVFAIL flags=qr,rd,ra qd=1 an=0 ns=0 ar=1\n"
				  "Q example.com. A\n"
				  "AR . OPT size=1232 ext=0 ver=0 do=0\n");
	free(text);
	assert_int_equal(out[0], 0xab);
	assert_int_equal(out[1], 0xcd);
	assert_int_equal(dns_respond_error(p, 5, DNS_R_SERVFAIL, out, &len), DNS_DROP);
	/* a malformed question: header only */
	n = build(p, "\xC0\x0C", 2, NULL, 0);
	assert_int_equal(dns_respond_error(p, n, DNS_R_REFUSED, out, &len), DNS_REPLY);
	text = dns_dump(out, len, false, NULL);
	assert_string_equal(text, "H rcode=REFUSED flags=qr,rd qd=0 an=0 ns=0 ar=0\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_valid),
	    cmocka_unit_test(test_decode_bad),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_encode_types),
	    cmocka_unit_test(test_compression_case_and_offsets),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_respond_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
