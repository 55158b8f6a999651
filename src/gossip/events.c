/*
 * User events: ownership, IDs and the broadcast bytes (events.h has the
 * layout). De-duplication and the ring are in events_buffer.c, filters in
 * events_filter.c, JSON in events_json.c.
 */
#include "gossip/events.h"

#include "base/alloc.h"
#include "base/be.h"
#include "base/err.h"
#include "base/hex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_empty(const char *s)
{
	return xstrdup(s ? s : "");
}

void event_set(struct event *e, const uint8_t id[16], const char *name, const void *payload,
	       size_t payload_len, const char *node_filter, const char *service_filter,
	       const char *tag_filter)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->id, id, 16);
	e->name = dup_or_empty(name);
	if (payload && payload_len) {
		e->payload = xmemdup(payload, payload_len);
		e->payload_len = payload_len;
	}
	e->node_filter = dup_or_empty(node_filter);
	e->service_filter = dup_or_empty(service_filter);
	e->tag_filter = dup_or_empty(tag_filter);
	e->version = EVENT_VERSION;
}

void event_copy(struct event *dst, const struct event *src)
{
	event_set(dst, src->id, src->name, src->payload, src->payload_len, src->node_filter,
		  src->service_filter, src->tag_filter);
	dst->version = src->version;
	dst->ltime = src->ltime;
}

void event_free(struct event *e)
{
	free(e->name);
	free(e->payload);
	free(e->node_filter);
	free(e->service_filter);
	free(e->tag_filter);
	memset(e, 0, sizeof(*e));
}

/* ---- IDs ---- */

void event_id_format(const uint8_t id[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	char *p = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[id[i] >> 4];
		*p++ = hex[id[i] & 15];
	}
	*p = '\0';
}

int event_id_parse(const char *s, uint8_t id[16])
{
	if (strlen(s) != 36)
		return CAIRN_E_PARSE;
	int k = 0;
	for (int i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return CAIRN_E_PARSE;
			continue;
		}
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return CAIRN_E_PARSE;
		id[k++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return 0;
}

uint64_t event_id_index(const uint8_t id[16])
{
	uint64_t lo = 0, hi = 0;
	for (int i = 0; i < 8; i++) {
		lo = lo << 8 | id[i];
		hi = hi << 8 | id[8 + i];
	}
	return lo ^ hi;
}

/* ---- wire ---- */

static void put16(struct buf *b, size_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	buf_append(b, x, 2);
}

int event_encode(const struct event *e, struct buf *out, struct buf *err)
{
	size_t nl = strlen(e->name), nf = strlen(e->node_filter), sf = strlen(e->service_filter),
	       tf = strlen(e->tag_filter);
	if (nl + e->payload_len > EVENT_SIZE_LIMIT) {
		if (err)
			buf_printf(err, "user event exceeds configured limit of %d bytes",
				   EVENT_SIZE_LIMIT);
		return CAIRN_E_TOOBIG;
	}
	size_t total = EVENT_HEADER_SIZE + nl + nf + sf + tf + e->payload_len;
	if (total > EVENT_WIRE_MAX) {
		if (err)
			buf_printf(err, "user event exceeds sane limit of %d bytes after encoding",
				   EVENT_WIRE_MAX);
		return CAIRN_E_TOOBIG;
	}
	uint8_t head[12] = {EVENT_WIRE_KIND, EVENT_WIRE_VERSION, (uint8_t)e->version, 0};
	for (int i = 0; i < 8; i++)
		head[4 + i] = (uint8_t)(e->ltime >> (56 - 8 * i));
	buf_append(out, head, sizeof(head));
	buf_append(out, e->id, 16);
	put16(out, nl);
	put16(out, e->payload_len);
	put16(out, nf);
	put16(out, sf);
	put16(out, tf);
	buf_append(out, e->name, nl);
	buf_append(out, e->node_filter, nf);
	buf_append(out, e->service_filter, sf);
	buf_append(out, e->tag_filter, tf);
	buf_append(out, e->payload, e->payload_len);
	return 0;
}

int event_decode(const void *data, size_t n, struct event *e)
{
	const uint8_t *p = data;
	memset(e, 0, sizeof(*e));
	if (n < 2 || p[0] != EVENT_WIRE_KIND)
		return n < 2 ? CAIRN_E_PARSE : CAIRN_E_VERSION;
	if (p[1] != EVENT_WIRE_VERSION)
		return CAIRN_E_VERSION;
	if (n < EVENT_HEADER_SIZE || n > EVENT_WIRE_MAX || p[3] != 0)
		return CAIRN_E_PARSE;
	size_t len[5], sum = 0; /* name, payload, node, service, tag */
	for (int i = 0; i < 5; i++)
		sum += len[i] = be16_get(p + 28 + 2 * i);
	if (len[0] == 0 || sum != n - EVENT_HEADER_SIZE || (len[4] && !len[3]) ||
	    len[0] + len[1] > EVENT_SIZE_LIMIT)
		return CAIRN_E_PARSE;
	const char *s = (const char *)p + EVENT_HEADER_SIZE;
	const char *name = s, *nf = name + len[0], *sf = nf + len[2], *tf = sf + len[3];
	const uint8_t *payload = (const uint8_t *)tf + len[4];
	if (memchr(s, 0, len[0] + len[2] + len[3] + len[4]))
		return CAIRN_E_PARSE;
	e->version = p[2];
	for (int i = 0; i < 8; i++)
		e->ltime = e->ltime << 8 | p[4 + i];
	memcpy(e->id, p + 12, 16);
	e->name = xstrndup(name, len[0]);
	e->node_filter = xstrndup(nf, len[2]);
	e->service_filter = xstrndup(sf, len[3]);
	e->tag_filter = xstrndup(tf, len[4]);
	if (len[1]) {
		e->payload = xmemdup(payload, len[1]);
		e->payload_len = len[1];
	}
	return 0;
}
