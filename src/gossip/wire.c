/*
 * The gossip wire codec (format tables in wire.h). Encoding appends to a
 * struct buf; decoding reads through a bounds-checked cursor that latches the
 * first error, so each body decoder reads straight through and checks once.
 */
#include "gossip/wire.h"

#include "base/alloc.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>

bool gaddr_equal(const struct gaddr *a, const struct gaddr *b)
{
	size_t n = a->family == 6 ? 16 : 4;
	return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, n) == 0;
}

void gmsg_free(struct gmsg *m)
{
	if (m->type != GMSG_PUSH_PULL)
		return;
	free(m->u.push_pull.members);
	free(m->u.push_pull.user);
	m->u.push_pull.members = NULL;
	m->u.push_pull.user = NULL;
}

/* ---- sizes ---- */

static size_t str_size(const char *s)
{
	return 1 + strlen(s);
}

static size_t addr_size(const struct gaddr *a)
{
	return 1 + (a->family == 6 ? 16 : a->family == 4 ? 4 : 0) + 2;
}

static size_t member_size(const struct gmember *m)
{
	return str_size(m->name) + addr_size(&m->addr) + 4 + 6 + 2 + m->meta_len;
}

size_t gwire_body_size(const struct gmsg *m)
{
	const struct gmsg_push_pull *pp = &m->u.push_pull;
	size_t n;
	switch (m->type) {
	case GMSG_PING:
		return 4 + str_size(m->u.ping.node) + addr_size(&m->u.ping.source) +
		       str_size(m->u.ping.source_node);
	case GMSG_INDIRECT_PING:
		return 4 + addr_size(&m->u.indirect.target) + str_size(m->u.indirect.node) + 1 +
		       addr_size(&m->u.indirect.source) + str_size(m->u.indirect.source_node);
	case GMSG_ACK:
		return 4 + 1 + m->u.ack.payload_len;
	case GMSG_NACK:
		return 4;
	case GMSG_SUSPECT:
	case GMSG_DEAD:
		return 4 + str_size(m->u.suspect.node) + str_size(m->u.suspect.from);
	case GMSG_ALIVE:
		return member_size(&m->u.alive);
	case GMSG_USER:
		return 2 + m->u.user.len;
	case GMSG_PUSH_PULL:
		n = 1 + 4 + 4 + pp->user_len;
		for (uint32_t i = 0; i < pp->nmembers; i++)
			n += member_size(&pp->members[i]) + 1;
		return n;
	default:
		return 0;
	}
}

size_t gwire_msg_size(const struct gmsg *m)
{
	return GWIRE_MSG_HDR + gwire_body_size(m);
}

/* ---- encoding ---- */

static void put_u8(struct buf *b, uint8_t v)
{
	buf_putc(b, (char)v);
}

static void put_u16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	buf_append(b, x, 2);
}

static void put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	buf_append(b, x, 4);
}

static void put_str(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	put_u8(b, (uint8_t)n);
	buf_append(b, s, n);
}

static void put_addr(struct buf *b, const struct gaddr *a)
{
	put_u8(b, a->family);
	if (a->family == 4 || a->family == 6)
		buf_append(b, a->ip, a->family == 6 ? 16 : 4);
	put_u16(b, a->port);
}

static void put_member(struct buf *b, const struct gmember *m)
{
	put_str(b, m->name);
	put_addr(b, &m->addr);
	put_u32(b, m->incarnation);
	buf_append(b, m->vsn, 6);
	put_u16(b, m->meta_len);
	buf_append(b, m->meta, m->meta_len);
}

