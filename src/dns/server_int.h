/*
 * Private: the DNS server's objects, shared by server.c (listeners, the
 * hand-off to the recursors, shutdown), udp.c (the datagram path), tcp.c
 * (connections) and worker.c (the UDP worker thread). See server.c for the
 * model. Loop thread only, except what worker.c says its thread touches (the
 * cache, the store's generation, its own sockets and queue).
 */
#ifndef CAIRN_DNS_SERVER_INT_H
#define CAIRN_DNS_SERVER_INT_H

#include "dns/cache.h"
#include "dns/recursor.h"
#include "dns/server.h"
#include "base/be.h"

#include <pthread.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#define UDP_BATCH	20    /* datagrams per recvmmsg (libuv's most) */
#define UDP_DGRAM	65536 /* libuv's per-datagram slot with recvmmsg */
#define UDP_RCVBUF	(4 * 1024 * 1024)
#define TCP_IN_FIRST	4096			   /* initial input buffer of a connection */
#define UDP_ARENA	(256 * 1024 + DNS_MSG_MAX) /* replies of one batch */
#define DNS_WORKERS_MAX 4			   /* UDP worker threads at most (worker.c) */

struct udp_listener {
	uv_udp_t udp;		/* data = this */
	struct dns_server *srv; /* owner */
	char name[80];		/* "127.0.0.1:8600" */
};

struct tcp_listener {
	uv_tcp_t tcp;		/* data = this */
	struct dns_server *srv; /* owner */
	char name[80];		/* ditto */
};

struct tconn {
	uv_tcp_t tcp;		   /* data = this */
	uv_timer_t idle;	   /* DNS_TCP_IDLE_MS without input closes */
	struct dns_server *srv;	   /* owner */
	struct tconn *prev, *next; /* srv->conns */
	uint8_t *in;		   /* received bytes not yet answered */
	size_t len;		   /* bytes used in in */
	size_t cap;		   /* size of in (at most 2 + DNS_MSG_MAX) */
	size_t queued;		   /* reply bytes handed to uv_write, not yet written */
	unsigned pending;	   /* queries with the recursors */
	int handles;		   /* tcp and idle not yet closed */
	bool closing;		   /* uv_close was called */
	bool reading;		   /* uv_read_start in effect */
	bool eof;		   /* the client shut its side */
};

/* A queued copy of a reply. */
struct udp_send {
	uv_udp_send_t req; /* data = this */
	size_t len;	   /* bytes in data */
	uint8_t data[];	   /* the datagram */
};

struct tcp_write {
	uv_write_t req;	 /* data = this */
	struct tconn *c; /* the connection (alive until its handles close) */
	size_t len;	 /* bytes in data */
	uint8_t data[];	 /* unsent part of one or more framed replies */
};

/* A query with the recursors: where its answer goes. */
struct pending {
	struct dns_server *srv;	      /* owner */
	struct udp_listener *udp;     /* UDP: the socket it came in on, else NULL */
	struct tconn *conn;	      /* TCP: the connection (holds c->pending) */
	struct sockaddr_storage peer; /* UDP: the client */
};

/* The replies to one recvmmsg batch, sent with one sendmmsg at its end. */
struct udp_batch {
	struct udp_listener *l;			  /* whose replies, NULL when empty */
	size_t n;				  /* replies held */
	size_t used;				  /* bytes of arena used */
	struct mmsghdr msgs[UDP_BATCH];		  /* one per reply */
	struct iovec iov[UDP_BATCH];		  /* the reply bytes, in arena */
	struct sockaddr_storage peers[UDP_BATCH]; /* the clients */
	uint8_t *arena;				  /* UDP_ARENA bytes */
};

struct dns_worker;
struct remote;

