/*
 * The zone's own records, as Consul serves them.
 *
 * SOA: owner the domain asked under (`domain` or `alt_domain`), MNAME
 * ns.<domain>, RNAME hostmaster.<domain>, serial the current Unix time, then
 * dns_config.soa's refresh/retry/expire/min_ttl; its TTL is min_ttl (so a
 * negative answer is cached no longer than min_ttl, RFC 2308). It goes in the
 * authority section of every negative answer (NXDOMAIN and NODATA).
 *
 * NS: the servers are the nodes running the "consul" service (healthy ones,
 * shuffled, at most 3); each NS target is <node>.node.<dc>.<domain>
 * (lowercase) with the node's address as glue in the additional section, TTL
 * node_ttl. Consul answers a SOA or NS question for any name under the domain
 * with the zone's records, and so does cairn.
 */
#include "dns/answer.h"

#include "config/config.h"

#include <string.h>
#include <time.h>

void dns_add_soa(struct dns_ctx *c, int sec, const char *domain)
{
	const char *owner[1] = {domain};
	const char *ns[2] = {"ns", domain};
	const char *mbox[2] = {"hostmaster", domain};
	const uint8_t *name = dns_ctx_name(c, owner, 1);
	const uint8_t *mname = dns_ctx_name(c, ns, 2);
	const uint8_t *rname = dns_ctx_name(c, mbox, 2);
	if (!name || !mname || !rname)
		return;
	const struct config_dns *d = &c->cfg->dns_config;
	struct dns_rr *rr = dns_add(c, sec, name, DNS_T_SOA, d->soa.min_ttl);
	rr->u.soa.mname = mname;
	rr->u.soa.rname = rname;
	rr->u.soa.serial = (uint32_t)time(NULL);
	rr->u.soa.refresh = d->soa.refresh;
	rr->u.soa.retry = d->soa.retry;
	rr->u.soa.expire = d->soa.expire;
	rr->u.soa.minimum = d->soa.min_ttl;
}

/* NS records (in section sec) and their glue. */
static void add_ns(struct dns_ctx *c, int sec, const char *domain)
{
	const char *owner[1] = {domain};
	const uint8_t *zone = dns_ctx_name(c, owner, 1);
	uint32_t ttl = dns_node_ttl(c->cfg);
	struct dns_insts is;
	dns_healthy_instances(c, "consul", "", &is);
	size_t added = 0;
	for (size_t i = 0; i < is.n && added < 3 && zone; i++) {
		const struct cat_node *n = is.v[i].node;
		bool dup = false;
		for (size_t j = 0; j < i; j++)
			dup |= is.v[j].node == n;
		const uint8_t *target = dup ? NULL : dns_node_fqdn(c, domain, n->name, true);
		if (!target)
			continue; /* not a valid DNS name: skipped, as Consul */
		struct dns_rr *rr = dns_add(c, sec, zone, DNS_T_NS, ttl);
		rr->u.target = target;
		added++;
		uint8_t ip[16];
		int fam = dns_parse_ip(n->address, ip);
		if (fam) {
			rr = dns_add(c, DNS_SEC_AR, target, fam == 4 ? DNS_T_A : DNS_T_AAAA, ttl);
			memcpy(rr->u.addr, ip, fam == 4 ? 4 : 16);
		}
	}
	dns_insts_free(&is);
}

void dns_answer_zone(struct dns_ctx *c, const struct dns_lookup *l)
{
	if (c->q->qtype == DNS_T_SOA) {
		dns_add_soa(c, DNS_SEC_AN, l->domain);
		add_ns(c, DNS_SEC_NS, l->domain);
	} else {
		add_ns(c, DNS_SEC_AN, l->domain);
	}
}
