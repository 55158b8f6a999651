/*
 * libraft's transport over the shared server port (raft_transport.h).
 */
#include "rpc/raft_transport.h"

#include "base/alloc.h"
#include "rpc/addr.h"
#include "base/be.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HS_VERSION 1
#define HS_MAX	   (11 + 255)
#define HS_ACK	   0x01
#define LOG	   "agent.server.raft"

struct impl;

/* An outgoing connection until libraft gets it. */
struct out_conn {
	struct out_conn *next, **pprev;
	struct impl *im;
	struct raft_uv_connect *req;
	raft_uv_connect_cb cb;
	uv_tcp_t *tcp;
	uv_connect_t connect;
	uv_write_t write;
	uint8_t hs[1 + HS_MAX];
	size_t hs_len;
	uint8_t ack;
	int status; /* result to report once tcp is closed (failures) */
};

/* An incoming connection until its handshake is read. */
struct in_conn {
	struct in_conn *next, **pprev;
	struct impl *im;
	uv_tcp_t *tcp;
	uv_write_t write;
	uint8_t buf[HS_MAX];
	size_t len;
	uint8_t ack;
	raft_id id;
	char address[256];
};

struct impl {
	uv_loop_t *loop;
	struct rpc_mux *mux;
	raft_id id;
	char address[256];
	raft_uv_accept_cb accept_cb;
	struct out_conn *outs;
	struct in_conn *ins;
	bool closing;
	int closing_handles;
	raft_uv_transport_close_cb close_cb;
	struct raft_uv_transport *t;
};

#define LINK(head, x)                                                                              \
	do {                                                                                       \
		(x)->next = (head);                                                                \
		if ((x)->next)                                                                     \
			(x)->next->pprev = &(x)->next;                                             \
		(x)->pprev = &(head);                                                              \
		(head) = (x);                                                                      \
	} while (0)
#define UNLINK(x)                                                                                  \
	do {                                                                                       \
		*(x)->pprev = (x)->next;                                                           \
		if ((x)->next)                                                                     \
			(x)->next->pprev = (x)->pprev;                                             \
	} while (0)

static void maybe_closed(struct impl *im)
{
	if (im->closing && im->closing_handles == 0 && !im->outs && !im->ins && im->close_cb) {
		raft_uv_transport_close_cb cb = im->close_cb;
		im->close_cb = NULL;
		cb(im->t);
	}
}

/* ---- outgoing ---- */

static void out_tcp_closed(uv_handle_t *h)
{
	struct out_conn *o = h->data;
	struct impl *im = o->im;
	free(h);
	UNLINK(o);
	o->cb(o->req, NULL, o->status);
	free(o);
	im->closing_handles--;
	maybe_closed(im);
}

static void out_fail(struct out_conn *o, int status)
{
	if (uv_is_closing((uv_handle_t *)o->tcp))
		return; /* t_close got there first: its close callback reports */
	o->status = status;
	o->im->closing_handles++;
	uv_close((uv_handle_t *)o->tcp, out_tcp_closed);
}

static void ack_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)hint;
	struct out_conn *o = h->data;
	*b = uv_buf_init((char *)&o->ack, 1);
}

static void ack_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	(void)b;
	struct out_conn *o = s->data;
	if (n == 0)
		return;
	uv_read_stop(s);
	if (n < 0 || o->ack != HS_ACK || o->im->closing) {
		out_fail(o, o->im->closing ? RAFT_CANCELED : RAFT_NOCONNECTION);
		return;
	}
	UNLINK(o);
	s->data = NULL;
	o->cb(o->req, s, 0); /* libraft owns the stream now */
	free(o);
}

static void hs_written(uv_write_t *w, int status)
{
	struct out_conn *o = w->data;
	if (status || o->im->closing) {
		out_fail(o, o->im->closing ? RAFT_CANCELED : RAFT_NOCONNECTION);
		return;
	}
	if (uv_read_start((uv_stream_t *)o->tcp, ack_alloc, ack_read))
		out_fail(o, RAFT_NOCONNECTION);
}

