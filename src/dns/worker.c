/*
 * The UDP worker: a second thread that answers DNS queries from the answer
 * cache (cache.h), so cached answers scale past the one loop thread.
 *
 * Model. For every UDP listener the worker binds its own socket to the same
 * address and port; both have SO_REUSEPORT, and a small classic BPF program on
 * the group spreads datagrams over the two sockets at random (without it the
 * kernel hashes by client address and port, and a few busy clients can all
 * land on one socket). The worker reads batches with recvmmsg, answers every
 * query the cache holds under one lock of the cache per batch, and sends the
 * batch's replies with one sendmmsg. It takes entries up to DNS_CACHE_MAX_MS
 * old, while the loop rebuilds them from DNS_CACHE_RENEW_MS on its own
 * queries, so in steady traffic the worker never waits for the loop to renew
 * an entry. A miss (absent, stale, not cacheable) is
 * copied into a queue and the loop thread is woken with uv_async_send; the
 * loop answers it with the normal path (dns_cached_respond, which also fills
 * the cache; the recursors when needed) and sends from its own socket, which
 * has the same address and port, so the client sees the source it asked.
 * With a wildcard address neither socket picks a source address itself: the
 * kernel chooses it for either, as for the loop's socket alone.
 *
 * Why a thread, when DESIGN.md has one loop thread own all state: the worker
 * owns no state and reads none of the loop's. What it shares is
 *   - the cache: immutable entries behind the cache's mutex (a hit is a
 *     memcpy under it);
 *   - the store's generation: one atomic counter (store_generation), read
 *     after each recvmmsg returns, so a write acknowledged before the client
 *     sent its query is always seen: a changed generation makes every entry
 *     stale and the query goes to the loop;
 *   - the miss queue: its own mutex; uv_async_send is libuv's thread-safe call.
 * It never reads the store, the configuration or any handle of the loop, and
 * does not log (the logger is the loop's).
 *
 * Only started when the machine has at least two CPUs: on one CPU the two
 * threads would take turns on it, adding switches and lock traffic and no
 * throughput (dns_server_start checks sysconf(_SC_NPROCESSORS_ONLN)).
 *
 * Stop (dns_worker_stop, loop thread): set the stop flag, wake the thread
 * through an eventfd it polls with its sockets, join it, close its sockets,
 * free what was still queued, and close the async handle (the server counts
 * it among its handles).
 */
#include "dns/server_int.h"

#include "dns/cached.h"

#include "base/alloc.h"
#include "base/log.h"
#include "state/store.h"

#include <errno.h>
#include <linux/filter.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define WK_BATCH	32   /* datagrams per recvmmsg */
#define WK_QUEUE_MAX	4096 /* misses waiting for the loop; more are dropped */
#define WK_SEND_WAIT_MS 10   /* longest wait for room in a full send buffer */

/* A query the worker could not answer, for the loop. */
struct wmiss {
	struct wmiss *next;	      /* queue order */
	size_t li;		      /* srv->udp index of the listener */
	struct sockaddr_storage peer; /* the client */
	size_t len;		      /* bytes in pkt */
	uint8_t pkt[];		      /* the query */
};

struct dns_worker {
	struct dns_server *srv;	   /* loop side only (the async callback) */
	pthread_t th;		   /* the thread */
	atomic_bool stop;	   /* set by dns_worker_stop */
	int efd;		   /* eventfd: wakes the thread's poll to stop */
	size_t n;		   /* sockets (= srv->nudp) */
	int *fds;		   /* the worker's sockets, index = listener index */
	struct pollfd *pfds;	   /* fds then efd */
	struct dns_cache *cache;   /* shared with the loop */
	const struct store *store; /* store_generation only */
	uv_async_t async;	   /* data = this: misses are waiting */
	pthread_mutex_t mu;	   /* guards head, tail, queued */
	struct wmiss *head, *tail; /* the miss queue */
	size_t queued;		   /* its length */
	uint64_t rng;		   /* xorshift state (variant choice) */
	/* the thread's buffers */
	uint8_t *rbuf;				       /* WK_BATCH * UDP_DGRAM: queries */
	uint8_t *obuf;				       /* WK_BATCH * DNS_CACHE_REPLY_MAX: replies */
	struct mmsghdr rmsg[WK_BATCH], smsg[WK_BATCH]; /* recvmmsg / sendmmsg */
	struct iovec riov[WK_BATCH], siov[WK_BATCH];   /* their buffers */
	struct sockaddr_storage peers[WK_BATCH];       /* the clients */
};

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* ---- the thread ---- */

static void send_all(int fd, struct mmsghdr *m, size_t n)
{
	size_t sent = 0;
	while (sent < n) {
		int rv = sendmmsg(fd, m + sent, (unsigned)(n - sent), MSG_DONTWAIT);
		if (rv > 0)
			sent += (size_t)rv;
		else if (rv < 0 && errno == EINTR)
			continue;
		else if (rv < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* the socket buffer is full: wait a little for room (the loop
			 * queues copies instead), then drop, as the kernel would */
			struct pollfd pf = {.fd = fd, .events = POLLOUT};
			if (poll(&pf, 1, WK_SEND_WAIT_MS) <= 0)
				return;
		} else
			sent++; /* this client cannot be sent to: drop its reply */
	}
}

