/*
 * The libuv driver of one gossip pool: lifecycle, the core's single timer,
 * UDP in and out (with the keyring), the memberlist_env callbacks, Vivaldi on
 * probe acks, join and leave bookkeeping. Streams are in transport_tcp.c.
 *
 * Only the driver (this file, transport_tcp.c and their headers transport.h
 * and transport_int.h) includes <uv.h> in src/gossip: the core (memberlist.c,
 * state.c, probe.c, ...), the codecs, crypto, keyring, vivaldi, events and
 * tags stay pure, so the simulation and the fuzzers run them without a loop.
 *
 * Loop thread only. Re-entrancy: the core calls env callbacks synchronously
 * from memberlist_* calls; those callbacks never call back into the core.
 * Anything that must (a failed stream request answered with NULL) is deferred
 * to its own zero timer. User-visible completions (join, leave) are recorded
 * in the env callbacks and delivered by gt_pump, which runs last, after the
 * core returned; a completion may close the transport, so nothing touches
 * t->ml after gt_pump.
 *
 * Memory: t is the caller's. start allocates the core, the receive buffer and
 * join records; close frees the core at once (no core call happens after it)
 * and the rest when the last handle's close callback ran (t->refs reaches 0),
 * then calls the close callback.
 *
 * Outgoing UDP: uv_udp_try_send first; when the socket would block the packet
 * is copied into a uv_udp_send request, up to GTRANSPORT_MAX_QUEUED bytes in
 * flight, beyond which packets are dropped (gossip tolerates loss).
 */
#include "gossip/transport_int.h"

#include "base/random.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define RBUF_SIZE 65536

struct gossip_join_op {
	struct gossip_join_op *next;
	gossip_join_cb cb;
	void *data;
	size_t n;	     /* addresses */
	struct gaddr *addrs; /* n */
	bool *answered;	     /* n: join_done seen (or never sent) */
	size_t pending;	     /* addresses still waiting */
	int joined;	     /* successes */
	int err;	     /* last failure */
};

struct udp_send {
	uv_udp_send_t req;
	struct gossip_transport *t;
	size_t len;
	uint8_t data[];
};

/* ---- helpers ---- */

uint64_t gt_now(const struct gossip_transport *t)
{
	return uv_now(t->loop);
}

bool gt_encrypting(const struct gossip_transport *t)
{
	return t->keyring && keyring_encrypt_outgoing(t->keyring, t->verify_outgoing);
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int gossip_addr_from_sockaddr(const struct sockaddr *sa, struct gaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		out->family = 4;
		memcpy(out->ip, &in->sin_addr, 4);
		out->port = ntohs(in->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		out->family = 6;
		memcpy(out->ip, &in6->sin6_addr, 16);
		out->port = ntohs(in6->sin6_port);
		return 0;
	}
	return CAIRN_E_INVAL;
}

int gossip_addr_to_sockaddr(const struct gaddr *a, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (a->family == 4) {
		struct sockaddr_in *in = (struct sockaddr_in *)out;
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, a->ip, 4);
		in->sin_port = htons(a->port);
		return 0;
	}
	if (a->family == 6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, a->ip, 16);
		in6->sin6_port = htons(a->port);
		return 0;
	}
	return CAIRN_E_INVAL;
}

int gossip_addr_parse(const char *s, uint16_t default_port, struct gaddr *out)
{
	char host[64];
	const char *port = NULL;
	size_t hl;
	if (!s)
		return CAIRN_E_INVAL;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e)
			return CAIRN_E_INVAL;
		hl = (size_t)(e - s - 1);
		s++;
		if (e[1] == ':')
			port = e + 2;
		else if (e[1])
			return CAIRN_E_INVAL;
	} else {
		const char *c = strchr(s, ':');
		if (c && strchr(c + 1, ':'))
			c = NULL; /* bare IPv6 */
		hl = c ? (size_t)(c - s) : strlen(s);
		if (c)
			port = c + 1;
	}
	if (hl == 0 || hl >= sizeof(host))
		return CAIRN_E_INVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	long p = default_port;
	if (port) {
		char *end;
		p = strtol(port, &end, 10);
		if (!*port || *end || p < 1 || p > 65535)
			return CAIRN_E_INVAL;
	}
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, out->ip) == 1)
		out->family = 4;
	else if (inet_pton(AF_INET6, host, out->ip) == 1)
		out->family = 6;
	else
		return CAIRN_E_INVAL;
	out->port = (uint16_t)p;
	return 0;
}

