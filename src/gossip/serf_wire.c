/*
 * The serf layer's bytes (layouts drawn in serf.h): join/leave intents, which
 * travel as user broadcasts, and the push-pull blob (our clocks, the members'
 * intent stamps in two sections: left or leaving, and the others, then the
 * recent user events). Pure functions, any thread.
 *
 * Decoders are strict, like the core's: a known kind and version, zero
 * reserved bits, names of 1..GOSSIP_NAME_MAX bytes without NUL, and lengths
 * that add up to exactly the input. What decodes re-encodes to the same
 * bytes (tests/fuzz/fuzz_gossip_serf.c checks it). Unknown kinds and
 * versions are CAIRN_E_VERSION so a newer peer's message is told apart from
 * garbage (both are dropped).
 */
#include "gossip/serf_int.h"

#include "base/be.h"
#include "base/err.h"

#include <string.h>

#define INTENT_HDR 12 /* kind, version, flags, ltime, name length */
#define FLAG_PRUNE 0x01
#define STATE_HDR  18 /* kind, version, clock, event clock */
#define STAMP_MIN  10 /* ltime, name length, one name byte */

static bool name_ok(const uint8_t *p, size_t n)
{
	return n >= 1 && n <= GOSSIP_NAME_MAX && memchr(p, '\0', n) == NULL;
}

