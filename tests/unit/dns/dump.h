/*
 * A strict reader of DNS messages for tests and the fuzz target (header-only,
 * no cmocka): renders a response as text lines, one per record, so tests
 * compare strings, and reports any malformation. Written independently of
 * src/dns/wire_encode.c so it checks the encoder rather than mirroring it;
 * names are read with dns_name_read (the decoder under test elsewhere).
 *
 *   H rcode=NOERROR flags=qr,aa,rd qd=1 an=1 ns=0 ar=2
 *   Q web.service.consul. SRV
 *   AN web.service.consul. 0 SRV 1 1 8080 node1.node.dc1.consul.
 *   AR node1.node.dc1.consul. 0 A 10.0.0.1
 *   AR . OPT size=4096 ext=0 ver=0 do=0
 *
 * With sort set, the record lines of each section are sorted (answers are
 * shuffled). SOA serials are left out (they are the clock).
 */
#ifndef CAIRN_TEST_DNS_DUMP_H
#define CAIRN_TEST_DNS_DUMP_H

#include "dns/wire.h"

#include "base/buf.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct dump_info {
	size_t pointers;     /* names that used a compression pointer */
	size_t srv_pointers; /* SRV targets that did (must stay 0) */
	bool malformed;	     /* the message did not parse */
	uint16_t counts[4];  /* qd an ns ar */
	uint16_t flags;	     /* header flags */
	int rcode;	     /* header rcode (+ extended from OPT) */
};

static inline uint16_t dump_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t dump_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Read a name at *off into text; returns false when malformed. */
static inline bool dump_name(const uint8_t *p, size_t len, size_t *off, struct buf *b,
			     struct dump_info *di, bool *used_ptr)
{
	uint8_t w[DNS_NAME_MAX];
	size_t start = *off;
	int n = dns_name_read(p, len, off, w);
	if (n < 0)
		return false;
	bool ptr = (size_t)n != *off - start;
	if (ptr)
		di->pointers++;
	if (used_ptr)
		*used_ptr = ptr;
	if (w[0] == 0)
		buf_putc(b, '.');
	for (size_t o = 0; w[o]; o += (size_t)w[o] + 1) {
		buf_append(b, w + o + 1, w[o]);
		buf_putc(b, '.');
	}
	return true;
}

static inline const char *dump_type(uint16_t t)
{
	switch (t) {
	case DNS_T_A:
		return "A";
	case DNS_T_NS:
		return "NS";
	case DNS_T_CNAME:
		return "CNAME";
	case DNS_T_SOA:
		return "SOA";
	case DNS_T_PTR:
		return "PTR";
	case DNS_T_TXT:
		return "TXT";
	case DNS_T_AAAA:
		return "AAAA";
	case DNS_T_SRV:
		return "SRV";
	case DNS_T_OPT:
		return "OPT";
	case DNS_T_ANY:
		return "ANY";
	default:
		return "TYPE?";
	}
}

static inline const char *dump_rcode(int r)
{
	static const char *names[] = {"NOERROR",  "FORMERR", "SERVFAIL",
				      "NXDOMAIN", "NOTIMP",  "REFUSED"};
	if (r >= 0 && r < 6)
		return names[r];
	return r == DNS_R_BADVERS ? "BADVERS" : "RCODE?";
}

