/* The DNS server's TCP connections (see server.c): two-byte length framing,
 * pipelined queries answered in order of completion, idle timeout, bounded
 * input and output. */
#include "dns/server_int.h"

#include "base/alloc.h"
#include "base/log.h"

#include <stdlib.h>
#include <string.h>

/* ---- TCP connections ---- */

static void tconn_handle_closed(uv_handle_t *h)
{
	struct tconn *c = h->data;
	c->handles--;
	dns_tconn_unref(c);
}

/* Frees c once its handles are closed and no recursion refers to it. */
void dns_tconn_unref(struct tconn *c)
{
	if (!c->closing || c->handles > 0 || c->pending > 0)
		return;
	struct dns_server *srv = c->srv;
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nconns--;
	free(c->in);
	free(c);
	dns_server_maybe_free(srv);
}

void dns_tconn_close(struct tconn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->tcp, tconn_handle_closed);
	uv_close((uv_handle_t *)&c->idle, tconn_handle_closed);
}

static void tconn_idle(uv_timer_t *t)
{
	dns_tconn_close(t->data);
}

static void tconn_process(struct tconn *c);
static void tconn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b);
static void tconn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b);

static void tconn_written(uv_write_t *req, int status)
{
	struct tcp_write *w = req->data;
	struct tconn *c = w->c;
	c->queued -= w->len;
	free(w);
	if (c->closing)
		return;
	if (status < 0) {
		dns_tconn_close(c);
		return;
	}
	if (c->queued < DNS_TCP_OUT_HIGH / 2)
		tconn_process(c); /* resumes reading if it had paused */
}

/* Frames and sends one reply: straight to the socket when it takes it, the
 * rest as a queued copy. */
void dns_tconn_send(struct tconn *c, const uint8_t *p, size_t n)
{
	uint8_t prefix[2] = {(uint8_t)(n >> 8), (uint8_t)n};
	uv_buf_t b[2] = {uv_buf_init((char *)prefix, 2), uv_buf_init((char *)p, (unsigned)n)};
	size_t done = 0;
	int rv = uv_try_write((uv_stream_t *)&c->tcp, b, 2);
	if (rv >= 0)
		done = (size_t)rv;
	else if (rv != UV_EAGAIN && rv != UV_ENOSYS) {
		dns_tconn_close(c);
		return;
	}
	if (done == n + 2)
		return;
	size_t rest = n + 2 - done;
	struct tcp_write *w = xmalloc(sizeof(*w) + rest);
	w->c = c;
	w->len = rest;
	w->req.data = w;
	if (done < 2) {
		memcpy(w->data, prefix + done, 2 - done);
		memcpy(w->data + 2 - done, p, n);
	} else {
		memcpy(w->data, p + (done - 2), rest);
	}
	uv_buf_t wb = uv_buf_init((char *)w->data, (unsigned)rest);
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &wb, 1, tconn_written)) {
		free(w);
		dns_tconn_close(c);
		return;
	}
	c->queued += rest;
}

/* Answers one query; false when the connection must close. */
static bool tconn_query(struct tconn *c, const uint8_t *pkt, size_t len)
{
	struct dns_server *srv = c->srv;
	size_t n = 0;
	enum dns_outcome o = dns_respond(&srv->view, pkt, len, 1, srv->out, &n);
	switch (o) {
	case DNS_REPLY:
	case DNS_OTHER_DC:
	case DNS_QUERY_FAILOVER:
		if (!dns_hand_off_outcome(srv, o, srv->out, n, NULL, NULL, c, pkt, len))
			dns_tconn_send(c, srv->out, n);
		return !c->closing;
	case DNS_RECURSE:
		if (!dns_hand_off(srv, NULL, NULL, c, pkt, len) &&
		    dns_respond_error(pkt, len, 2 /* SERVFAIL */, srv->out, &n) == DNS_REPLY)
			dns_tconn_send(c, srv->out, n); /* a stream must not lose an answer */
		return !c->closing;
	case DNS_DROP:
		break;
	}
	return false;
}

static void tconn_reading(struct tconn *c, bool on)
{
	if (on == c->reading || c->eof || c->closing)
		return;
	if (on && uv_read_start((uv_stream_t *)&c->tcp, tconn_alloc, tconn_read) != 0) {
		dns_tconn_close(c);
		return;
	}
	if (!on)
		uv_read_stop((uv_stream_t *)&c->tcp);
	c->reading = on;
}

/* Answers every complete message held, while the output allows. */
static void tconn_process(struct tconn *c)
{
	size_t off = 0;
	while (!c->closing && c->queued < DNS_TCP_OUT_HIGH && c->len - off >= 2) {
		size_t mlen = be16_get(c->in + off);
		if (mlen == 0) {
			dns_tconn_close(c);
			return;
		}
		if (c->len - off < 2 + mlen)
			break;
		if (!tconn_query(c, c->in + off + 2, mlen)) {
			dns_tconn_close(c);
			return;
		}
		off += 2 + mlen;
	}
	if (c->closing)
		return;
	if (off) {
		memmove(c->in, c->in + off, c->len - off);
		c->len -= off;
	}
	if (c->len >= 2 && c->cap < 2 + (size_t)be16_get(c->in)) { /* room for the message */
		c->cap = 2 + (size_t)be16_get(c->in);
		c->in = xrealloc(c->in, c->cap);
	}
	tconn_reading(c, c->queued < DNS_TCP_OUT_HIGH);
	dns_tconn_maybe_finish(c);
}

/* After the client's EOF: close once nothing is left to answer. */
void dns_tconn_maybe_finish(struct tconn *c)
{
	if (c->eof && !c->closing && c->queued == 0 && c->pending == 0)
		dns_tconn_close(c);
}

static void tconn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct tconn *c = h->data;
	/* never empty: a partial message always has room for its remainder */
	*b = uv_buf_init((char *)c->in + c->len, (unsigned)(c->cap - c->len));
}

static void tconn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct tconn *c = s->data;
	if (nread == 0 || c->closing)
		return;
	if (nread == UV_EOF) {
		uv_read_stop(s);
		c->reading = false;
		c->eof = true;
		if (c->len) /* a message cut short will never complete */
			c->len = 0;
		dns_tconn_maybe_finish(c);
		return;
	}
	if (nread < 0) {
		dns_tconn_close(c);
		return;
	}
	c->len += (size_t)nread;
	uv_timer_start(&c->idle, tconn_idle, DNS_TCP_IDLE_MS, 0);
	tconn_process(c);
}

static void tconn_accept(struct tcp_listener *l)
{
	struct dns_server *srv = l->srv;
	struct tconn *c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	uv_tcp_init(srv->loop, &c->tcp);
	uv_timer_init(srv->loop, &c->idle);
	c->tcp.data = c;
	c->idle.data = c;
	c->handles = 2;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	if (uv_accept((uv_stream_t *)&l->tcp, (uv_stream_t *)&c->tcp) != 0 ||
	    srv->nconns > DNS_TCP_MAX_CONNS) {
		dns_tconn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	c->cap = TCP_IN_FIRST;
	c->in = xmalloc(c->cap);
	uv_timer_start(&c->idle, tconn_idle, DNS_TCP_IDLE_MS, 0);
	tconn_reading(c, true);
}

void dns_tcp_on_connection(uv_stream_t *s, int status)
{
	struct tcp_listener *l = s->data;
	if (status < 0) {
		log_warn("agent.dns", "accept on %s failed: %s", l->name, uv_strerror(status));
		return;
	}
	if (!l->srv->closing)
		tconn_accept(l);
}
