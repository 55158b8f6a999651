/*
 * Private: the server and connection objects, shared by server.c (listeners,
 * per-client accounting, shutdown) and conn.c (one connection's life).
 *
 * Ownership. The server owns its listeners, its idle handle and every
 * connection; a connection owns its parser (and so the request being read and
 * a spare), its input and output buffers, its TLS session (HTTPS) and its
 * in-flight write requests.
 * A dispatched request belongs to the server too (http.h), but once its
 * connection dies without a cancel hook it is an orphan that only http_reply
 * frees. Everything runs on the loop thread. Memory is released in close
 * callbacks: a connection when both its handles are closed, the server when
 * its listeners, idle handle and connections are all gone.
 */
#ifndef CAIRN_HTTP_SERVER_H
#define CAIRN_HTTP_SERVER_H

#include "http/http.h"
#include "http/parser.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#define HTTP_READ_BUF	  (64 * 1024)	/* the shared read buffer */
#define HTTP_IN_LIMIT	  (1024 * 1024) /* unparsed input held before reads stop */
#define HTTP_OUT_LIMIT	  (1024 * 1024) /* unsent output before parsing pauses */
#define HTTP_DRAIN_MS	  10000		/* time for the last replies to leave */
#define HTTP_LINGER_MS	  500		/* reading after shutdown, so close sends no RST */
#define HTTP_CLIENT_SLOTS 256		/* buckets of the per-IP table */

/* Connections open from one client IP (only when a limit is configured). */
struct client {
	struct client *next; /* bucket chain */
	unsigned count;	     /* connections counted against the limit */
	char ip[64];	     /* address as text, the table key */
};

struct tls_conn;   /* http/tls.h */
struct tls_server; /* ditto */

enum conn_state {
	CONN_OPEN,     /* reading requests and answering them */
	CONN_DRAINING, /* no more requests: the last replies are being written */
	CONN_LINGER,   /* write side shut down; input dropped until EOF or a timer */
	CONN_CLOSING,  /* handles closing; freed in the last close callback */
};

struct http_conn {
	union {			    /* the client's socket; data = this */
		uv_stream_t stream; /* either kind, for the stream calls */
		uv_tcp_t tcp;	    /* from a TCP listener */
		uv_pipe_t pipe;	    /* from a unix socket listener */
	};
	uv_timer_t timer;	       /* idle timeout, then drain and linger limits */
	uv_shutdown_t shutdown;	       /* the write-side shutdown before close */
	struct http_server *srv;       /* owner */
	struct http_conn *prev, *next; /* srv->conns */
	struct http_conn *rq_prev;     /* srv's resume queue, while resume_queued */
	struct http_conn *rq_next;     /* ditto */
	struct client *client;	       /* counted against this client, or NULL */
	struct reqparser parser;       /* bytes to requests */
	struct http_request *active;   /* dispatched and not yet answered */
	struct buf in;		       /* received bytes not yet parsed */
	struct buf out;		       /* replies not yet handed to the socket */
	struct tls_conn *tls;	       /* HTTPS session (http/tls.h), NULL for plain HTTP */
	uint64_t last_active;	       /* uv_now() of the last read or reply */
	unsigned writes;	       /* uv_write requests in flight */
	int handles;		       /* handles not yet closed (tcp, timer) */
	enum conn_state state;	       /* see above */
	bool in_process;	       /* parsing: replies collect in out, flushed after */
	bool resume_queued;	       /* on the resume queue */
	bool reading;		       /* uv_read_start in effect */
	bool close_after;	       /* no further requests: close after the replies */
	bool eof;		       /* the client shut its side */
	char peer[64];		       /* client IP as text; unix sockets: "@" or its path */
};

struct listener {
	union { /* data = the server */
		uv_stream_t stream;
		uv_tcp_t tcp;	/* an IP address */
		uv_pipe_t pipe; /* "unix://path" */
	};
	char *path;	/* the socket file this listener created (removed at close) */
	dev_t dev;	/* ... and its identity, so a newer one is left alone */
	ino_t ino;	/* ditto */
	char name[128]; /* "127.0.0.1:8500", "[::1]:8500", "/path/x.sock" for messages */
};

struct http_server {
	uv_loop_t *loop;
	struct http_server_config cfg; /* copy; addrs not kept */
	struct listener *listeners;    /* one per address */
	size_t nlisteners;	       /* initialized listeners */
	uv_idle_t resume;	       /* parses input held back while a reply was pending */
	struct http_conn *rq_head;     /* connections waiting for resume */
	struct http_conn *rq_tail;     /* ditto */
	struct http_conn *conns;       /* every connection, any state */
	size_t nconns;		       /* length of conns */
	struct client *clients[HTTP_CLIENT_SLOTS]; /* per-IP counts */
	char *rbuf;				   /* HTTP_READ_BUF bytes every read lands in */
	struct tls_server *tls;			   /* HTTPS context, NULL for plain HTTP */
	uint64_t handshake_ms;			   /* time allowed for a TLS handshake */
	struct buf plain;			   /* one read's decrypted bytes (HTTPS) */
	uint64_t next_id;			   /* last request id given out */
	int open_handles;	     /* listeners and the idle handle not yet closed */
	bool closing;		     /* http_server_close was called */
	void (*close_cb)(void *arg); /* run when everything is closed */
	void *close_arg;
};

/* conn.c */
void conn_accept(struct http_server *srv, uv_stream_t *listener);
/* Close at once: cancel or orphan the outstanding request, drop pending output. */
void conn_abort(struct http_conn *c);
/* The idle handle's callback: parse what was held back for queued connections. */
void conn_resume_queued(uv_idle_t *idle);
/* The reply to c->active is in c->out: send it and carry on. */
void conn_replied(struct http_conn *c);
/* In DRAINING: shut the write side down once the output is gone. */
void conn_maybe_shutdown(struct http_conn *c);
/* Writes finished: parsing held back by output pressure may resume. */
void conn_unblocked(struct http_conn *c);
/* Output was queued outside a reply (a streamed chunk): flush it from the idle
 * handle, where an aborting connection may safely cancel its request. */
void conn_flush_later(struct http_conn *c);

/* reply.c */
/* Hand c->out to the socket (uv_try_write, then uv_write for the rest). */
void conn_flush(struct http_conn *c);

/* listen_unix.c */
bool listen_is_unix(const char *addr); /* "unix://..." */
/* Bind l->pipe (initialized) to addr's path, replacing a stale socket file,
 * and apply cfg's unix_* ownership and mode; errors are described in errbuf. */
int listen_unix_bind(struct listener *l, const char *addr, const struct http_server_config *cfg,
		     struct buf *errbuf);
/* At close: remove the socket file if it is still the one bound. */
void listen_unix_remove(struct listener *l);

/* server.c */
struct client *server_client_acquire(struct http_server *srv, const char *ip);
void server_client_release(struct http_server *srv, struct client *cl);
/* A connection was freed: the server may be done closing. */
void server_conn_freed(struct http_server *srv);

#endif
