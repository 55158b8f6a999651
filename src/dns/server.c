/*
 * The DNS server's drivers (see server.h): listeners, the UDP path, TCP
 * connections, the hand-off to the recursors, shutdown.
 *
 * Both transports are thin: bytes in, dns_respond, bytes out. The only state
 * a query keeps beyond its callback is a struct pending while it is with the
 * recursors; for TCP it holds a reference on its connection (c->pending), so
 * a connection closed meanwhile stays in memory, closed, until the recursor
 * reports back and the answer is dropped.
 *
 * Shutdown (dns_server_close): close the listeners, close every connection,
 * close the recursor (which hands every pending query back at once with no
 * answer). The server is freed when the listeners, the connections and the
 * recursor are all gone.
 */
#include "dns/server.h"

#include "base/alloc.h"
#include "base/log.h"
#include "dns/recursor.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define UDP_BATCH    20	   /* datagrams per recvmmsg (libuv's most) */
#define UDP_DGRAM    65536 /* libuv's per-datagram slot with recvmmsg */
#define UDP_RCVBUF   (4 * 1024 * 1024)
#define TCP_IN_FIRST 4096			/* initial input buffer of a connection */
#define UDP_ARENA    (256 * 1024 + DNS_MSG_MAX) /* replies of one batch */

struct udp_listener {
	uv_udp_t udp;		/* data = this */
	struct dns_server *srv; /* owner */
	char name[80];		/* "127.0.0.1:8600" */
};

struct tcp_listener {
	uv_tcp_t tcp;		/* data = this */
	struct dns_server *srv; /* owner */
	char name[80];		/* ditto */
};

struct tconn {
	uv_tcp_t tcp;		   /* data = this */
	uv_timer_t idle;	   /* DNS_TCP_IDLE_MS without input closes */
	struct dns_server *srv;	   /* owner */
	struct tconn *prev, *next; /* srv->conns */
	uint8_t *in;		   /* received bytes not yet answered */
	size_t len;		   /* bytes used in in */
	size_t cap;		   /* size of in (at most 2 + DNS_MSG_MAX) */
	size_t queued;		   /* reply bytes handed to uv_write, not yet written */
	unsigned pending;	   /* queries with the recursors */
	int handles;		   /* tcp and idle not yet closed */
	bool closing;		   /* uv_close was called */
	bool reading;		   /* uv_read_start in effect */
	bool eof;		   /* the client shut its side */
};

/* A queued copy of a reply. */
struct udp_send {
	uv_udp_send_t req; /* data = this */
	size_t len;	   /* bytes in data */
	uint8_t data[];	   /* the datagram */
};

struct tcp_write {
	uv_write_t req;	 /* data = this */
	struct tconn *c; /* the connection (alive until its handles close) */
	size_t len;	 /* bytes in data */
	uint8_t data[];	 /* unsent part of one or more framed replies */
};

/* A query with the recursors: where its answer goes. */
struct pending {
	struct dns_server *srv;	      /* owner */
	struct udp_listener *udp;     /* UDP: the socket it came in on, else NULL */
	struct tconn *conn;	      /* TCP: the connection (holds c->pending) */
	struct sockaddr_storage peer; /* UDP: the client */
};

/* The replies to one recvmmsg batch, sent with one sendmmsg at its end. */
struct udp_batch {
	struct udp_listener *l;			  /* whose replies, NULL when empty */
	size_t n;				  /* replies held */
	size_t used;				  /* bytes of arena used */
	struct mmsghdr msgs[UDP_BATCH];		  /* one per reply */
	struct iovec iov[UDP_BATCH];		  /* the reply bytes, in arena */
	struct sockaddr_storage peers[UDP_BATCH]; /* the clients */
	uint8_t *arena;				  /* UDP_ARENA bytes */
};

