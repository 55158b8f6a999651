/*
 * The UDP workers: threads that answer DNS queries from the answer cache
 * (cache.h), so cached answers scale past the one loop thread.
 *
 * Model. One worker thread per CPU the process may run on (its affinity mask
 * at start), at most DNS_WORKERS_MAX, each pinned to its CPU. For every UDP
 * listener each worker binds its own socket to the same address and port;
 * all have SO_REUSEPORT, the loop's socket first in the group. A small
 * classic BPF program on the group sends a datagram to the socket of the
 * worker pinned to the CPU that is processing it (for loopback, the sender's
 * CPU; for a NIC, the CPU of its receive queue); a CPU without a worker of its
 * own maps onto one by its number modulo the count. So a query is read by a
 * thread on the CPU where it arrived: no wake-up crosses CPUs, and two
 * workers never queue behind each other on one CPU while the other idles.
 * (Measured on two CPUs against one unpinned worker and datagrams spread at
 * random, docs/benchmarks.md: at 200k qps the p99 went from 5.7-5.8 ms to
 * 2.3-2.6 ms, and the most qps from 201-266k to 330-352k.)
 *
 * A worker reads batches with recvmmsg, answers every query the cache holds
 * under one lock of the cache per batch, and sends the batch's replies with
 * one sendmmsg. It takes entries up to DNS_CACHE_MAX_MS old; the first time it
 * serves one older than DNS_CACHE_RENEW_MS it queues a renewal for the loop
 * (answered to nobody: the loop only rebuilds the entry), so in steady
 * traffic no worker waits for the loop to renew an entry. A miss (absent,
 * stale, not cacheable) is copied into the same queue and the loop thread is
 * woken with uv_async_send; the loop answers it with the normal path
 * (dns_udp_answer: dns_cached_respond, which also fills the cache; the
 * recursors when needed) and sends from its own socket, which has
 * the same address and port, so the client sees the source it asked. With a
 * wildcard address no socket picks a source address itself: the kernel
 * chooses it for each, as for the loop's socket alone. The loop's socket
 * still reads: the BPF program never picks it, but the kernel falls back to
 * its hash over the whole group while the group is being built.
 *
 * Why threads, when DESIGN.md has one loop thread own all state: a worker
 * owns no state and reads none of the loop's. What they share is
 *   - the cache: immutable entries behind the cache's mutex (a hit is a
 *     memcpy under it; the renewal mark is written under it);
 *   - the store's generation: one atomic counter (store_generation), read
 *     after each recvmmsg returns, so a write acknowledged before the client
 *     sent its query is always seen: a changed generation makes every entry
 *     stale and the query goes to the loop;
 *   - the miss queue: its own mutex; uv_async_send is libuv's thread-safe call.
 * They never read the store, the configuration or any handle of the loop, and
 * do not log (the logger is the loop's).
 *
 * Only started when the process may run on at least two CPUs: on one CPU the
 * threads would take turns with the loop, adding switches and lock traffic
 * and no throughput. Pinning is best effort (a refused mask leaves the thread
 * free; the steering still spreads the datagrams).
 *
 * Stop (dns_worker_stop, loop thread): set the stop flag, wake every thread
 * through one eventfd they all poll with their sockets (never read, so it
 * stays readable), join them, close their sockets, free what was still
 * queued, and close the async handle (the server counts it among its handles).
 */
#include "dns/server_int.h"

#include "dns/cached.h"

#include "base/alloc.h"
#include "base/log.h"
#include "state/store.h"

#include <errno.h>
#include <linux/filter.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define WK_BATCH	32   /* datagrams per recvmmsg */
#define WK_QUEUE_MAX	4096 /* misses waiting for the loop; more are dropped */
#define WK_SEND_WAIT_MS 10   /* longest wait for room in a full send buffer */

/* A query a worker could not answer, or one whose entry wants renewing. */
struct wmiss {
	struct wmiss *next;	      /* queue order */
	size_t li;		      /* srv->udp index of the listener */
	bool renew;		      /* answered already: only rebuild the entry */
	struct sockaddr_storage peer; /* the client */
	size_t len;		      /* bytes in pkt */
	uint8_t pkt[];		      /* the query */
};

