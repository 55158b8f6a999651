/*
 * The stream half of the gossip driver: the TCP listener that serves the
 * core's inbound requests (ping -> ack, push_pull -> push_pull) and the
 * outbound requests the core makes through env.send_stream. One request per
 * connection, one frame each way, as memberlist does.
 *
 * Every stream (struct gstream, either direction) owns a uv_tcp_t and a
 * uv_timer_t (its deadline: the core's stream_timeout) and is freed when both
 * close callbacks ran; each holds one reference on the transport. Inbound
 * streams are capped at GTRANSPORT_MAX_CONNS; frames at GTRANSPORT_SEALED_MAX
 * bytes (checked as soon as the header is in). Garbage, a frame followed by
 * more bytes, bad crypto or a timeout close the connection without a reply.
 *
 * Outbound: an immediate connect error cannot be reported from inside
 * send_stream (the core is running), so it arms the stream's timer at 0 and
 * the answer (NULL) goes to memberlist_stream_done from the timer callback.
 *
 * Encryption (transport.h draws the format): frames are sealed whole behind a
 * 5-byte [10][u32 length] header that is part of the aad; the keyring policy
 * (keyring_incoming_stream) decides what is refused.
 */
#include "gossip/transport_int.h"

#include "base/alloc.h"
#include "base/be.h"
#include "base/err.h"
#include "base/log.h"

#include <stdlib.h>
#include <string.h>

#define READ_CHUNK 65536

struct gstream {
	struct gstream *next, *prev; /* t->streams */
	struct gossip_transport *t;
	bool outbound;
	uint64_t id;	   /* outbound: the core's request id */
	struct gaddr peer; /* inbound: who connected */
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_connect_t conn;
	uv_write_t wr;
	struct buf in;	  /* bytes read */
	struct buf plain; /* decrypted frame */
	struct buf out;	  /* bytes to write (kept until the write callback) */
	int open;	  /* handles not yet closed */
	bool closing;
	bool done; /* outbound: the core was answered */
};

static const struct keyring no_keys;

static const struct keyring *ring(const struct gossip_transport *t)
{
	return t->keyring ? t->keyring : &no_keys;
}

/* ---- framing ---- */

/* Appends frame to out, sealed when we encrypt. */
static int put_frame(struct gossip_transport *t, const uint8_t *f, size_t n, struct buf *out)
{
	if (!gt_encrypting(t)) {
		buf_append(out, f, n);
		return 0;
	}
	size_t sealed = gcrypt_sealed_len(GCRYPT_VSN, n);
	if (sealed > GTRANSPORT_SEALED_MAX)
		return CAIRN_E_TOOBIG;
	uint8_t hdr[5] = {GTRANSPORT_ENCRYPT_MSG, (uint8_t)(sealed >> 24), (uint8_t)(sealed >> 16),
			  (uint8_t)(sealed >> 8), (uint8_t)sealed};
	struct buf aad = BUF_INIT;
	gcrypt_stream_aad(GTRANSPORT_ENCRYPT_MSG, (uint32_t)sealed, t->label, t->label_len, &aad);
	size_t mark = out->len;
	buf_append(out, hdr, sizeof(hdr));
	int rc = gcrypt_seal(keyring_primary(t->keyring), GCRYPT_VSN, f, n, aad.data, aad.len, NULL,
			     out, NULL);
	buf_free(&aad);
	if (rc != 0)
		out->len = mark;
	return rc;
}

/* Looks for one whole frame in s->in: 1 needs more bytes, 0 sets *f and *n (the
 * plain frame), negative refuses the stream. */
