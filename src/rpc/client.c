/*
 * The RPC client (client.h): a connection per server, calls multiplexed on
 * it by request id.
 */
#include "rpc/client.h"

#include "base/alloc.h"
#include "rpc/addr.h"
#include "base/err.h"
#include "base/log.h"
#include "rpc/mux.h"
#include "rpc/outq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK (64 * 1024)
/* the pool: up to POOL_MAX connections per server; another one opens when
 * every open one has POOL_BUSY calls in flight */
#define POOL_MAX  4
#define POOL_BUSY 32
/* a server that does not even accept the connection in this time is taken as
 * down: its calls fail as never sent (CAIRN_E_IO), so callers may try another */
#define CONNECT_MS 1500

struct rconn;

struct rpc_call {
	struct rpc_call *next, **pprev; /* conn->calls while waiting */
	struct rconn *conn;
	uint64_t id;
	uv_timer_t timer;
	rpc_reply_fn cb;
	void *data;
	bool done; /* answered, failed or cancelled; the timer is closing */
};

struct rconn {
	struct rconn *next, **pprev;
	struct rpc_client *c;
	char addr[96];
	uv_tcp_t tcp;
	uv_connect_t connect;
	uv_timer_t connect_timer;
	bool connected, closing;
	int handles;	   /* tcp and connect_timer, until both are closed */
	struct rpc_outq q; /* frames waiting for, or being written to, the socket */
	struct buf in;	   /* bytes read, not yet a whole frame */
	char rbuf[READ_CHUNK];
	struct rpc_call *calls;
	size_t ncalls; /* in calls */
};

struct rpc_client {
	uv_loop_t *loop;
	struct sockaddr_storage src; /* source address of our connections */
	bool has_src;
	struct rconn *conns;
	uint64_t next_id;
	int open; /* connections and timers not yet closed */
	bool closing;
};

static void maybe_free(struct rpc_client *c)
{
	if (c->closing && c->open == 0 && !c->conns)
		free(c);
}

/* ---- calls ---- */

static void timer_closed(uv_handle_t *h)
{
	free(h->data);
}

static void call_finish(struct rpc_call *call, int status, const struct rpc_frame *f)
{
	if (call->done)
		return;
	call->done = true;
	if (call->pprev) {
		*call->pprev = call->next;
		if (call->next)
			call->next->pprev = call->pprev;
		call->pprev = NULL;
	}
	struct rpc_client *c = call->conn->c;
	call->conn->ncalls--;
	call->conn = NULL;
	rpc_reply_fn cb = call->cb;
	call->cb = NULL;
	/* the timer's close may run after c is freed: it frees only the call */
	c->open--;
	uv_close((uv_handle_t *)&call->timer, timer_closed);
	if (cb)
		cb(call->data, status, f);
	maybe_free(c);
}

static void call_timeout(uv_timer_t *t)
{
	call_finish(t->data, CAIRN_E_TIMEOUT, NULL);
}

/* ---- connections ---- */

static void conn_closed(uv_handle_t *h)
{
	struct rconn *k = h->data;
	struct rpc_client *c = k->c;
	if (--k->handles > 0)
		return;
	rpc_outq_free(&k->q);
	buf_free(&k->in);
	free(k);
	c->open--;
	maybe_free(c);
}

static void conn_fail(struct rconn *k, int status)
{
	if (k->closing)
		return;
	k->closing = true;
	*k->pprev = k->next;
	if (k->next)
		k->next->pprev = k->pprev;
	while (k->calls)
		call_finish(k->calls, status, NULL);
	uv_close((uv_handle_t *)&k->tcp, conn_closed);
	uv_close((uv_handle_t *)&k->connect_timer, conn_closed);
}

static void flush(struct rconn *k);

static void written(uv_write_t *w, int status)
{
	struct rconn *k = w->data;
	rpc_outq_done(&k->q);
	if (status) {
		conn_fail(k, CAIRN_E_IO);
		return;
	}
	flush(k);
}

static void flush(struct rconn *k)
{
	if (k->connected && !k->closing &&
	    rpc_outq_flush(&k->q, (uv_stream_t *)&k->tcp, k, written))
		conn_fail(k, CAIRN_E_IO);
}

static void deliver(struct rconn *k, const struct rpc_frame *f)
{
	for (struct rpc_call *call = k->calls; call; call = call->next)
		if (call->id == f->id) {
			call_finish(call, 0, f);
			return;
		}
	/* an answer to a call that timed out or was cancelled: dropped */
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)hint;
	struct rconn *k = h->data;
	*b = uv_buf_init(k->rbuf, sizeof(k->rbuf));
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct rconn *k = s->data;
	if (n == 0)
		return;
	if (n < 0) {
		conn_fail(k, CAIRN_E_IO);
		return;
	}
	buf_append(&k->in, b->base, (size_t)n);
	size_t off = 0;
	while (!k->closing) {
		const uint8_t *p = (const uint8_t *)k->in.data + off;
		size_t avail = k->in.len - off;
		long need = rpc_frame_need(p, avail);
		if (need < 0) {
			log_warn("agent.rpc", "bad frame from %s: closing", k->addr);
			conn_fail(k, CAIRN_E_IO);
			return;
		}
		if (need == 0 || (size_t)need > avail)
			break;
		struct rpc_frame f;
		if (rpc_frame_decode(p, (size_t)need, &f)) {
			conn_fail(k, CAIRN_E_IO);
			return;
		}
		off += (size_t)need;
		deliver(k, &f);
	}
	if (!k->closing && off) {
		memmove(k->in.data, k->in.data + off, k->in.len - off);
		k->in.len -= off;
	}
}