/* ---- timer and pump ---- */

static void on_timer(uv_timer_t *h);

static void arm(struct gossip_transport *t)
{
	uint64_t d = t->ml ? memberlist_next_deadline(t->ml) : MEMBERLIST_NEVER;
	if (t->leaving && t->leave_deadline < d)
		d = t->leave_deadline;
	if (d == t->armed)
		return;
	t->armed = d;
	if (d == MEMBERLIST_NEVER) {
		uv_timer_stop(&t->timer);
		return;
	}
	uint64_t now = gt_now(t);
	uv_timer_start(&t->timer, on_timer, d > now ? d - now : 0, 0);
}

static void deliver_joins(struct gossip_transport *t)
{
	struct gossip_join_op **pp = &t->joins;
	while (*pp && !t->closing) {
		struct gossip_join_op *op = *pp;
		if (op->pending) {
			pp = &op->next;
			continue;
		}
		*pp = op->next;
		gossip_join_cb cb = op->cb;
		void *data = op->data;
		int joined = op->joined, err = joined ? 0 : op->err;
		free(op->addrs);
		free(op->answered);
		free(op);
		cb(t, joined, err, data);
		pp = &t->joins; /* the callback may have changed the list */
	}
}

void gt_pump(struct gossip_transport *t)
{
	if (t->closing)
		return;
	arm(t);
	deliver_joins(t);
	if (t->closing || !t->leaving || !t->ml)
		return;
	bool sent = memberlist_leave_sent(t->ml);
	if (sent || gt_now(t) >= t->leave_deadline) {
		gossip_done_cb cb = t->leave_cb;
		t->leaving = false;
		t->leave_cb = NULL;
		arm(t);
		if (cb)
			cb(t, sent ? 0 : CAIRN_E_TIMEOUT);
	}
}

static void on_timer(uv_timer_t *h)
{
	struct gossip_transport *t = h->data;
	t->armed = MEMBERLIST_NEVER;
	if (!t->ml)
		return;
	memberlist_tick(t->ml, gt_now(t));
	gt_pump(t);
}

/* ---- UDP ---- */

static void udp_sent(uv_udp_send_t *req, int status)
{
	struct udp_send *s = (struct udp_send *)req;
	s->t->queued_bytes -= s->len;
	if (status < 0)
		s->t->stats.udp_send_errors++;
	free(s);
}

static void send_datagram(struct gossip_transport *t, const struct sockaddr *sa, const uint8_t *p,
			  size_t n)
{
	uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
	int rc = uv_udp_try_send(&t->udp, &b, 1, sa);
	if (rc >= 0) {
		t->stats.udp_out++;
		return;
	}
	if (rc != UV_EAGAIN && rc != UV_ENOSYS) {
		t->stats.udp_send_errors++;
		return;
	}
	if (t->queued_bytes + n > GTRANSPORT_MAX_QUEUED) {
		t->stats.udp_send_errors++;
		return;
	}
	struct udp_send *s = xmalloc(sizeof(*s) + n);
	s->t = t;
	s->len = n;
	memcpy(s->data, p, n);
	b = uv_buf_init((char *)s->data, (unsigned)n);
	if (uv_udp_send(&s->req, &t->udp, &b, 1, sa, udp_sent) < 0) {
		t->stats.udp_send_errors++;
		free(s);
		return;
	}
	t->queued_bytes += n;
	t->stats.udp_out++;
	t->stats.udp_queued++;
}

static void env_send_packet(void *ud, const struct gaddr *to, const uint8_t *data, size_t len)
{
	struct gossip_transport *t = ud;
	struct sockaddr_storage sa;
	if (t->closing || gossip_addr_to_sockaddr(to, &sa) != 0)
		return;
	if (!gt_encrypting(t)) {
		send_datagram(t, (struct sockaddr *)&sa, data, len);
		return;
	}
	buf_reset(&t->seal);
	if (gcrypt_seal(keyring_primary(t->keyring), GCRYPT_VSN, data, len, t->label, t->label_len,
			NULL, &t->seal, NULL) != 0) {
		t->stats.udp_send_errors++;
		return;
	}
	send_datagram(t, (struct sockaddr *)&sa, (const uint8_t *)t->seal.data, t->seal.len);
}