static void connected(uv_connect_t *c, int status)
{
	struct out_conn *o = c->data;
	if (status || o->im->closing) {
		out_fail(o, o->im->closing ? RAFT_CANCELED : RAFT_NOCONNECTION);
		return;
	}
	uv_tcp_nodelay(o->tcp, 1);
	uv_buf_t b = uv_buf_init((char *)o->hs, (unsigned)o->hs_len);
	o->write.data = o;
	if (uv_write(&o->write, (uv_stream_t *)o->tcp, &b, 1, hs_written))
		out_fail(o, RAFT_NOCONNECTION);
}

static int t_connect(struct raft_uv_transport *t, struct raft_uv_connect *req, raft_id id,
		     const char *address, raft_uv_connect_cb cb)
{
	(void)id;
	struct impl *im = t->impl;
	struct sockaddr_storage sa;
	if (im->closing)
		return RAFT_CANCELED;
	if (rpc_addr_parse(address, false, &sa))
		return RAFT_NOCONNECTION;
	struct out_conn *o = xcalloc(1, sizeof(*o));
	o->im = im;
	o->req = req;
	o->cb = cb;
	size_t alen = strlen(im->address);
	o->hs[0] = RPC_MUX_RAFT;
	o->hs[1] = HS_VERSION;
	be64_put(o->hs + 2, im->id);
	be16_put(o->hs + 10, (uint16_t)alen);
	memcpy(o->hs + 12, im->address, alen);
	o->hs_len = 12 + alen;
	o->tcp = xcalloc(1, sizeof(*o->tcp));
	uv_tcp_init(im->loop, o->tcp);
	o->tcp->data = o;
	o->connect.data = o;
	LINK(im->outs, o);
	/* leave from our own address, as the peer knows us: on one host with
	 * several loopback addresses the kernel would otherwise pick 127.0.0.1 */
	struct sockaddr_storage src;
	char self[256];
	snprintf(self, sizeof(self), "%s", im->address);
	char *colon = strrchr(self, ':');
	if (colon) {
		snprintf(colon, sizeof(self) - (size_t)(colon - self), ":0");
		if (rpc_addr_parse(self, true, &src) == 0)
			uv_tcp_bind(o->tcp, (struct sockaddr *)&src, 0);
	}
	if (uv_tcp_connect(&o->connect, o->tcp, (struct sockaddr *)&sa, connected)) {
		UNLINK(o);
		o->tcp->data = NULL;
		uv_close((uv_handle_t *)o->tcp, (uv_close_cb)free);
		free(o);
		return RAFT_NOCONNECTION;
	}
	return 0;
}

/* ---- incoming ---- */

static void in_tcp_closed(uv_handle_t *h)
{
	struct in_conn *c = h->data;
	struct impl *im = c->im;
	free(h);
	free(c);
	im->closing_handles--;
	maybe_closed(im);
}

static void in_drop(struct in_conn *c)
{
	UNLINK(c);
	c->im->closing_handles++;
	uv_close((uv_handle_t *)c->tcp, in_tcp_closed);
}

static void ack_written(uv_write_t *w, int status)
{
	struct in_conn *c = w->data;
	struct impl *im = c->im;
	if (uv_is_closing((uv_handle_t *)c->tcp))
		return; /* t_close dropped it: its close callback frees it */
	if (status || im->closing || !im->accept_cb) {
		in_drop(c);
		return;
	}
	UNLINK(c);
	uv_stream_t *s = (uv_stream_t *)c->tcp;
	s->data = NULL;
	raft_id id = c->id;
	char address[256];
	memcpy(address, c->address, sizeof(address));
	free(c);
	im->accept_cb(im->t, id, address, s);
}