static void connected(uv_connect_t *req, int status)
{
	struct rconn *k = req->data;
	if (k->closing)
		return;
	if (status) {
		log_debug("agent.rpc", "connect to %s failed: %s", k->addr, uv_strerror(status));
		conn_fail(k, CAIRN_E_IO);
		return;
	}
	uv_tcp_nodelay(&k->tcp, 1);
	uv_timer_stop(&k->connect_timer);
	k->connected = true;
	if (uv_read_start((uv_stream_t *)&k->tcp, alloc_cb, read_cb)) {
		conn_fail(k, CAIRN_E_IO);
		return;
	}
	flush(k);
}

static void connect_timeout(uv_timer_t *t)
{
	struct rconn *k = t->data;
	log_debug("agent.rpc", "connect to %s timed out", k->addr);
	conn_fail(k, CAIRN_E_IO);
}

static struct rconn *conn_get(struct rpc_client *c, const char *addr)
{
	struct rconn *best = NULL;
	int open = 0;
	for (struct rconn *k = c->conns; k; k = k->next)
		if (strcmp(k->addr, addr) == 0) {
			open++;
			if (!best || k->ncalls < best->ncalls)
				best = k;
		}
	if (best && (best->ncalls < POOL_BUSY || open >= POOL_MAX))
		return best;
	struct sockaddr_storage sa;
	if (rpc_addr_parse(addr, false, &sa))
		return NULL;
	struct rconn *k = xcalloc(1, sizeof(*k));
	k->c = c;
	snprintf(k->addr, sizeof(k->addr), "%s", addr);
	uv_tcp_init(c->loop, &k->tcp);
	uv_timer_init(c->loop, &k->connect_timer);
	k->tcp.data = k->connect_timer.data = k;
	k->handles = 2;
	k->connect.data = k;
	c->open++;
	uv_timer_start(&k->connect_timer, connect_timeout, CONNECT_MS, 0);
	k->next = c->conns;
	if (k->next)
		k->next->pprev = &k->next;
	k->pprev = &c->conns;
	c->conns = k;
	if (c->has_src)
		uv_tcp_bind(&k->tcp, (struct sockaddr *)&c->src, 0);
	uint8_t mux = RPC_MUX_CAIRN;
	buf_append(&k->q.out, &mux, 1);
	if (uv_tcp_connect(&k->connect, &k->tcp, (struct sockaddr *)&sa, connected)) {
		conn_fail(k, CAIRN_E_IO);
		return NULL;
	}
	return k;
}

/* ---- API ---- */

struct rpc_client *rpc_client_new(uv_loop_t *loop, const char *source_ip)
{
	struct rpc_client *c = xcalloc(1, sizeof(*c));
	c->loop = loop;
	if (source_ip && *source_ip && strcmp(source_ip, "0.0.0.0") && strcmp(source_ip, "::"))
		c->has_src = (strchr(source_ip, ':')
				  ? uv_ip6_addr(source_ip, 0, (struct sockaddr_in6 *)&c->src)
				  : uv_ip4_addr(source_ip, 0, (struct sockaddr_in *)&c->src)) == 0;
	return c;
}

struct rpc_call *rpc_call(struct rpc_client *c, const char *addr, enum rpc_type type,
			  const void *payload, size_t len, uint64_t timeout_ms, rpc_reply_fn cb,
			  void *data)
{
	if (c->closing)
		return NULL;
	struct rconn *k = conn_get(c, addr);
	if (!k || k->closing)
		return NULL;
	struct rpc_call *call = xcalloc(1, sizeof(*call));
	call->conn = k;
	call->id = ++c->next_id;
	call->cb = cb;
	call->data = data;
	uv_timer_init(c->loop, &call->timer);
	call->timer.data = call;
	c->open++;
	uv_timer_start(&call->timer, call_timeout, timeout_ms, 0);
	call->next = k->calls;
	if (call->next)
		call->next->pprev = &call->next;
	call->pprev = &k->calls;
	k->calls = call;
	k->ncalls++;
	rpc_frame_put(&k->q.out, type, call->id, payload, len);
	flush(k);
	return call;
}

void rpc_call_cancel(struct rpc_call *call)
{
	if (call->done)
		return;
	struct rconn *k = call->conn;
	call->cb = NULL;
	if (k && !k->closing) {
		rpc_frame_put(&k->q.out, RPC_CANCEL, call->id, NULL, 0);
		flush(k);
	}
	call_finish(call, CAIRN_E_SHUTDOWN, NULL);
}

void rpc_client_close(struct rpc_client *c)
{
	if (!c || c->closing)
		return;
	c->closing = true;
	while (c->conns)
		conn_fail(c->conns, CAIRN_E_SHUTDOWN);
	maybe_free(c);
}
