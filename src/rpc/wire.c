/*
 * Server RPC frame codec (wire.h).
 */
#include "rpc/wire.h"

#include "base/be.h"
#include "base/err.h"

#include <string.h>

static void put32(struct buf *out, uint32_t v)
{
	uint8_t b[4];
	be32_put(b, v);
	buf_append(out, b, 4);
}

static void put64(struct buf *out, uint64_t v)
{
	uint8_t b[8];
	be64_put(b, v);
	buf_append(out, b, 8);
}

void rpc_frame_put(struct buf *out, enum rpc_type type, uint64_t id, const void *payload,
		   size_t len)
{
	put32(out, (uint32_t)(len + 10));
	uint8_t vt[2] = {RPC_WIRE_VERSION, (uint8_t)type};
	buf_append(out, vt, 2);
	put64(out, id);
	if (len)
		buf_append(out, payload, len);
}

long rpc_frame_need(const uint8_t *p, size_t n)
{
	if (n < 4)
		return 0;
	uint32_t l = be32_get(p);
	if (l < 10 || l > RPC_FRAME_MAX)
		return -1;
	return (long)l + 4;
}

int rpc_frame_decode(const uint8_t *p, size_t n, struct rpc_frame *f)
{
	if (n < RPC_HDR || rpc_frame_need(p, n) != (long)n)
		return CAIRN_E_PARSE;
	if (p[4] != RPC_WIRE_VERSION)
		return CAIRN_E_VERSION;
	if (p[5] < RPC_HTTP || p[5] > RPC_DNS_REPLY)
		return CAIRN_E_PARSE;
	f->type = (enum rpc_type)p[5];
	f->id = be64_get(p + 6);
	f->payload = p + RPC_HDR;
	f->len = n - RPC_HDR;
	return 0;
}

void rpc_http_reply_put(struct buf *out, int status, const char *headers, size_t hlen,
			const char *body, size_t blen)
{
	uint8_t b[2];
	be16_put(b, (uint16_t)status);
	buf_append(out, b, 2);
	put32(out, (uint32_t)hlen);
	if (hlen)
		buf_append(out, headers, hlen);
	if (blen)
		buf_append(out, body, blen);
}

int rpc_http_reply_decode(const uint8_t *p, size_t n, struct rpc_http_reply *r)
{
	if (n < 6)
		return CAIRN_E_PARSE;
	r->status = be16_get(p);
	uint32_t h = be32_get(p + 2);
	if (r->status < 100 || r->status > 599 || h > n - 6)
		return CAIRN_E_PARSE;
	r->headers = (const char *)p + 6;
	r->hlen = h;
	r->body = (const char *)p + 6 + h;
	r->blen = n - 6 - h;
	return 0;
}

void rpc_apply_reply_begin(struct buf *out, int status, uint64_t index, uint32_t nerrors)
{
	put32(out, (uint32_t)status);
	put64(out, index);
	put32(out, nerrors);
}

void rpc_apply_reply_error(struct buf *out, uint32_t op_index, int32_t code, const char *what)
{
	size_t l = what ? strlen(what) : 0;
	put32(out, op_index);
	put32(out, (uint32_t)code);
	put32(out, (uint32_t)l);
	if (l)
		buf_append(out, what, l);
}

bool rpc_apply_reply_next(const uint8_t **cur, const uint8_t *end, struct rpc_apply_error *e)
{
	const uint8_t *p = *cur;
	if ((size_t)(end - p) < 12)
		return false;
	e->op_index = be32_get(p);
	e->code = (int32_t)be32_get(p + 4);
	uint32_t l = be32_get(p + 8);
	if (l > (size_t)(end - p) - 12)
		return false;
	e->what = (const char *)p + 12;
	e->what_len = l;
	*cur = p + 12 + l;
	return true;
}

int rpc_apply_reply_decode(const uint8_t *p, size_t n, struct rpc_apply_reply *r)
{
	if (n < 16)
		return CAIRN_E_PARSE;
	r->status = (int)(int32_t)be32_get(p);
	r->index = be64_get(p + 4);
	r->nerrors = be32_get(p + 12);
	r->errors = p + 16;
	r->errors_len = n - 16;
	/* every record must be there and nothing after them */
	const uint8_t *cur = r->errors, *end = p + n;
	struct rpc_apply_error e;
	for (uint32_t i = 0; i < r->nerrors; i++)
		if (!rpc_apply_reply_next(&cur, end, &e))
			return CAIRN_E_PARSE;
	return cur == end ? 0 : CAIRN_E_PARSE;
}

void rpc_error_put(struct buf *out, int code, const char *msg)
{
	put32(out, (uint32_t)code);
	if (msg)
		buf_puts(out, msg);
}

int rpc_error_decode(const uint8_t *p, size_t n, int *code, const char **msg, size_t *mlen)
{
	if (n < 4)
		return CAIRN_E_PARSE;
	*code = (int)(int32_t)be32_get(p);
	*msg = (const char *)p + 4;
	*mlen = n - 4;
	return 0;
}

/* ---- RPC_DNS ---- */

#define DNS_F_TCP   1
#define DNS_F_QUERY 2

void rpc_dns_put(struct buf *out, const struct rpc_dns *d)
{
	uint8_t hdr[5] = {(uint8_t)((d->tcp ? DNS_F_TCP : 0) | (d->query ? DNS_F_QUERY : 0))};
	if (d->query) {
		be32_put(hdr + 1, (uint32_t)d->qlen);
		buf_append(out, hdr, 5);
		buf_append(out, d->query, d->qlen);
	} else {
		buf_append(out, hdr, 1);
	}
	buf_append(out, d->pkt, d->len);
}

int rpc_dns_decode(const uint8_t *p, size_t n, struct rpc_dns *d)
{
	memset(d, 0, sizeof(*d));
	if (n < 2 || (p[0] & ~(DNS_F_TCP | DNS_F_QUERY)))
		return CAIRN_E_PARSE;
	d->tcp = p[0] & DNS_F_TCP;
	size_t off = 1;
	if (p[0] & DNS_F_QUERY) {
		if (n < 5 || be32_get(p + 1) > n - 5)
			return CAIRN_E_PARSE;
		d->query = p + 5;
		d->qlen = be32_get(p + 1);
		off = 5 + d->qlen;
	}
	d->pkt = p + off;
	d->len = n - off;
	return d->len ? 0 : CAIRN_E_PARSE;
}
