/*
 * Recursors (see recursor.h for the model).
 *
 * A query (struct dns_rq) owns one timer, the attempt timeout, and at most one
 * live attempt (struct attempt): a socket aimed at one upstream. An attempt
 * that ends (answer, error, timeout) is detached from its query and closed; its
 * memory goes in its close callback, and any late callback of a request on it
 * (send, connect, write: UV_ECANCELED) sees the detached attempt and does
 * nothing. A query ends once (finish): the caller's callback runs, the query
 * leaves the in-flight list and its timer is closed; the close callback frees
 * it. r->handles counts every handle not yet closed, so dns_recursor_close
 * reports completion only when nothing of ours is left on the loop.
 *
 * Starting an attempt never ends the query synchronously: a socket that cannot
 * be set up makes the timer fire at once, so the caller's callback always runs
 * after dns_recurse has returned.
 */
#include "dns/recursor.h"

#include "base/alloc.h"
#include "base/be.h"
#include "base/log.h"
#include "config/config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define RCODE_NOERROR  0
#define RCODE_SERVFAIL 2
#define RCODE_NXDOMAIN 3
#define DEFAULT_PORT   53
#define DEFAULT_WAIT   2000 /* ms, when recursor_timeout is not positive */

struct attempt {
	union {
		uv_handle_t h;
		uv_udp_t udp;
		uv_tcp_t tcp;
	} u;			/* the socket; data = this */
	uv_connect_t connect;	/* TCP connect */
	uv_write_t write;	/* TCP query write */
	uv_udp_send_t send;	/* UDP query send */
	struct dns_recursor *r; /* for the handle count */
	struct dns_rq *q;	/* NULL once detached */
	bool tcp;		/* u.tcp rather than u.udp */
	bool open;		/* u was initialised: close it, free in the callback */
	uint8_t *in;		/* TCP: the framed reply being read */
	size_t in_len;		/* bytes of in used */
	size_t out_len;		/* bytes of out: 2-byte length + query */
	uint8_t out[];		/* the query sent upstream */
};

struct dns_rq {
	struct dns_recursor *r;			       /* owner */
	struct dns_rq *lprev, *lnext;		       /* r->queries */
	dns_recurse_cb cb;			       /* the caller's */
	void *arg;				       /* its argument */
	uv_timer_t timer;			       /* attempt timeout; data = this */
	struct attempt *cur;			       /* live attempt or NULL */
	uint8_t *pkt;				       /* the client's query (copy) */
	size_t len;				       /* its length */
	size_t qend;				       /* end of its question, 0 if unreadable */
	uint16_t client_id;			       /* restored in the reply */
	uint16_t id;				       /* ID of the current attempt */
	bool tcp;				       /* the client came over TCP */
	bool done;				       /* the callback ran */
	size_t nup;				       /* upstreams in up */
	size_t next_up;				       /* index of the next upstream to try */
	struct sockaddr_storage up[DNS_RECURSORS_MAX]; /* in the order to try */
};

static uint16_t fresh_id(struct dns_recursor *r)
{
	if (r->random_used + 2 > sizeof(r->random)) {
		ssize_t n = getrandom(r->random, sizeof(r->random), GRND_NONBLOCK);
		if (n != (ssize_t)sizeof(r->random)) /* early boot: the shuffle source */
			for (size_t i = 0; i < sizeof(r->random); i++)
				r->random[i] = (uint8_t)r->view->rand(r->view->rand_ctx);
		r->random_used = 0;
	}
	uint16_t id = be16_get(r->random + r->random_used);
	r->random_used += 2;
	return id;
}

/* "ip", "ip:port", "[v6]", "[v6]:port" or a bare IPv6 address. */
static bool parse_upstream(const char *s, struct sockaddr_storage *ss)
{
	char host[64];
	const char *port = NULL;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || (size_t)(end - s - 1) >= sizeof(host))
			return false;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = 0;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1])
			return false;
	} else {
		const char *colon = strchr(s, ':');
		size_t n = strlen(s);
		if (colon && !strchr(colon + 1, ':')) { /* one colon: ip:port */
			n = (size_t)(colon - s);
			port = colon + 1;
		}
		if (n >= sizeof(host))
			return false;
		memcpy(host, s, n);
		host[n] = 0;
	}
	long p = DEFAULT_PORT;
	if (port) {
		char *end;
		p = strtol(port, &end, 10);
		if (!*port || *end || p < 1 || p > 65535)
			return false;
	}
	memset(ss, 0, sizeof(*ss));
	if (uv_ip4_addr(host, (int)p, (struct sockaddr_in *)ss) == 0)
		return true;
	return uv_ip6_addr(host, (int)p, (struct sockaddr_in6 *)ss) == 0;
}