/* 1: handshake complete; 0: need more; -1: bad. */
static int hs_parse(struct in_conn *c)
{
	if (c->len < 11)
		return 0;
	if (c->buf[0] != HS_VERSION)
		return -1;
	size_t alen = be16_get(c->buf + 9);
	if (alen == 0 || alen > 255)
		return -1;
	if (c->len < 11 + alen)
		return 0;
	if (c->len > 11 + alen)
		return -1; /* the peer may not talk before the ack */
	c->id = be64_get(c->buf + 1);
	memcpy(c->address, c->buf + 11, alen);
	c->address[alen] = '\0';
	return c->id ? 1 : -1;
}

static void in_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)hint;
	struct in_conn *c = h->data;
	*b = uv_buf_init((char *)c->buf + c->len, (unsigned)(sizeof(c->buf) - c->len));
}

static void in_progress(struct in_conn *c)
{
	int r = hs_parse(c);
	if (r == 0 && c->len < sizeof(c->buf))
		return;
	uv_read_stop((uv_stream_t *)c->tcp);
	if (r != 1) {
		log_debug(LOG, "bad raft handshake: closing");
		in_drop(c);
		return;
	}
	c->ack = HS_ACK;
	uv_buf_t b = uv_buf_init((char *)&c->ack, 1);
	c->write.data = c;
	if (uv_write(&c->write, (uv_stream_t *)c->tcp, &b, 1, ack_written))
		in_drop(c);
}

static void in_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	(void)b;
	struct in_conn *c = s->data;
	if (n == 0)
		return;
	if (n < 0) {
		uv_read_stop(s);
		in_drop(c);
		return;
	}
	c->len += (size_t)n;
	in_progress(c);
}

static void on_mux(void *ud, uv_tcp_t *tcp, const uint8_t *rest, size_t n)
{
	struct impl *im = ud;
	struct in_conn *c = xcalloc(1, sizeof(*c));
	c->im = im;
	c->tcp = tcp;
	tcp->data = c;
	LINK(im->ins, c);
	if (n > sizeof(c->buf)) {
		in_drop(c);
		return;
	}
	memcpy(c->buf, rest, n);
	c->len = n;
	if (hs_parse(c) != 0) {
		in_progress(c);
		return;
	}
	if (uv_read_start((uv_stream_t *)tcp, in_alloc, in_read))
		in_drop(c);
}

/* ---- the interface ---- */

static int t_init(struct raft_uv_transport *t, raft_id id, const char *address)
{
	struct impl *im = t->impl;
	im->id = id;
	snprintf(im->address, sizeof(im->address), "%s", address);
	return 0;
}

static int t_listen(struct raft_uv_transport *t, raft_uv_accept_cb cb)
{
	struct impl *im = t->impl;
	im->accept_cb = cb;
	rpc_mux_handle(im->mux, RPC_MUX_RAFT, on_mux, im);
	return 0;
}

static void t_close(struct raft_uv_transport *t, raft_uv_transport_close_cb cb)
{
	struct impl *im = t->impl;
	im->closing = true;
	im->close_cb = cb;
	im->accept_cb = NULL;
	rpc_mux_handle(im->mux, RPC_MUX_RAFT, NULL, NULL);
	/* outgoing ones fail from their own callbacks (connect/write/read see
	 * closing); a connect still waiting is cancelled by closing its socket */
	for (struct out_conn *o = im->outs; o; o = o->next) {
		uv_read_stop((uv_stream_t *)o->tcp);
		out_fail(o, RAFT_CANCELED);
	}
	while (im->ins) {
		struct in_conn *c = im->ins;
		uv_read_stop((uv_stream_t *)c->tcp);
		in_drop(c);
	}
	maybe_closed(im);
}

int rpc_raft_transport_init(struct raft_uv_transport *t, uv_loop_t *loop, struct rpc_mux *mux)
{
	struct impl *im = xcalloc(1, sizeof(*im));
	im->loop = loop;
	im->mux = mux;
	im->t = t;
	memset(t, 0, sizeof(*t));
	t->impl = im;
	t->init = t_init;
	t->listen = t_listen;
	t->connect = t_connect;
	t->close = t_close;
	return 0;
}

void rpc_raft_transport_free(struct raft_uv_transport *t)
{
	free(t->impl);
	t->impl = NULL;
}