static int take_frame(struct gossip_transport *t, struct gstream *s, const uint8_t **f, size_t *n)
{
	const uint8_t *p = (const uint8_t *)s->in.data;
	size_t len = s->in.len, total;
	const char *why = NULL;
	if (len == 0)
		return 1;
	if (p[0] != GTRANSPORT_ENCRYPT_MSG) {
		if (keyring_incoming_stream(ring(t), t->verify_incoming, false, 0, &why) ==
		    KEYRING_IN_DROP) {
			log_debug("memberlist", "stream refused: %s", why);
			return CAIRN_E_PERM;
		}
		int rc = gwire_stream_need(p, len, &total);
		if (rc != 0)
			return rc;
		if (len < total)
			return 1;
		if (len > total)
			return CAIRN_E_PARSE;
		*f = p;
		*n = total;
		return 0;
	}
	if (len < 5)
		return 1;
	uint32_t sealed = be32_get(p + 1);
	if (sealed > GTRANSPORT_SEALED_MAX)
		return CAIRN_E_TOOBIG;
	if (len < 5 + (size_t)sealed)
		return 1;
	if (len > 5 + (size_t)sealed)
		return CAIRN_E_PARSE;
	int open_rc = CAIRN_E_PERM;
	buf_reset(&s->plain);
	if (ring(t)->n) {
		struct buf aad = BUF_INIT;
		gcrypt_stream_aad(GTRANSPORT_ENCRYPT_MSG, sealed, t->label, t->label_len, &aad);
		open_rc = gcrypt_open(t->keyring->keys, t->keyring->n, p + 5, sealed, aad.data,
				      aad.len, &s->plain, NULL, NULL);
		buf_free(&aad);
	}
	if (keyring_incoming_stream(ring(t), t->verify_incoming, true, open_rc, &why) !=
	    KEYRING_IN_DECRYPTED) {
		log_debug("memberlist", "stream refused: %s", why ? why : "bad crypto");
		return CAIRN_E_PERM;
	}
	p = (const uint8_t *)s->plain.data;
	len = s->plain.len;
	if (gwire_stream_need(p, len, &total) != 0 || total != len)
		return CAIRN_E_PARSE;
	*f = p;
	*n = len;
	return 0;
}

/* ---- lifetime ---- */

static void stream_closed(uv_handle_t *h)
{
	struct gstream *s = h->data;
	if (--s->open > 0)
		return;
	struct gossip_transport *t = s->t;
	if (s->prev)
		s->prev->next = s->next;
	else
		t->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	if (!s->outbound) {
		t->ninbound--;
		t->inbound_bytes -= s->in.len;
	}
	buf_free(&s->in);
	buf_free(&s->plain);
	buf_free(&s->out);
	free(s);
	gt_release(t);
}

static void stream_close(struct gstream *s)
{
	if (s->closing)
		return;
	s->closing = true;
	uv_close((uv_handle_t *)&s->tcp, stream_closed);
	uv_close((uv_handle_t *)&s->timer, stream_closed);
}

static struct gstream *stream_new(struct gossip_transport *t, bool outbound)
{
	struct gstream *s = xcalloc(1, sizeof(*s));
	s->t = t;
	s->outbound = outbound;
	uv_tcp_init(t->loop, &s->tcp);
	uv_timer_init(t->loop, &s->timer);
	s->tcp.data = s->timer.data = s;
	s->open = 2;
	s->next = t->streams;
	if (t->streams)
		t->streams->prev = s;
	t->streams = s;
	t->refs++;
	if (!outbound)
		t->ninbound++;
	return s;
}

void gt_tcp_close_all(struct gossip_transport *t)
{
	for (struct gstream *s = t->streams; s; s = s->next)
		stream_close(s);
}

static void read_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct gstream *s = h->data;
	buf_reserve(&s->in, READ_CHUNK);
	*b = uv_buf_init(s->in.data + s->in.len, READ_CHUNK);
}

/* ---- outbound ---- */

/* Answers the core once (frame NULL: failure) and closes the stream. */
static void finish(struct gstream *s, const uint8_t *f, size_t n)
{
	struct gossip_transport *t = s->t;
	if (s->done)
		return;
	s->done = true;
	stream_close(s); /* memory stays until the close callbacks: f remains valid */
	if (!f)
		t->stats.streams_bad++;
	if (!t->ml)
		return;
	memberlist_stream_done(t->ml, gt_now(t), s->id, f, n);
	gt_pump(t);
}

static void out_timer(uv_timer_t *h)
{
	finish(h->data, NULL, 0);
}

static void out_read(uv_stream_t *h, ssize_t nread, const uv_buf_t *b)
{
	struct gstream *s = h->data;
	if (s->done)
		return;
	if (nread < 0) {
		finish(s, NULL, 0);
		return;
	}
	s->in.len += (size_t)nread;
	s->in.data[s->in.len] = '\0';
	const uint8_t *f;
	size_t n;
	int rc = take_frame(s->t, s, &f, &n);
	if (rc == 1)
		return;
	finish(s, rc == 0 ? f : NULL, rc == 0 ? n : 0);
}

static void out_written(uv_write_t *w, int status)
{
	struct gstream *s = w->data;
	if (status < 0)
		finish(s, NULL, 0);
}

static void out_connected(uv_connect_t *c, int status)
{
	struct gstream *s = c->data;
	if (s->done || s->closing)
		return;
	if (status < 0) {
		finish(s, NULL, 0);
		return;
	}
	uv_buf_t b = uv_buf_init(s->out.data, (unsigned)s->out.len);
	s->wr.data = s;
	if (uv_write(&s->wr, (uv_stream_t *)&s->tcp, &b, 1, out_written) < 0 ||
	    uv_read_start((uv_stream_t *)&s->tcp, read_alloc, out_read) < 0)
		finish(s, NULL, 0);
}