/* The upstreams of the current configuration, in the order to try them. */
static void pick_upstreams(struct dns_recursor *r, struct dns_rq *q)
{
	const struct config *cfg = r->view->cfg;
	for (size_t i = 0; i < cfg->recursors.len && q->nup < DNS_RECURSORS_MAX; i++) {
		if (parse_upstream(cfg->recursors.items[i], &q->up[q->nup])) {
			q->nup++;
		} else if (!r->warned_at || uv_now(r->loop) - r->warned_at > 60000) {
			r->warned_at = uv_now(r->loop); /* once a minute, not once a query */
			log_warn("agent.dns", "ignoring recursor %s: not an IP address or ip:port",
				 cfg->recursors.items[i]);
		}
	}
	const char *strategy = cfg->dns_config.recursor_strategy;
	if (strategy && strcmp(strategy, "random") == 0)
		for (size_t i = q->nup; i > 1; i--) { /* Fisher-Yates */
			size_t j = (size_t)(r->view->rand(r->view->rand_ctx) % i);
			struct sockaddr_storage t = q->up[i - 1];
			q->up[i - 1] = q->up[j];
			q->up[j] = t;
		}
}

/* Offset just past the question of a one-question query, 0 when unreadable. */
static size_t question_end(const uint8_t *p, size_t n)
{
	if (n < 12 || be16_get(p + 4) != 1)
		return 0;
	size_t off = 12;
	while (off < n && p[off] != 0) {
		if (p[off] & 0xc0) /* no compression expected in a question */
			return 0;
		off += 1 + (size_t)p[off];
	}
	off += 1 + 4; /* root label, type, class */
	return off <= n ? off : 0;
}

static bool same_question(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tolower(a[i]) != tolower(b[i]))
			return false;
	return true;
}

static void timer_closed(uv_handle_t *h);
static void advance(struct dns_rq *q);

static void attempt_closed(uv_handle_t *h)
{
	struct attempt *a = h->data;
	struct dns_recursor *r = a->r;
	free(a->in);
	free(a);
	r->handles--;
	if (r->closing && r->handles == 0 && r->close_cb) {
		void (*cb)(void *) = r->close_cb;
		r->close_cb = NULL;
		cb(r->close_arg);
	}
}

static void detach(struct dns_rq *q)
{
	struct attempt *a = q->cur;
	if (!a)
		return;
	q->cur = NULL;
	a->q = NULL;
	uv_close(&a->u.h, attempt_closed);
}

/* Ends q: the callback gets resp (client ID already in place) or NULL. */
static void finish(struct dns_rq *q, const uint8_t *resp, size_t len)
{
	struct dns_recursor *r = q->r;
	if (q->done)
		return;
	q->done = true;
	detach(q);
	uv_timer_stop(&q->timer);
	if (q->lprev)
		q->lprev->lnext = q->lnext;
	else
		r->queries = q->lnext;
	if (q->lnext)
		q->lnext->lprev = q->lprev;
	r->inflight--;
	q->cb(q->arg, resp, len);
	uv_close((uv_handle_t *)&q->timer, timer_closed);
}

static void fail_all(struct dns_rq *q)
{
	struct dns_recursor *r = q->r;
	size_t n = 0;
	log_error("agent.dns", "all resolvers failed for question (id %u)", q->client_id);
	if (dns_respond_error(q->pkt, q->len, RCODE_SERVFAIL, r->buf, &n) == DNS_REPLY)
		finish(q, r->buf, n);
	else
		finish(q, NULL, 0);
}

/* The current attempt is over without an answer to relay. */
static void attempt_failed(struct dns_rq *q, const char *why)
{
	log_debug("agent.dns", "recurse failed for question (id %u): %s", q->client_id, why);
	detach(q);
	uv_timer_stop(&q->timer);
	advance(q);
}

