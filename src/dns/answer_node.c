/*
 * Node lookups (<node>.node[.<dc>].<domain>), as Consul answers them.
 *
 *   A / AAAA / ANY  the node's address when it is an IP of the asked family
 *                   (ANY: either); a hostname address gives a CNAME to it.
 *                   With enable_additional_node_meta_txt (default) the node's
 *                   meta follows as TXT records in the additional section.
 *   TXT / ANY       the node's meta as TXT records in the answer section.
 *   anything else   NOERROR without records (the SOA is added by respond.c).
 * An unknown node is NXDOMAIN. TTL: dns_config.node_ttl.
 *
 * Meta as TXT (RFC 1464): "key=value" with "`" doubled, "=" in the key written
 * "`=", and leading/trailing spaces of the key written "` "; keys starting with
 * "rfc1035-" (any case) give the bare value. One record per key, in key order.
 */
#include "dns/answer.h"

#include "config/config.h"

#include <string.h>
#include <strings.h>

static size_t put_escaped(char *out, const char *s, bool key)
{
	size_t n = 0, len = strlen(s), lead = 0, trail = 0;
	if (key) {
		while (lead < len && s[lead] == ' ')
			lead++;
		while (trail < len - lead && s[len - 1 - trail] == ' ')
			trail++;
	}
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (ch == '`' ||
		    (key && (ch == '=' || (ch == ' ' && (i < lead || i >= len - trail)))))
			out[n++] = '`';
		out[n++] = ch;
	}
	return n;
}

void dns_add_node_meta(struct dns_ctx *c, int sec, const uint8_t *owner, const struct cat_node *n,
		       uint32_t ttl)
{
	for (size_t i = 0; i < n->nmeta; i++) {
		const char *k = n->meta[i].key, *v = n->meta[i].value;
		char *txt = dns_ctx_alloc(c, 2 * strlen(k) + 2 * strlen(v) + 2);
		size_t len;
		if (strncasecmp(k, "rfc1035-", 8) == 0) {
			len = strlen(v);
			memcpy(txt, v, len);
		} else {
			len = put_escaped(txt, k, true);
			txt[len++] = '=';
			len += put_escaped(txt + len, v, false);
		}
		struct dns_rr *rr = dns_add(c, sec, owner, DNS_T_TXT, ttl);
		rr->u.txt.text = txt;
		rr->u.txt.len = len;
	}
}

int dns_answer_node(struct dns_ctx *c, const struct dns_lookup *l)
{
	const struct cat_node *n = catalog_node(c->v->store, l->name);
	if (!n)
		return DNS_R_NXDOMAIN;
	uint16_t qt = c->q->qtype;
	uint32_t ttl = dns_node_ttl(c->cfg);
	const uint8_t *qname = c->q->qname;
	if (qt == DNS_T_A || qt == DNS_T_AAAA || qt == DNS_T_ANY) {
		uint8_t ip[16];
		int fam = dns_parse_ip(n->address, ip);
		if (fam == 4 && qt != DNS_T_AAAA) {
			memcpy(dns_add(c, DNS_SEC_AN, qname, DNS_T_A, ttl)->u.addr, ip, 4);
		} else if (fam == 6 && qt != DNS_T_A) {
			memcpy(dns_add(c, DNS_SEC_AN, qname, DNS_T_AAAA, ttl)->u.addr, ip, 16);
		} else if (!fam && n->address[0]) {
			const char *parts[1] = {n->address};
			const uint8_t *target = dns_ctx_name(c, parts, 1);
			if (target)
				dns_add(c, DNS_SEC_AN, qname, DNS_T_CNAME, ttl)->u.target = target;
		}
	}
	if (qt == DNS_T_TXT || qt == DNS_T_ANY)
		dns_add_node_meta(c, DNS_SEC_AN, qname, n, ttl);
	else if (c->msg.sec[DNS_SEC_AN].n > 0 && c->cfg->dns_config.enable_additional_node_meta_txt)
		dns_add_node_meta(c, DNS_SEC_AR, qname, n, ttl);
	return DNS_R_NOERROR;
}
