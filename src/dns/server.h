/*
 * The DNS server: UDP and TCP listeners that feed dns_respond (dns.h) and
 * relay what it cannot answer through the recursors (recursor.h).
 *
 * API:
 *   dns_server_start(loop, cfg, &srv, err)   bind UDP and TCP on every address
 *   dns_server_close(srv, cb, arg)           close everything; cb when freed
 *
 * UDP. Datagrams land in one receive buffer owned by the server, up to 20 per
 * recvmmsg (libuv's UV_UDP_RECVMMSG). The replies to a batch are built in an
 * arena and leave in one sendmmsg when libuv reports the batch's end; a lone
 * datagram's reply goes out with uv_udp_try_send. Replies the socket will not
 * take fall back to a queued send of a copy (bounded: beyond DNS_UDP_QUEUE_MAX
 * queued bytes they are dropped, as the kernel would drop them).
 *
 * TCP (RFC 1035 4.2.2, RFC 7766). Each message carries a two-byte length
 * prefix; a connection may carry many queries, pipelined, answered as they
 * complete (a recursed one may be answered after a later one: clients match by
 * ID). A connection holds at most one message of input beyond what it has
 * processed, stops reading while more than DNS_TCP_OUT_HIGH bytes of replies
 * are unsent, and is closed after DNS_TCP_IDLE_MS without input, on a zero
 * length prefix or a message without a readable header, and on any read
 * error. A client that shuts its side down gets its outstanding answers
 * first. Beyond DNS_TCP_MAX_CONNS connections, new ones are closed at accept.
 *
 * Cache and workers. UDP answers go through an answer cache (cache.h) valid
 * for the store's generation and at most DNS_CACHE_MAX_MS; with two CPUs or
 * more a worker thread per CPU (worker.c, pinned) answers cache hits from its
 * own socket on the same address and port (SO_REUSEPORT, datagrams steered
 * by CPU) and hands misses and renewals to the loop.
 *
 * Reload: the server keeps the view it was given; view->cfg is read at every
 * query, so swapping the configuration's contents in place (as the agent's
 * reload does) is seen by the next query once dns_server_config_changed has
 * emptied the cache.
 *
 * Memory: the server and its connections are heap objects freed in their close
 * callbacks; dns_server_close calls cb once the last one is gone. Loop thread.
 */
#ifndef CAIRN_DNS_SERVER_H
#define CAIRN_DNS_SERVER_H

#include "base/buf.h"
#include "dns/dns.h"

#include <uv.h>

#include <stdbool.h>
#include <stdint.h>

#define DNS_TCP_IDLE_MS	  10000		/* close a TCP connection idle this long */
#define DNS_TCP_OUT_HIGH  (256 * 1024)	/* unsent reply bytes before reading pauses */
#define DNS_TCP_MAX_CONNS 1024		/* open TCP connections */
#define DNS_UDP_QUEUE_MAX (1024 * 1024) /* queued UDP reply bytes per socket */

struct dns_server;

/* What a hand-off asks: a server of our datacenter (dc NULL, client agents),
 * one of dc's, or (failover) the datacenters a prepared query fails over to;
 * fallback[flen] (failover: the answer from here) is what done gets when
 * none of them has an answer. */
struct dns_ask {
	const char *dc;
	bool failover;
	const uint8_t *fallback;
	size_t flen;
};

struct dns_server_config {
	const char **addrs;	     /* NULL-terminated IP literals to listen on */
	int port;		     /* UDP and TCP */
	const struct dns_view *view; /* copied; view->cfg and view->store must outlive the
				      * server */
	/* Questions another agent answers (agent/dns_remote.h): on a client
	 * agent (client true) every question in the domains goes to a server of
	 * its datacenter; on a server, those naming another datacenter
	 * (DNS_OTHER_DC) go to one of that datacenter's servers, and a prepared
	 * query that fails over (DNS_QUERY_FAILOVER) to the datacenters it names
	 * (struct dns_ask). remote_ask hands a query over and calls done(tok,
	 * resp, len) later (resp NULL: no answer and no fallback, SERVFAIL goes
	 * out); it returns a handle for remote_cancel, or NULL when it cannot
	 * (the fallback or SERVFAIL at once). NULL remote_ask: nothing is asked
	 * elsewhere. */
	bool client;
	void *(*remote_ask)(void *ctx, const struct dns_ask *what, const uint8_t *q, size_t n,
			    bool tcp, void (*done)(void *tok, const uint8_t *resp, size_t len),
			    void *tok);
	void (*remote_cancel)(void *handle);
	void *remote_ctx;
};

/*
 * Binds and starts serving. On failure nothing is left open (the handles
 * already made are closed asynchronously), *out is NULL and err names the
 * address ("listen udp 127.0.0.1:8600: bind: address already in use").
 */
int dns_server_start(uv_loop_t *loop, const struct dns_server_config *cfg, struct dns_server **out,
		     struct buf *err);

/* The configuration behind view->cfg was changed (reload): cached UDP answers
 * are dropped, so the next query sees the new settings. NULL is fine. */
void dns_server_config_changed(struct dns_server *srv);

/* Stops listening, drops connections and in-flight recursions; cb (may be
 * NULL) runs once everything is closed and freed. */
void dns_server_close(struct dns_server *srv, void (*cb)(void *arg), void *arg);

#endif
