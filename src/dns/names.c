/*
 * Question names -> what is asked (struct dns_lookup), following Consul's
 * dispatch: labels are read right to left; the domain (`domain` or
 * `alt_domain`, the longer when both match, case-insensitive) is cut off, then
 * the rightmost of the kind labels "service", "node", "addr", "query",
 * "connect", "ingress", "virtual" splits the rest into parts (left) and
 * locality (right). For an SRV question an "_"-prefixed label also starts a
 * service lookup with "service" omitted (RFC 2782 form).
 *
 *   [tag.]web.service[.dc1].consul     tag = every part but the last, joined
 *   _web._tcp[.service][.dc1].consul   RFC 2782: "_tcp" means no tag, any
 *                                      other "_x" filters on tag x (as Consul)
 *   node1.node[.dc1].consul            node names may hold dots
 *   7f000001.addr[.dc1].consul         8 or 32 hex digits
 *
 *   db.query[.dc1].consul              a prepared query's name or ID (dots kept)
 *
 * Locality is nothing, "<dc>" or "<dc>.dc"; a node, service or query of
 * another datacenter is DNS_K_OTHER_DC (the driver asks that datacenter); a
 * kind cairn does not serve (connect, ingress, virtual) is DNS_K_INVALID,
 * answered NXDOMAIN. Names under
 * in-addr.arpa / ip6.arpa are reverse lookups; a full address is decoded.
 * Labels holding '.' or NUL bytes cannot name anything and are INVALID too.
 */
#include "dns/answer.h"

#include "base/hex.h"

#include "config/config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

struct label {
	const uint8_t *p; /* bytes */
	size_t len;	  /* 0..63 */
};

static bool label_is(const struct label *l, const char *s)
{
	size_t n = strlen(s);
	return l->len == n && strncasecmp((const char *)l->p, s, n) == 0;
}

/* Number of trailing labels matching dotted domain d (0 = no match). */
static size_t match_domain(const struct label *ls, size_t n, const char *d)
{
	if (!*d)
		return 0;
	size_t k = 0, end = strlen(d);
	for (;;) {
		size_t start = end;
		while (start > 0 && d[start - 1] != '.')
			start--;
		if (k >= n)
			return 0;
		const struct label *l = &ls[n - 1 - k];
		if (l->len != end - start || strncasecmp((const char *)l->p, d + start, l->len))
			return 0;
		k++;
		if (start == 0)
			return k;
		end = start - 1;
	}
}

static void parse_reverse(const struct label *ls, size_t n, bool v6, struct dns_lookup *l)
{
	l->kind = DNS_K_REVERSE;
	if (!v6) {
		if (n != 4)
			return;
		for (size_t i = 0; i < 4; i++) {
			const struct label *x = &ls[3 - i];
			unsigned v = 0;
			if (x->len < 1 || x->len > 3)
				return;
			for (size_t j = 0; j < x->len; j++) {
				if (x->p[j] < '0' || x->p[j] > '9')
					return;
				v = v * 10 + (x->p[j] - '0');
			}
			if (v > 255)
				return;
			l->addr[i] = (uint8_t)v;
		}
		l->family = 4;
		return;
	}
	if (n != 32)
		return;
	memset(l->addr, 0, 16);
	for (size_t i = 0; i < 32; i++) {
		int h = ls[31 - i].len == 1 ? hexval(ls[31 - i].p[0]) : -1;
		if (h < 0)
			return;
		l->addr[i / 2] |= (uint8_t)(i % 2 ? h : h << 4);
	}
	l->family = 6;
}

/* Join labels [from, to) with dots into out (DNS_NAME_MAX + 1 bytes). */
static void join(const struct label *ls, size_t from, size_t to, char *out)
{
	size_t n = 0;
	for (size_t i = from; i < to; i++) {
		if (i > from)
			out[n++] = '.';
		memcpy(out + n, ls[i].p, ls[i].len);
		n += ls[i].len;
	}
	out[n] = 0;
}

/* The locality: 1 ours (or none), 0 another datacenter (its name in l->dc),
 * -1 not a locality. */
