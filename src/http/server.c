/*
 * The HTTP server: listeners, per-client connection accounting, shutdown.
 *
 * http_server_start binds one libuv TCP listener per configured address (IPv6
 * ones IPV6ONLY, so "0.0.0.0" and "::" can share a port), or a pipe listener
 * for a "unix:///path" address (listen_unix.c), and hands accepted sockets to
 * conn.c. Per-client accounting follows hashicorp/go-connlimit as Consul uses
 * it: connections are counted per client IP (text form), and the one that
 * would exceed limits.http_max_conns_per_client gets go-connlimit's 429 reply
 * and is closed; it is not counted. Unix socket clients have no IP and are not
 * counted (the socket file's permissions decide who may connect); go-connlimit
 * would put them all under one key and so cap all local clients together.
 *
 * Shutdown (http_server_close) closes the listeners and the idle handle and
 * aborts every connection (cancelling outstanding requests). The server frees
 * itself when the last of those handles reports closed, then calls the
 * caller's callback. A failed start tears down the same way, without a
 * callback. All on the loop thread.
 *
 * HTTPS. With cfg->tls the server loads one TLS context at start (a bad file
 * fails the start) and every accepted connection gets its own TLS session
 * (tls.c); conn.c decrypts at the read and encrypts at the write, and nothing
 * else knows.
 */
#include "http/server.h"

#include "http/tls.h"

#include "base/alloc.h"
#include "base/log.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Default body limit when the configuration gives none. */
#define DEFAULT_MAX_BODY (4u * 1024 * 1024)

static void server_maybe_free(struct http_server *srv)
{
	if (!srv->closing || srv->open_handles > 0 || srv->nconns > 0)
		return;
	void (*cb)(void *) = srv->close_cb;
	void *arg = srv->close_arg;
	for (size_t i = 0; i < HTTP_CLIENT_SLOTS; i++) {
		struct client *cl = srv->clients[i];
		while (cl) {
			struct client *next = cl->next;
			free(cl);
			cl = next;
		}
	}
	free(srv->listeners);
	free(srv->rbuf);
	tls_server_free(srv->tls);
	buf_free(&srv->plain);
	free(srv);
	if (cb)
		cb(arg);
}

void server_conn_freed(struct http_server *srv)
{
	server_maybe_free(srv);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct http_server *srv = h->data;
	srv->open_handles--;
	server_maybe_free(srv);
}

static unsigned ip_slot(const char *ip)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)ip; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % HTTP_CLIENT_SLOTS;
}

struct client *server_client_acquire(struct http_server *srv, const char *ip)
{
	unsigned slot = ip_slot(ip);
	struct client *cl = srv->clients[slot];
	while (cl && strcmp(cl->ip, ip) != 0)
		cl = cl->next;
	if (cl && cl->count >= (unsigned)srv->cfg.max_conns_per_client)
		return NULL;
	if (!cl) {
		cl = xcalloc(1, sizeof(*cl));
		snprintf(cl->ip, sizeof(cl->ip), "%s", ip);
		cl->next = srv->clients[slot];
		srv->clients[slot] = cl;
	}
	cl->count++;
	return cl;
}

void server_client_release(struct http_server *srv, struct client *cl)
{
	if (--cl->count > 0)
		return;
	struct client **pp = &srv->clients[ip_slot(cl->ip)];
	while (*pp != cl)
		pp = &(*pp)->next;
	*pp = cl->next;
	free(cl);
}

static void on_connection(uv_stream_t *listener, int status)
{
	struct http_server *srv = listener->data;
	if (status < 0) {
		log_warn("agent.http", "accept failed: %s", uv_strerror(status));
		return;
	}
	if (!srv->closing)
		conn_accept(srv, listener);
}

