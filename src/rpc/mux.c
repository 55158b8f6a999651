/*
 * The shared server port (mux.h).
 */
#include "rpc/mux.h"

#include "base/alloc.h"
#include "base/log.h"

#include <stdlib.h>
#include <string.h>

struct pending {
	struct pending *next, **pprev;
	struct rpc_mux *m;
	uv_tcp_t *tcp; /* handed over or closed */
	uv_timer_t timer;
	uint8_t buf[512];
};

struct handler {
	rpc_mux_fn fn;
	void *ud;
};

struct rpc_mux {
	uv_loop_t *loop;
	uv_tcp_t listener;
	bool listening;
	bool closing;
	int handles; /* the listener and every pending connection not yet freed */
	struct handler by_byte[256];
	struct pending *pending;
};

static void maybe_free(struct rpc_mux *m)
{
	if (m->closing && m->handles == 0)
		free(m);
}

static void tcp_freed(uv_handle_t *h)
{
	free(h);
}

static void pending_timer_closed(uv_handle_t *h)
{
	struct pending *p = h->data;
	struct rpc_mux *m = p->m;
	free(p);
	m->handles--;
	maybe_free(m);
}

/* Drop p; its socket is closed unless it was handed over (tcp NULL). */
static void pending_done(struct pending *p)
{
	*p->pprev = p->next;
	if (p->next)
		p->next->pprev = p->pprev;
	if (p->tcp) {
		uv_close((uv_handle_t *)p->tcp, tcp_freed);
		p->tcp = NULL;
	}
	uv_close((uv_handle_t *)&p->timer, pending_timer_closed);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)hint;
	struct pending *p = h->data;
	*b = uv_buf_init((char *)p->buf, sizeof(p->buf));
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	(void)b;
	struct pending *p = s->data;
	if (n == 0)
		return;
	if (n < 0) {
		pending_done(p);
		return;
	}
	uv_read_stop(s);
	struct handler *h = &p->m->by_byte[p->buf[0]];
	if (!h->fn) {
		log_debug("agent.server.rpc", "unknown protocol byte 0x%02x: closing", p->buf[0]);
		pending_done(p);
		return;
	}
	uv_tcp_t *tcp = p->tcp;
	p->tcp = NULL;
	tcp->data = NULL;
	/* copy the rest first: the handler may free nothing of ours, but p goes */
	uint8_t rest[sizeof(p->buf)];
	size_t nrest = (size_t)n - 1;
	memcpy(rest, p->buf + 1, nrest);
	rpc_mux_fn fn = h->fn;
	void *ud = h->ud;
	pending_done(p);
	fn(ud, tcp, rest, nrest);
}

static void first_byte_timeout(uv_timer_t *t)
{
	pending_done(t->data);
}

static void on_connection(uv_stream_t *l, int status)
{
	struct rpc_mux *m = l->data;
	if (status < 0 || m->closing)
		return;
	struct pending *p = xcalloc(1, sizeof(*p));
	p->m = m;
	m->handles++;
	p->tcp = xcalloc(1, sizeof(*p->tcp));
	uv_tcp_init(m->loop, p->tcp);
	uv_timer_init(m->loop, &p->timer);
	p->tcp->data = p->timer.data = p;
	p->next = m->pending;
	if (p->next)
		p->next->pprev = &p->next;
	p->pprev = &m->pending;
	m->pending = p;
	if (uv_accept(l, (uv_stream_t *)p->tcp) || uv_tcp_nodelay(p->tcp, 1) < 0 ||
	    uv_read_start((uv_stream_t *)p->tcp, alloc_cb, read_cb)) {
		pending_done(p);
		return;
	}
	uv_timer_start(&p->timer, first_byte_timeout, RPC_MUX_FIRST_MS, 0);
}

int rpc_mux_start(struct rpc_mux **out, uv_loop_t *loop, const char *ip, int port, struct buf *err)
{
	struct rpc_mux *m = xcalloc(1, sizeof(*m));
	*out = m;
	m->loop = loop;
	struct sockaddr_storage sa;
	int rc = strchr(ip, ':') ? uv_ip6_addr(ip, port, (struct sockaddr_in6 *)&sa)
				 : uv_ip4_addr(ip, port, (struct sockaddr_in *)&sa);
	if (rc) {
		buf_printf(err, "invalid server address %s", ip);
		return -1;
	}
	uv_tcp_init(loop, &m->listener);
	m->listener.data = m;
	m->handles = 1;
	m->listening = true;
	rc = uv_tcp_bind(&m->listener, (struct sockaddr *)&sa, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&m->listener, 128, on_connection);
	if (rc) {
		buf_printf(err, "Failed to listen on %s:%d (server RPC): %s", ip, port,
			   uv_strerror(rc));
		return -1;
	}
	return 0;
}

void rpc_mux_handle(struct rpc_mux *m, uint8_t kind, rpc_mux_fn fn, void *ud)
{
	m->by_byte[kind] = (struct handler){fn, ud};
}

static void listener_closed(uv_handle_t *h)
{
	struct rpc_mux *m = h->data;
	m->handles--;
	maybe_free(m);
}

void rpc_mux_close(struct rpc_mux *m)
{
	if (!m || m->closing)
		return;
	m->closing = true;
	memset(m->by_byte, 0, sizeof(m->by_byte));
	while (m->pending)
		pending_done(m->pending);
	if (m->listening)
		uv_close((uv_handle_t *)&m->listener, listener_closed);
	else
		maybe_free(m);
}