static int locality(struct dns_ctx *c, const struct label *ls, size_t n, struct dns_lookup *l)
{
	const char *dc = c->cfg->datacenter ? c->cfg->datacenter : "dc1";
	if (n == 0)
		return 1;
	if ((n == 2 && !label_is(&ls[1], "dc")) || n > 2 || ls[0].len >= sizeof(l->dc))
		return -1;
	if (label_is(&ls[0], dc))
		return 1;
	join(ls, 0, 1, l->dc);
	for (char *p = l->dc; *p; p++) /* datacenter names are lowercase */
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

static void parse_in_domain(struct dns_ctx *c, const struct label *ls, size_t n,
			    struct dns_lookup *l)
{
	static const char *kinds[] = {"service", "node",    "addr",   "query",
				      "connect", "ingress", "virtual"};
	l->kind = DNS_K_INVALID;
	if (n == 0) {
		l->kind = DNS_K_APEX;
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (memchr(ls[i].p, '.', ls[i].len) || memchr(ls[i].p, 0, ls[i].len))
			return;
	size_t at = n, nparts = 0;
	const char *kind = NULL;
	for (size_t i = n; i-- > 0 && !kind;) {
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (label_is(&ls[i], kinds[k])) {
				kind = kinds[k];
				at = i + 1;
				nparts = i;
				break;
			}
		if (!kind && c->q->qtype == DNS_T_SRV && ls[i].len > 0 && ls[i].p[0] == '_') {
			kind = "service";
			at = i + 1;
			nparts = i + 1;
		}
	}
	if (!kind || nparts == 0)
		return;
	if (strcmp(kind, "addr") == 0) {
		/* the locality is ignored, as Consul does */
		if (nparts != 1 || (ls[0].len != 8 && ls[0].len != 32))
			return;
		memset(l->addr, 0, sizeof(l->addr));
		for (size_t j = 0; j < ls[0].len; j++) {
			int h = hexval(ls[0].p[j]);
			if (h < 0)
				return;
			l->addr[j / 2] |= (uint8_t)(j % 2 ? h : h << 4);
		}
		l->family = ls[0].len == 8 ? 4 : 6;
		l->kind = DNS_K_ADDR;
		return;
	}
	int here = locality(c, ls + at, n - at, l);
	if (here < 0)
		return;
	if (here == 0) {
		if (strcmp(kind, "node") == 0 || strcmp(kind, "service") == 0 ||
		    strcmp(kind, "query") == 0)
			l->kind = DNS_K_OTHER_DC;
		return;
	}
	if (strcmp(kind, "node") == 0) {
		join(ls, 0, nparts, l->name);
		l->kind = DNS_K_NODE;
	} else if (strcmp(kind, "service") == 0) {
		if (nparts == 2 && ls[0].len > 1 && ls[0].p[0] == '_' && ls[1].len > 1 &&
		    ls[1].p[0] == '_') {
			struct label svc = {ls[0].p + 1, ls[0].len - 1};
			struct label tag = {ls[1].p + 1, ls[1].len - 1};
			join(&svc, 0, 1, l->name);
			if (label_is(&tag, "tcp"))
				l->tag[0] = 0;
			else
				join(&tag, 0, 1, l->tag);
		} else {
			join(ls, nparts - 1, nparts, l->name);
			join(ls, 0, nparts - 1, l->tag);
		}
		if (l->name[0])
			l->kind = DNS_K_SERVICE;
	} else if (strcmp(kind, "query") == 0) {
		join(ls, 0, nparts, l->name);
		l->kind = DNS_K_QUERY;
	}
	/* connect, ingress, virtual: not served (NXDOMAIN) */
}

void dns_lookup_parse(struct dns_ctx *c, struct dns_lookup *l)
{
	struct label ls[128];
	size_t n = 0;
	const uint8_t *w = c->q->qname;
	for (size_t o = 0; w[o] && n < 128; o += (size_t)w[o] + 1)
		ls[n++] = (struct label){w + o + 1, w[o]};
	l->kind = DNS_K_OUTSIDE;
	l->domain = c->domain;
	l->name[0] = l->tag[0] = l->dc[0] = 0;
	l->family = 0;

	size_t k = match_domain(ls, n, c->domain);
	size_t ka = match_domain(ls, n, c->alt_domain);
	if (ka > k) {
		k = ka;
		l->domain = c->alt_domain;
	}
	if (k > 0) {
		parse_in_domain(c, ls, n - k, l);
		return;
	}
	if (n >= 2 && label_is(&ls[n - 1], "arpa")) {
		if (label_is(&ls[n - 2], "in-addr"))
			parse_reverse(ls, n - 2, false, l);
		else if (label_is(&ls[n - 2], "ip6"))
			parse_reverse(ls, n - 2, true, l);
	}
}

bool dns_text_eq_wire(const char *s, const uint8_t *w)
{
	uint8_t tmp[DNS_NAME_MAX];
	const char *parts[1] = {s};
	return dns_name_from_text(parts, 1, tmp) > 0 && dns_name_eq(tmp, w);
}