struct dns_server {
	uv_loop_t *loop;	     /* the agent's */
	struct dns_view view;	     /* what answers are built from */
	struct dns_recursor rec;     /* relays for names outside the domains */
	struct udp_listener *udp;    /* one per address */
	size_t nudp;		     /* initialised entries of udp */
	struct tcp_listener *tcp;    /* one per address */
	size_t ntcp;		     /* initialised entries of tcp */
	struct tconn *conns;	     /* every connection not yet freed */
	size_t nconns;		     /* length of conns */
	uint8_t *rbuf;		     /* UDP_BATCH * UDP_DGRAM: datagrams land here */
	uint8_t *out;		     /* DNS_MSG_MAX: replies are built here */
	struct udp_batch batch;	     /* replies waiting for the end of a batch */
	int handles;		     /* listeners not yet closed */
	bool rec_open;		     /* the recursor is not closed yet */
	bool closing;		     /* dns_server_close was called */
	void (*close_cb)(void *arg); /* run when everything is freed */
	void *close_arg;	     /* its argument */
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static socklen_t addr_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static void server_maybe_free(struct dns_server *srv)
{
	if (!srv->closing || srv->handles > 0 || srv->nconns > 0 || srv->rec_open)
		return;
	void (*cb)(void *) = srv->close_cb;
	void *arg = srv->close_arg;
	free(srv->udp);
	free(srv->tcp);
	free(srv->rbuf);
	free(srv->out);
	free(srv->batch.arena);
	free(srv);
	if (cb)
		cb(arg);
}

/* ---- UDP ---- */

static void udp_sent(uv_udp_send_t *req, int status)
{
	free(req->data);
}

static void udp_reply(struct udp_listener *l, const struct sockaddr *to, const uint8_t *p, size_t n)
{
	uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
	int rv = uv_udp_try_send(&l->udp, &b, 1, to);
	if (rv >= 0)
		return;
	if (rv != UV_EAGAIN && rv != UV_ENOSYS) {
		log_debug("agent.dns", "send to client failed: %s", uv_strerror(rv));
		return;
	}
	if (l->udp.send_queue_size + n > DNS_UDP_QUEUE_MAX)
		return; /* the socket is backed up: drop, as a full kernel queue would */
	struct udp_send *s = xmalloc(sizeof(*s) + n);
	memcpy(s->data, p, n);
	s->len = n;
	s->req.data = s;
	b = uv_buf_init((char *)s->data, (unsigned)n);
	if (uv_udp_send(&s->req, &l->udp, &b, 1, to, udp_sent))
		free(s);
}

static void tconn_send(struct tconn *c, const uint8_t *p, size_t n);
static void tconn_unref(struct tconn *c);
static void tconn_close(struct tconn *c);
static void tconn_maybe_finish(struct tconn *c);

static void on_recursed(void *arg, const uint8_t *resp, size_t len)
{
	struct pending *p = arg;
	if (p->udp) {
		if (resp && !p->srv->closing)
			udp_reply(p->udp, (const struct sockaddr *)&p->peer, resp, len);
	} else {
		struct tconn *c = p->conn;
		c->pending--;
		if (resp && !c->closing)
			tconn_send(c, resp, len);
		if (!c->closing)
			tconn_maybe_finish(c);
		tconn_unref(c);
	}
	free(p);
}

/* Hands a query to the recursors; false when they refused it (busy). */
static bool recurse(struct dns_server *srv, struct udp_listener *l, const struct sockaddr *peer,
		    struct tconn *c, const uint8_t *pkt, size_t len)
{
	struct pending *p = xcalloc(1, sizeof(*p));
	p->srv = srv;
	p->udp = l;
	p->conn = c;
	if (peer)
		memcpy(&p->peer, peer, addr_len(peer));
	if (c)
		c->pending++;
	int err = dns_recurse(&srv->rec, pkt, len, c != NULL, on_recursed, p);
	if (err) {
		if (c)
			c->pending--;
		free(p);
		log_debug("agent.dns", "not recursing: %s", uv_strerror(err));
		return false;
	}
	return true;
}

/* Sends the batch: one sendmmsg on the socket, the rest (a full socket
 * buffer) through udp_reply's queue. */
static void batch_flush(struct dns_server *srv)
{
	struct udp_batch *bt = &srv->batch;
	size_t sent = 0;
	int fd;
	if (bt->n == 0)
		return;
	if (uv_fileno((uv_handle_t *)&bt->l->udp, &fd) == 0)
		while (sent < bt->n) {
			int rv = sendmmsg(fd, bt->msgs + sent, (unsigned)(bt->n - sent), 0);
			if (rv > 0)
				sent += (size_t)rv;
			else if (rv < 0 && errno == EINTR)
				continue;
			else if (rv < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			else
				sent++; /* this client cannot be sent to: drop its reply */
		}
	for (size_t i = sent; i < bt->n; i++)
		udp_reply(bt->l, (const struct sockaddr *)&bt->peers[i], bt->iov[i].iov_base,
			  bt->iov[i].iov_len);
	bt->n = 0;
	bt->used = 0;
	bt->l = NULL;
}

/* The reply built at arena + used goes into the batch. */
static void batch_add(struct dns_server *srv, struct udp_listener *l, const struct sockaddr *to,
		      size_t n)
{
	struct udp_batch *bt = &srv->batch;
	size_t i = bt->n++;
	bt->l = l;
	memcpy(&bt->peers[i], to, addr_len(to));
	bt->iov[i].iov_base = bt->arena + bt->used;
	bt->iov[i].iov_len = n;
	memset(&bt->msgs[i], 0, sizeof(bt->msgs[i]));
	bt->msgs[i].msg_hdr.msg_name = &bt->peers[i];
	bt->msgs[i].msg_hdr.msg_namelen = addr_len(to);
	bt->msgs[i].msg_hdr.msg_iov = &bt->iov[i];
	bt->msgs[i].msg_hdr.msg_iovlen = 1;
	bt->used += (n + 15) & ~(size_t)15;
}

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct udp_listener *l = h->data;
	*b = uv_buf_init((char *)l->srv->rbuf, UDP_BATCH * UDP_DGRAM);
}

static void udp_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *b, const struct sockaddr *from,
		     unsigned flags)
{
	struct udp_listener *l = u->data;
	struct dns_server *srv = l->srv;
	struct udp_batch *bt = &srv->batch;
	if (flags & UV_UDP_MMSG_FREE) { /* the end of a recvmmsg batch */
		batch_flush(srv);
		return;
	}
	if (nread < 0) {
		log_debug("agent.dns", "udp read on %s: %s", l->name, uv_strerror((int)nread));
		return;
	}
	if (nread == 0 || !from || (flags & UV_UDP_PARTIAL) || srv->closing)
		return;
	/* a datagram of a batch: its reply is built in the batch's arena */
	bool batched = (flags & UV_UDP_MMSG_CHUNK) != 0;
	if (batched && bt->n &&
	    (bt->l != l || bt->n == UDP_BATCH || bt->used + DNS_MSG_MAX > UDP_ARENA))
		batch_flush(srv);
	uint8_t *out = batched ? bt->arena + bt->used : srv->out;
	const uint8_t *pkt = (const uint8_t *)b->base;
	size_t n = 0;
	switch (dns_respond(&srv->view, pkt, (size_t)nread, 0, out, &n)) {
	case DNS_REPLY:
		if (batched)
			batch_add(srv, l, from, n);
		else
			udp_reply(l, from, out, n);
		break;
	case DNS_RECURSE:
		/* refused when overloaded: drop, the client will retry */
		recurse(srv, l, from, NULL, pkt, (size_t)nread);
		break;
	case DNS_DROP:
		break;
	}
}

