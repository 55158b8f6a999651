/*
 * The DNS server's drivers (see server.h): listeners, the hand-off to the
 * recursors and shutdown here; the UDP path in udp.c, TCP connections in tcp.c.
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
#include "dns/server_int.h"

#include "base/alloc.h"
#include "base/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void dns_server_maybe_free(struct dns_server *srv)
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
	dns_cache_free(srv->cache);
	free(srv);
	if (cb)
		cb(arg);
}

static void on_recursed(void *arg, const uint8_t *resp, size_t len)
{
	struct pending *p = arg;
	if (p->udp) {
		if (resp && !p->srv->closing)
			dns_udp_reply(p->udp, (const struct sockaddr *)&p->peer, resp, len);
	} else {
		struct tconn *c = p->conn;
		c->pending--;
		if (resp && !c->closing)
			dns_tconn_send(c, resp, len);
		if (!c->closing)
			dns_tconn_maybe_finish(c);
		dns_tconn_unref(c);
	}
	free(p);
}

/* Hands a query to the recursors; false when they refused it (busy). */
bool dns_hand_off(struct dns_server *srv, struct udp_listener *l, const struct sockaddr *peer,
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

/* ---- questions another agent answers (client agents; other datacenters) ---- */

struct remote {
	struct remote *next, **pprev; /* srv->remotes */
	struct dns_server *srv;
	struct udp_listener *udp;     /* UDP: the socket it came in on, else NULL */
	struct tconn *conn;	      /* TCP: the connection (holds c->pending) */
	struct sockaddr_storage peer; /* UDP: the client */
	void *handle;		      /* remote_ask's */
	size_t len;
	uint8_t pkt[]; /* the question, for a SERVFAIL */
};

/* Forget r; cancel: the server's answer is no longer wanted. */
static void remote_drop(struct remote *r, bool cancel)
{
	*r->pprev = r->next;
	if (r->next)
		r->next->pprev = r->pprev;
	if (cancel && r->handle)
		r->srv->remote_cancel(r->handle);
	if (r->conn) {
		r->conn->pending--;
		if (!r->conn->closing)
			dns_tconn_maybe_finish(r->conn);
		dns_tconn_unref(r->conn);
	}
	free(r);
}

static void remote_send(struct dns_server *srv, struct udp_listener *l, const struct sockaddr *peer,
			struct tconn *c, const uint8_t *resp, size_t len)
{
	if (c) {
		if (!c->closing)
			dns_tconn_send(c, resp, len);
	} else if (!srv->closing) {
		dns_udp_reply(l, peer, resp, len);
	}
}

static void remote_servfail(struct dns_server *srv, struct udp_listener *l,
			    const struct sockaddr *peer, struct tconn *c, const uint8_t *pkt,
			    size_t len)
{
	uint8_t out[DNS_UDP_PLAIN];
	size_t n = 0;
	/* the header and question fit: they came in one datagram or message */
	if (len <= sizeof(out) &&
	    dns_respond_error(pkt, len, 2 /* SERVFAIL */, out, &n) == DNS_REPLY)
		remote_send(srv, l, peer, c, out, n);
}

static void on_remote(void *tok, const uint8_t *resp, size_t len)
{
	struct remote *r = tok;
	struct dns_server *srv = r->srv;
	r->handle = NULL;
	const struct sockaddr *peer = (const struct sockaddr *)&r->peer;
	if (resp)
		remote_send(srv, r->udp, peer, r->conn, resp, len);
	else
		remote_servfail(srv, r->udp, peer, r->conn, r->pkt, r->len);
	remote_drop(r, false);
}

void dns_remote_hand_off(struct dns_server *srv, const struct dns_ask *what, struct udp_listener *l,
			 const struct sockaddr *peer, struct tconn *c, const uint8_t *pkt,
			 size_t len)
{
	if (!srv->remote_ask) {
		if (what->flen)
			remote_send(srv, l, peer, c, what->fallback, what->flen);
		else
			remote_servfail(srv, l, peer, c, pkt, len);
		return;
	}
	struct remote *r = xcalloc(1, sizeof(*r) + len);
	r->srv = srv;
	r->udp = l;
	r->conn = c;
	if (peer)
		memcpy(&r->peer, peer, addr_len(peer));
	r->len = len;
	memcpy(r->pkt, pkt, len);
	r->next = srv->remotes;
	if (r->next)
		r->next->pprev = &r->next;
	r->pprev = &srv->remotes;
	srv->remotes = r;
	if (c)
		c->pending++;
	r->handle = srv->remote_ask(srv->remote_ctx, what, pkt, len, c != NULL, on_remote, r);
	if (!r->handle)
		on_remote(r, what->flen ? what->fallback : NULL, what->flen);
}

bool dns_hand_off_outcome(struct dns_server *srv, enum dns_outcome o, const uint8_t *out, size_t n,
			  struct udp_listener *l, const struct sockaddr *peer, struct tconn *c,
			  const uint8_t *pkt, size_t len)
{
	struct dns_ask what = {0};
	if (srv->client && (o == DNS_REPLY || o == DNS_OTHER_DC || o == DNS_QUERY_FAILOVER)) {
		dns_remote_hand_off(srv, &what, l, peer, c, pkt, len);
		return true;
	}
	if (o == DNS_OTHER_DC) {
		what.dc = (const char *)out;
		dns_remote_hand_off(srv, &what, l, peer, c, pkt, len);
		return true;
	}
	if (o == DNS_QUERY_FAILOVER) {
		what.failover = true;
		what.fallback = out;
		what.flen = n;
		dns_remote_hand_off(srv, &what, l, peer, c, pkt, len);
		return true;
	}
	return false;
}

/* ---- listeners ---- */

static void listener_closed(struct dns_server *srv)
{
	srv->handles--;
	dns_server_maybe_free(srv);
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

/* Binds the loop's UDP socket for l. When the worker will share the port
 * (srv->shared_udp), the socket has SO_REUSEPORT, and a probe without it is
 * bound first so that a port another process holds is still "address already
 * in use" rather than a silently shared port. */
static int bind_udp(struct dns_server *srv, struct udp_listener *l,
		    const struct sockaddr_storage *ss, int port)
{
	const struct sockaddr *sa = (const struct sockaddr *)ss;
	if (srv->shared_udp && port != 0) {
		int probe = dns_udp_socket(sa, false);
		if (probe < 0)
			return probe;
		close(probe);
	}
	int fd = dns_udp_socket(sa, srv->shared_udp);
	if (fd < 0)
		return fd;
	int rv = uv_udp_open(&l->udp, fd);
	if (rv) {
		close(fd);
		return rv;
	}
	/* uv_udp_open sets SO_REUSEADDR, which for UDP would let any other socket
	 * with it bind the same address and port: off again, as uv_udp_bind leaves it */
	int off = 0;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &off, sizeof(off));
	return 0;
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
	/* no socket yet (AF_UNSPEC): bind_udp makes it */
	rv = uv_udp_init_ex(srv->loop, &l->udp, AF_UNSPEC | UV_UDP_RECVMMSG);
	if (rv) {
		buf_printf(err, "listen udp %s: socket: %s", l->name, uv_strerror(rv));
		return rv;
	}
	l->srv = srv;
	l->udp.data = l;
	srv->nudp++;
	srv->handles++;
	const char *op = "bind";
	rv = bind_udp(srv, l, &ss, port);
	if (!rv) {
		int size = UDP_RCVBUF;
		uv_recv_buffer_size((uv_handle_t *)&l->udp, &size); /* best effort */
		op = "read";
		rv = uv_udp_recv_start(&l->udp, dns_udp_alloc, dns_udp_recv);
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
		rv = uv_listen((uv_stream_t *)&l->tcp, 1024, dns_tcp_on_connection);
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
	dns_server_maybe_free(srv);
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
	srv->cache = dns_cache_new(DNS_CACHE_MAX_MS);
	srv->client = cfg->client;
	srv->remote_ask = cfg->remote_ask;
	srv->remote_cancel = cfg->remote_cancel;
	srv->remote_ctx = cfg->remote_ctx;
	/* the workers only pay with a second CPU to run on (worker.c), and
	 * serve cached local answers, which a client agent does not have */
	int cpus[DNS_WORKERS_MAX];
	size_t ncpus = dns_worker_cpus(cpus);
	srv->shared_udp = n > 0 && ncpus >= 2 && !srv->client;
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
	if (srv->shared_udp) {
		int rv = dns_worker_start(srv, cpus, ncpus);
		if (rv)
			log_warn("agent",
				 "DNS UDP workers not started (%s): the loop answers alone",
				 uv_strerror(rv));
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
	dns_worker_stop(srv); /* joins the threads first: nothing answers after this */
	for (size_t i = 0; i < srv->nudp; i++)
		uv_close((uv_handle_t *)&srv->udp[i].udp, udp_closed);
	for (size_t i = 0; i < srv->ntcp; i++)
		uv_close((uv_handle_t *)&srv->tcp[i].tcp, tcp_closed);
	for (struct tconn *c = srv->conns; c; c = c->next)
		dns_tconn_close(c);
	while (srv->remotes)
		remote_drop(srv->remotes, true);
	/* pending queries come back with no answer; connections they held go */
	dns_recursor_close(&srv->rec, rec_closed, srv);
}

void dns_server_config_changed(struct dns_server *srv)
{
	if (srv)
		dns_cache_clear(srv->cache);
}