/* What a worker did with one datagram of a batch. */
enum wfate { W_ANSWERED, W_MISS, W_RENEW };

/* One thread: its sockets and buffers. */
struct wthread {
	struct dns_worker *w;			       /* shared part */
	pthread_t th;				       /* the thread */
	bool running;				       /* pthread_create succeeded */
	int *fds;				       /* its sockets, index = listener index */
	struct pollfd *pfds;			       /* fds then the eventfd */
	uint64_t rng;				       /* xorshift state (variant choice) */
	uint8_t *rbuf;				       /* WK_BATCH * UDP_DGRAM: queries */
	uint8_t *obuf;				       /* WK_BATCH * DNS_CACHE_REPLY_MAX: replies */
	enum wfate fate[WK_BATCH];		       /* per datagram of the batch */
	struct mmsghdr rmsg[WK_BATCH], smsg[WK_BATCH]; /* recvmmsg / sendmmsg */
	struct iovec riov[WK_BATCH], siov[WK_BATCH];   /* their buffers */
	struct sockaddr_storage peers[WK_BATCH];       /* the clients */
};

struct dns_worker {
	struct dns_server *srv;	   /* loop side only (the async callback) */
	atomic_bool stop;	   /* set by dns_worker_stop */
	int efd;		   /* eventfd: wakes every thread's poll to stop */
	size_t n;		   /* listeners (= srv->nudp) */
	struct dns_cache *cache;   /* shared with the loop */
	const struct store *store; /* store_generation only */
	uv_async_t async;	   /* data = this: misses are waiting */
	pthread_mutex_t mu;	   /* guards head, tail, queued */
	struct wmiss *head, *tail; /* the miss queue */
	size_t queued;		   /* its length */
	size_t nt;		   /* threads */
	struct wthread *t;	   /* them */
};

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* ---- a thread ---- */

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