static void udp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct gossip_transport *t = h->data;
	if (t->rbuf_busy) {
		*b = uv_buf_init(NULL, 0);
		return;
	}
	t->rbuf_busy = true;
	*b = uv_buf_init((char *)t->rbuf, RBUF_SIZE);
}

static void udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *b, const struct sockaddr *sa,
		     unsigned flags)
{
	struct gossip_transport *t = h->data;
	if (b->base == (char *)t->rbuf)
		t->rbuf_busy = false;
	if (nread <= 0 || !sa || !t->ml || (flags & UV_UDP_PARTIAL))
		return;
	struct gaddr from;
	if (gossip_addr_from_sockaddr(sa, &from) != 0)
		return;
	t->stats.udp_in++;
	const uint8_t *p = (const uint8_t *)b->base;
	size_t n = (size_t)nread;
	if (t->keyring && t->keyring->n) {
		buf_reset(&t->opened);
		int rc = gcrypt_open(t->keyring->keys, t->keyring->n, p, n, t->label, t->label_len,
				     &t->opened, NULL, NULL);
		switch (keyring_incoming_packet(t->keyring, t->verify_incoming, rc)) {
		case KEYRING_IN_DECRYPTED:
			p = (const uint8_t *)t->opened.data;
			n = t->opened.len;
			break;
		case KEYRING_IN_DROP:
			t->stats.udp_dropped_crypto++;
			log_debug("memberlist", "Decrypt packet failed: %s", cairn_strerror(rc));
			return;
		case KEYRING_IN_PLAIN:
			break;
		}
	}
	memberlist_recv_packet(t->ml, gt_now(t), &from, p, n);
	gt_pump(t);
}

/* ---- the core's env ---- */

static uint64_t env_rand64(void *ud)
{
	struct gossip_transport *t = ud;
	return splitmix(&t->rng);
}

static void env_notify(void *ud, enum memberlist_event ev, const struct memberlist_node *n)
{
	struct gossip_transport *t = ud;
	if (ev == MEMBERLIST_REAP)
		vivaldi_forget(&t->viv, n->name);
	if (t->hooks.notify)
		t->hooks.notify(t->hooks.ud, ev, n);
}

static bool env_user_msg(void *ud, const uint8_t *data, size_t len)
{
	struct gossip_transport *t = ud;
	return t->hooks.user_msg ? t->hooks.user_msg(t->hooks.ud, data, len) : false;
}

static void env_local_state(void *ud, bool join, struct buf *out)
{
	struct gossip_transport *t = ud;
	if (t->hooks.local_state)
		t->hooks.local_state(t->hooks.ud, join, out);
}

static void env_merge_state(void *ud, const uint8_t *data, size_t len, bool join)
{
	struct gossip_transport *t = ud;
	if (t->hooks.merge_state)
		t->hooks.merge_state(t->hooks.ud, data, len, join);
}

static size_t env_ack_payload(void *ud, uint8_t *out, size_t cap)
{
	struct gossip_transport *t = ud;
	if (cap < VIVALDI_WIRE_SIZE)
		return 0;
	vivaldi_encode(&t->viv.coord, out);
	return VIVALDI_WIRE_SIZE;
}

static void env_ping_rtt(void *ud, const struct memberlist_node *n, uint64_t rtt_ms,
			 const uint8_t *payload, size_t len)
{
	struct gossip_transport *t = ud;
	struct vivaldi_coord c;
	if (!len || vivaldi_decode(payload, len, &c) != 0 ||
	    vivaldi_update(&t->viv, n->name, &c, (int64_t)rtt_ms * 1000000, NULL) != 0) {
		t->stats.coord_bad++;
		return;
	}
	t->stats.coord_updates++;
}

static void env_join_done(void *ud, const struct gaddr *addr, int err)
{
	struct gossip_transport *t = ud;
	for (struct gossip_join_op *op = t->joins; op; op = op->next) {
		for (size_t i = 0; i < op->n; i++) {
			if (op->answered[i] || !gaddr_equal(&op->addrs[i], addr))
				continue;
			op->answered[i] = true;
			op->pending--;
			if (err)
				op->err = err;
			else
				op->joined++;
			return;
		}
	}
}

/* ---- lifecycle ---- */