void gt_send_stream(void *ud, uint64_t id, const struct gaddr *to, const uint8_t *data, size_t len)
{
	struct gossip_transport *t = ud;
	if (t->closing)
		return; /* the core is being freed; nobody waits for the answer */
	struct gstream *s = stream_new(t, true);
	s->id = id;
	t->stats.streams_out++;
	uint64_t timeout = t->mlcfg.stream_timeout ? t->mlcfg.stream_timeout : 10000;
	struct sockaddr_storage sa, local = t->bind_sa;
	int rc = gossip_addr_to_sockaddr(to, &sa);
	if (rc == 0)
		rc = put_frame(t, data, len, &s->out);
	/* leave from our bind address when it is a specific one (127.0.0.x tests,
	 * multi-homed hosts), so the peer sees the address we advertise */
	if (rc == 0 && local.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&local;
		in->sin_port = 0;
		if (in->sin_addr.s_addr != 0)
			rc = uv_tcp_bind(&s->tcp, (struct sockaddr *)&local, 0);
	}
	s->conn.data = s;
	if (rc == 0)
		rc = uv_tcp_connect(&s->conn, &s->tcp, (struct sockaddr *)&sa, out_connected);
	if (rc < 0)
		timeout = 0; /* report the failure from the timer, outside the core */
	uv_timer_start(&s->timer, out_timer, timeout, 0);
}

/* ---- inbound ---- */

static void in_timer(uv_timer_t *h)
{
	struct gstream *s = h->data;
	s->t->stats.streams_bad++;
	stream_close(s);
}

static void in_written(uv_write_t *w, int status)
{
	stream_close(w->data);
}

static void in_read(uv_stream_t *h, ssize_t nread, const uv_buf_t *b)
{
	struct gstream *s = h->data;
	struct gossip_transport *t = s->t;
	if (s->closing)
		return;
	if (nread < 0) {
		if (nread != UV_EOF || s->in.len)
			t->stats.streams_bad++;
		stream_close(s);
		return;
	}
	s->in.len += (size_t)nread;
	s->in.data[s->in.len] = '\0';
	t->inbound_bytes += (size_t)nread;
	const uint8_t *f = NULL;
	size_t n = 0;
	int rc = take_frame(t, s, &f, &n);
	if (rc == 1 && t->inbound_bytes > GTRANSPORT_MAX_BUFFERED)
		rc = CAIRN_E_BUSY; /* many large pushes at once: refuse the one that tips it */
	if (rc == 1)
		return;
	uv_read_stop(h);
	if (rc < 0 || !t->ml) {
		t->stats.streams_bad++;
		stream_close(s);
		return;
	}
	struct buf reply = BUF_INIT;
	memberlist_recv_stream(t->ml, gt_now(t), &s->peer, f, n, &reply);
	if (reply.len == 0 || put_frame(t, (const uint8_t *)reply.data, reply.len, &s->out) != 0) {
		stream_close(s);
	} else {
		uv_buf_t wb = uv_buf_init(s->out.data, (unsigned)s->out.len);
		s->wr.data = s;
		if (uv_write(&s->wr, h, &wb, 1, in_written) < 0)
			stream_close(s);
	}
	buf_free(&reply);
	gt_pump(t);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct gossip_transport *t = server->data;
	if (status < 0 || t->closing)
		return;
	struct gstream *s = stream_new(t, false);
	if (uv_accept(server, (uv_stream_t *)&s->tcp) < 0) {
		stream_close(s);
		return;
	}
	t->stats.streams_in++;
	if (t->ninbound > GTRANSPORT_MAX_CONNS) {
		t->stats.streams_refused++;
		stream_close(s);
		return;
	}
	struct sockaddr_storage sa;
	int sl = sizeof(sa);
	if (uv_tcp_getpeername(&s->tcp, (struct sockaddr *)&sa, &sl) < 0 ||
	    gossip_addr_from_sockaddr((struct sockaddr *)&sa, &s->peer) != 0 ||
	    uv_read_start((uv_stream_t *)&s->tcp, read_alloc, in_read) < 0) {
		stream_close(s);
		return;
	}
	uint64_t timeout = t->mlcfg.stream_timeout ? t->mlcfg.stream_timeout : 10000;
	uv_timer_start(&s->timer, in_timer, timeout, 0);
}

int gt_tcp_start(struct gossip_transport *t)
{
	int rc = uv_tcp_bind(&t->listener, (struct sockaddr *)&t->bind_sa, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&t->listener, 128, on_connection);
	return rc;
}
