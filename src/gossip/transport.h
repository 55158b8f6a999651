/*
 * gossip_transport: the libuv driver of one gossip pool (LAN on 8301, WAN on
 * 8302). It binds UDP and TCP on one address:port, owns one struct memberlist
 * (the pure SWIM/Lifeguard core, memberlist.h) and one struct vivaldi (our
 * network coordinate), and moves bytes between the two: datagrams, stream
 * requests, encryption with a keyring, and the one timer the core needs.
 *
 * API (what the serf layer / agent does):
 *
 *   struct gossip_transport t;                 caller-owned memory
 *   gossip_transport_config_default(&cfg);     LAN tuning, port 8301
 *   cfg.node_name = ...; cfg.bind_ip = ...; cfg.hooks = {ud, notify, user_msg, ...};
 *   gossip_transport_start(&t, loop, &cfg);    binds, starts the core (alone)
 *   gossip_transport_join(&t, addrs, n, cb, data)   push-pull with each address
 *   gossip_transport_broadcast / set_meta      serf events, tag changes
 *   gossip_transport_foreach / find / coord    members, Vivaldi
 *   gossip_transport_leave(&t, drain_ms, cb)   graceful: "left" gossiped, then cb
 *   gossip_transport_close(&t, cb)             stop everything; free after cb
 *
 * Close without leave is what a crash looks like to the others (they mark the
 * node failed); the serf layer leaves first on a graceful shutdown.
 *
 * Callbacks (hooks.*, join and leave completions) run on the loop thread,
 * never from inside gossip_transport_* calls that take them, and never while
 * the core is running: they may call any gossip_transport_* function,
 * including close. The hooks that the core calls synchronously (notify,
 * user_msg, local_state, merge_state) must not call gossip_transport_*
 * functions that change state (queries are fine), as memberlist_env says.
 *
 * Stream wire format (TCP): a plain request or reply is one wire.h frame,
 * starting with GWIRE_VERSION. With encryption it is memberlist's encryptMsg:
 *
 *   off  size  field
 *   0    1     GTRANSPORT_ENCRYPT_MSG (10)
 *   1    4     sealed length S, big-endian (<= GTRANSPORT_SEALED_MAX)
 *   5    S     crypto.h sealed form of one wire.h frame; the aad is
 *              gcrypt_stream_aad(10, S, label)
 *
 * UDP packets are sealed whole (crypto.h, aad = the label). Single-threaded:
 * every function runs on the loop thread that owns the transport.
 */
#ifndef CAIRN_GOSSIP_TRANSPORT_H
#define CAIRN_GOSSIP_TRANSPORT_H

#include "gossip/keyring.h"
#include "gossip/memberlist.h"
#include "gossip/vivaldi.h"
#include "gossip/wire.h"

#include <uv.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GTRANSPORT_ENCRYPT_MSG	10 /* memberlist's encryptMsg type byte */
#define GTRANSPORT_SEALED_MAX	(GWIRE_STREAM_HDR + GWIRE_STREAM_MAX + GCRYPT_OVERHEAD)
#define GTRANSPORT_MAX_CONNS	256	     /* inbound streams served at once */
#define GTRANSPORT_MAX_BUFFERED (256u << 20) /* bytes read by all inbound streams */
#define GTRANSPORT_MAX_QUEUED	(4u << 20)   /* bytes of UDP waiting for the socket */
#define GTRANSPORT_LABEL_MAX	255

struct gossip_transport;

/* What the serf layer hears from the core; every member may be NULL. The
 * core calls these synchronously (see memberlist_env for the meaning). */
struct gossip_hooks {
	void *ud;
	void (*notify)(void *ud, enum memberlist_event ev, const struct memberlist_node *n);
	bool (*user_msg)(void *ud, const uint8_t *data, size_t len);
	void (*local_state)(void *ud, bool join, struct buf *out);
	void (*merge_state)(void *ud, const uint8_t *data, size_t len, bool join);
};

struct gossip_transport_config {
	const char *bind_ip;	  /* IPv4/IPv6 literal; "0.0.0.0" by default */
	uint16_t port;		  /* UDP and TCP (8301 LAN, 8302 WAN) */
	const char *advertise_ip; /* what others reach us at; NULL: bind_ip (then not a wildcard) */
	uint16_t advertise_port;  /* 0: port */
	const char *node_name;	  /* unique name, 1..GOSSIP_NAME_MAX bytes */
	const uint8_t *meta;	  /* serf tags (tags.h), copied by the core */
	size_t meta_len;	  /* <= GOSSIP_META_MAX */
	struct memberlist_config ml; /* tuning; name and addr are filled in by start */
	struct keyring *keyring;     /* NULL: no encryption. Borrowed: the caller keeps it
					alive until the close callback and may change it
					(install/use/remove) between calls */
	bool verify_incoming;	     /* encrypt_verify_incoming (default true) */
	bool verify_outgoing;	     /* encrypt_verify_outgoing (default true) */
	const char *label;	     /* gossip label authenticated as aad; NULL: none */
	struct gossip_hooks hooks;
};

typedef void (*gossip_join_cb)(struct gossip_transport *t, int joined, int err, void *data);
typedef void (*gossip_done_cb)(struct gossip_transport *t, int err);
typedef void (*gossip_close_cb)(struct gossip_transport *t);

struct gossip_join_op; /* transport.c */
struct gstream;	       /* transport_tcp.c: one TCP stream, inbound or outbound */