static void queue_misses(struct dns_worker *w, size_t li, const bool *miss, size_t got)
{
	struct wmiss *first = NULL, **link = &first, *last = NULL;
	size_t k = 0;
	for (size_t j = 0; j < got; j++) {
		if (!miss[j])
			continue;
		size_t len = w->rmsg[j].msg_len;
		struct wmiss *m = xmalloc(sizeof(*m) + len);
		m->next = NULL;
		m->li = li;
		memcpy(&m->peer, &w->peers[j], sizeof(m->peer));
		m->len = len;
		memcpy(m->pkt, w->rbuf + j * UDP_DGRAM, len);
		*link = last = m;
		link = &m->next;
		k++;
	}
	if (!first)
		return;
	pthread_mutex_lock(&w->mu);
	bool room = w->queued + k <= WK_QUEUE_MAX;
	if (room) {
		if (w->tail)
			w->tail->next = first;
		else
			w->head = first;
		w->tail = last;
		w->queued += k;
	}
	pthread_mutex_unlock(&w->mu);
	if (!room) { /* the loop is behind: drop, the clients will retry */
		while (first) {
			struct wmiss *next = first->next;
			free(first);
			first = next;
		}
		return;
	}
	uv_async_send(&w->async);
}

/* One recvmmsg batch on socket li; false when there was nothing to read. */
static bool serve(struct dns_worker *w, size_t li)
{
	for (size_t j = 0; j < WK_BATCH; j++) {
		w->riov[j].iov_base = w->rbuf + j * UDP_DGRAM;
		w->riov[j].iov_len = UDP_DGRAM;
		memset(&w->rmsg[j], 0, sizeof(w->rmsg[j]));
		w->rmsg[j].msg_hdr.msg_name = &w->peers[j];
		w->rmsg[j].msg_hdr.msg_namelen = sizeof(w->peers[j]);
		w->rmsg[j].msg_hdr.msg_iov = &w->riov[j];
		w->rmsg[j].msg_hdr.msg_iovlen = 1;
	}
	int got = recvmmsg(w->fds[li], w->rmsg, WK_BATCH, MSG_DONTWAIT, NULL);
	if (got <= 0)
		return false;
	/* read after the datagrams arrived: every write acknowledged before the
	 * clients sent them has moved it already */
	uint64_t gen = w->store ? store_generation(w->store) : 0;
	uint64_t now = dns_cache_now_ms();
	bool miss[WK_BATCH];
	size_t ns = 0, nmiss = 0;
	dns_cache_lock(w->cache);
	for (size_t j = 0; j < (size_t)got; j++) {
		const struct mmsghdr *r = &w->rmsg[j];
		miss[j] = false;
		if (r->msg_hdr.msg_flags & MSG_TRUNC)
			continue; /* cannot be a DNS query (UDP_DGRAM is UDP's most) */
		uint8_t *out = w->obuf + ns * DNS_CACHE_REPLY_MAX;
		size_t n = dns_cache_get_locked(w->cache, w->rbuf + j * UDP_DGRAM, r->msg_len, gen,
						now, DNS_CACHE_MAX_MS, xorshift(&w->rng), out,
						DNS_CACHE_REPLY_MAX);
		if (!n) {
			miss[j] = true;
			nmiss++;
			continue;
		}
		w->siov[ns].iov_base = out;
		w->siov[ns].iov_len = n;
		memset(&w->smsg[ns], 0, sizeof(w->smsg[ns]));
		w->smsg[ns].msg_hdr.msg_name = &w->peers[j];
		w->smsg[ns].msg_hdr.msg_namelen = r->msg_hdr.msg_namelen;
		w->smsg[ns].msg_hdr.msg_iov = &w->siov[ns];
		w->smsg[ns].msg_hdr.msg_iovlen = 1;
		ns++;
	}
	dns_cache_unlock(w->cache);
	send_all(w->fds[li], w->smsg, ns);
	if (nmiss)
		queue_misses(w, li, miss, (size_t)got);
	return true;
}

static void *run(void *arg)
{
	struct dns_worker *w = arg;
	while (!atomic_load_explicit(&w->stop, memory_order_acquire)) {
		bool any = false;
		for (size_t i = 0; i < w->n; i++)
			any |= serve(w, i);
		if (any)
			continue;
		for (size_t i = 0; i <= w->n; i++)
			w->pfds[i].revents = 0;
		if (poll(w->pfds, w->n + 1, -1) < 0 && errno != EINTR)
			break; /* cannot wait: the loop's sockets still answer everything */
		if (w->pfds[w->n].revents)
			break;
	}
	return NULL;
}

/* ---- the loop side ---- */

