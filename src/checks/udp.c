/*
 * UDP checks (Consul's CheckUDP, 1.14+): send a datagram on a connected UDP
 * socket and wait for an answer.
 *
 * Consul writes its (empty) message and reads one byte: a reply is passing,
 * an error while reading (the ICMP port-unreachable that the kernel turns
 * into ECONNREFUSED on a connected socket) is critical, and a read that times
 * out is passing, because silence is what most UDP services answer. Here: one
 * empty datagram, then wait for a datagram, an error, or the timeout (the
 * check's, else 10 s). Only the first resolved address is used (Go dials UDP
 * without trying the others: connecting a UDP socket cannot fail remotely).
 *
 *   passing   "UDP connect <address>: Success"
 *   critical  "read udp 127.0.0.1:40000->127.0.0.1:9: read: connection refused",
 *             "dial udp: lookup x: no such host", "write udp ...: write: ..."
 *
 * Loop thread only.
 */
#include "checks/internal.h"

#include "base/alloc.h"

#include <string.h>

struct udp_probe {
	struct check *c;	    /* owner */
	uv_getaddrinfo_t gai;	    /* name resolution */
	uv_udp_t udp;		    /* the connected socket */
	uv_udp_send_t send;	    /* the datagram */
	uv_timer_t timer;	    /* deadline */
	struct sockaddr_storage sa; /* the target */
	struct buf host;	    /* host part */
	struct buf err;		    /* error text, when critical */
	char rbuf[64];		    /* replies are read here and dropped */
	int handles;		    /* open handles (timer, udp) */
	bool gai_pending;	    /* resolution in flight */
	bool finished;		    /* result decided, closing down */
	bool cancelled;		    /* check_close: report nothing */
	bool failed;		    /* err holds a failure */
};

static void maybe_done(struct udp_probe *p)
{
	if (p->handles > 0 || p->gai_pending)
		return;
	struct check *c = p->c;
	struct buf out = BUF_INIT;
	if (p->failed)
		buf_append(&out, buf_cstr(&p->err), p->err.len);
	else
		buf_printf(&out, "UDP connect %s: Success", c->def.udp);
	bool cancelled = p->cancelled, failed = p->failed;
	buf_free(&p->host);
	buf_free(&p->err);
	free(p);
	if (cancelled)
		check_probe_end(c);
	else
		check_probe_done(c, failed ? CHECK_CRITICAL : CHECK_PASSING, buf_cstr(&out),
				 out.len);
	buf_free(&out);
}

static void on_closed(uv_handle_t *h)
{
	struct udp_probe *p = h->data;
	p->handles--;
	maybe_done(p);
}

static void finish(struct udp_probe *p)
{
	if (p->finished)
		return;
	p->finished = true;
	uv_close((uv_handle_t *)&p->timer, on_closed);
	if (p->handles > 1)
		uv_close((uv_handle_t *)&p->udp, on_closed);
	if (p->gai_pending)
		uv_cancel((uv_req_t *)&p->gai);
}

/* Go's "<op> udp <local>-><remote>: <op>: <err>". */
static void io_error(struct udp_probe *p, const char *op, int status)
{
	struct sockaddr_storage local;
	int len = sizeof(local);
	memset(&local, 0, sizeof(local));
	buf_printf(&p->err, "%s udp ", op);
	if (uv_udp_getsockname(&p->udp, (struct sockaddr *)&local, &len) == 0) {
		check_format_addr(&p->err, (struct sockaddr *)&local);
		buf_puts(&p->err, "->");
	}
	check_format_addr(&p->err, (struct sockaddr *)&p->sa);
	buf_printf(&p->err, ": %s: %s", op, check_errno_text(status));
	p->failed = true;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct udp_probe *p = h->data;
	*b = uv_buf_init(p->rbuf, sizeof(p->rbuf));
}

static void on_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
		    unsigned flags)
{
	struct udp_probe *p = u->data;
	if (p->finished || (n == 0 && !from))
		return; /* nothing to read yet */
	if (n < 0)
		io_error(p, "read", (int)n);
	finish(p);
}

static void on_sent(uv_udp_send_t *req, int status)
{
	struct udp_probe *p = req->data;
	if (status < 0 && status != UV_ECANCELED && !p->finished) {
		io_error(p, "write", status);
		finish(p);
	}
}

static void dial(struct udp_probe *p)
{
	const struct sockaddr *sa = (const struct sockaddr *)&p->sa;
	uv_udp_init(p->c->rt->loop, &p->udp);
	p->udp.data = p;
	p->handles++;
	int rc = uv_udp_connect(&p->udp, sa);
	if (rc == 0)
		rc = uv_udp_recv_start(&p->udp, on_alloc, on_recv);
	if (rc == 0) {
		uv_buf_t empty = uv_buf_init(p->rbuf, 0);
		p->send.data = p;
		rc = uv_udp_send(&p->send, &p->udp, &empty, 1, NULL, on_sent);
	}
	if (rc) {
		buf_puts(&p->err, "dial udp ");
		check_format_addr(&p->err, sa);
		buf_printf(&p->err, ": %s", check_errno_text(rc));
		p->failed = true;
		finish(p);
	}
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct udp_probe *p = req->data;
	p->gai_pending = false;
	struct addrinfo *a = res;
	while (a && a->ai_family != AF_INET && a->ai_family != AF_INET6)
		a = a->ai_next;
	if (status == 0 && a)
		memcpy(&p->sa, a->ai_addr, a->ai_addrlen);
	if (res)
		uv_freeaddrinfo(res);
	if (p->finished) {
		maybe_done(p);
		return;
	}
	if (status < 0 || !a) {
		check_lookup_error(&p->err, "udp", buf_cstr(&p->host),
				   status ? status : UV_EAI_NONAME);
		p->failed = true;
		finish(p);
		return;
	}
	dial(p);
}

static void on_deadline(uv_timer_t *t)
{
	struct udp_probe *p = t->data;
	if (p->gai_pending) {
		check_lookup_error(&p->err, "udp", buf_cstr(&p->host), UV_ETIMEDOUT);
		p->failed = true;
	}
	finish(p); /* no answer and no error: passing, as Consul */
}

static int udp_start(struct check *c)
{
	struct udp_probe *p = xcalloc(1, sizeof(*p));
	p->c = c;
	c->op = p;
	uv_timer_init(c->rt->loop, &p->timer);
	p->timer.data = p;
	p->handles = 1;
	p->gai.data = p;
	int r = check_target_begin(c->rt->loop, "udp", c->def.udp, SOCK_DGRAM, &p->gai, on_resolved,
				   &p->host, &p->sa, &p->err);
	p->gai_pending = r == 1;
	p->failed = r < 0;
	if (r < 0)
		finish(p);
	else if (r == 0)
		dial(p);
	if (!p->finished)
		uv_timer_start(&p->timer, on_deadline,
			       check_ns_to_ms(check_effective_timeout(c), 1), 0);
	return 0;
}

static void udp_cancel(struct check *c)
{
	struct udp_probe *p = c->op;
	p->cancelled = true;
	finish(p);
}

const struct check_runner check_runner_udp = {"udp", udp_start, udp_cancel};