/* Counters beyond the core's memberlist_stats. */
struct gossip_transport_stats {
	uint64_t udp_in, udp_out;	   /* datagrams */
	uint64_t udp_dropped_crypto;	   /* refused by the keyring policy */
	uint64_t udp_send_errors;	   /* refused by the socket or the queue bound */
	uint64_t udp_queued;		   /* sent through the queued path */
	uint64_t streams_in, streams_out;  /* connections */
	uint64_t streams_refused;	   /* over GTRANSPORT_MAX_CONNS */
	uint64_t streams_bad;		   /* garbage, bad crypto, too big, timed out */
	uint64_t coord_updates, coord_bad; /* Vivaldi samples used / refused */
};

/* Fields are private to transport*.c; the struct is public only so the caller
 * can own its memory. */
struct gossip_transport {
	uv_loop_t *loop;
	struct memberlist *ml; /* NULL before start and once closing */
	struct memberlist_config mlcfg;
	struct vivaldi viv;
	struct keyring *keyring; /* borrowed, may be NULL */
	bool verify_incoming, verify_outgoing;
	char label[GTRANSPORT_LABEL_MAX + 1];
	size_t label_len;
	struct gossip_hooks hooks;
	struct sockaddr_storage bind_sa; /* where UDP and TCP are bound */
	uv_udp_t udp;
	uv_tcp_t listener;
	uv_timer_t timer;	      /* the core's single deadline */
	uint64_t armed;		      /* deadline the timer is set for, or MEMBERLIST_NEVER */
	uint64_t rng;		      /* splitmix64 state for env.rand64 */
	uint8_t *rbuf;		      /* UDP receive buffer (64 KiB) */
	bool rbuf_busy;		      /* rbuf handed to libuv and not returned */
	struct buf seal;	      /* scratch for sealing outgoing packets */
	struct buf opened;	      /* the incoming packet's plaintext (the core may send,
					 and so seal, while it reads this one) */
	size_t queued_bytes;	      /* UDP bytes in uv_udp_send requests */
	struct gstream *streams;      /* open streams, both directions (list) */
	size_t ninbound;	      /* inbound ones among them */
	size_t inbound_bytes;	      /* buffered by inbound streams (<= GTRANSPORT_MAX_BUFFERED) */
	struct gossip_join_op *joins; /* joins waiting for their last answer */
	bool leaving;		      /* leave requested, callback pending */
	uint64_t leave_deadline;      /* uv_now at which leave stops waiting */
	gossip_done_cb leave_cb;
	bool started; /* handles initialized */
	bool closing; /* close requested */
	int refs;     /* handles and requests whose close is pending */
	gossip_close_cb close_cb;
	struct gossip_transport_stats stats;
};

/* LAN defaults (memberlist_config_lan, port 8301, verify flags on). */
void gossip_transport_config_default(struct gossip_transport_config *cfg);

/* Binds UDP then TCP and starts the core. Returns 0 or a negative code
 * (UV_EADDRINUSE, CAIRN_E_INVAL for a bad address or name...). Whatever it
 * returns, release t with gossip_transport_close. */
int gossip_transport_start(struct gossip_transport *t, uv_loop_t *loop,
			   const struct gossip_transport_config *cfg);

/* Push-pull with each address. cb(joined, err) runs once every address has
 * answered or timed out: joined is how many succeeded, err the last failure
 * (0 if none). Returns an error (and cb is never called) if nothing could be
 * sent, or while leaving or closing. */
int gossip_transport_join(struct gossip_transport *t, const struct gaddr *addrs, size_t n,
			  gossip_join_cb cb, void *data);

/* Graceful leave: gossip "left", then cb(0) once it went out, or
 * cb(CAIRN_E_TIMEOUT) after drain_ms. Close afterwards. */
int gossip_transport_leave(struct gossip_transport *t, uint64_t drain_ms, gossip_done_cb cb);

/* Stops every handle and request (nobody is told: to the others this is a
 * crash unless leave ran first). cb runs once everything is closed; only then
 * may t's memory be reused. A pending leave or join callback is not called. */
void gossip_transport_close(struct gossip_transport *t, gossip_close_cb cb);

/* Core wrappers (they re-arm the timer). */
int gossip_transport_set_meta(struct gossip_transport *t, const uint8_t *meta, size_t len);
int gossip_transport_broadcast(struct gossip_transport *t, const uint8_t *data, size_t len);

/* Members, self included, in table order; stops early when fn returns false.
 * The node is valid only during the call. */
void gossip_transport_foreach(const struct gossip_transport *t,
			      bool (*fn)(void *ud, const struct memberlist_node *n), void *ud);
const struct memberlist_node *gossip_transport_find(const struct gossip_transport *t,
						    const char *name);
/* The core itself, for queries (NULL once closing). */
const struct memberlist *gossip_transport_core(const struct gossip_transport *t);
/* Our Vivaldi coordinate and what we heard from peers. */
const struct vivaldi *gossip_transport_vivaldi(const struct gossip_transport *t);

/* Address helpers: "ip", "ip:port", "[v6]:port" literals (no DNS; the agent
 * resolves names with uv_getaddrinfo first). */
int gossip_addr_parse(const char *s, uint16_t default_port, struct gaddr *out);
int gossip_addr_to_sockaddr(const struct gaddr *a, struct sockaddr_storage *out);
int gossip_addr_from_sockaddr(const struct sockaddr *sa, struct gaddr *out);

#endif