void gossip_transport_config_default(struct gossip_transport_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->bind_ip = "0.0.0.0";
	cfg->port = 8301;
	cfg->verify_incoming = true;
	cfg->verify_outgoing = true;
	memberlist_config_lan(&cfg->ml);
}

static int bind_handles(struct gossip_transport *t)
{
	int rc = uv_udp_bind(&t->udp, (struct sockaddr *)&t->bind_sa, 0);
	if (rc < 0)
		return rc;
	rc = uv_udp_recv_start(&t->udp, udp_alloc, udp_recv);
	if (rc < 0)
		return rc;
	return gt_tcp_start(t);
}

int gossip_transport_start(struct gossip_transport *t, uv_loop_t *loop,
			   const struct gossip_transport_config *cfg)
{
	memset(t, 0, sizeof(*t));
	t->loop = loop;
	t->armed = MEMBERLIST_NEVER;
	if (uv_udp_init(loop, &t->udp) < 0)
		abort(); /* only fails on a bad loop or OOM */
	uv_tcp_init(loop, &t->listener);
	uv_timer_init(loop, &t->timer);
	t->udp.data = t->listener.data = t->timer.data = t;
	t->started = true;
	vivaldi_init(&t->viv, NULL, 0);

	struct gaddr bind, adv;
	if (!cfg->node_name || !cfg->node_name[0] || strlen(cfg->node_name) > GOSSIP_NAME_MAX ||
	    cfg->meta_len > GOSSIP_META_MAX ||
	    (cfg->label && strlen(cfg->label) > GTRANSPORT_LABEL_MAX))
		return CAIRN_E_INVAL;
	if (gossip_addr_parse(cfg->bind_ip ? cfg->bind_ip : "0.0.0.0", cfg->port, &bind) != 0)
		return CAIRN_E_INVAL;
	bind.port = cfg->port;
	if (cfg->advertise_ip) {
		if (gossip_addr_parse(cfg->advertise_ip, cfg->port, &adv) != 0)
			return CAIRN_E_INVAL;
	} else {
		adv = bind;
		static const uint8_t zero[16];
		if (memcmp(adv.ip, zero, adv.family == 4 ? 4 : 16) == 0)
			return CAIRN_E_INVAL; /* a wildcard cannot be advertised */
	}
	adv.port = cfg->advertise_port ? cfg->advertise_port : cfg->port;
	gossip_addr_to_sockaddr(&bind, &t->bind_sa);

	t->keyring = cfg->keyring;
	t->verify_incoming = cfg->verify_incoming;
	t->verify_outgoing = cfg->verify_outgoing;
	if (cfg->label) {
		t->label_len = strlen(cfg->label);
		memcpy(t->label, cfg->label, t->label_len);
	}
	t->hooks = cfg->hooks;
	random_bytes(&t->rng, sizeof(t->rng));
	t->viv.rng = splitmix(&t->rng);
	t->rbuf = xmalloc(RBUF_SIZE);

	int rc = bind_handles(t);
	if (rc < 0)
		return rc;

	t->mlcfg = cfg->ml;
	memset(t->mlcfg.name, 0, sizeof(t->mlcfg.name));
	memcpy(t->mlcfg.name, cfg->node_name, strlen(cfg->node_name));
	t->mlcfg.addr = adv;
	/* a sealed packet must still fit the budget the core packs to */
	if (t->keyring && t->mlcfg.packet_budget > GCRYPT_OVERHEAD + 64)
		t->mlcfg.packet_budget -= GCRYPT_OVERHEAD;
	struct memberlist_env env = {
	    .ud = t,
	    .rand64 = env_rand64,
	    .send_packet = env_send_packet,
	    .send_stream = gt_send_stream,
	    .notify = env_notify,
	    .user_msg = env_user_msg,
	    .local_state = env_local_state,
	    .merge_state = env_merge_state,
	    .ack_payload = env_ack_payload,
	    .ping_rtt = env_ping_rtt,
	    .join_done = env_join_done,
	};
	t->ml = memberlist_new(&t->mlcfg, &env, gt_now(t), cfg->meta, cfg->meta_len);
	if (!t->ml)
		return CAIRN_E_INVAL;
	gt_pump(t);
	return 0;
}

