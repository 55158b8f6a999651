/*
 * Decoding: names (with backward-only compression pointers) and queries (the
 * header, one question, and the EDNS0 OPT record of the additional section).
 * Every read is bounds-checked against the packet length; a name costs at most
 * one pass over the packet, so hostile input is cheap to refuse. Format in
 * wire.h.
 */
#include "dns/wire.h"
#include "base/be.h"

#include <string.h>

int dns_name_read(const uint8_t *pkt, size_t len, size_t *off, uint8_t *out)
{
	size_t pos = *off, n = 0;
	size_t floor = pos; /* every jump must land strictly below this */
	bool jumped = false;
	for (;;) {
		if (pos >= len)
			return -1;
		uint8_t l = pkt[pos];
		if ((l & 0xC0) == 0xC0) {
			if (pos + 1 >= len)
				return -1;
			size_t target = (size_t)(l & 0x3F) << 8 | pkt[pos + 1];
			if (target >= floor)
				return -1; /* loop or forward pointer */
			if (!jumped)
				*off = pos + 2;
			jumped = true;
			floor = target;
			pos = target;
			continue;
		}
		if (l & 0xC0)
			return -1; /* 0x40 / 0x80: obsolete extended label types */
		if (n + 1 + l > DNS_NAME_MAX || pos + 1 + l > len)
			return -1;
		out[n++] = l;
		if (l == 0)
			break;
		memcpy(out + n, pkt + pos + 1, l);
		n += l;
		pos += 1 + (size_t)l;
	}
	if (!jumped)
		*off = pos + 1;
	return (int)n;
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

bool dns_name_eq(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		if (*a != *b)
			return false;
		size_t l = *a;
		if (l == 0)
			return true;
		for (size_t i = 1; i <= l; i++)
			if (lower(a[i]) != lower(b[i]))
				return false;
		a += l + 1;
		b += l + 1;
	}
}

int dns_name_from_text(const char *const *parts, size_t nparts, uint8_t *out)
{
	size_t n = 0;
	for (size_t p = 0; p < nparts; p++) {
		const char *s = parts[p];
		size_t slen = strlen(s);
		if (p + 1 == nparts && slen > 0 && s[slen - 1] == '.')
			slen--; /* trailing dot of the last part */
		size_t i = 0;
		while (i < slen) {
			const char *dot = memchr(s + i, '.', slen - i);
			size_t l = (dot ? (size_t)(dot - s) : slen) - i;
			if (l == 0 || l > 63 || n + 1 + l + 1 > DNS_NAME_MAX)
				return -1;
			out[n++] = (uint8_t)l;
			memcpy(out + n, s + i, l);
			n += l;
			i += l + 1;
			if (dot && i == slen)
				return -1; /* "a." inside a part: empty label */
		}
		if (slen == 0)
			return -1;
	}
	out[n++] = 0;
	return (int)n;
}

/* Skip one resource record; returns its type, or -1 when malformed. When it
 * is an OPT record, fills q's EDNS fields (a second OPT is malformed). */
static int read_rr(const uint8_t *pkt, size_t len, size_t *off, struct dns_query *q, bool addl)
{
	uint8_t name[DNS_NAME_MAX];
	int nl = dns_name_read(pkt, len, off, name);
	if (nl < 0 || *off + 10 > len)
		return -1;
	const uint8_t *h = pkt + *off;
	uint16_t type = be16_get(h), rdlen = be16_get(h + 8);
	*off += 10;
	if (*off + rdlen > len)
		return -1;
	if (type == DNS_T_OPT) {
		if (!addl || q->edns || nl != 1)
			return -1;
		/* options: code(2) length(2) data, exactly filling RDATA */
		size_t o = 0;
		while (o < rdlen) {
			if (o + 4 > rdlen || o + 4 + be16_get(pkt + *off + o + 2) > rdlen)
				return -1;
			o += 4 + (size_t)be16_get(pkt + *off + o + 2);
		}
		q->edns = true;
		q->edns_size = be16_get(h + 2);
		q->edns_version = h[5];
		q->edns_do = (h[6] & 0x80) != 0;
	}
	*off += rdlen;
	return type;
}

enum dns_decode dns_query_decode(const uint8_t *pkt, size_t len, struct dns_query *q)
{
	memset(q, 0, offsetof(struct dns_query, qname));
	q->qname_len = 0;
	q->qtype = q->qclass = 0;
	q->edns = false;
	q->edns_size = 0;
	q->edns_version = 0;
	q->edns_do = false;
	if (len < DNS_HDR_LEN)
		return DNS_DEC_DROP;
	q->id = be16_get(pkt);
	q->flags = be16_get(pkt + 2);
	if (q->flags & DNS_F_QR)
		return DNS_DEC_DROP;
	q->opcode = (q->flags >> 11) & 0xF;
	uint16_t qd = be16_get(pkt + 4), an = be16_get(pkt + 6), ns = be16_get(pkt + 8),
		 ar = be16_get(pkt + 10);

	size_t off = DNS_HDR_LEN;
	if (qd == 1) {
		int nl = dns_name_read(pkt, len, &off, q->qname);
		if (nl > 0 && off + 4 <= len) {
			q->qname_len = (size_t)nl;
			q->qtype = be16_get(pkt + off);
			q->qclass = be16_get(pkt + off + 2);
			q->has_question = true;
			off += 4;
		}
	}
	if (q->opcode != 0)
		return DNS_DEC_NOTIMP;
	if (!q->has_question)
		return DNS_DEC_FORMERR;
	for (uint32_t i = 0; i < (uint32_t)an + ns; i++)
		if (read_rr(pkt, len, &off, q, false) < 0)
			return DNS_DEC_FORMERR;
	for (uint32_t i = 0; i < ar; i++)
		if (read_rr(pkt, len, &off, q, true) < 0)
			return DNS_DEC_FORMERR;
	return DNS_DEC_OK;
}
