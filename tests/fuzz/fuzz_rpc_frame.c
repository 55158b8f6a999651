/*
 * Fuzz target: server RPC frames and payloads (src/rpc/wire.c). Every input is
 * walked as a stream of frames the way a connection reads them; each frame is
 * refused or decoded, its payload is decoded as every payload type, and a
 * decoded frame (and a decoded RPC_DNS payload) re-encodes to exactly its
 * bytes.
 */
// fuzz-lib: rpc
#include "rpc/wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void payloads(const struct rpc_frame *f)
{
	struct rpc_http_reply h;
	if (rpc_http_reply_decode(f->payload, f->len, &h) == 0 &&
	    (h.hlen + h.blen + 6 != f->len || h.status < 100 || h.status > 599))
		abort();
	struct rpc_apply_reply a;
	if (rpc_apply_reply_decode(f->payload, f->len, &a) == 0) {
		const uint8_t *cur = a.errors, *end = a.errors + a.errors_len;
		struct rpc_apply_error e;
		uint32_t n = 0;
		while (rpc_apply_reply_next(&cur, end, &e))
			n++;
		if (n != a.nerrors || cur != end)
			abort();
	}
	int code;
	const char *msg;
	size_t mlen;
	if (rpc_error_decode(f->payload, f->len, &code, &msg, &mlen) == 0 && mlen + 4 != f->len)
		abort();
	struct rpc_dns d;
	if (rpc_dns_decode(f->payload, f->len, &d) == 0) {
		/* the parts lie inside the payload, and re-encode to it */
		if (d.len == 0 || d.pkt + d.len != f->payload + f->len ||
		    (d.query && d.query + d.qlen != d.pkt))
			abort();
		struct buf b = BUF_INIT;
		rpc_dns_put(&b, &d);
		if (b.len != f->len || memcmp(b.data, f->payload, b.len) != 0)
			abort();
		buf_free(&b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	while (off < size) {
		long need = rpc_frame_need(data + off, size - off);
		if (need <= 0 || (size_t)need > size - off)
			break;
		struct rpc_frame f;
		if (rpc_frame_decode(data + off, (size_t)need, &f) == 0) {
			struct buf b = BUF_INIT;
			rpc_frame_put(&b, f.type, f.id, f.payload, f.len);
			if (b.len != (size_t)need || memcmp(b.data, data + off, b.len) != 0)
				abort();
			buf_free(&b);
			payloads(&f);
		}
		off += (size_t)need;
	}
	return 0;
}
