/*
 * Encoding: a response from a struct dns_msg, with name compression and
 * truncation at record boundaries (model and format in wire.h).
 *
 * The writer fills the caller's buffer directly. Each record is written
 * tentatively; when it does not fit, the length and the compression table are
 * rolled back to where the record began, so a cut never leaves a partial record
 * or a pointer into removed bytes. The compression table is a small array of
 * offsets (one per name suffix written); a lookup compares labels in place,
 * following pointers already in the output, which is cheap for the handful of
 * names in a typical answer and bounded by DNS_COMP_MAX in a large one.
 */
#include "dns/wire.h"

#include "base/alloc.h"

#include <stdlib.h>
#include <string.h>

/* The builders pass the same name pointer for the question and the owners
 * that repeat it, and for an SRV target and its glue: the last names written
 * are remembered by address so those cost one comparison. */
#define DNS_SEEN_MAX 16

struct writer {
	uint8_t *p;			   /* output */
	size_t cap;			   /* bytes that may be used */
	size_t len;			   /* bytes written */
	bool compress;			   /* compression enabled */
	uint16_t comp[DNS_COMP_MAX];	   /* offsets of name suffixes written */
	uint8_t comp_len[DNS_COMP_MAX];	   /* wire length of each such suffix */
	size_t ncomp;			   /* entries in comp */
	const uint8_t *seen[DNS_SEEN_MAX]; /* names written (by address)... */
	uint16_t seen_off[DNS_SEEN_MAX];   /* ...and where they can be pointed to */
	size_t nseen;			   /* entries in seen */
};

void dns_rrlist_init(struct dns_rrlist *l, struct dns_rr *storage, size_t cap)
{
	l->v = storage;
	l->n = 0;
	l->cap = cap;
	l->heap = false;
}

struct dns_rr *dns_rrlist_add(struct dns_rrlist *l)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 16;
		struct dns_rr *nv = xmalloc(ncap * sizeof(*nv));
		if (l->n)
			memcpy(nv, l->v, l->n * sizeof(*nv));
		if (l->heap)
			free(l->v);
		l->v = nv;
		l->cap = ncap;
		l->heap = true;
	}
	struct dns_rr *rr = &l->v[l->n++];
	memset(rr, 0, sizeof(*rr));
	return rr;
}

void dns_rrlist_free(struct dns_rrlist *l)
{
	if (l->heap)
		free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
	l->heap = false;
}

static bool put(struct writer *w, const void *src, size_t n)
{
	if (w->len + n > w->cap)
		return false;
	memcpy(w->p + w->len, src, n);
	w->len += n;
	return true;
}

static bool put16(struct writer *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	return put(w, b, 2);
}