static void put_body(struct buf *b, const struct gmsg *m)
{
	const struct gmsg_push_pull *pp = &m->u.push_pull;
	switch (m->type) {
	case GMSG_PING:
		put_u32(b, m->u.ping.seq);
		put_str(b, m->u.ping.node);
		put_addr(b, &m->u.ping.source);
		put_str(b, m->u.ping.source_node);
		break;
	case GMSG_INDIRECT_PING:
		put_u32(b, m->u.indirect.seq);
		put_addr(b, &m->u.indirect.target);
		put_str(b, m->u.indirect.node);
		put_u8(b, m->u.indirect.want_nack ? 1 : 0);
		put_addr(b, &m->u.indirect.source);
		put_str(b, m->u.indirect.source_node);
		break;
	case GMSG_ACK:
		put_u32(b, m->u.ack.seq);
		put_u8(b, m->u.ack.payload_len);
		buf_append(b, m->u.ack.payload, m->u.ack.payload_len);
		break;
	case GMSG_NACK:
		put_u32(b, m->u.nack.seq);
		break;
	case GMSG_SUSPECT:
	case GMSG_DEAD:
		put_u32(b, m->u.suspect.incarnation);
		put_str(b, m->u.suspect.node);
		put_str(b, m->u.suspect.from);
		break;
	case GMSG_ALIVE:
		put_member(b, &m->u.alive);
		break;
	case GMSG_USER:
		put_u16(b, m->u.user.len);
		buf_append(b, m->u.user.data, m->u.user.len);
		break;
	case GMSG_PUSH_PULL:
		put_u8(b, pp->join ? 1 : 0);
		put_u32(b, pp->nmembers);
		for (uint32_t i = 0; i < pp->nmembers; i++) {
			put_member(b, &pp->members[i]);
			put_u8(b, (uint8_t)pp->members[i].state);
		}
		put_u32(b, pp->user_len);
		buf_append(b, pp->user, pp->user_len);
		break;
	default:
		break;
	}
}

void gwire_packet_begin(struct buf *b)
{
	put_u8(b, GWIRE_VERSION);
}

void gwire_put_msg(struct buf *b, const struct gmsg *m)
{
	put_u8(b, (uint8_t)m->type);
	put_u16(b, (uint16_t)gwire_body_size(m));
	put_body(b, m);
}

void gwire_stream_encode(struct buf *b, const struct gmsg *m)
{
	put_u8(b, GWIRE_VERSION);
	put_u8(b, (uint8_t)m->type);
	put_u32(b, (uint32_t)gwire_body_size(m));
	put_body(b, m);
}

size_t gwire_pp_begin(struct buf *b, bool join, uint32_t count)
{
	size_t start = b->len;
	put_u8(b, GWIRE_VERSION);
	put_u8(b, GMSG_PUSH_PULL);
	put_u32(b, 0); /* patched by gwire_pp_end */
	put_u8(b, join ? 1 : 0);
	put_u32(b, count);
	return start;
}

void gwire_pp_member(struct buf *b, const struct gmember *m)
{
	put_member(b, m);
	put_u8(b, (uint8_t)m->state);
}

void gwire_pp_end(struct buf *b, size_t start, const uint8_t *user, uint32_t user_len)
{
	put_u32(b, user_len);
	buf_append(b, user, user_len);
	uint32_t blen = (uint32_t)(b->len - start - GWIRE_STREAM_HDR);
	uint8_t *h = (uint8_t *)b->data + start + 2;
	h[0] = (uint8_t)(blen >> 24);
	h[1] = (uint8_t)(blen >> 16);
	h[2] = (uint8_t)(blen >> 8);
	h[3] = (uint8_t)blen;
}

/* ---- decoding ---- */

struct cur {
	const uint8_t *p;
	size_t n;
	size_t off;
	bool bad; /* latched: some read ran past the end or saw an invalid value */
};

static const uint8_t *take(struct cur *c, size_t n)
{
	if (c->bad || c->n - c->off < n) {
		c->bad = true;
		return NULL;
	}
	const uint8_t *r = c->p + c->off;
	c->off += n;
	return r;
}

static uint8_t get_u8(struct cur *c)
{
	const uint8_t *x = take(c, 1);
	return x ? x[0] : 0;
}

static uint16_t get_u16(struct cur *c)
{
	const uint8_t *x = take(c, 2);
	return x ? (uint16_t)(x[0] << 8 | x[1]) : 0;
}

static uint32_t get_u32(struct cur *c)
{
	const uint8_t *x = take(c, 4);
	return x ? (uint32_t)x[0] << 24 | (uint32_t)x[1] << 16 | (uint32_t)x[2] << 8 | x[3] : 0;
}

