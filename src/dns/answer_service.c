/*
 * Service lookups, as Consul's DNS interface answers them.
 *
 * Instances. Every instance of the name (matching the tag, case-insensitive,
 * when one is given) whose checks (node-level and its own) hold no critical or
 * maintenance status; with dns_config.only_passing, no warning either. None
 * left (unknown name, or all unhealthy) is NXDOMAIN. The order is shuffled per
 * query (Fisher-Yates over v->rand).
 *
 * Address of an instance: the service address when set, else the node's.
 *
 * A / AAAA / ANY: one record per distinct address of the asked family (owner:
 * the question), at most dns_config.a_record_limit of them (0 = no limit). An
 * instance whose address is a hostname gives a CNAME to it, used only when no
 * instance gave an address record (cairn does not chase the CNAME; the client
 * resolves it). Other types: NOERROR without records.
 *
 * SRV: priority 1, weight Weights.Passing (Weights.Warning for a warning
 * instance; 1/1 when the service has none), the service port, and a target:
 *   no service address, node address an IP  ->  <node>.node.<dc>.<domain>.
 *   service address an IP                    ->  <hex>.addr.<dc>.<domain>.
 *                                                (8 hex digits IPv4, 32 IPv6)
 *   a hostname (service's, else the node's)  ->  that hostname
 * with the address as an A/AAAA record of the target in the additional
 * section, plus the node's meta as TXT records of <node>.node.<dc>.<domain>.
 * when enable_additional_node_meta_txt. Instances with the same node, address
 * and port are answered once. TTLs: dns_service_ttl.
 */
#include "dns/answer.h"

#include "base/alloc.h"
#include "config/config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct collect {
	struct dns_ctx *c;     /* query */
	const char *tag;       /* "" = any */
	bool only_passing;     /* dns_config.only_passing */
	struct dns_insts *out; /* result */
	enum cat_status worst; /* while walking one instance's checks */
};

static int worst_check(void *ctx, const struct cat_check *chk)
{
	struct collect *co = ctx;
	enum cat_status st = chk->status == CAT_MAINTENANCE ? CAT_CRITICAL : chk->status;
	if (st > co->worst)
		co->worst = st;
	return co->worst == CAT_CRITICAL; /* nothing can be worse: stop */
}

static bool has_tag(const struct cat_service *s, const char *tag)
{
	for (size_t i = 0; i < s->ntags; i++)
		if (strcasecmp(s->tags[i], tag) == 0)
			return true;
	return false;
}

static int collect_one(void *ctx, const struct cat_node *n, const struct cat_service *s)
{
	struct collect *co = ctx;
	if (co->tag[0] && !has_tag(s, co->tag))
		return 0;
	co->worst = CAT_PASSING;
	catalog_instance_checks(co->c->v->store, s, worst_check, co);
	if (co->worst == CAT_CRITICAL || (co->worst == CAT_WARNING && co->only_passing))
		return 0;
	struct dns_insts *is = co->out;
	if (is->n == is->cap) {
		struct dns_inst *nv = xmalloc(is->cap * 2 * sizeof(*nv));
		memcpy(nv, is->v, is->n * sizeof(*nv));
		if (is->heap)
			free(is->v);
		is->v = nv;
		is->cap *= 2;
		is->heap = true;
	}
	is->v[is->n++] = (struct dns_inst){n, s, co->worst == CAT_WARNING};
	return 0;
}

void dns_healthy_instances(struct dns_ctx *c, const char *name, const char *tag,
			   struct dns_insts *out)
{
	out->v = out->inl;
	out->n = 0;
	out->cap = sizeof(out->inl) / sizeof(out->inl[0]);
	out->heap = false;
	struct collect co = {c, tag, c->cfg->dns_config.only_passing, out, CAT_PASSING};
	catalog_service_instances(c->v->store, name, collect_one, &co);
	if (!c->v->rand)
		return;
	for (size_t i = out->n; i > 1; i--) {
		size_t j = (size_t)(c->v->rand(c->v->rand_ctx) % i);
		struct dns_inst t = out->v[i - 1];
		out->v[i - 1] = out->v[j];
		out->v[j] = t;
	}
}

