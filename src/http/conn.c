/*
 * One client connection: reading, parsing, dispatching, closing.
 *
 * States (server.h): OPEN while requests are read and answered; DRAINING once
 * no further request will be taken (Connection: close, HTTP/1.0, an error, an
 * oversized body, a half-closed client, a rejected client) and the last
 * replies are still leaving; LINGER after the write side is shut down, reading
 * and dropping input for a moment so the kernel does not answer unread bytes
 * with a RST that could destroy the reply; CLOSING once uv_close was called.
 *
 * Order. One request at a time is outstanding (c->active). While it is,
 * received bytes are appended to c->in unparsed, and reading continues so a
 * client going away is seen at once (up to HTTP_IN_LIMIT, then reads pause).
 * When the reply comes synchronously from the handler, parsing simply goes on
 * in the same loop; when it comes later, the connection is put on the server's
 * resume queue and its held input is parsed from the idle handle, never from
 * inside http_reply, so handlers are not re-entered from their own callbacks.
 *
 * The socket is TCP or, from a unix:// listener, a pipe: both are used as a
 * uv_stream_t, and only accept (nodelay, the peer's name) tells them apart.
 *
 * Reads land in the server's shared buffer and are parsed straight from it;
 * only bytes that cannot be parsed yet are copied into c->in.
 *
 * Disconnects. A read error, the idle timer or server shutdown abort the
 * connection: the outstanding request is cancelled (req->cancel, then freed)
 * or, without a cancel hook, orphaned (http_reply frees it later). A clean EOF
 * (the client shut its write side) cancels a request that has a cancel hook;
 * one without is answered first, as the client may still be reading.
 */
#include "http/server.h"

#include "http/response.h"
#include "http/tls.h"

#include "base/alloc.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void conn_after(struct http_conn *c);
static void queue_resume(struct http_conn *c);
static void conn_input(struct http_conn *c, const char *data, size_t n);
static void conn_tls_read(struct http_conn *c, const char *data, size_t n);
static bool tls_quiet(struct http_conn *c);

