/* The DNS server's UDP path (see server.c): recvmmsg batches in, answered
 * through the answer cache (cached.h), one sendmmsg of their replies out, a
 * bounded queue of copies when the socket buffer is full. */
#include "dns/server_int.h"

#include "dns/cached.h"

#include "base/alloc.h"
#include "base/log.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int dns_udp_socket(const struct sockaddr *sa, bool shared)
{
	int fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return uv_translate_sys_error(errno);
	int on = 1;
	if ((shared && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0) ||
	    (sa->sa_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0) ||
	    bind(fd, sa, addr_len(sa)) != 0) {
		int err = uv_translate_sys_error(errno);
		close(fd);
		return err;
	}
	return fd;
}

/* ---- UDP ---- */

static void udp_sent(uv_udp_send_t *req, int status)
{
	free(req->data);
}

void dns_udp_reply(struct udp_listener *l, const struct sockaddr *to, const uint8_t *p, size_t n)
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

/* Sends the batch: one sendmmsg on the socket, the rest (a full socket
 * buffer) through dns_udp_reply's queue. */
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
		dns_udp_reply(bt->l, (const struct sockaddr *)&bt->peers[i], bt->iov[i].iov_base,
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

/* The answer to pkt in out (room for DNS_MSG_MAX): cache first. */
static enum dns_outcome respond(struct dns_server *srv, const uint8_t *pkt, size_t len,
				uint8_t *out, size_t *n)
{
	if (srv->client) /* what its empty store says is not cached */
		return dns_respond(&srv->view, pkt, len, 0, out, n);
	return dns_cached_respond(srv->cache, &srv->view, dns_cache_now_ms(), pkt, len, out, n);
}

void dns_udp_answer(struct dns_server *srv, struct udp_listener *l, const struct sockaddr *from,
		    const uint8_t *pkt, size_t len)
{
	size_t n = 0;
	enum dns_outcome o = respond(srv, pkt, len, srv->out, &n);
	switch (o) {
	case DNS_REPLY:
	case DNS_OTHER_DC:
	case DNS_QUERY_FAILOVER:
		if (!dns_hand_off_outcome(srv, o, srv->out, n, l, from, NULL, pkt, len))
			dns_udp_reply(l, from, srv->out, n);
		break;
	case DNS_RECURSE:
		dns_hand_off(srv, l, from, NULL, pkt, len);
		break;
	case DNS_DROP:
		break;
	}
}

void dns_udp_renew(struct dns_server *srv, const uint8_t *pkt, size_t len)
{
	size_t n = 0;
	/* the entry is older than the loop accepts, so this rebuilds it; what
	 * comes out (a reply, or anything else if the data moved) goes nowhere
	 * (only servers have workers, so the cache is in use) */
	dns_cached_respond(srv->cache, &srv->view, dns_cache_now_ms(), pkt, len, srv->out, &n);
}

void dns_udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct udp_listener *l = h->data;
	*b = uv_buf_init((char *)l->srv->rbuf, UDP_BATCH * UDP_DGRAM);
}

void dns_udp_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *b, const struct sockaddr *from,
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
	enum dns_outcome o = respond(srv, pkt, (size_t)nread, out, &n);
	switch (o) {
	case DNS_OTHER_DC:
	case DNS_QUERY_FAILOVER:
	case DNS_REPLY:
		if (dns_hand_off_outcome(srv, o, out, n, l, from, NULL, pkt, (size_t)nread))
			break;
		if (batched)
			batch_add(srv, l, from, n);
		else
			dns_udp_reply(l, from, out, n);
		break;
	case DNS_RECURSE:
		/* refused when overloaded: drop, the client will retry */
		dns_hand_off(srv, l, from, NULL, pkt, (size_t)nread);
		break;
	case DNS_DROP:
		break;
	}
}