/* Bind and listen on one address; on failure describe it like Go does. */
static int listen_one(struct http_server *srv, struct listener *l, const char *addr, int port,
		      struct buf *errbuf)
{
	if (listen_is_unix(addr)) {
		int err = listen_unix_bind(l, addr, &srv->cfg, errbuf);
		if (err == 0) {
			err = uv_listen(&l->stream, 4096, on_connection);
			if (err && errbuf)
				buf_printf(errbuf, "listen unix %s: listen: %s", l->name,
					   uv_strerror(err));
		}
		return err;
	}
	struct sockaddr_storage ss;
	bool v6 = strchr(addr, ':') != NULL;
	snprintf(l->name, sizeof(l->name), v6 ? "[%s]:%d" : "%s:%d", addr, port);
	int err = v6 ? uv_ip6_addr(addr, port, (struct sockaddr_in6 *)&ss)
		     : uv_ip4_addr(addr, port, (struct sockaddr_in *)&ss);
	const char *op = "parse address";
	if (err == 0) {
		op = "bind";
		err = uv_tcp_bind(&l->tcp, (struct sockaddr *)&ss, v6 ? UV_TCP_IPV6ONLY : 0);
	}
	if (err == 0) {
		err = uv_listen((uv_stream_t *)&l->tcp, 4096, on_connection);
		if (err != UV_EADDRINUSE && err != UV_EADDRNOTAVAIL && err != UV_EACCES)
			op = "listen";
	}
	if (err && errbuf)
		buf_printf(errbuf, "listen tcp %s: %s: %s", l->name, op, uv_strerror(err));
	return err;
}

int http_server_start(uv_loop_t *loop, const struct http_server_config *cfg,
		      struct http_server **out, struct buf *errbuf)
{
	*out = NULL;
	signal(SIGPIPE, SIG_IGN); /* a write to a vanished client must not kill us */
	struct http_server *srv = xcalloc(1, sizeof(*srv));
	srv->loop = loop;
	srv->cfg = *cfg;
	srv->cfg.tls = NULL;
	if (cfg->tls && tls_server_new(cfg->tls, &srv->tls, errbuf) < 0) {
		free(srv);
		return UV_EINVAL;
	}
	srv->handshake_ms = cfg->tls ? cfg->tls->handshake_timeout_ms : 0;
	if (!srv->cfg.max_body)
		srv->cfg.max_body = DEFAULT_MAX_BODY;
	srv->rbuf = xmalloc(HTTP_READ_BUF);
	uv_idle_init(loop, &srv->resume);
	srv->resume.data = srv;
	srv->open_handles = 1;
	size_t n = 0;
	while (cfg->addrs && cfg->addrs[n])
		n++;
	srv->listeners = xcalloc(n ? n : 1, sizeof(*srv->listeners));
	for (size_t i = 0; i < n; i++) {
		struct listener *l = &srv->listeners[i];
		if (listen_is_unix(cfg->addrs[i]))
			uv_pipe_init(loop, &l->pipe, 0);
		else
			uv_tcp_init(loop, &l->tcp);
		l->stream.data = srv;
		srv->nlisteners++;
		srv->open_handles++;
		int err = listen_one(srv, l, cfg->addrs[i], cfg->port, errbuf);
		if (err) {
			http_server_close(srv, NULL, NULL);
			return err;
		}
		log_debug("agent.http", "listening on %s", l->name);
	}
	/* only needed while starting */
	srv->cfg.addrs = NULL;
	srv->cfg.unix_user = srv->cfg.unix_group = srv->cfg.unix_mode = NULL;
	*out = srv;
	return 0;
}

void http_server_close(struct http_server *srv, void (*cb)(void *arg), void *arg)
{
	if (srv->closing)
		return;
	srv->closing = true;
	srv->close_cb = cb;
	srv->close_arg = arg;
	for (size_t i = 0; i < srv->nlisteners; i++) {
		uv_close((uv_handle_t *)&srv->listeners[i].stream, on_handle_closed);
		listen_unix_remove(&srv->listeners[i]);
	}
	uv_close((uv_handle_t *)&srv->resume, on_handle_closed);
	for (struct http_conn *c = srv->conns; c; c = c->next)
		conn_abort(c);
}

size_t http_server_conn_count(const struct http_server *srv)
{
	return srv->nconns;
}

int http_server_port(const struct http_server *srv)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	size_t i = 0;
	while (i < srv->nlisteners && srv->listeners[i].stream.type != UV_TCP)
		i++; /* unix sockets have no port */
	if (i == srv->nlisteners ||
	    uv_tcp_getsockname(&srv->listeners[i].tcp, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}