/* A reply arrived on the current attempt: relay it, or move on. */
static void on_reply(struct dns_rq *q, uint8_t *p, size_t n)
{
	if (n < 12 || be16_get(p) != q->id || !(p[2] & 0x80))
		return; /* not ours: keep waiting (the timer still runs) */
	if (q->qend && (be16_get(p + 4) != 1 || n < q->qend ||
			!same_question(p + 12, q->pkt + 12, q->qend - 12))) {
		attempt_failed(q, "reply for another question");
		return;
	}
	int rcode = p[3] & 0x0f;
	if (rcode != RCODE_NOERROR && rcode != RCODE_NXDOMAIN) {
		char why[32];
		snprintf(why, sizeof(why), "rcode %d", rcode);
		attempt_failed(q, why);
		return;
	}
	be16_put(p, q->client_id);
	finish(q, p, n);
}

/* ---- UDP attempts ---- */

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct attempt *a = h->data;
	*b = uv_buf_init((char *)a->r->buf, DNS_MSG_MAX);
}

static void udp_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *b, const struct sockaddr *from,
		     unsigned flags)
{
	struct attempt *a = u->data;
	struct dns_rq *q = a->q;
	if (!q || nread == 0)
		return;
	if (nread < 0) { /* ICMP unreachable on the connected socket, ... */
		attempt_failed(q, uv_strerror((int)nread));
		return;
	}
	if (flags & UV_UDP_PARTIAL)
		return;
	on_reply(q, (uint8_t *)b->base, (size_t)nread);
}

static void udp_sent(uv_udp_send_t *req, int status)
{
	struct attempt *a = req->data;
	if (a->q && status < 0)
		attempt_failed(a->q, uv_strerror(status));
}

static int start_udp(struct dns_recursor *r, struct attempt *a, const struct sockaddr *to)
{
	int err = uv_udp_init_ex(r->loop, &a->u.udp, to->sa_family);
	if (err)
		return err;
	a->u.udp.data = a;
	a->open = true;
	r->handles++;
	/* connected: the kernel drops datagrams from anyone else and reports
	 * ICMP port unreachable, so a dead upstream fails at once */
	err = uv_udp_connect(&a->u.udp, to);
	if (!err)
		err = uv_udp_recv_start(&a->u.udp, udp_alloc, udp_recv);
	if (!err) {
		uv_buf_t b = uv_buf_init((char *)a->out + 2, (unsigned)(a->out_len - 2));
		a->send.data = a;
		err = uv_udp_send(&a->send, &a->u.udp, &b, 1, NULL, udp_sent);
	}
	return err;
}

/* ---- TCP attempts ---- */

static void tcp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct attempt *a = h->data;
	if (!a->in)
		a->in = xmalloc(2 + DNS_MSG_MAX);
	*b = uv_buf_init((char *)a->in + a->in_len, (unsigned)(2 + DNS_MSG_MAX - a->in_len));
}

static void tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct attempt *a = s->data;
	struct dns_rq *q = a->q;
	if (!q || nread == 0)
		return;
	if (nread < 0) {
		attempt_failed(q, nread == UV_EOF ? "connection closed" : uv_strerror((int)nread));
		return;
	}
	a->in_len += (size_t)nread;
	if (a->in_len < 2)
		return;
	size_t need = 2 + (size_t)be16_get(a->in);
	if (a->in_len >= need)
		on_reply(q, a->in + 2, need - 2);
	/* a reply that was not ours: a second one will not come on this stream */
	if (a->q && a->in_len >= need)
		attempt_failed(q, "unexpected reply");
}

static void tcp_written(uv_write_t *req, int status)
{
	struct attempt *a = req->data;
	if (a->q && status < 0)
		attempt_failed(a->q, uv_strerror(status));
}

static void tcp_connected(uv_connect_t *req, int status)
{
	struct attempt *a = req->data;
	if (!a->q)
		return;
	int err = status;
	if (!err)
		err = uv_read_start((uv_stream_t *)&a->u.tcp, tcp_alloc, tcp_read);
	if (!err) {
		uv_buf_t b = uv_buf_init((char *)a->out, (unsigned)a->out_len);
		a->write.data = a;
		err = uv_write(&a->write, (uv_stream_t *)&a->u.tcp, &b, 1, tcp_written);
	}
	if (err)
		attempt_failed(a->q, uv_strerror(err));
}

static int start_tcp(struct dns_recursor *r, struct attempt *a, const struct sockaddr *to)
{
	int err = uv_tcp_init(r->loop, &a->u.tcp);
	if (err)
		return err;
	a->u.tcp.data = a;
	a->open = true;
	r->handles++;
	a->connect.data = a;
	return uv_tcp_connect(&a->connect, &a->u.tcp, to, tcp_connected);
}

