/*
 * TCP checks (Consul's CheckTCP): connect, then close at once.
 *
 * The address is Go's host:port. An IP literal is used as is; a name is
 * resolved with uv_getaddrinfo (thread pool) and its addresses are tried in
 * order, as Go's dialer does (without Go's parallel IPv4/IPv6 race). One
 * timer bounds the whole probe: the check's timeout, else 10 s.
 *
 *   passing   "TCP connect <address>: Success"
 *   critical  Go's error: "dial tcp 127.0.0.1:1: connect: connection refused",
 *             "dial tcp 10.0.0.1:80: i/o timeout", "dial tcp: lookup x: no such
 *             host", "dial tcp: address x: missing port in address".
 * With several addresses the first error is kept, as Go reports it.
 *
 * Consul 1.17+ also has tcp_use_tls; not parsed here. Loop thread only.
 */
#include "checks/internal.h"

#include "base/alloc.h"

#include <string.h>

struct tcp_probe {
	struct check *c;	     /* owner */
	uv_getaddrinfo_t gai;	     /* name resolution */
	uv_tcp_t tcp;		     /* current connection attempt */
	uv_connect_t conn;	     /* its connect request */
	uv_timer_t timer;	     /* deadline */
	struct addrinfo *ai, *cur;   /* resolved addresses, the one being tried */
	struct sockaddr_storage lit; /* the address when given as a literal */
	struct buf host;	     /* host part */
	struct buf err;		     /* first error, Go's text */
	struct buf addr;	     /* address being tried, "ip:port" */
	int handles;		     /* open handles (timer, tcp) */
	bool gai_pending;	     /* resolution in flight */
	bool tcp_open;		     /* tcp is initialised and not closed */
	bool finished;		     /* result decided, closing down */
	bool cancelled;		     /* check_close: report nothing */
	bool success;		     /* a connection was made */
};

static void try_next(struct tcp_probe *p);

static void maybe_done(struct tcp_probe *p)
{
	if (p->handles > 0 || p->gai_pending)
		return;
	struct check *c = p->c;
	struct buf out = BUF_INIT;
	enum check_status st = CHECK_CRITICAL;
	if (p->success) {
		st = CHECK_PASSING;
		buf_printf(&out, "TCP connect %s: Success", c->def.tcp);
	} else {
		buf_append(&out, p->err.data ? p->err.data : "", p->err.len);
	}
	bool cancelled = p->cancelled;
	if (p->ai)
		uv_freeaddrinfo(p->ai);
	buf_free(&p->host);
	buf_free(&p->err);
	buf_free(&p->addr);
	free(p);
	if (cancelled)
		check_probe_end(c);
	else
		check_probe_done(c, st, buf_cstr(&out), out.len);
	buf_free(&out);
}

static void on_closed(uv_handle_t *h)
{
	struct tcp_probe *p = h->data;
	p->handles--;
	if (h == (uv_handle_t *)&p->tcp) {
		p->tcp_open = false;
		if (!p->finished) {
			try_next(p);
			return;
		}
	}
	maybe_done(p);
}

static void finish(struct tcp_probe *p)
{
	if (p->finished)
		return;
	p->finished = true;
	uv_close((uv_handle_t *)&p->timer, on_closed);
	if (p->tcp_open)
		uv_close((uv_handle_t *)&p->tcp, on_closed);
	if (p->gai_pending)
		uv_cancel((uv_req_t *)&p->gai);
}

static void set_error(struct tcp_probe *p, const char *op, int status)
{
	if (p->err.len)
		return;
	buf_printf(&p->err, "dial tcp %s: %s%s", buf_cstr(&p->addr), op, check_errno_text(status));
}

static void on_connect(uv_connect_t *req, int status)
{
	struct tcp_probe *p = req->data;
	if (status == UV_ECANCELED || p->finished)
		return;
	if (status == 0) {
		p->success = true;
		finish(p);
		return;
	}
	set_error(p, "connect: ", status);
	uv_close((uv_handle_t *)&p->tcp, on_closed); /* then the next address */
}

static void try_next(struct tcp_probe *p)
{
	while (p->cur && p->cur->ai_family != AF_INET && p->cur->ai_family != AF_INET6)
		p->cur = p->cur->ai_next;
	const struct sockaddr *sa =
	    p->ai ? (p->cur ? p->cur->ai_addr : NULL) : (const struct sockaddr *)&p->lit;
	if (!sa || (!p->ai && p->addr.len)) {
		finish(p); /* every address failed */
		return;
	}
	if (p->cur)
		p->cur = p->cur->ai_next;
	buf_reset(&p->addr);
	check_format_addr(&p->addr, sa);
	uv_tcp_init(p->c->rt->loop, &p->tcp);
	p->tcp.data = p;
	p->tcp_open = true;
	p->handles++;
	p->conn.data = p;
	int rc = uv_tcp_connect(&p->conn, &p->tcp, sa, on_connect);
	if (rc) {
		set_error(p, "connect: ", rc);
		uv_close((uv_handle_t *)&p->tcp, on_closed);
	}
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct tcp_probe *p = req->data;
	p->gai_pending = false;
	if (status == 0)
		p->ai = p->cur = res;
	if (p->finished) {
		maybe_done(p);
		return;
	}
	if (status < 0) {
		check_lookup_error(&p->err, "tcp", buf_cstr(&p->host), status);
		finish(p);
		return;
	}
	try_next(p);
}

static void on_deadline(uv_timer_t *t)
{
	struct tcp_probe *p = t->data;
	if (p->gai_pending)
		check_lookup_error(&p->err, "tcp", buf_cstr(&p->host), UV_ETIMEDOUT);
	else
		set_error(p, "", UV_ETIMEDOUT);
	finish(p);
}

static int tcp_start(struct check *c)
{
	struct tcp_probe *p = xcalloc(1, sizeof(*p));
	p->c = c;
	c->op = p;
	uv_timer_init(c->rt->loop, &p->timer);
	p->timer.data = p;
	p->handles = 1;
	p->gai.data = p;
	int r = check_target_begin(c->rt->loop, "tcp", c->def.tcp, SOCK_STREAM, &p->gai,
				   on_resolved, &p->host, &p->lit, &p->err);
	p->gai_pending = r == 1;
	if (r < 0)
		finish(p);
	else if (r == 0)
		try_next(p);
	if (!p->finished)
		uv_timer_start(&p->timer, on_deadline,
			       check_ns_to_ms(check_effective_timeout(c), 1), 0);
	return 0;
}

static void tcp_cancel(struct check *c)
{
	struct tcp_probe *p = c->op;
	p->cancelled = true;
	finish(p);
}

const struct check_runner check_runner_tcp = {"tcp", tcp_start, tcp_cancel};