static void on_misses(uv_async_t *a)
{
	struct dns_worker *w = a->data;
	pthread_mutex_lock(&w->mu);
	struct wmiss *m = w->head;
	w->head = w->tail = NULL;
	w->queued = 0;
	pthread_mutex_unlock(&w->mu);
	while (m) {
		struct wmiss *next = m->next;
		struct dns_server *srv = w->srv;
		if (!srv->closing)
			dns_udp_answer(srv, &srv->udp[m->li], (const struct sockaddr *)&m->peer,
				       m->pkt, m->len);
		free(m);
		m = next;
	}
}

/* Spreads the group's datagrams over its sockets at random (index = a random
 * bit; both sockets are in the group, the loop's first). Best effort. */
static void steer_random(int fd)
{
	struct sock_filter code[] = {
	    {BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_AD_OFF + SKF_AD_RANDOM)},
	    {BPF_ALU | BPF_AND | BPF_K, 0, 0, 1},
	    {BPF_RET | BPF_A, 0, 0, 0},
	};
	struct sock_fprog prog = {(unsigned short)(sizeof(code) / sizeof(code[0])), code};
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) != 0)
		log_debug("agent.dns", "worker: no random steering: %s", strerror(errno));
}

static void worker_free(struct dns_worker *w)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->fds[i] >= 0)
			close(w->fds[i]);
	if (w->efd >= 0)
		close(w->efd);
	while (w->head) {
		struct wmiss *next = w->head->next;
		free(w->head);
		w->head = next;
	}
	pthread_mutex_destroy(&w->mu);
	free(w->fds);
	free(w->pfds);
	free(w->rbuf);
	free(w->obuf);
	free(w);
}

static void async_closed(uv_handle_t *h)
{
	struct dns_worker *w = h->data;
	struct dns_server *srv = w->srv;
	worker_free(w);
	srv->handles--;
	dns_server_maybe_free(srv);
}

int dns_worker_start(struct dns_server *srv)
{
	struct dns_worker *w = xcalloc(1, sizeof(*w));
	w->srv = srv;
	w->n = srv->nudp;
	w->cache = srv->cache;
	w->store = srv->view.store;
	w->efd = -1;
	w->fds = xmalloc((w->n ? w->n : 1) * sizeof(*w->fds));
	w->pfds = xcalloc(w->n + 1, sizeof(*w->pfds));
	for (size_t i = 0; i < w->n; i++)
		w->fds[i] = -1;
	pthread_mutex_init(&w->mu, NULL);
	atomic_init(&w->stop, false);
	w->rng = (uint64_t)(uintptr_t)w ^ 0x9E3779B97F4A7C15ULL;
	if (w->rng == 0)
		w->rng = 1;
	int rv = 0;
	for (size_t i = 0; i < w->n && !rv; i++) {
		struct udp_listener *l = &srv->udp[i];
		struct sockaddr_storage ss;
		int lfd;
		socklen_t sl = sizeof(ss);
		if (uv_fileno((uv_handle_t *)&l->udp, &lfd) ||
		    getsockname(lfd, (struct sockaddr *)&ss, &sl) != 0) {
			rv = UV_EBADF;
			break;
		}
		int fd = dns_udp_socket((const struct sockaddr *)&ss, true);
		if (fd < 0) {
			rv = fd;
			log_warn("agent", "DNS worker cannot bind %s: %s", l->name,
				 uv_strerror(rv));
			break;
		}
		w->fds[i] = fd;
		int size = UDP_RCVBUF; /* as the loop's socket (best effort) */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		steer_random(fd);
		w->pfds[i] = (struct pollfd){.fd = fd, .events = POLLIN};
	}
	if (!rv) {
		w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (w->efd < 0)
			rv = uv_translate_sys_error(errno);
		w->pfds[w->n] = (struct pollfd){.fd = w->efd, .events = POLLIN};
	}
	if (rv) {
		worker_free(w);
		return rv;
	}
	w->rbuf = xmalloc(WK_BATCH * UDP_DGRAM);
	w->obuf = xmalloc(WK_BATCH * DNS_CACHE_REPLY_MAX);
	uv_async_init(srv->loop, &w->async, on_misses);
	w->async.data = w;
	srv->handles++;
	srv->worker = w;
	rv = pthread_create(&w->th, NULL, run, w);
	if (!rv)
		pthread_setname_np(w->th, "cairn-dns-udp"); /* top -H, bench/dns.sh */
	if (rv) {
		srv->worker = NULL;
		for (size_t i = 0; i < w->n; i++) { /* leave the group before anything arrives */
			close(w->fds[i]);
			w->fds[i] = -1;
		}
		uv_close((uv_handle_t *)&w->async, async_closed);
		return uv_translate_sys_error(rv);
	}
	return 0;
}

void dns_worker_stop(struct dns_server *srv)
{
	struct dns_worker *w = srv->worker;
	if (!w)
		return;
	srv->worker = NULL;
	atomic_store_explicit(&w->stop, true, memory_order_release);
	uint64_t one = 1;
	while (write(w->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	pthread_join(w->th, NULL);
	for (size_t i = 0; i < w->n; i++) {
		close(w->fds[i]);
		w->fds[i] = -1;
	}
	uv_close((uv_handle_t *)&w->async, async_closed);
}
