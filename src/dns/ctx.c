/*
 * The per-query context of the answer builders (answer.h): record storage for
 * the three sections, an arena for the names and texts the records point to,
 * and the domains normalised once per query. A typical answer (a few records,
 * a few names) never touches the heap: the section arrays and the first arena
 * chunk are inline; larger answers grow into heap memory that dns_ctx_free
 * releases. Loop thread; the ctx lives on dns_respond's stack.
 */
#include "dns/answer.h"

#include "base/alloc.h"
#include "config/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct dns_arena_chunk {
	struct dns_arena_chunk *next; /* older chunk */
	uint8_t data[];		      /* payload */
};

/* Lowercase copy of a domain without its trailing dot ("" when none). */
static void normalise(char *out, const char *d)
{
	size_t n = d ? strlen(d) : 0;
	while (n > 0 && d[n - 1] == '.')
		n--;
	while (n > 0 && d[0] == '.')
		d++, n--;
	if (n > DNS_NAME_MAX)
		n = 0;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)d[i]);
	out[n] = 0;
}

void dns_ctx_init(struct dns_ctx *c, const struct dns_view *v, const struct dns_query *q)
{
	c->v = v;
	c->cfg = v->cfg;
	c->q = q;
	c->given = NULL;
	c->failover = false;
	memset(&c->msg, 0, sizeof(c->msg));
	for (int s = 0; s < 3; s++)
		dns_rrlist_init(&c->msg.sec[s], c->rr_store[s],
				sizeof(c->rr_store[s]) / sizeof(c->rr_store[s][0]));
	normalise(c->domain, c->cfg->domain ? c->cfg->domain : "consul.");
	if (!c->domain[0])
		strcpy(c->domain, "consul");
	normalise(c->alt_domain, c->cfg->alt_domain);
	c->max_answers = 0;
	c->a_cur = c->a_first;
	c->a_used = 0;
	c->a_cap = sizeof(c->a_first);
	c->a_chunks = NULL;
}

void dns_ctx_free(struct dns_ctx *c)
{
	for (int s = 0; s < 3; s++)
		dns_rrlist_free(&c->msg.sec[s]);
	while (c->a_chunks) {
		struct dns_arena_chunk *next = c->a_chunks->next;
		free(c->a_chunks);
		c->a_chunks = next;
	}
}

void *dns_ctx_alloc(struct dns_ctx *c, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	if (c->a_used + n > c->a_cap) {
		size_t cap = n > 16384 ? n : 16384;
		struct dns_arena_chunk *ch = xmalloc(sizeof(*ch) + cap);
		ch->next = c->a_chunks;
		c->a_chunks = ch;
		c->a_cur = ch->data;
		c->a_used = 0;
		c->a_cap = cap;
	}
	void *p = c->a_cur + c->a_used;
	c->a_used += n;
	return p;
}

const uint8_t *dns_ctx_name(struct dns_ctx *c, const char *const *parts, size_t nparts)
{
	uint8_t tmp[DNS_NAME_MAX];
	int n = dns_name_from_text(parts, nparts, tmp);
	if (n < 0)
		return NULL;
	uint8_t *p = dns_ctx_alloc(c, (size_t)n);
	memcpy(p, tmp, (size_t)n);
	return p;
}

const uint8_t *dns_node_fqdn(struct dns_ctx *c, const char *domain, const char *node, bool lower)
{
	const char *parts[4] = {node, "node", c->cfg->datacenter ? c->cfg->datacenter : "dc1",
				domain};
	const uint8_t *name = dns_ctx_name(c, parts, 4);
	if (name && lower) {
		uint8_t *w = (uint8_t *)name;
		for (size_t o = 0; w[o]; o += (size_t)w[o] + 1)
			for (size_t i = 1; i <= w[o]; i++)
				w[o + i] = (uint8_t)tolower(w[o + i]);
	}
	return name;
}

struct dns_rr *dns_add(struct dns_ctx *c, int sec, const uint8_t *name, uint16_t type, uint32_t ttl)
{
	struct dns_rr *rr = dns_rrlist_add(&c->msg.sec[sec]);
	rr->name = name;
	rr->type = type;
	rr->ttl = ttl;
	return rr;
}

int dns_parse_ip(const char *s, uint8_t out[16])
{
	if (!s || !*s)
		return 0;
	if (inet_pton(AF_INET, s, out) == 1)
		return 4;
	if (!strchr(s, ':') || inet_pton(AF_INET6, s, out) != 1)
		return 0;
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (memcmp(out, mapped, 12) == 0) {
		memmove(out, out + 12, 4);
		return 4;
	}
	return 6;
}