/* Copies the batch's misses and renewals into the loop's queue. */
static void queue_for_loop(struct wthread *t, size_t li, size_t got)
{
	struct dns_worker *w = t->w;
	struct wmiss *first = NULL, **link = &first, *last = NULL;
	size_t k = 0;
	for (size_t j = 0; j < got; j++) {
		if (t->fate[j] == W_ANSWERED)
			continue;
		size_t len = t->rmsg[j].msg_len;
		struct wmiss *m = xmalloc(sizeof(*m) + len);
		m->next = NULL;
		m->li = li;
		m->renew = t->fate[j] == W_RENEW;
		memcpy(&m->peer, &t->peers[j], sizeof(m->peer));
		m->len = len;
		memcpy(m->pkt, t->rbuf + j * UDP_DGRAM, len);
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
static bool serve(struct wthread *t, size_t li)
{
	struct dns_worker *w = t->w;
	for (size_t j = 0; j < WK_BATCH; j++) {
		t->riov[j].iov_base = t->rbuf + j * UDP_DGRAM;
		t->riov[j].iov_len = UDP_DGRAM;
		memset(&t->rmsg[j], 0, sizeof(t->rmsg[j]));
		t->rmsg[j].msg_hdr.msg_name = &t->peers[j];
		t->rmsg[j].msg_hdr.msg_namelen = sizeof(t->peers[j]);
		t->rmsg[j].msg_hdr.msg_iov = &t->riov[j];
		t->rmsg[j].msg_hdr.msg_iovlen = 1;
	}
	int got = recvmmsg(t->fds[li], t->rmsg, WK_BATCH, MSG_DONTWAIT, NULL);
	if (got <= 0)
		return false;
	/* read after the datagrams arrived: every write acknowledged before the
	 * clients sent them has moved it already */
	uint64_t gen = w->store ? store_generation(w->store) : 0;
	uint64_t now = dns_cache_now_ms();
	size_t ns = 0, nloop = 0;
	dns_cache_lock(w->cache);
	for (size_t j = 0; j < (size_t)got; j++) {
		const struct mmsghdr *r = &t->rmsg[j];
		t->fate[j] = W_ANSWERED;
		if (r->msg_hdr.msg_flags & MSG_TRUNC)
			continue; /* cannot be a DNS query (UDP_DGRAM is UDP's most) */
		uint8_t *out = t->obuf + ns * DNS_CACHE_REPLY_MAX;
		bool renew = false;
		size_t n = dns_cache_get_locked(w->cache, t->rbuf + j * UDP_DGRAM, r->msg_len, gen,
						now, DNS_CACHE_MAX_MS, xorshift(&t->rng), out,
						DNS_CACHE_REPLY_MAX, &renew);
		if (!n || renew) {
			t->fate[j] = n ? W_RENEW : W_MISS;
			nloop++;
		}
		if (!n)
			continue;
		t->siov[ns].iov_base = out;
		t->siov[ns].iov_len = n;
		memset(&t->smsg[ns], 0, sizeof(t->smsg[ns]));
		t->smsg[ns].msg_hdr.msg_name = &t->peers[j];
		t->smsg[ns].msg_hdr.msg_namelen = r->msg_hdr.msg_namelen;
		t->smsg[ns].msg_hdr.msg_iov = &t->siov[ns];
		t->smsg[ns].msg_hdr.msg_iovlen = 1;
		ns++;
	}
	dns_cache_unlock(w->cache);
	send_all(t->fds[li], t->smsg, ns);
	if (nloop)
		queue_for_loop(t, li, (size_t)got);
	return true;
}

static void *run(void *arg)
{
	struct wthread *t = arg;
	struct dns_worker *w = t->w;
	while (!atomic_load_explicit(&w->stop, memory_order_acquire)) {
		bool any = false;
		for (size_t i = 0; i < w->n; i++)
			any |= serve(t, i);
		if (any)
			continue;
		for (size_t i = 0; i <= w->n; i++)
			t->pfds[i].revents = 0;
		if (poll(t->pfds, w->n + 1, -1) < 0 && errno != EINTR)
			break; /* cannot wait: the loop's sockets still answer everything */
		if (t->pfds[w->n].revents)
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
		if (!srv->closing && m->renew)
			dns_udp_renew(srv, m->pkt, m->len);
		else if (!srv->closing)
			dns_udp_answer(srv, &srv->udp[m->li], (const struct sockaddr *)&m->peer,
				       m->pkt, m->len);
		free(m);
		m = next;
	}
}

size_t dns_worker_cpus(int *cpus)
{
	cpu_set_t set;
	size_t n = 0;
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		for (int c = 0; c < CPU_SETSIZE && n < DNS_WORKERS_MAX; c++)
			if (CPU_ISSET(c, &set))
				cpus[n++] = c;
		return n;
	}
	long on = sysconf(_SC_NPROCESSORS_ONLN);
	for (int c = 0; c < on && n < DNS_WORKERS_MAX; c++)
		cpus[n++] = c;
	return n;
}

/*
 * Steers the group's datagrams by the CPU processing them (see the model):
 * worker k's socket is at index k + 1 of the group (the loop's is 0). A
 * table of jumps, cpu == cpus[k] -> k + 1, then cpu % nt + 1 for the rest.
 * Best effort: without it the kernel hashes by client address and port.
 */
static void steer_by_cpu(int fd, const int *cpus, size_t nt)
{
	struct sock_filter code[2 * DNS_WORKERS_MAX + 4];
	size_t n = 0;
	code[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 (uint32_t)(SKF_AD_OFF + SKF_AD_CPU));
	for (size_t k = 0; k < nt; k++) {
		code[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
							 (uint32_t)cpus[k], 0, 1);
		code[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (uint32_t)(k + 1));
	}
	code[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, (uint32_t)nt);
	code[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1);
	code[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
	struct sock_fprog prog = {(unsigned short)n, code};
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) != 0)
		log_debug("agent.dns", "workers: no steering by CPU: %s", strerror(errno));
}