void dns_insts_free(struct dns_insts *is)
{
	if (is->heap)
		free(is->v);
	is->v = NULL;
	is->n = is->cap = 0;
	is->heap = false;
}

/* The address an instance is reached at: *fam 4/6 with ip set, or 0 with
 * *host the hostname ("" when neither is set). */
static int inst_addr(struct dns_ctx *c, const struct dns_inst *in, uint8_t ip[16],
		     const char **host, bool *via_service)
{
	const char *sa = in->svc->address;
	*via_service = false;
	*host = "";
	if (sa[0]) {
		int fam = dns_parse_ip(sa, ip);
		if (fam) {
			*via_service = true;
			return fam;
		}
		/* a service address naming the question itself: use the node's */
		if (!dns_text_eq_wire(sa, c->q->qname)) {
			*host = sa;
			return 0;
		}
	}
	int fam = dns_parse_ip(in->node->address, ip);
	if (!fam)
		*host = in->node->address;
	return fam;
}

static void add_addr(struct dns_ctx *c, int sec, const uint8_t *owner, int fam, const uint8_t *ip,
		     uint32_t ttl)
{
	struct dns_rr *rr = dns_add(c, sec, owner, fam == 4 ? DNS_T_A : DNS_T_AAAA, ttl);
	memcpy(rr->u.addr, ip, fam == 4 ? 4 : 16);
}

static int answer_addresses(struct dns_ctx *c, const struct dns_insts *is, uint32_t ttl)
{
	uint16_t qt = c->q->qtype;
	size_t limit = c->cfg->dns_config.a_record_limit > 0
			   ? (size_t)c->cfg->dns_config.a_record_limit
			   : (size_t)-1;
	const char *cname = NULL;
	struct dns_rrlist *an = &c->msg.sec[DNS_SEC_AN];
	size_t count = 0;
	for (size_t i = 0; i < is->n && count < limit; i++) {
		uint8_t ip[16];
		const char *host;
		bool via_svc;
		int fam = inst_addr(c, &is->v[i], ip, &host, &via_svc);
		if (!fam) {
			if (host[0] && !cname)
				cname = host;
			continue;
		}
		if (!(qt == DNS_T_ANY || (fam == 4 && qt == DNS_T_A) ||
		      (fam == 6 && qt == DNS_T_AAAA)))
			continue;
		bool dup = false;
		for (size_t j = 0; j < an->n && !dup; j++)
			dup = an->v[j].type == (fam == 4 ? DNS_T_A : DNS_T_AAAA) &&
			      memcmp(an->v[j].u.addr, ip, fam == 4 ? 4 : 16) == 0;
		if (dup)
			continue;
		add_addr(c, DNS_SEC_AN, c->q->qname, fam, ip, ttl);
		count++;
	}
	if (an->n == 0 && cname) {
		const char *parts[1] = {cname};
		const uint8_t *target = dns_ctx_name(c, parts, 1);
		if (target)
			dns_add(c, DNS_SEC_AN, c->q->qname, DNS_T_CNAME, ttl)->u.target = target;
	}
	return DNS_R_NOERROR;
}

/* <hex>.addr.<dc>.<domain> */
static const uint8_t *addr_fqdn(struct dns_ctx *c, const char *domain, int fam, const uint8_t *ip)
{
	static const char hex[] = "0123456789abcdef";
	char h[33];
	size_t n = fam == 4 ? 4 : 16;
	for (size_t i = 0; i < n; i++) {
		h[2 * i] = hex[ip[i] >> 4];
		h[2 * i + 1] = hex[ip[i] & 15];
	}
	h[2 * n] = 0;
	const char *parts[4] = {h, "addr", c->cfg->datacenter ? c->cfg->datacenter : "dc1", domain};
	return dns_ctx_name(c, parts, 4);
}