static void on_handle_closed(uv_handle_t *h)
{
	struct http_conn *c = h->data;
	if (--c->handles > 0)
		return;
	struct http_server *srv = c->srv;
	if (c->resume_queued) {
		if (c->rq_prev)
			c->rq_prev->rq_next = c->rq_next;
		else
			srv->rq_head = c->rq_next;
		if (c->rq_next)
			c->rq_next->rq_prev = c->rq_prev;
		else
			srv->rq_tail = c->rq_prev;
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nconns--;
	if (c->client)
		server_client_release(srv, c->client);
	reqparser_free(&c->parser);
	tls_conn_free(c->tls);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
	server_conn_freed(srv);
}

void conn_abort(struct http_conn *c)
{
	if (c->state == CONN_CLOSING)
		return;
	c->state = CONN_CLOSING;
	struct http_request *req = c->active;
	c->active = NULL;
	if (req) {
		req->conn = NULL;
		if (req->cancel) {
			req_impl(req)->cancelling = true;
			req->cancel(req);
			req_free(req_impl(req));
		}
		/* else an orphan: http_reply frees it */
	}
	uv_close((uv_handle_t *)&c->stream, on_handle_closed);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct http_conn *c = h->data;
	*b = uv_buf_init(c->srv->rbuf, HTTP_READ_BUF);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b);

static void set_reading(struct http_conn *c, bool on)
{
	if (on == c->reading)
		return;
	int err = on ? uv_read_start(&c->stream, alloc_cb, read_cb) : uv_read_stop(&c->stream);
	if (err) {
		conn_abort(c);
		return;
	}
	c->reading = on;
}

static void timer_cb(uv_timer_t *t);

/* After the write side is shut down: drop input for a moment, then close. */
static void shutdown_cb(uv_shutdown_t *sr, int status)
{
	struct http_conn *c = sr->data;
	if (c->state == CONN_CLOSING)
		return;
	if (status < 0 || c->eof) {
		conn_abort(c);
		return;
	}
	uv_timer_start(&c->timer, timer_cb, HTTP_LINGER_MS, 0);
}

/* In DRAINING: once the output is gone, shut down the write side. */
void conn_maybe_shutdown(struct http_conn *c)
{
	if (c->state != CONN_DRAINING || c->writes || c->out.len)
		return;
	if (c->tls && !tls_quiet(c))
		return;
	if (c->eof) {
		conn_abort(c);
		return;
	}
	c->state = CONN_LINGER;
	c->shutdown.data = c;
	if (uv_shutdown(&c->shutdown, &c->stream, shutdown_cb) < 0)
		conn_abort(c);
}

/* Take no further requests; close once the replies are out. */
static void conn_finish(struct http_conn *c)
{
	c->state = CONN_DRAINING;
	uv_timer_start(&c->timer, timer_cb, HTTP_DRAIN_MS, 0);
	if (!c->eof)
		set_reading(c, true);
	if (c->state == CONN_DRAINING)
		conn_maybe_shutdown(c);
}

static void timer_cb(uv_timer_t *t)
{
	struct http_conn *c = t->data;
	uint64_t idle = c->srv->cfg.idle_timeout_ms;
	if (c->state != CONN_OPEN) {
		conn_abort(c); /* drain or linger time is up */
		return;
	}
	if (c->tls && !tls_conn_ready(c->tls)) {
		log_debug("agent.http", "http: TLS handshake error from %s: timeout", c->peer);
		conn_abort(c);
		return;
	}
	if (!idle)
		return;
	uint64_t elapsed = uv_now(c->srv->loop) - c->last_active;
	if (c->active || elapsed < idle) {
		uv_timer_start(t, timer_cb, c->active ? idle : idle - elapsed, 0);
		return;
	}
	log_debug("agent.http", "closing idle connection from %s", c->peer);
	conn_abort(c);
}

/* Parser hook: the head is complete. */
static void on_head(void *arg, struct http_request *req)
{
	struct http_conn *c = arg;
	struct http_server *srv = c->srv;
	req->conn = c;
	req->id = ++srv->next_id;
	memcpy(req->peer, c->peer, sizeof(req->peer));
	req->start_ns = uv_hrtime();
	if (srv->cfg.on_headers)
		srv->cfg.on_headers(srv->cfg.ctx, req);
}

/* Parser hook: the client waits for "100 Continue" before sending the body. */
static void on_continue(void *arg, struct http_request *req)
{
	struct http_conn *c = arg;
	resp_continue(&c->out);
	conn_flush(c);
}

static void dispatch(struct http_conn *c)
{
	struct http_request *req = reqparser_take(&c->parser);
	c->active = req;
	if (!req->keep_alive || req->body_too_large)
		c->close_after = true;
	c->srv->cfg.dispatch(c->srv->cfg.ctx, req);
}

static bool out_blocked(const struct http_conn *c)
{
	return c->stream.write_queue_size + c->out.len > HTTP_OUT_LIMIT;
}

/* Parse and dispatch requests from data until one is outstanding or the
 * input ends; returns the bytes used (all of them once nothing more will be
 * taken from this connection). */
static size_t conn_feed(struct http_conn *c, const char *data, size_t len)
{
	size_t off = 0;
	c->in_process = true;
	while (off < len && c->state == CONN_OPEN && !c->active && !c->close_after &&
	       !out_blocked(c)) {
		enum rp_event ev;
		off += reqparser_feed(&c->parser, data + off, len - off, &ev);
		if (c->state != CONN_OPEN) {
			/* A hook closed the connection (write error, shutdown). */
			if (ev == RP_MESSAGE)
				reqparser_recycle(&c->parser, reqparser_take(&c->parser));
			break;
		}
		if (ev == RP_MESSAGE) {
			dispatch(c);
		} else if (ev == RP_ERROR) {
			log_debug("agent.http", "bad request from %s: status %d", c->peer,
				  c->parser.error_status);
			resp_error(&c->out, c->parser.error_status);
			c->close_after = true;
		}
	}
	c->in_process = false;
	return c->close_after ? len : off;
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct http_conn *c = s->data;
	if (nread < 0) {
		if (nread != UV_EOF || c->state == CONN_LINGER) {
			conn_abort(c);
			return;
		}
		c->eof = true;
		set_reading(c, false);
		if (c->state == CONN_OPEN && c->active && c->active->cancel)
			conn_abort(c);
		else if (c->state == CONN_OPEN)
			conn_after(c);
		else
			conn_maybe_shutdown(c);
		return;
	}
	if (c->tls) {
		conn_tls_read(c, b->base, (size_t)nread);
		return;
	}
	if (nread == 0 || c->state != CONN_OPEN || c->close_after)
		return; /* nothing, or input nobody will parse */
	conn_input(c, b->base, (size_t)nread);
}

/* n bytes of request data arrived (decrypted, for HTTPS). */
static void conn_input(struct http_conn *c, const char *data, size_t n)
{
	c->last_active = uv_now(c->srv->loop);
	if (c->in.len == 0 && !c->active) {
		size_t used = conn_feed(c, data, n);
		if (used < n && c->state == CONN_OPEN)
			buf_append(&c->in, data + used, n - used);
	} else {
		buf_append(&c->in, data, n);
		if (!c->active)
			buf_consume(&c->in, conn_feed(c, c->in.data, c->in.len));
	}
	conn_after(c);
}

/*
 * HTTPS input: the ciphertext goes through the TLS session and what it decrypts
 * takes the plain path. Handshake replies leave at once. A failed handshake sends
 * its alert and closes gracefully (so the alert is not lost to a reset); a failure
 * after it aborts. Input in LINGER is dropped, as for plain connections.
 */
static void conn_tls_read(struct http_conn *c, const char *data, size_t n)
{
	if (n == 0 || c->state == CONN_LINGER || c->state == CONN_CLOSING)
		return;
	struct http_server *srv = c->srv;
	struct buf *plain = &srv->plain;
	struct buf err = BUF_INIT;
	bool was_ready = tls_conn_ready(c->tls);
	buf_reset(plain);
	int rc = tls_conn_input(c->tls, data, n, plain, &err);
	conn_flush(c); /* handshake messages, held replies, an alert */
	if (rc < 0 && !was_ready)
		log_debug("agent.http", "http: TLS handshake error from %s: %s", c->peer,
			  buf_cstr(&err));
	buf_free(&err);
	if (rc < 0) {
		if (c->state == CONN_CLOSING)
			return;
		if (was_ready || c->active) {
			conn_abort(c);
		} else if (c->state == CONN_OPEN) {
			c->close_after = true;
			conn_finish(c);
		} else {
			conn_maybe_shutdown(c);
		}
		return;
	}
	if (c->state == CONN_OPEN && !was_ready && tls_conn_ready(c->tls)) {
		if (srv->cfg.idle_timeout_ms) /* the handshake timer becomes the idle timer */
			uv_timer_start(&c->timer, timer_cb, srv->cfg.idle_timeout_ms, 0);
		else
			uv_timer_stop(&c->timer);
	}
	if (c->state == CONN_DRAINING)
		conn_maybe_shutdown(c); /* a reply held for the handshake may have left */
	else if (plain->len && c->state == CONN_OPEN && !c->close_after)
		conn_input(c, plain->data, plain->len);
	if (plain->cap > 4 * HTTP_READ_BUF)
		buf_free(plain);
}

/* TLS in DRAINING: may the write side shut now? Not while a reply waits for the
 * handshake; the first time, close_notify is sent first. */
static bool tls_quiet(struct http_conn *c)
{
	if (tls_conn_held(c->tls))
		return false;
	if (!tls_conn_close_notify(c->tls))
		return true;
	conn_flush(c);
	return c->state == CONN_DRAINING && !c->writes && !c->out.len;
}

/* After input was processed or a reply was queued: write, then decide
 * whether to close, and whether to keep reading. */
static void conn_after(struct http_conn *c)
{
	if (c->state != CONN_OPEN)
		return;
	conn_flush(c);
	if (c->state != CONN_OPEN)
		return;
	if (!c->active && (c->close_after || (c->eof && c->in.len == 0))) {
		conn_finish(c);
		return;
	}
	/* Input held back by output pressure that has since drained. */
	if (!c->active && c->in.len && !out_blocked(c))
		queue_resume(c);
	set_reading(c, !c->eof && c->in.len < HTTP_IN_LIMIT);
}

static void queue_resume(struct http_conn *c)
{
	struct http_server *srv = c->srv;
	if (c->resume_queued || srv->closing)
		return;
	c->resume_queued = true;
	c->rq_next = NULL;
	c->rq_prev = srv->rq_tail;
	if (srv->rq_tail)
		srv->rq_tail->rq_next = c;
	else
		srv->rq_head = c;
	srv->rq_tail = c;
	if (!uv_is_active((uv_handle_t *)&srv->resume))
		uv_idle_start(&srv->resume, conn_resume_queued);
}

void conn_resume_queued(uv_idle_t *idle)
{
	struct http_server *srv = idle->data;
	struct http_conn *c;
	while ((c = srv->rq_head)) {
		srv->rq_head = c->rq_next;
		if (srv->rq_head)
			srv->rq_head->rq_prev = NULL;
		else
			srv->rq_tail = NULL;
		c->resume_queued = false;
		if (c->state == CONN_OPEN && c->active && c->out.len)
			conn_flush(c); /* a stream's chunks (conn_flush_later) */
		if (c->state != CONN_OPEN || c->active)
			continue;
		if (c->in.len)
			buf_consume(&c->in, conn_feed(c, c->in.data, c->in.len));
		conn_after(c);
	}
	uv_idle_stop(idle);
}

/* The reply to c->active was serialized into c->out. */
void conn_replied(struct http_conn *c)
{
	c->active = NULL;
	c->last_active = uv_now(c->srv->loop);
	if (c->in_process)
		return; /* the parsing loop goes on and flushes */
	if (c->in.len && !c->close_after)
		queue_resume(c);
	conn_after(c);
}

void conn_flush_later(struct http_conn *c)
{
	if (c->state == CONN_OPEN)
		queue_resume(c);
}

/* Output drained below the limit: parse what was held back. */
void conn_unblocked(struct http_conn *c)
{
	if (c->state == CONN_OPEN && !c->active && c->in.len && !c->close_after)
		queue_resume(c);
}

/* A unix socket client's name as Go prints it: "@" for the usual unnamed
 * client (Consul logs from=@), else the path it bound ('@' for an abstract
 * name's leading NUL). */
static void conn_peer_unix(struct http_conn *c)
{
	char name[128]; /* more than sun_path */
	size_t len = sizeof(name) - 1;
	strcpy(c->peer, "@");
	if (uv_pipe_getpeername(&c->pipe, name, &len) != 0 || len == 0 || len >= sizeof(name))
		return;
	name[len] = '\0';
	if (name[0] == '\0')
		name[0] = '@';
	snprintf(c->peer, sizeof(c->peer), "%s", name);
}

static void conn_peer(struct http_conn *c)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	if (c->stream.type == UV_NAMED_PIPE) {
		conn_peer_unix(c);
		return;
	}
	strcpy(c->peer, "unknown");
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET)
		uv_ip4_name((struct sockaddr_in *)&ss, c->peer, sizeof(c->peer));
	else if (ss.ss_family == AF_INET6)
		uv_ip6_name((struct sockaddr_in6 *)&ss, c->peer, sizeof(c->peer));
}