static void worker_free(struct dns_worker *w)
{
	for (size_t k = 0; k < w->nt; k++) {
		struct wthread *t = &w->t[k];
		for (size_t i = 0; t->fds && i < w->n; i++)
			if (t->fds[i] >= 0)
				close(t->fds[i]);
		free(t->fds);
		free(t->pfds);
		free(t->rbuf);
		free(t->obuf);
	}
	if (w->efd >= 0)
		close(w->efd);
	while (w->head) {
		struct wmiss *next = w->head->next;
		free(w->head);
		w->head = next;
	}
	pthread_mutex_destroy(&w->mu);
	free(w->t);
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

/* Joins every running thread and closes every socket (they leave the group). */
static void stop_threads(struct dns_worker *w)
{
	atomic_store_explicit(&w->stop, true, memory_order_release);
	uint64_t one = 1;
	if (w->efd >= 0)
		while (write(w->efd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
	for (size_t k = 0; k < w->nt; k++) {
		struct wthread *t = &w->t[k];
		if (t->running)
			pthread_join(t->th, NULL);
		t->running = false;
		for (size_t i = 0; i < w->n; i++) {
			if (t->fds[i] >= 0)
				close(t->fds[i]);
			t->fds[i] = -1;
		}
	}
}

/* Thread k's sockets, one per listener (each the address and port of the
 * loop's); 0 or a libuv error. */
static int bind_thread(struct dns_worker *w, struct wthread *t)
{
	struct dns_server *srv = w->srv;
	for (size_t i = 0; i < w->n; i++) {
		struct udp_listener *l = &srv->udp[i];
		struct sockaddr_storage ss;
		int lfd;
		socklen_t sl = sizeof(ss);
		if (uv_fileno((uv_handle_t *)&l->udp, &lfd) ||
		    getsockname(lfd, (struct sockaddr *)&ss, &sl) != 0)
			return UV_EBADF;
		int fd = dns_udp_socket((const struct sockaddr *)&ss, true);
		if (fd < 0) {
			log_warn("agent", "DNS worker cannot bind %s: %s", l->name,
				 uv_strerror(fd));
			return fd;
		}
		t->fds[i] = fd;
		int size = UDP_RCVBUF; /* as the loop's socket (best effort) */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		t->pfds[i] = (struct pollfd){.fd = fd, .events = POLLIN};
	}
	t->pfds[w->n] = (struct pollfd){.fd = w->efd, .events = POLLIN};
	return 0;
}

int dns_worker_start(struct dns_server *srv, const int *cpus, size_t nt)
{
	struct dns_worker *w = xcalloc(1, sizeof(*w));
	w->srv = srv;
	w->n = srv->nudp;
	w->cache = srv->cache;
	w->store = srv->view.store;
	w->nt = nt;
	w->t = xcalloc(nt, sizeof(*w->t));
	pthread_mutex_init(&w->mu, NULL);
	atomic_init(&w->stop, false);
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int rv = w->efd < 0 ? uv_translate_sys_error(errno) : 0;
	for (size_t k = 0; k < nt; k++) {
		struct wthread *t = &w->t[k];
		t->w = w;
		t->fds = xmalloc((w->n ? w->n : 1) * sizeof(*t->fds));
		for (size_t i = 0; i < w->n; i++)
			t->fds[i] = -1;
		t->pfds = xcalloc(w->n + 1, sizeof(*t->pfds));
		t->rng = ((uint64_t)(uintptr_t)t ^ 0x9E3779B97F4A7C15ULL) | 1;
		t->rbuf = xmalloc(WK_BATCH * UDP_DGRAM);
		t->obuf = xmalloc(WK_BATCH * DNS_CACHE_REPLY_MAX);
		if (!rv)
			rv = bind_thread(w, t);
	}
	if (rv) {
		worker_free(w);
		return rv;
	}
	for (size_t i = 0; i < w->n; i++)
		steer_by_cpu(w->t[0].fds[i], cpus, nt);
	uv_async_init(srv->loop, &w->async, on_misses);
	w->async.data = w;
	srv->handles++;
	srv->worker = w;
	for (size_t k = 0; k < nt && !rv; k++) {
		struct wthread *t = &w->t[k];
		rv = pthread_create(&t->th, NULL, run, t);
		if (rv)
			break;
		t->running = true;
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(cpus[k], &one);
		pthread_setaffinity_np(t->th, sizeof(one), &one); /* best effort */
		pthread_setname_np(t->th, "cairn-dns-udp");	  /* top -H, bench/dns.sh */
	}
	if (rv) { /* leave the group before more arrives: the loop answers alone */
		srv->worker = NULL;
		stop_threads(w);
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
	stop_threads(w);
	uv_close((uv_handle_t *)&w->async, async_closed);
}