static inline int dump_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Render p[len]; returns malloc'd text (caller frees). di may be NULL. */
static inline char *dns_dump(const uint8_t *p, size_t len, bool sort, struct dump_info *di)
{
	struct dump_info local;
	if (!di)
		di = &local;
	memset(di, 0, sizeof(*di));
	struct buf out = BUF_INIT;
	if (len < DNS_HDR_LEN) {
		di->malformed = true;
		buf_puts(&out, "MALFORMED header\n");
		return buf_steal(&out);
	}
	di->flags = dump_u16(p + 2);
	for (int i = 0; i < 4; i++)
		di->counts[i] = dump_u16(p + 4 + 2 * i);
	di->rcode = di->flags & 0xF;
	size_t off = DNS_HDR_LEN;
	char **lines = NULL;
	size_t nlines = 0;
	int ext = 0;
	static const char *secname[] = {"AN", "NS", "AR"};
	struct buf b = BUF_INIT;
	for (int i = 0; i < di->counts[0]; i++) {
		buf_reset(&b);
		buf_puts(&b, "Q ");
		if (!dump_name(p, len, &off, &b, di, NULL) || off + 4 > len)
			goto bad;
		buf_printf(&b, " %s", dump_type(dump_u16(p + off)));
		off += 4;
		lines = realloc(lines, (nlines + 1) * sizeof(*lines));
		lines[nlines++] = buf_steal(&b);
	}
	size_t sec_start[4] = {nlines, 0, 0, 0};
	for (int s = 0; s < 3; s++) {
		sec_start[s] = nlines;
		for (int i = 0; i < di->counts[s + 1]; i++) {
			buf_reset(&b);
			buf_printf(&b, "%s ", secname[s]);
			if (!dump_name(p, len, &off, &b, di, NULL) || off + 10 > len)
				goto bad;
			uint16_t type = dump_u16(p + off), cls = dump_u16(p + off + 2);
			uint32_t ttl = dump_u32(p + off + 4);
			uint16_t rdlen = dump_u16(p + off + 8);
			off += 10;
			size_t end = off + rdlen;
			if (end > len)
				goto bad;
			if (type == DNS_T_OPT) {
				ext = (int)(ttl >> 24);
				buf_printf(&b, " OPT size=%u ext=%u ver=%u do=%u", cls, ttl >> 24,
					   (ttl >> 16) & 0xFF, (ttl >> 15) & 1);
				off = end;
			} else {
				if (cls != DNS_C_IN)
					goto bad;
				buf_printf(&b, " %u %s ", ttl, dump_type(type));
				char ip[64];
				bool ptr = false;
				switch (type) {
				case DNS_T_A:
				case DNS_T_AAAA:
					if (rdlen != (type == DNS_T_A ? 4 : 16))
						goto bad;
					inet_ntop(type == DNS_T_A ? AF_INET : AF_INET6, p + off, ip,
						  sizeof(ip));
					buf_puts(&b, ip);
					off = end;
					break;
				case DNS_T_CNAME:
				case DNS_T_PTR:
				case DNS_T_NS:
					if (!dump_name(p, end, &off, &b, di, NULL))
						goto bad;
					break;
				case DNS_T_SRV:
					if (rdlen < 7)
						goto bad;
					buf_printf(&b, "%u %u %u ", dump_u16(p + off),
						   dump_u16(p + off + 2), dump_u16(p + off + 4));
					off += 6;
					if (!dump_name(p, end, &off, &b, di, &ptr))
						goto bad;
					if (ptr)
						di->srv_pointers++;
					break;
				case DNS_T_TXT:
					while (off < end) {
						size_t l = p[off];
						if (off + 1 + l > end)
							goto bad;
						buf_putc(&b, '"');
						if (l > 40)
							buf_printf(&b, "<%zu bytes>", l);
						else
							buf_append(&b, p + off + 1, l);
						buf_puts(&b, "\" ");
						off += 1 + l;
					}
					b.data[--b.len] = 0;
					break;
				case DNS_T_SOA:
					if (!dump_name(p, end, &off, &b, di, NULL))
						goto bad;
					buf_putc(&b, ' ');
					if (!dump_name(p, end, &off, &b, di, NULL) ||
					    off + 20 != end)
						goto bad;
					buf_printf(&b, " %u %u %u %u", dump_u32(p + off + 4),
						   dump_u32(p + off + 8), dump_u32(p + off + 12),
						   dump_u32(p + off + 16));
					off = end;
					break;
				default:
					off = end;
				}
				if (off != end)
					goto bad;
			}
			lines = realloc(lines, (nlines + 1) * sizeof(*lines));
			lines[nlines++] = buf_steal(&b);
		}
	}
	sec_start[3] = nlines;
	if (off != len)
		goto bad;
	di->rcode |= ext << 4;
	buf_printf(&out, "H rcode=%s flags=", dump_rcode(di->rcode));
	static const struct {
		uint16_t bit;
		const char *name;
	} fl[] = {{DNS_F_QR, "qr"},
		  {DNS_F_AA, "aa"},
		  {DNS_F_TC, "tc"},
		  {DNS_F_RD, "rd"},
		  {DNS_F_RA, "ra"}};
	const char *sep = "";
	for (size_t i = 0; i < 5; i++)
		if (di->flags & fl[i].bit) {
			buf_printf(&out, "%s%s", sep, fl[i].name);
			sep = ",";
		}
	buf_printf(&out, " qd=%u an=%u ns=%u ar=%u\n", di->counts[0], di->counts[1], di->counts[2],
		   di->counts[3]);
	if (sort)
		for (int s = 0; s < 3; s++)
			if (sec_start[s + 1] - sec_start[s] > 1)
				qsort(lines + sec_start[s], sec_start[s + 1] - sec_start[s],
				      sizeof(*lines), dump_cmp);
	for (size_t i = 0; i < nlines; i++) {
		buf_printf(&out, "%s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
	buf_free(&b);
	return buf_steal(&out);
bad:
	for (size_t i = 0; i < nlines; i++)
		free(lines[i]);
	free(lines);
	buf_free(&b);
	di->malformed = true;
	buf_printf(&out, "MALFORMED at %zu\n", off);
	return buf_steal(&out);
}

#endif