static bool put32(struct writer *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	return put(w, b, 4);
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Does the name written at output offset o equal the wire name s? */
static bool match_at(const struct writer *w, size_t o, const uint8_t *s)
{
	for (;;) {
		uint8_t l = w->p[o];
		if ((l & 0xC0) == 0xC0) {
			o = (size_t)(l & 0x3F) << 8 | w->p[o + 1];
			continue;
		}
		if (l != *s)
			return false;
		if (l == 0)
			return true;
		for (size_t i = 1; i <= l; i++)
			if (lower(w->p[o + i]) != lower(s[i]))
				return false;
		o += (size_t)l + 1;
		s += (size_t)l + 1;
	}
}

static void remember(struct writer *w, size_t off, size_t len)
{
	if (w->compress && off < 0x3FFF && w->ncomp < DNS_COMP_MAX) {
		w->comp[w->ncomp] = (uint16_t)off;
		w->comp_len[w->ncomp++] = (uint8_t)len;
	}
}

/* Write a name, pointing to the longest suffix already written when allowed.
 * Candidates of another length are skipped before any label is compared. */
static bool put_name(struct writer *w, const uint8_t *name, bool may_point)
{
	size_t starts[128], k = 0, nlen;
	for (nlen = 0; name[nlen] != 0; nlen += (size_t)name[nlen] + 1)
		starts[k++] = nlen;
	nlen++;
	size_t keep = k; /* labels written out before the pointer (k: none) */
	uint16_t target = 0;
	if (w->compress && may_point) {
		for (size_t j = 0; j < w->nseen && keep == k; j++)
			if (w->seen[j] == name) {
				keep = 0;
				target = w->seen_off[j];
			}
		for (size_t i = 0; i < k && keep == k; i++)
			for (size_t j = 0; j < w->ncomp; j++)
				if (w->comp_len[j] == nlen - starts[i] &&
				    match_at(w, w->comp[j], name + starts[i])) {
					keep = i;
					target = w->comp[j];
					break;
				}
	}
	size_t start = w->len;
	for (size_t i = 0; i < keep; i++) {
		size_t at = w->len;
		if (!put(w, name + starts[i], (size_t)name[starts[i]] + 1))
			return false;
		remember(w, at, nlen - starts[i]);
	}
	if (!(keep < k ? put16(w, (uint16_t)(0xC000 | target)) : put(w, "", 1)))
		return false;
	size_t at = keep > 0 ? start : target;
	if (w->compress && k > 0 && at < 0x3FFF && w->nseen < DNS_SEEN_MAX) {
		w->seen[w->nseen] = name;
		w->seen_off[w->nseen++] = (uint16_t)at;
	}
	return true;
}

static bool put_rdata(struct writer *w, const struct dns_rr *rr)
{
	switch (rr->type) {
	case DNS_T_A:
		return put(w, rr->u.addr, 4);
	case DNS_T_AAAA:
		return put(w, rr->u.addr, 16);
	case DNS_T_CNAME:
	case DNS_T_PTR:
	case DNS_T_NS:
		return put_name(w, rr->u.target, true);
	case DNS_T_SRV:
		return put16(w, rr->u.srv.priority) && put16(w, rr->u.srv.weight) &&
		       put16(w, rr->u.srv.port) && put_name(w, rr->u.srv.target, false);
	case DNS_T_TXT: {
		size_t off = 0;
		do {
			size_t n = rr->u.txt.len - off > 255 ? 255 : rr->u.txt.len - off;
			uint8_t l = (uint8_t)n;
			if (!put(w, &l, 1) || !put(w, rr->u.txt.text + off, n))
				return false;
			off += n;
		} while (off < rr->u.txt.len);
		return true;
	}
	case DNS_T_SOA:
		return put_name(w, rr->u.soa.mname, true) && put_name(w, rr->u.soa.rname, true) &&
		       put32(w, rr->u.soa.serial) && put32(w, rr->u.soa.refresh) &&
		       put32(w, rr->u.soa.retry) && put32(w, rr->u.soa.expire) &&
		       put32(w, rr->u.soa.minimum);
	default:
		return true;
	}
}

/* Write one record; on failure w is rolled back and false returned. */
static bool put_rr(struct writer *w, const struct dns_rr *rr)
{
	size_t len0 = w->len, ncomp0 = w->ncomp, nseen0 = w->nseen;
	if (put_name(w, rr->name, true) && put16(w, rr->type) && put16(w, DNS_C_IN) &&
	    put32(w, rr->ttl) && put16(w, 0)) {
		size_t rd = w->len;
		if (put_rdata(w, rr) && w->len - rd <= 0xFFFF) {
			w->p[rd - 2] = (uint8_t)((w->len - rd) >> 8);
			w->p[rd - 1] = (uint8_t)(w->len - rd);
			return true;
		}
	}
	w->len = len0;
	w->ncomp = ncomp0;
	w->nseen = nseen0;
	return false;
}

size_t dns_msg_encode(const struct dns_msg *m, uint8_t *out, size_t limit, bool compress)
{
	if (limit > 65535)
		limit = 65535;
	struct writer w = {.p = out, .cap = limit, .compress = compress};
	uint16_t counts[3] = {0, 0, 0};
	bool tc = false;

	w.len = DNS_HDR_LEN;
	if (m->qname) {
		put_name(&w, m->qname, false);
		put16(&w, m->qtype);
		put16(&w, m->qclass);
	}
	if (m->edns)
		w.cap -= DNS_OPT_LEN;
	for (int s = 0; s < 3; s++) {
		const struct dns_rrlist *l = &m->sec[s];
		size_t i = 0;
		while (i < l->n && i < 0xFFFF && put_rr(&w, &l->v[i]))
			i++;
		counts[s] = (uint16_t)i;
		if (i < l->n) {
			tc = s != DNS_SEC_AR;
			break;
		}
	}
	w.cap = limit;
	if (m->edns) {
		uint8_t opt[DNS_OPT_LEN] = {0,
					    0,
					    DNS_T_OPT,
					    (uint8_t)(m->edns_size >> 8),
					    (uint8_t)m->edns_size,
					    (uint8_t)(m->rcode >> 4),
					    0,
					    m->edns_do ? 0x80 : 0,
					    0,
					    0,
					    0};
		put(&w, opt, sizeof(opt));
	}
	uint16_t flags = (uint16_t)((m->flags & ~0xF) | (tc ? DNS_F_TC : 0) | (m->rcode & 0xF));
	uint8_t hdr[DNS_HDR_LEN] = {(uint8_t)(m->id >> 8),
				    (uint8_t)m->id,
				    (uint8_t)(flags >> 8),
				    (uint8_t)flags,
				    0,
				    m->qname ? 1 : 0,
				    (uint8_t)(counts[0] >> 8),
				    (uint8_t)counts[0],
				    (uint8_t)(counts[1] >> 8),
				    (uint8_t)counts[1],
				    (uint8_t)((counts[2] + m->edns) >> 8),
				    (uint8_t)(counts[2] + m->edns)};
	memcpy(out, hdr, sizeof(hdr));
	return w.len;
}
