/*
 * Address-shaped names, as Consul answers them.
 *
 * Reverse (x.x.x.x.in-addr.arpa, 32 nibbles of ip6.arpa): the first node (in
 * name order) whose address is that IP gives <node>.node.<dc>.<domain>.; when
 * no node has it, the first service instance whose own address is that IP
 * gives <service>.service.<dc>.<domain>. (`domain`, never `alt_domain`). TTL 0
 * as Consul. PTR and ANY questions get the record; other types NOERROR without
 * records. Addresses are compared as parsed IPs, so any spelling matches. An
 * address nobody has is "unknown": respond.c sends it to the recursors, or
 * answers NXDOMAIN without them. The scan walks every node (and, when needed,
 * every service); reverse lookups are rare next to forward ones.
 *
 * <hexip>.addr.<dc>.<domain>: the encoded address itself (A for 8 hex digits,
 * AAAA for 32), TTL node_ttl; other types NOERROR without records.
 */
#include "dns/answer.h"

#include "config/config.h"

#include <string.h>

struct find {
	struct dns_ctx *c;	    /* query */
	const struct dns_lookup *l; /* the address */
	const char *node;	    /* node found */
	const char *service;	    /* else service found */
};

static bool same_ip(const struct dns_lookup *l, const char *s)
{
	uint8_t ip[16];
	int fam = dns_parse_ip(s, ip);
	return fam == l->family && memcmp(ip, l->addr, fam == 4 ? 4 : 16) == 0;
}

static int find_node(void *ctx, const struct cat_node *n)
{
	struct find *f = ctx;
	if (!same_ip(f->l, n->address))
		return 0;
	f->node = n->name;
	return 1;
}

static int find_service(void *ctx, const struct cat_service *s)
{
	struct find *f = ctx;
	if (!s->address[0] || !same_ip(f->l, s->address))
		return 0;
	f->service = s->name;
	return 1;
}

static int find_node_services(void *ctx, const struct cat_node *n)
{
	struct find *f = ctx;
	return catalog_node_services(f->c->v->store, n->name, find_service, f);
}

bool dns_answer_ptr(struct dns_ctx *c, const struct dns_lookup *l)
{
	if (l->family == 0)
		return false;
	struct find f = {c, l, NULL, NULL};
	catalog_nodes(c->v->store, find_node, &f);
	if (!f.node)
		catalog_nodes(c->v->store, find_node_services, &f);
	const uint8_t *target = NULL;
	if (f.node) {
		target = dns_node_fqdn(c, c->domain, f.node, false);
	} else if (f.service) {
		const char *parts[4] = {f.service, "service",
					c->cfg->datacenter ? c->cfg->datacenter : "dc1", c->domain};
		target = dns_ctx_name(c, parts, 4);
	} else {
		return false;
	}
	uint16_t qt = c->q->qtype;
	if (target && (qt == DNS_T_PTR || qt == DNS_T_ANY))
		dns_add(c, DNS_SEC_AN, c->q->qname, DNS_T_PTR, 0)->u.target = target;
	return true;
}

int dns_answer_addr(struct dns_ctx *c, const struct dns_lookup *l)
{
	uint16_t qt = c->q->qtype;
	uint16_t want = l->family == 4 ? DNS_T_A : DNS_T_AAAA;
	if (qt == want || qt == DNS_T_ANY)
		memcpy(dns_add(c, DNS_SEC_AN, c->q->qname, want, dns_node_ttl(c->cfg))->u.addr,
		       l->addr, l->family == 4 ? 4 : 16);
	return DNS_R_NOERROR;
}
