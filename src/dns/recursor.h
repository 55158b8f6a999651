/*
 * Recursors: relaying queries outside the DNS domains to upstream servers.
 *
 * API:
 *   dns_recursor_init(r, loop, view)   before the first query
 *   dns_recurse(r, pkt, len, tcp, cb, arg)
 *                                      relays one client query; cb runs once,
 *                                      later, with the reply for the client
 *   dns_recursor_close(r, cb, arg)     cancels what is in flight (each cb gets
 *                                      NULL) and calls cb when every handle
 *                                      is closed
 *
 * Model (Consul's agent/dns.go handleRecurse). The upstreams are the
 * `recursors` of the configuration the view points at, read at each query so a
 * reload takes effect for the next one: "ip" or "ip:port" ("[v6]:port"), port
 * 53 by default. `dns_config.recursor_strategy` "sequential" tries them in
 * order, "random" in a random order; each attempt waits
 * `dns_config.recursor_timeout`. An answer with rcode NOERROR or NXDOMAIN
 * ends the search; any other rcode, a timeout or a network error moves on to
 * the next upstream; when all failed the client gets SERVFAIL.
 *
 * An attempt sends the client's packet unchanged except for the ID: a fresh
 * random one per attempt (from getrandom, not the answer shuffle source), and
 * a fresh socket, so the kernel picks a new source port. A reply is accepted
 * only from the upstream's address, with that ID, the QR bit and the same
 * question. It is relayed byte for byte (TTLs untouched) with the client's ID
 * put back. Queries that reached us over TCP go upstream over TCP (two-byte
 * length framing, as Consul does); UDP ones over UDP, so a truncated upstream
 * answer reaches the client with TC and the client retries over TCP.
 *
 * At most DNS_RECURSE_MAX queries are in flight; dns_recurse refuses more.
 *
 * Memory: the caller owns struct dns_recursor; each query and each attempt
 * socket is heap memory freed in its handles' close callbacks. Loop thread.
 */
#ifndef CAIRN_DNS_RECURSOR_H
#define CAIRN_DNS_RECURSOR_H

#include "dns/dns.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define DNS_RECURSE_MAX	   1024 /* queries in flight */
#define DNS_RECURSORS_MAX  16	/* upstreams considered per query */
#define DNS_RECURSE_RANDOM 64	/* bytes of getrandom output kept for IDs */

struct dns_rq;

/*
 * The reply for the client (ID restored, or a SERVFAIL built here), or
 * resp == NULL when the query was cancelled by dns_recursor_close: send
 * nothing then. resp is valid only during the call.
 */
typedef void (*dns_recurse_cb)(void *arg, const uint8_t *resp, size_t len);

struct dns_recursor {
	uv_loop_t *loop;		    /* where the sockets and timers live */
	const struct dns_view *view;	    /* cfg (recursors, strategy, timeout) and rand */
	struct dns_rq *queries;		    /* in flight, not yet answered */
	size_t inflight;		    /* length of queries */
	size_t handles;			    /* our handles not yet closed */
	uint8_t *buf;			    /* DNS_MSG_MAX bytes: UDP replies, SERVFAIL */
	uint8_t random[DNS_RECURSE_RANDOM]; /* getrandom bytes for query IDs */
	size_t random_used;		    /* bytes of random consumed */
	uint64_t warned_at;		    /* uv_now of the last bad-recursor warning */
	bool closing;			    /* dns_recursor_close was called */
	void (*close_cb)(void *arg);	    /* run when handles reaches 0 after close */
	void *close_arg;		    /* its argument */
};

/* view must outlive r; view->cfg is read at each query. */
void dns_recursor_init(struct dns_recursor *r, uv_loop_t *loop, const struct dns_view *view);

/*
 * Relays pkt[len] (a query dns_respond answered DNS_RECURSE; tcp tells how it
 * arrived). 0 when cb will be called; a negative errno-style code, and cb
 * never called, when too many queries are in flight, the recursor is closing
 * or pkt is not a query at all (UV_EBUSY, UV_ECANCELED, UV_EINVAL).
 */
int dns_recurse(struct dns_recursor *r, const uint8_t *pkt, size_t len, int tcp, dns_recurse_cb cb,
		void *arg);

/* Cancels every query (their callbacks get NULL at once) and calls cb once all
 * handles are closed. cb may be NULL. */
void dns_recursor_close(struct dns_recursor *r, void (*cb)(void *arg), void *arg);

#endif
