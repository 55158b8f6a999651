/*
 * dns_respond and dns_respond_error (contract in dns.h): decode, route, limit,
 * encode. The answer builders (answer.h) fill the sections; this file owns the
 * header, EDNS, negative answers and the size rules.
 *
 * Routing, by what the question name is (names.c):
 *   outside the domains        DNS_RECURSE with recursors, else REFUSED
 *   reverse name, known IP     PTR (answer_ptr.c)
 *   reverse name, unknown IP   DNS_RECURSE with recursors, else NXDOMAIN
 *   a prepared query that kept nothing here but names datacenters to fail
 *                              over to: DNS_QUERY_FAILOVER (the answer from
 *                              here in out; view->query_failover only)
 *   another datacenter's name  DNS_OTHER_DC (node, service, query kinds);
 *                              NXDOMAIN when the view says it does not exist
 *   under the domain           SOA/NS questions: the zone's records (zone.c);
 *                              AXFR/IXFR: NOTIMP; else by kind (node, service,
 *                              addr), NXDOMAIN for names cairn does not have.
 *                              The apex itself is NOERROR without records
 *                              (Consul says NXDOMAIN, which would let resolvers
 *                              deny the whole zone, RFC 8020).
 * Every negative answer (NXDOMAIN, or NOERROR with no answer) carries the
 * zone's SOA in the authority section (RFC 2308).
 *
 * Header: ID, opcode and RD copied; AA on every answer from cairn's zones; RA
 * when recursors are configured. EDNS: when the query had an OPT record the
 * reply has one, with the client's UDP size echoed (as Consul) and its DO bit
 * copied (RFC 3225; cairn does not sign); a VERSION above 0 is BADVERS.
 *
 * Size: UDP without EDNS 512 bytes, with EDNS the client's size (at least 512,
 * at most DNS_UDP_MAX), TCP 65535; wire.c cuts whole records and sets TC.
 * Plain UDP (no EDNS) also keeps at most min(udp_answer_limit, 8) answers, as
 * Consul, with the additional records of the SRV targets kept; unlike Consul,
 * that cut sets TC too, so clients can retry over TCP for everything.
 */
#include "dns/answer.h"

#include "config/config.h"
#include "state/query_exec.h"

#include <stdlib.h>
#include <string.h>

static uint16_t reply_flags(const struct dns_query *q)
{
	return (uint16_t)(DNS_F_QR | (q->flags & (0xF << 11)) | (q->flags & DNS_F_RD));
}

static void set_edns(struct dns_msg *m, const struct dns_query *q)
{
	m->edns = q->edns;
	m->edns_size = q->edns_size < DNS_UDP_PLAIN ? DNS_UDP_PLAIN : q->edns_size;
	m->edns_do = q->edns_do;
}

static enum dns_outcome error_reply(const struct dns_query *q, int rcode, uint8_t *out,
				    size_t *out_len)
{
	struct dns_msg m;
	memset(&m, 0, sizeof(m));
	m.id = q->id;
	m.flags = reply_flags(q);
	if (rcode == DNS_R_SERVFAIL)
		m.flags |= DNS_F_RA; /* SERVFAIL follows a failed recursion */
	m.rcode = rcode;
	if (q->has_question) {
		m.qname = q->qname;
		m.qtype = q->qtype;
		m.qclass = q->qclass;
	}
	set_edns(&m, q);
	if (!m.edns)
		m.rcode &= 0xF;
	*out_len = dns_msg_encode(&m, out, DNS_MSG_MAX, false);
	return DNS_REPLY;
}

enum dns_outcome dns_respond_error(const uint8_t *pkt, size_t len, int rcode, uint8_t *out,
				   size_t *out_len)
{
	struct dns_query q;
	if (dns_query_decode(pkt, len, &q) == DNS_DEC_DROP)
		return DNS_DROP;
	return error_reply(&q, rcode, out, out_len);
}

/* Plain UDP's answer cap: keep max answers and the additional records of the
 * SRV targets that remain. */
static void cap_answers(struct dns_ctx *c)
{
	struct dns_rrlist *an = &c->msg.sec[DNS_SEC_AN], *ar = &c->msg.sec[DNS_SEC_AR];
	if (c->max_answers == 0 || an->n <= c->max_answers)
		return;
	an->n = c->max_answers;
	size_t keep = 0;
	for (size_t i = 0; i < ar->n; i++) {
		bool used = false;
		for (size_t j = 0; j < an->n && !used; j++)
			used = an->v[j].type == DNS_T_SRV &&
			       dns_name_eq(an->v[j].u.srv.target, ar->v[i].name);
		if (used)
			ar->v[keep++] = ar->v[i];
	}
	ar->n = keep;
	c->msg.flags |= DNS_F_TC;
}