static struct http_conn *conn_new(struct http_server *srv, bool unix_socket)
{
	struct http_conn *c = xcalloc(1, sizeof(*c));
	c->srv = srv;
	if (unix_socket)
		uv_pipe_init(srv->loop, &c->pipe, 0);
	else
		uv_tcp_init(srv->loop, &c->tcp);
	uv_timer_init(srv->loop, &c->timer);
	c->stream.data = c->timer.data = c;
	c->handles = 2;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	reqparser_init(&c->parser, srv->cfg.max_body);
	c->parser.on_head = on_head;
	c->parser.on_continue = on_continue;
	c->parser.arg = c;
	c->last_active = uv_now(srv->loop);
	return c;
}

void conn_accept(struct http_server *srv, uv_stream_t *listener)
{
	bool unix_socket = listener->type == UV_NAMED_PIPE;
	struct http_conn *c = conn_new(srv, unix_socket);
	if (uv_accept(listener, &c->stream) != 0) {
		conn_abort(c);
		return;
	}
	if (!unix_socket)
		uv_tcp_nodelay(&c->tcp, 1);
	conn_peer(c);
	if (srv->tls)
		c->tls = tls_conn_new(srv->tls);
	/* unix socket clients share no IP: the file's permissions limit them */
	if (srv->cfg.max_conns_per_client > 0 && !unix_socket) {
		c->client = server_client_acquire(srv, c->peer);
		if (!c->client) {
			log_debug("agent.http", "too many connections from %s", c->peer);
			resp_too_many_conns(&c->out);
			conn_flush(c);
			if (c->state == CONN_OPEN)
				conn_finish(c);
			return;
		}
	}
	set_reading(c, true);
	uint64_t first = c->tls && srv->handshake_ms ? srv->handshake_ms : srv->cfg.idle_timeout_ms;
	if (c->state == CONN_OPEN && first)
		uv_timer_start(&c->timer, timer_cb, first, 0);
}