/* A name-sized string into out[GOSSIP_NAME_MAX + 1]. */
static void get_str(struct cur *c, char *out, bool nonempty)
{
	uint8_t n = get_u8(c);
	out[0] = '\0';
	if (n > GOSSIP_NAME_MAX || (nonempty && n == 0)) {
		c->bad = true;
		return;
	}
	const uint8_t *x = take(c, n);
	if (!x)
		return;
	if (memchr(x, 0, n)) {
		c->bad = true;
		return;
	}
	memcpy(out, x, n);
	out[n] = '\0';
}

static void get_addr(struct cur *c, struct gaddr *a, bool allow_unset)
{
	memset(a, 0, sizeof(*a));
	a->family = get_u8(c);
	if (a->family == 4 || a->family == 6) {
		const uint8_t *x = take(c, a->family == 6 ? 16 : 4);
		if (x)
			memcpy(a->ip, x, a->family == 6 ? 16 : 4);
	} else if (!(a->family == 0 && allow_unset)) {
		c->bad = true;
	}
	a->port = get_u16(c);
}

static void get_member(struct cur *c, struct gmember *m)
{
	get_str(c, m->name, true);
	get_addr(c, &m->addr, false);
	m->incarnation = get_u32(c);
	const uint8_t *v = take(c, 6);
	if (v)
		memcpy(m->vsn, v, 6);
	m->state = GSTATE_ALIVE;
	m->meta_len = get_u16(c);
	if (m->meta_len > GOSSIP_META_MAX) {
		c->bad = true;
		m->meta_len = 0;
		return;
	}
	const uint8_t *x = take(c, m->meta_len);
	if (x)
		memcpy(m->meta, x, m->meta_len);
}

static int get_push_pull(struct cur *c, struct gmsg_push_pull *pp)
{
	uint8_t flags = get_u8(c);
	pp->join = flags & 1;
	pp->nmembers = get_u32(c);
	if ((flags & ~1) || pp->nmembers > GOSSIP_PP_MAX_MEMBERS)
		c->bad = true;
	/* each member takes at least 15 bytes: refuse counts the input cannot hold */
	if (c->bad || pp->nmembers > (c->n - c->off) / 15)
		return CAIRN_E_PARSE;
	pp->members = pp->nmembers ? xcalloc(pp->nmembers, sizeof(*pp->members)) : NULL;
	for (uint32_t i = 0; i < pp->nmembers && !c->bad; i++) {
		get_member(c, &pp->members[i]);
		uint8_t st = get_u8(c);
		if (st > GSTATE_LEFT)
			c->bad = true;
		pp->members[i].state = (enum gstate)st;
	}
	pp->user_len = get_u32(c);
	if (pp->user_len > GOSSIP_PP_USER_MAX)
		c->bad = true;
	const uint8_t *u = take(c, pp->user_len);
	if (u && pp->user_len)
		pp->user = xmemdup(u, pp->user_len);
	return c->bad ? CAIRN_E_PARSE : 0;
}