/* Is the additional section already holding this record? */
static bool have_extra(struct dns_ctx *c, const uint8_t *name, uint16_t type)
{
	const struct dns_rrlist *ar = &c->msg.sec[DNS_SEC_AR];
	if (ar->n > 256)
		return false; /* duplicates are harmless; quadratic scans are not */
	for (size_t i = 0; i < ar->n; i++)
		if (ar->v[i].type == type && dns_name_eq(ar->v[i].name, name))
			return true;
	return false;
}

static int answer_srv(struct dns_ctx *c, const struct dns_lookup *l, const struct dns_insts *is,
		      uint32_t ttl)
{
	bool meta = c->cfg->dns_config.enable_additional_node_meta_txt;
	for (size_t i = 0; i < is->n; i++) {
		const struct dns_inst *in = &is->v[i];
		bool dup = false;
		for (size_t j = 0; j < i && !dup && is->n <= 256; j++)
			dup = is->v[j].node == in->node && is->v[j].svc->port == in->svc->port &&
			      strcmp(is->v[j].svc->address, in->svc->address) == 0;
		if (dup)
			continue;
		uint8_t ip[16];
		const char *host;
		bool via_svc;
		int fam = inst_addr(c, in, ip, &host, &via_svc);
		const uint8_t *node_name = dns_node_fqdn(c, l->domain, in->node->name, false);
		const uint8_t *target;
		if (fam)
			target = via_svc ? addr_fqdn(c, l->domain, fam, ip) : node_name;
		else if (host[0]) {
			const char *parts[1] = {host};
			target = dns_ctx_name(c, parts, 1);
		} else
			target = NULL;
		if (!target)
			continue;
		struct dns_rr *rr = dns_add(c, DNS_SEC_AN, c->q->qname, DNS_T_SRV, ttl);
		const struct cat_service *s = in->svc;
		int32_t w = in->warning ? s->weight_warning : s->weight_passing;
		if (s->weight_passing == 0 && s->weight_warning == 0)
			w = 1; /* no Weights registered: Consul's default */
		rr->u.srv.priority = 1;
		rr->u.srv.weight = (uint16_t)(w < 0 ? 0 : w > 65535 ? 65535 : w);
		rr->u.srv.port = (uint16_t)s->port;
		rr->u.srv.target = target;
		uint16_t at = fam == 4 ? DNS_T_A : DNS_T_AAAA;
		if (fam && !have_extra(c, target, at))
			add_addr(c, DNS_SEC_AR, target, fam, ip, ttl);
		if (meta && node_name && in->node->nmeta && !have_extra(c, node_name, DNS_T_TXT))
			dns_add_node_meta(c, DNS_SEC_AR, node_name, in->node, ttl);
	}
	return DNS_R_NOERROR;
}

int dns_answer_instances(struct dns_ctx *c, const struct dns_lookup *l, const struct dns_insts *is,
			 uint32_t ttl)
{
	uint16_t qt = c->q->qtype;
	if (qt == DNS_T_SRV)
		return answer_srv(c, l, is, ttl);
	if (qt == DNS_T_A || qt == DNS_T_AAAA || qt == DNS_T_ANY)
		return answer_addresses(c, is, ttl);
	return DNS_R_NOERROR;
}

int dns_answer_service(struct dns_ctx *c, const struct dns_lookup *l)
{
	struct dns_insts is;
	dns_healthy_instances(c, l->name, l->tag, &is);
	int rc = DNS_R_NXDOMAIN;
	if (is.n > 0)
		rc = dns_answer_instances(c, l, &is, dns_service_ttl(c->cfg, l->name));
	dns_insts_free(&is);
	return rc;
}