/* ---- the search ---- */

static void on_timeout(uv_timer_t *t)
{
	struct dns_rq *q = t->data;
	if (q->cur)
		log_debug("agent.dns", "recurse failed for question (id %u): timeout",
			  q->client_id);
	detach(q);
	advance(q);
}

static uint64_t attempt_ms(const struct dns_recursor *r)
{
	int64_t ns = r->view->cfg->dns_config.recursor_timeout;
	if (ns <= 0)
		return DEFAULT_WAIT;
	uint64_t ms = (uint64_t)ns / 1000000u;
	return ms ? ms : 1;
}

/* Starts the next attempt, or makes the timer fire at once to move on. Never
 * ends q itself. */
static void launch(struct dns_rq *q)
{
	struct dns_recursor *r = q->r;
	if (q->next_up >= q->nup) {
		uv_timer_start(&q->timer, on_timeout, 0, 0);
		return;
	}
	const struct sockaddr *to = (const struct sockaddr *)&q->up[q->next_up++];
	struct attempt *a = xcalloc(1, sizeof(*a) + 2 + q->len);
	a->r = r;
	a->q = q;
	a->tcp = q->tcp;
	a->out_len = 2 + q->len;
	be16_put(a->out, (uint16_t)q->len);
	memcpy(a->out + 2, q->pkt, q->len);
	q->id = fresh_id(r);
	be16_put(a->out + 2, q->id);
	q->cur = a;
	int err = a->tcp ? start_tcp(r, a, to) : start_udp(r, a, to);
	if (err) {
		log_debug("agent.dns", "recurse failed for question (id %u): %s", q->client_id,
			  uv_strerror(err));
		if (a->open) {
			detach(q);
		} else {
			q->cur = NULL;
			free(a);
		}
		uv_timer_start(&q->timer, on_timeout, 0, 0);
		return;
	}
	uv_timer_start(&q->timer, on_timeout, attempt_ms(r), 0);
}

static void advance(struct dns_rq *q)
{
	if (q->next_up >= q->nup)
		fail_all(q);
	else
		launch(q);
}

static void timer_closed(uv_handle_t *h)
{
	struct dns_rq *q = h->data;
	struct dns_recursor *r = q->r;
	free(q->pkt);
	free(q);
	r->handles--;
	if (r->closing && r->handles == 0 && r->close_cb) {
		void (*cb)(void *) = r->close_cb;
		r->close_cb = NULL;
		cb(r->close_arg);
	}
}

void dns_recursor_init(struct dns_recursor *r, uv_loop_t *loop, const struct dns_view *view)
{
	memset(r, 0, sizeof(*r));
	r->loop = loop;
	r->view = view;
	r->buf = xmalloc(DNS_MSG_MAX);
	r->random_used = sizeof(r->random); /* filled on first use */
}

int dns_recurse(struct dns_recursor *r, const uint8_t *pkt, size_t len, int tcp, dns_recurse_cb cb,
		void *arg)
{
	if (r->closing)
		return UV_ECANCELED;
	if (len < 12 || len > DNS_MSG_MAX)
		return UV_EINVAL;
	if (r->inflight >= DNS_RECURSE_MAX)
		return UV_EBUSY;
	struct dns_rq *q = xcalloc(1, sizeof(*q));
	q->r = r;
	q->cb = cb;
	q->arg = arg;
	q->pkt = xmemdup(pkt, len);
	q->len = len;
	q->qend = question_end(pkt, len);
	q->client_id = be16_get(pkt);
	q->tcp = tcp != 0;
	pick_upstreams(r, q);
	uv_timer_init(r->loop, &q->timer);
	q->timer.data = q;
	r->handles++;
	q->lnext = r->queries;
	if (r->queries)
		r->queries->lprev = q;
	r->queries = q;
	r->inflight++;
	launch(q);
	return 0;
}

void dns_recursor_close(struct dns_recursor *r, void (*cb)(void *arg), void *arg)
{
	r->closing = true;
	r->close_cb = cb;
	r->close_arg = arg;
	while (r->queries)
		finish(r->queries, NULL, 0);
	free(r->buf);
	r->buf = NULL;
	if (r->handles == 0 && r->close_cb) {
		r->close_cb = NULL;
		cb(arg);
	}
}