static void be32_put_(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- intents ---- */

int serf_intent_encode(const struct serf_intent *in, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strnlen(in->name, GOSSIP_NAME_MAX + 1);
	if ((in->kind != SERF_WIRE_JOIN && in->kind != SERF_WIRE_LEAVE) ||
	    (in->prune && in->kind != SERF_WIRE_LEAVE) || n == 0 || n > GOSSIP_NAME_MAX)
		return CAIRN_E_INVAL;
	if (cap < INTENT_HDR + n)
		return CAIRN_E_TOOBIG;
	out[0] = in->kind;
	out[1] = SERF_WIRE_VERSION;
	out[2] = in->prune ? FLAG_PRUNE : 0;
	be64_put(out + 3, in->ltime);
	out[11] = (uint8_t)n;
	memcpy(out + INTENT_HDR, in->name, n);
	*len = INTENT_HDR + n;
	return 0;
}

int serf_intent_decode(const uint8_t *p, size_t n, struct serf_intent *out)
{
	memset(out, 0, sizeof(*out));
	if (n < 2)
		return n == 1 && p[0] != SERF_WIRE_JOIN && p[0] != SERF_WIRE_LEAVE ? CAIRN_E_VERSION
										   : CAIRN_E_PARSE;
	if ((p[0] != SERF_WIRE_JOIN && p[0] != SERF_WIRE_LEAVE) || p[1] != SERF_WIRE_VERSION)
		return CAIRN_E_VERSION;
	if (n < INTENT_HDR)
		return CAIRN_E_PARSE;
	uint8_t flags = p[2];
	size_t len = p[11];
	if ((flags & ~FLAG_PRUNE) || (p[0] == SERF_WIRE_JOIN && flags) || n != INTENT_HDR + len ||
	    !name_ok(p + INTENT_HDR, len))
		return CAIRN_E_PARSE;
	out->kind = p[0];
	out->prune = flags & FLAG_PRUNE;
	out->ltime = be64_get(p + 3);
	memcpy(out->name, p + INTENT_HDR, len);
	out->name[len] = '\0';
	return 0;
}

/* ---- push-pull blob ---- */

void serf_state_begin(struct buf *out, uint64_t clock, uint64_t event_clock)
{
	uint8_t h[STATE_HDR];
	h[0] = SERF_WIRE_STATE;
	h[1] = SERF_WIRE_VERSION;
	be64_put(h + 2, clock);
	be64_put(h + 10, event_clock);
	buf_append(out, h, sizeof(h));
}

size_t serf_state_section(struct buf *out)
{
	uint8_t zero[4] = {0};
	size_t pos = out->len;
	buf_append(out, zero, sizeof(zero));
	return pos;
}

static void count_one(struct buf *out, size_t sec)
{
	uint8_t *c = (uint8_t *)out->data + sec;
	be32_put_(c, be32_get(c) + 1);
}

void serf_state_add(struct buf *out, size_t sec, uint64_t ltime, const char *name)
{
	uint8_t h[9];
	size_t n = strnlen(name, GOSSIP_NAME_MAX);
	count_one(out, sec);
	be64_put(h, ltime);
	h[8] = (uint8_t)n;
	buf_append(out, h, sizeof(h));
	buf_append(out, name, n);
}

void serf_state_event(struct buf *out, size_t sec, const uint8_t *data, size_t len)
{
	uint8_t h[2];
	count_one(out, sec);
	be16_put(h, (uint16_t)len);
	buf_append(out, h, 2);
	buf_append(out, data, len);
}

/* A section of stamps at p[*off]: count, then (ltime, name length, name). */
static int stamps_decode(const uint8_t *p, size_t n, size_t *off, struct serf_span *sp)
{
	if (n - *off < 4)
		return CAIRN_E_PARSE;
	uint32_t count = be32_get(p + *off);
	size_t o = *off + 4;
	if (count > (n - o) / STAMP_MIN)
		return CAIRN_E_PARSE;
	sp->p = p + o;
	sp->n = count;
	for (uint32_t i = 0; i < count; i++) {
		if (n - o < 9)
			return CAIRN_E_PARSE;
		size_t len = p[o + 8];
		if (n - o - 9 < len || !name_ok(p + o + 9, len))
			return CAIRN_E_PARSE;
		o += 9 + len;
	}
	sp->len = (size_t)(p + o - sp->p);
	*off = o;
	return 0;
}

/* The events section: count, then (2 length, an event broadcast). */
static int events_decode(const uint8_t *p, size_t n, size_t *off, struct serf_span *sp)
{
	if (n - *off < 4)
		return CAIRN_E_PARSE;
	uint32_t count = be32_get(p + *off);
	size_t o = *off + 4;
	if (count > (n - o) / 3)
		return CAIRN_E_PARSE;
	sp->p = p + o;
	sp->n = count;
	for (uint32_t i = 0; i < count; i++) {
		if (n - o < 2)
			return CAIRN_E_PARSE;
		size_t len = be16_get(p + o);
		if (len == 0 || len > EVENT_WIRE_MAX || n - o - 2 < len ||
		    p[o + 2] != EVENT_WIRE_KIND)
			return CAIRN_E_PARSE;
		o += 2 + len;
	}
	sp->len = (size_t)(p + o - sp->p);
	*off = o;
	return 0;
}

int serf_state_decode(const uint8_t *p, size_t n, struct serf_state *out)
{
	memset(out, 0, sizeof(*out));
	if (n < 2)
		return n == 1 && p[0] != SERF_WIRE_STATE ? CAIRN_E_VERSION : CAIRN_E_PARSE;
	if (p[0] != SERF_WIRE_STATE || p[1] != SERF_WIRE_VERSION)
		return CAIRN_E_VERSION;
	if (n < STATE_HDR)
		return CAIRN_E_PARSE;
	size_t off = STATE_HDR;
	struct serf_state st = {.clock = be64_get(p + 2), .event_clock = be64_get(p + 10)};
	if (stamps_decode(p, n, &off, &st.left) || stamps_decode(p, n, &off, &st.stamps) ||
	    events_decode(p, n, &off, &st.events) || off != n)
		return CAIRN_E_PARSE;
	*out = st;
	return 0;
}

bool serf_state_next(const struct serf_span *sp, size_t *cursor, uint64_t *ltime,
		     char name[GOSSIP_NAME_MAX + 1])
{
	size_t off = *cursor;
	if (off >= sp->len)
		return false;
	const uint8_t *e = sp->p + off;
	size_t len = e[8];
	*ltime = be64_get(e);
	memcpy(name, e + 9, len);
	name[len] = '\0';
	*cursor = off + 9 + len;
	return true;
}

bool serf_state_next_event(const struct serf_span *sp, size_t *cursor, const uint8_t **data,
			   size_t *len)
{
	size_t off = *cursor;
	if (off >= sp->len)
		return false;
	*len = be16_get(sp->p + off);
	*data = sp->p + off + 2;
	*cursor = off + 2 + *len;
	return true;
}