/* Route the question; returns the rcode, or -1 for "recurse". */
static int answer(struct dns_ctx *c, const struct dns_lookup *l, bool recursors)
{
	uint16_t qt = c->q->qtype;
	switch (l->kind) {
	case DNS_K_OUTSIDE:
		return recursors ? -1 : DNS_R_REFUSED;
	case DNS_K_REVERSE: {
		bool known = dns_answer_ptr(c, l);
		if (!known && recursors)
			return -1;
		c->msg.flags |= DNS_F_AA; /* as Consul, known or not */
		return known ? DNS_R_NOERROR : DNS_R_NXDOMAIN;
	}
	default:
		break;
	}
	c->msg.flags |= DNS_F_AA;
	if (qt == DNS_T_AXFR || qt == DNS_T_IXFR)
		return DNS_R_NOTIMP;
	if (qt == DNS_T_SOA || qt == DNS_T_NS) {
		dns_answer_zone(c, l);
		return DNS_R_NOERROR;
	}
	switch (l->kind) {
	case DNS_K_NODE:
		return dns_answer_node(c, l);
	case DNS_K_SERVICE:
		return dns_answer_service(c, l);
	case DNS_K_QUERY:
		return dns_answer_query(c, l);
	case DNS_K_ADDR:
		return dns_answer_addr(c, l);
	case DNS_K_APEX:
		return DNS_R_NOERROR;
	default:
		return DNS_R_NXDOMAIN;
	}
}

static enum dns_outcome respond(const struct dns_view *v, const uint8_t *pkt, size_t len, int tcp,
				const struct prepared_query *given, uint8_t *out, size_t *out_len)
{
	struct dns_query q;
	switch (dns_query_decode(pkt, len, &q)) {
	case DNS_DEC_DROP:
		return DNS_DROP;
	case DNS_DEC_FORMERR:
		return error_reply(&q, DNS_R_FORMERR, out, out_len);
	case DNS_DEC_NOTIMP:
		return error_reply(&q, DNS_R_NOTIMP, out, out_len);
	case DNS_DEC_OK:
		break;
	}
	const struct config *cfg = v->cfg;
	bool recursors = cfg->recursors.len > 0;
	size_t limit = DNS_MSG_MAX;
	if (!tcp) {
		limit = DNS_UDP_PLAIN;
		if (q.edns && q.edns_size > limit)
			limit = q.edns_size > DNS_UDP_MAX ? DNS_UDP_MAX : q.edns_size;
	}

	struct dns_ctx c;
	dns_ctx_init(&c, v, &q);
	c.given = given;
	struct dns_msg *m = &c.msg;
	m->id = q.id;
	m->flags = reply_flags(&q) | (recursors ? DNS_F_RA : 0);
	m->qname = q.qname;
	m->qtype = q.qtype;
	m->qclass = q.qclass;
	set_edns(m, &q);
	if (!tcp && !q.edns && cfg->dns_config.udp_answer_limit > 0)
		c.max_answers = cfg->dns_config.udp_answer_limit < 8
				    ? (size_t)cfg->dns_config.udp_answer_limit
				    : 8;

	enum dns_outcome outcome = DNS_REPLY;
	if (q.edns && q.edns_version != 0) {
		m->rcode = DNS_R_BADVERS;
	} else {
		struct dns_lookup l;
		dns_lookup_parse(&c, &l);
		if (l.kind == DNS_K_OTHER_DC && v->dc_known && !v->dc_known(v->dc_ctx, l.dc))
			l.kind = DNS_K_INVALID;
		int rc = l.kind == DNS_K_OTHER_DC ? 0 : answer(&c, &l, recursors);
		if (l.kind == DNS_K_OTHER_DC) {
			outcome = DNS_OTHER_DC;
			*out_len = strlen(l.dc);
			memcpy(out, l.dc, *out_len + 1);
		} else if (rc < 0) {
			outcome = DNS_RECURSE;
		} else {
			m->rcode = rc;
			bool negative = rc == DNS_R_NXDOMAIN ||
					(rc == DNS_R_NOERROR && m->sec[DNS_SEC_AN].n == 0);
			if (negative && m->sec[DNS_SEC_NS].n == 0)
				dns_add_soa(&c, DNS_SEC_NS,
					    l.kind == DNS_K_REVERSE ? c.domain : l.domain);
			cap_answers(&c);
		}
	}
	if (outcome == DNS_REPLY)
		*out_len = dns_msg_encode(m, out, limit, !cfg->dns_config.disable_compression);
	if (outcome == DNS_REPLY && c.failover)
		outcome = DNS_QUERY_FAILOVER;
	dns_ctx_free(&c);
	return outcome;
}

enum dns_outcome dns_respond(const struct dns_view *v, const uint8_t *pkt, size_t len, int tcp,
			     uint8_t *out, size_t *out_len)
{
	return respond(v, pkt, len, tcp, NULL, out, out_len);
}

enum dns_outcome dns_respond_query(const struct dns_view *v, const uint8_t *pkt, size_t len,
				   int tcp, const struct prepared_query *q, uint8_t *out,
				   size_t *out_len)
{
	return respond(v, pkt, len, tcp, q, out, out_len);
}

struct prepared_query *dns_query_resolve(const struct dns_view *v, const uint8_t *pkt, size_t len)
{
	struct dns_query q;
	if (dns_query_decode(pkt, len, &q) != DNS_DEC_OK)
		return NULL;
	struct dns_ctx c;
	dns_ctx_init(&c, v, &q);
	struct dns_lookup l;
	dns_lookup_parse(&c, &l);
	char *why = NULL;
	struct prepared_query *pq =
	    l.kind == DNS_K_QUERY ? pquery_resolve(v->store, l.name, &why) : NULL;
	free(why);
	dns_ctx_free(&c);
	return pq;
}