/* ---- TCP connections ---- */

static void tconn_handle_closed(uv_handle_t *h)
{
	struct tconn *c = h->data;
	c->handles--;
	tconn_unref(c);
}

/* Frees c once its handles are closed and no recursion refers to it. */
static void tconn_unref(struct tconn *c)
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
	server_maybe_free(srv);
}

static void tconn_close(struct tconn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->tcp, tconn_handle_closed);
	uv_close((uv_handle_t *)&c->idle, tconn_handle_closed);
}

static void tconn_idle(uv_timer_t *t)
{
	tconn_close(t->data);
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
		tconn_close(c);
		return;
	}
	if (c->queued < DNS_TCP_OUT_HIGH / 2)
		tconn_process(c); /* resumes reading if it had paused */
}

/* Frames and sends one reply: straight to the socket when it takes it, the
 * rest as a queued copy. */
static void tconn_send(struct tconn *c, const uint8_t *p, size_t n)
{
	uint8_t prefix[2] = {(uint8_t)(n >> 8), (uint8_t)n};
	uv_buf_t b[2] = {uv_buf_init((char *)prefix, 2), uv_buf_init((char *)p, (unsigned)n)};
	size_t done = 0;
	int rv = uv_try_write((uv_stream_t *)&c->tcp, b, 2);
	if (rv >= 0)
		done = (size_t)rv;
	else if (rv != UV_EAGAIN && rv != UV_ENOSYS) {
		tconn_close(c);
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
		tconn_close(c);
		return;
	}
	c->queued += rest;
}