/* Decodes one body of the given type from exactly n bytes. */
static int decode_body(uint8_t type, const uint8_t *p, size_t n, struct gmsg *m)
{
	struct cur c = {p, n, 0, false};
	memset(m, 0, offsetof(struct gmsg, u) + sizeof(m->u.ping));
	m->type = (enum gmsg_type)type;
	switch (type) {
	case GMSG_PING:
		m->u.ping.seq = get_u32(&c);
		get_str(&c, m->u.ping.node, false);
		get_addr(&c, &m->u.ping.source, true);
		get_str(&c, m->u.ping.source_node, false);
		break;
	case GMSG_INDIRECT_PING: {
		m->u.indirect.seq = get_u32(&c);
		get_addr(&c, &m->u.indirect.target, false);
		get_str(&c, m->u.indirect.node, false);
		uint8_t fl = get_u8(&c);
		if (fl & ~1)
			c.bad = true;
		m->u.indirect.want_nack = fl & 1;
		get_addr(&c, &m->u.indirect.source, false);
		get_str(&c, m->u.indirect.source_node, false);
		break;
	}
	case GMSG_ACK: {
		m->u.ack.seq = get_u32(&c);
		m->u.ack.payload_len = get_u8(&c);
		if (m->u.ack.payload_len > GOSSIP_PAYLOAD_MAX) {
			c.bad = true;
			break;
		}
		const uint8_t *x = take(&c, m->u.ack.payload_len);
		if (x)
			memcpy(m->u.ack.payload, x, m->u.ack.payload_len);
		break;
	}
	case GMSG_NACK:
		m->u.nack.seq = get_u32(&c);
		break;
	case GMSG_SUSPECT:
	case GMSG_DEAD:
		m->u.suspect.incarnation = get_u32(&c);
		get_str(&c, m->u.suspect.node, true);
		get_str(&c, m->u.suspect.from, true);
		break;
	case GMSG_ALIVE:
		get_member(&c, &m->u.alive);
		break;
	case GMSG_USER: {
		m->u.user.len = get_u16(&c);
		if (m->u.user.len == 0 || m->u.user.len > GOSSIP_USER_MAX) {
			c.bad = true;
			break;
		}
		const uint8_t *x = take(&c, m->u.user.len);
		if (x)
			memcpy(m->u.user.data, x, m->u.user.len);
		break;
	}
	case GMSG_PUSH_PULL:
		memset(&m->u.push_pull, 0, sizeof(m->u.push_pull));
		if (get_push_pull(&c, &m->u.push_pull) != 0)
			c.bad = true;
		break;
	default:
		return CAIRN_E_PARSE;
	}
	if (c.bad || c.off != n) {
		gmsg_free(m);
		return CAIRN_E_PARSE;
	}
	return 0;
}

int gwire_iter_init(struct gwire_iter *it, const uint8_t *p, size_t len)
{
	it->p = p;
	it->len = len;
	it->off = GWIRE_PKT_HDR;
	if (len < GWIRE_PKT_HDR + GWIRE_MSG_HDR || p[0] != GWIRE_VERSION)
		return CAIRN_E_PARSE;
	return 0;
}

int gwire_iter_next(struct gwire_iter *it, struct gmsg *out)
{
	if (it->off == it->len)
		return 0;
	if (it->len - it->off < GWIRE_MSG_HDR)
		return CAIRN_E_PARSE;
	const uint8_t *h = it->p + it->off;
	uint8_t type = h[0];
	size_t blen = (size_t)h[1] << 8 | h[2];
	if (type == GMSG_PUSH_PULL || it->len - it->off - GWIRE_MSG_HDR < blen)
		return CAIRN_E_PARSE;
	int rc = decode_body(type, h + GWIRE_MSG_HDR, blen, out);
	if (rc != 0)
		return rc;
	it->off += GWIRE_MSG_HDR + blen;
	return 1;
}

int gwire_packet_check(const uint8_t *p, size_t len)
{
	struct gwire_iter it;
	struct gmsg m;
	int n = 0, rc;
	if (gwire_iter_init(&it, p, len) != 0)
		return CAIRN_E_PARSE;
	while ((rc = gwire_iter_next(&it, &m)) == 1)
		n++;
	return rc < 0 ? rc : n;
}

int gwire_stream_need(const uint8_t *p, size_t len, size_t *total)
{
	if (len >= 1 && p[0] != GWIRE_VERSION)
		return CAIRN_E_PARSE;
	if (len >= 2 && p[1] != GMSG_PING && p[1] != GMSG_ACK && p[1] != GMSG_PUSH_PULL)
		return CAIRN_E_PARSE;
	if (len < GWIRE_STREAM_HDR)
		return 1;
	uint32_t blen = (uint32_t)p[2] << 24 | (uint32_t)p[3] << 16 | (uint32_t)p[4] << 8 | p[5];
	if (blen > GWIRE_STREAM_MAX)
		return CAIRN_E_PARSE;
	*total = GWIRE_STREAM_HDR + (size_t)blen;
	return 0;
}

int gwire_stream_decode(const uint8_t *p, size_t len, struct gmsg *out)
{
	size_t total;
	if (gwire_stream_need(p, len, &total) != 0 || total != len)
		return CAIRN_E_PARSE;
	return decode_body(p[1], p + GWIRE_STREAM_HDR, len - GWIRE_STREAM_HDR, out);
}