int gossip_transport_join(struct gossip_transport *t, const struct gaddr *addrs, size_t n,
			  gossip_join_cb cb, void *data)
{
	if (!t->ml || t->closing || t->leaving || !cb)
		return CAIRN_E_SHUTDOWN;
	if (n == 0)
		return CAIRN_E_INVAL;
	struct gossip_join_op *op = xcalloc(1, sizeof(*op));
	op->cb = cb;
	op->data = data;
	op->n = n;
	op->addrs = xmemdup(addrs, n * sizeof(*addrs));
	op->answered = xcalloc(n, sizeof(bool));
	size_t sent = 0;
	uint64_t now = gt_now(t);
	for (size_t i = 0; i < n; i++) {
		if (memberlist_join(t->ml, now, &addrs[i], 1) == 1) {
			sent++;
			op->pending++;
		} else {
			op->answered[i] = true; /* ourselves */
		}
	}
	if (sent == 0) {
		free(op->addrs);
		free(op->answered);
		free(op);
		return CAIRN_E_INVAL;
	}
	op->next = t->joins;
	t->joins = op;
	gt_pump(t);
	return 0;
}

int gossip_transport_leave(struct gossip_transport *t, uint64_t drain_ms, gossip_done_cb cb)
{
	if (!t->ml || t->closing || t->leaving)
		return CAIRN_E_SHUTDOWN;
	t->leaving = true;
	t->leave_cb = cb;
	t->leave_deadline = gt_now(t) + drain_ms;
	memberlist_leave(t->ml, gt_now(t));
	/* the first gossip round sends it; deliver from the timer, not from here */
	t->armed = MEMBERLIST_NEVER - 1;
	arm(t);
	return 0;
}

static void free_joins(struct gossip_transport *t)
{
	while (t->joins) {
		struct gossip_join_op *op = t->joins;
		t->joins = op->next;
		free(op->addrs);
		free(op->answered);
		free(op);
	}
}

void gt_release(struct gossip_transport *t)
{
	if (--t->refs > 0 || !t->closing)
		return;
	free(t->rbuf);
	t->rbuf = NULL;
	buf_free(&t->seal);
	buf_free(&t->opened);
	vivaldi_free(&t->viv);
	gossip_close_cb cb = t->close_cb;
	if (cb)
		cb(t);
}

static void handle_closed(uv_handle_t *h)
{
	gt_release(h->data);
}

void gossip_transport_close(struct gossip_transport *t, gossip_close_cb cb)
{
	if (t->closing)
		return;
	t->closing = true;
	t->close_cb = cb;
	memberlist_free(t->ml);
	t->ml = NULL;
	t->leaving = false;
	free_joins(t);
	t->refs++; /* held while closing everything below */
	if (t->started) {
		t->refs += 3;
		uv_close((uv_handle_t *)&t->udp, handle_closed);
		uv_close((uv_handle_t *)&t->listener, handle_closed);
		uv_close((uv_handle_t *)&t->timer, handle_closed);
	}
	gt_tcp_close_all(t);
	gt_release(t);
}

/* ---- wrappers and queries ---- */

int gossip_transport_set_meta(struct gossip_transport *t, const uint8_t *meta, size_t len)
{
	if (!t->ml)
		return CAIRN_E_SHUTDOWN;
	int rc = memberlist_set_meta(t->ml, gt_now(t), meta, len);
	arm(t);
	return rc;
}

int gossip_transport_broadcast(struct gossip_transport *t, const uint8_t *data, size_t len)
{
	if (!t->ml)
		return CAIRN_E_SHUTDOWN;
	int rc = memberlist_broadcast_user(t->ml, data, len);
	arm(t);
	return rc;
}

void gossip_transport_foreach(const struct gossip_transport *t,
			      bool (*fn)(void *ud, const struct memberlist_node *n), void *ud)
{
	if (!t->ml)
		return;
	size_t n = memberlist_count(t->ml);
	for (size_t i = 0; i < n; i++)
		if (!fn(ud, memberlist_at(t->ml, i)))
			return;
}

const struct memberlist_node *gossip_transport_find(const struct gossip_transport *t,
						    const char *name)
{
	return t->ml ? memberlist_find(t->ml, name) : NULL;
}

const struct memberlist *gossip_transport_core(const struct gossip_transport *t)
{
	return t->ml;
}

const struct vivaldi *gossip_transport_vivaldi(const struct gossip_transport *t)
{
	return &t->viv;
}