/* Answers one query; false when the connection must close. */
static bool tconn_query(struct tconn *c, const uint8_t *pkt, size_t len)
{
	struct dns_server *srv = c->srv;
	size_t n = 0;
	switch (dns_respond(&srv->view, pkt, len, 1, srv->out, &n)) {
	case DNS_REPLY:
		tconn_send(c, srv->out, n);
		return !c->closing;
	case DNS_RECURSE:
		if (!recurse(srv, NULL, NULL, c, pkt, len) &&
		    dns_respond_error(pkt, len, 2 /* SERVFAIL */, srv->out, &n) == DNS_REPLY)
			tconn_send(c, srv->out, n); /* a stream must not lose an answer */
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
		tconn_close(c);
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
		size_t mlen = rd16(c->in + off);
		if (mlen == 0) {
			tconn_close(c);
			return;
		}
		if (c->len - off < 2 + mlen)
			break;
		if (!tconn_query(c, c->in + off + 2, mlen)) {
			tconn_close(c);
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
	if (c->len >= 2 && c->cap < 2 + (size_t)rd16(c->in)) { /* room for the message */
		c->cap = 2 + (size_t)rd16(c->in);
		c->in = xrealloc(c->in, c->cap);
	}
	tconn_reading(c, c->queued < DNS_TCP_OUT_HIGH);
	tconn_maybe_finish(c);
}

/* After the client's EOF: close once nothing is left to answer. */
static void tconn_maybe_finish(struct tconn *c)
{
	if (c->eof && !c->closing && c->queued == 0 && c->pending == 0)
		tconn_close(c);
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
		tconn_maybe_finish(c);
		return;
	}
	if (nread < 0) {
		tconn_close(c);
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
		tconn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	c->cap = TCP_IN_FIRST;
	c->in = xmalloc(c->cap);
	uv_timer_start(&c->idle, tconn_idle, DNS_TCP_IDLE_MS, 0);
	tconn_reading(c, true);
}

static void on_connection(uv_stream_t *s, int status)
{
	struct tcp_listener *l = s->data;
	if (status < 0) {
		log_warn("agent.dns", "accept on %s failed: %s", l->name, uv_strerror(status));
		return;
	}
	if (!l->srv->closing)
		tconn_accept(l);
}

/* ---- listeners ---- */

static void listener_closed(struct dns_server *srv)
{
	srv->handles--;
	server_maybe_free(srv);
}

static void udp_closed(uv_handle_t *h)
{
	listener_closed(((struct udp_listener *)h->data)->srv);
}

static void tcp_closed(uv_handle_t *h)
{
	listener_closed(((struct tcp_listener *)h->data)->srv);
}

static int parse_addr(const char *addr, int port, struct sockaddr_storage *ss, char *name,
		      size_t namelen, bool *v6)
{
	*v6 = strchr(addr, ':') != NULL;
	snprintf(name, namelen, *v6 ? "[%s]:%d" : "%s:%d", addr, port);
	memset(ss, 0, sizeof(*ss));
	return *v6 ? uv_ip6_addr(addr, port, (struct sockaddr_in6 *)ss)
		   : uv_ip4_addr(addr, port, (struct sockaddr_in *)ss);
}

static int listen_udp(struct dns_server *srv, const char *addr, int port, struct buf *err)
{
	struct udp_listener *l = &srv->udp[srv->nudp];
	struct sockaddr_storage ss;
	bool v6;
	int rv = parse_addr(addr, port, &ss, l->name, sizeof(l->name), &v6);
	if (rv) {
		buf_printf(err, "listen udp %s: parse address: %s", l->name, uv_strerror(rv));
		return rv;
	}
	rv = uv_udp_init_ex(srv->loop, &l->udp, (v6 ? AF_INET6 : AF_INET) | UV_UDP_RECVMMSG);
	if (rv) {
		buf_printf(err, "listen udp %s: socket: %s", l->name, uv_strerror(rv));
		return rv;
	}
	l->srv = srv;
	l->udp.data = l;
	srv->nudp++;
	srv->handles++;
	const char *op = "bind";
	rv = uv_udp_bind(&l->udp, (const struct sockaddr *)&ss, v6 ? UV_UDP_IPV6ONLY : 0);
	if (!rv) {
		int size = UDP_RCVBUF;
		uv_recv_buffer_size((uv_handle_t *)&l->udp, &size); /* best effort */
		op = "read";
		rv = uv_udp_recv_start(&l->udp, udp_alloc, udp_recv);
	}
	if (rv)
		buf_printf(err, "listen udp %s: %s: %s", l->name, op, uv_strerror(rv));
	return rv;
}

static int listen_tcp(struct dns_server *srv, const char *addr, int port, struct buf *err)
{
	struct tcp_listener *l = &srv->tcp[srv->ntcp];
	struct sockaddr_storage ss;
	bool v6;
	int rv = parse_addr(addr, port, &ss, l->name, sizeof(l->name), &v6);
	if (rv) {
		buf_printf(err, "listen tcp %s: parse address: %s", l->name, uv_strerror(rv));
		return rv;
	}
	uv_tcp_init(srv->loop, &l->tcp);
	l->srv = srv;
	l->tcp.data = l;
	srv->ntcp++;
	srv->handles++;
	const char *op = "bind";
	rv = uv_tcp_bind(&l->tcp, (const struct sockaddr *)&ss, v6 ? UV_TCP_IPV6ONLY : 0);
	if (!rv) {
		rv = uv_listen((uv_stream_t *)&l->tcp, 1024, on_connection);
		if (rv != UV_EADDRINUSE && rv != UV_EADDRNOTAVAIL && rv != UV_EACCES)
			op = "listen";
	}
	if (rv)
		buf_printf(err, "listen tcp %s: %s: %s", l->name, op, uv_strerror(rv));
	return rv;
}

static void rec_closed(void *arg)
{
	struct dns_server *srv = arg;
	srv->rec_open = false;
	server_maybe_free(srv);
}

int dns_server_start(uv_loop_t *loop, const struct dns_server_config *cfg, struct dns_server **out,
		     struct buf *err)
{
	*out = NULL;
	size_t n = 0;
	while (cfg->addrs && cfg->addrs[n])
		n++;
	struct dns_server *srv = xcalloc(1, sizeof(*srv));
	srv->loop = loop;
	srv->view = *cfg->view;
	srv->udp = xcalloc(n ? n : 1, sizeof(*srv->udp));
	srv->tcp = xcalloc(n ? n : 1, sizeof(*srv->tcp));
	srv->rbuf = xmalloc(UDP_BATCH * UDP_DGRAM);
	srv->out = xmalloc(DNS_MSG_MAX);
	srv->batch.arena = xmalloc(UDP_ARENA);
	dns_recursor_init(&srv->rec, loop, &srv->view);
	srv->rec_open = true;
	for (size_t i = 0; i < n; i++) {
		int rv = listen_udp(srv, cfg->addrs[i], cfg->port, err);
		if (!rv)
			rv = listen_tcp(srv, cfg->addrs[i], cfg->port, err);
		if (rv) {
			dns_server_close(srv, NULL, NULL);
			return rv;
		}
	}
	for (size_t i = 0; i < n; i++) {
		log_info("agent", "Started DNS server: address=%s network=udp", srv->udp[i].name);
		log_info("agent", "Started DNS server: address=%s network=tcp", srv->tcp[i].name);
	}
	*out = srv;
	return 0;
}

void dns_server_close(struct dns_server *srv, void (*cb)(void *arg), void *arg)
{
	if (srv->closing)
		return;
	srv->closing = true;
	srv->batch.n = 0; /* (closing is never called inside a batch) */
	srv->close_cb = cb;
	srv->close_arg = arg;
	for (size_t i = 0; i < srv->nudp; i++)
		uv_close((uv_handle_t *)&srv->udp[i].udp, udp_closed);
	for (size_t i = 0; i < srv->ntcp; i++)
		uv_close((uv_handle_t *)&srv->tcp[i].tcp, tcp_closed);
	for (struct tconn *c = srv->conns; c; c = c->next)
		tconn_close(c);
	/* pending queries come back with no answer; connections they held go */
	dns_recursor_close(&srv->rec, rec_closed, srv);
}