struct dns_server {
	uv_loop_t *loop;	   /* the agent's */
	struct dns_cache *cache;   /* UDP answers (cache.h), shared with the worker */
	struct dns_worker *worker; /* the UDP worker threads (worker.c), NULL when none */
	bool shared_udp;	   /* UDP sockets bound with SO_REUSEPORT for the workers */
	struct dns_view view;	   /* what answers are built from */
	struct dns_recursor rec;   /* relays for names outside the domains */
	struct udp_listener *udp;  /* one per address */
	size_t nudp;		   /* initialised entries of udp */
	struct tcp_listener *tcp;  /* one per address */
	size_t ntcp;		   /* initialised entries of tcp */
	struct tconn *conns;	   /* every connection not yet freed */
	size_t nconns;		   /* length of conns */
	uint8_t *rbuf;		   /* UDP_BATCH * UDP_DGRAM: datagrams land here */
	uint8_t *out;		   /* DNS_MSG_MAX: replies are built here */
	struct udp_batch batch;	   /* replies waiting for the end of a batch */
	int handles;		   /* listeners not yet closed */
	bool rec_open;		   /* the recursor is not closed yet */
	/* questions another agent answers (server.h) */
	bool client;
	void *(*remote_ask)(void *ctx, const struct dns_ask *what, const uint8_t *q, size_t n,
			    bool tcp, void (*done)(void *tok, const uint8_t *resp, size_t len),
			    void *tok);
	void (*remote_cancel)(void *handle);
	void *remote_ctx;
	struct remote *remotes;	     /* questions with a server, for cancelling */
	bool closing;		     /* dns_server_close was called */
	void (*close_cb)(void *arg); /* run when everything is freed */
	void *close_arg;	     /* its argument */
};

static inline socklen_t addr_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* server.c */
void dns_server_maybe_free(struct dns_server *srv);
/* Hands a query to the recursors (UDP: l and peer; TCP: c); false when they
 * refused it (busy). */
bool dns_hand_off(struct dns_server *srv, struct udp_listener *l, const struct sockaddr *peer,
		  struct tconn *c, const uint8_t *pkt, size_t len);
/* Ask another agent (what: server.h) and answer with its reply later (UDP: l
 * and peer; TCP: c). Without a reply (or none could be asked: then at once)
 * the answer is what's fallback when it has one, else SERVFAIL. */
void dns_remote_hand_off(struct dns_server *srv, const struct dns_ask *what, struct udp_listener *l,
			 const struct sockaddr *peer, struct tconn *c, const uint8_t *pkt,
			 size_t len);
/* The hand-off for an outcome of dns_respond that is not answered here
 * (DNS_OTHER_DC, DNS_QUERY_FAILOVER, or any reply on a client agent): true
 * when it was taken, false when out[n] is the answer to send. */
bool dns_hand_off_outcome(struct dns_server *srv, enum dns_outcome o, const uint8_t *out, size_t n,
			  struct udp_listener *l, const struct sockaddr *peer, struct tconn *c,
			  const uint8_t *pkt, size_t len);

/* udp.c */
/* A UDP socket (non-blocking, close-on-exec) bound to sa, with SO_REUSEPORT
 * when shared (IPV6_V6ONLY for IPv6); the fd, or a negative libuv error. */
int dns_udp_socket(const struct sockaddr *sa, bool shared);
/* Answers one datagram that came in on l outside a recvmmsg batch (the
 * workers' misses): cache, dns_respond, recursors; the reply leaves from l. */
void dns_udp_answer(struct dns_server *srv, struct udp_listener *l, const struct sockaddr *from,
		    const uint8_t *pkt, size_t len);
/* Rebuilds the cache entry for the query pkt[len] (a worker served it old);
 * answers nobody. */
void dns_udp_renew(struct dns_server *srv, const uint8_t *pkt, size_t len);
void dns_udp_reply(struct udp_listener *l, const struct sockaddr *to, const uint8_t *p, size_t n);
void dns_udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b);
void dns_udp_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *b, const struct sockaddr *from,
		  unsigned flags);

/* tcp.c */
void dns_tcp_on_connection(uv_stream_t *s, int status);
void dns_tconn_send(struct tconn *c, const uint8_t *p, size_t n);
void dns_tconn_unref(struct tconn *c);
void dns_tconn_close(struct tconn *c);
void dns_tconn_maybe_finish(struct tconn *c);

/* worker.c */
/* The CPUs the workers go to (cpus: room for DNS_WORKERS_MAX): the first
 * DNS_WORKERS_MAX of the process's affinity mask (the online CPUs when it
 * cannot be read). Their count; fewer than 2 means no workers. */
size_t dns_worker_cpus(int *cpus);
/* Starts one worker pinned to each of cpus[nt] (dns_worker_cpus, nt >= 2)
 * over srv->udp (bound with SO_REUSEPORT); 0 or a libuv error (the server
 * then answers everything on the loop, as before). */
int dns_worker_start(struct dns_server *srv, const int *cpus, size_t nt);
/* Stops and joins the threads; the async handle closes later (srv->handles). */
void dns_worker_stop(struct dns_server *srv);

#endif
