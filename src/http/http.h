/*
 * HTTP/1.1 server: requests in, responses out.
 *
 * Model. One struct http_server listens on one or more addresses on the loop
 * thread. Each connection is parsed with http-parser; a complete request (head
 * and body) is handed to the dispatch callback as a struct http_request. The
 * handler answers by filling req->resp and calling http_reply(req), either at
 * once or later (async: a Raft commit, a blocking query). Requests on one
 * connection are answered in order: while one is outstanding, further pipelined
 * bytes are buffered unparsed, but the socket is still read so that a client
 * going away is noticed at once.
 *
 * Lifetime. The server owns each request. If the connection dies while a request
 * is outstanding, req->cancel (if set) is called and the request is freed when it
 * returns: the handler must drop every reference in cancel. Without a cancel hook
 * the request lives until the handler calls http_reply, which then frees it
 * without sending. After http_reply the request must not be touched.
 *
 * Limits. Header block size (http-parser's limit, 80 KiB: 431 otherwise), a
 * per-request body limit chosen by the on_headers hook (the handler is then called
 * with body_too_large set and should answer 413), and connections per client IP
 * (limits.http_max_conns_per_client: 429 and close beyond it; unix socket
 * clients, whose peer is "@", are not counted). Requests with
 * `Expect: 100-continue` get "100 Continue" once the body is wanted.
 *
 * HTTPS. With cfg->tls the same server speaks TLS on its listeners (tls.h):
 * handlers see the same requests and cannot tell the difference.
 */
#ifndef CAIRN_HTTP_HTTP_H
#define CAIRN_HTTP_HTTP_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

enum http_method {
	HTTP_M_GET,
	HTTP_M_HEAD,
	HTTP_M_PUT,
	HTTP_M_POST,
	HTTP_M_DELETE,
	HTTP_M_OPTIONS,
	HTTP_M_PATCH,
	HTTP_M_OTHER
};

struct http_param {
	char *name;	/* percent-decoded */
	char *value;	/* percent-decoded; "" when absent */
	bool has_value; /* "?recurse" vs "?recurse=" */
};

struct http_header {
	char *name;  /* lower-cased */
	char *value; /* as sent, surrounding blanks trimmed */
};

struct http_response {
	int status;		  /* 200 unless set */
	const char *content_type; /* static string; default "application/json" (none
				     when unset and the body is empty; "" for none) */
	struct buf headers;	  /* extra lines, each "Name: value\r\n" */
	struct buf body;
};

struct http_conn;
struct http_route;

struct http_request {
	struct http_conn *conn; /* private to the server */
	uint64_t id;		/* per-server sequence number, for logs */
	enum http_method method;
	const char *method_name; /* "GET", ... as sent */
	char *raw_path;		 /* path as sent, without the query */
	char *path;		 /* percent-decoded path (may hold any byte but NUL) */
	char *query;		 /* raw query string after '?', "" if none */
	struct http_param *params;
	size_t nparams;
	struct http_header *headers;
	size_t nheaders;
	struct buf body;	 /* complete body (chunked bodies are de-chunked) */
	uint64_t content_length; /* from the header, 0 if none or chunked */
	bool keep_alive;	 /* the connection stays open after the reply */
	bool body_too_large;	 /* body exceeded max_body: answer 413 */
	size_t max_body;	 /* set by on_headers; default: server's max_body */
	char peer[64];		 /* client IP address as text */
	uint64_t start_ns;	 /* uv_hrtime() when the request head was complete */

	/* router's */
	const struct http_route *route; /* the matched row, NULL if none */
	const char *tail;		/* path after a prefix route's pattern */

	/* handler's */
	void *ctx;
	void (*cancel)(struct http_request *req);

	struct http_response resp;
};

/* Called for every complete request. */
typedef void (*http_dispatch_fn)(void *ctx, struct http_request *req);
/* Called when a request's head is complete, before its body is read; may set
 * req->max_body. */
typedef void (*http_headers_fn)(void *ctx, struct http_request *req);

/* HTTPS: the server's certificate and how clients are checked (http/tls.h). */
struct http_tls_config {
	const char *cert_file;	       /* PEM certificate (chain) */
	const char *key_file;	       /* PEM private key */
	const char *ca_file;	       /* PEM CAs for client certificates, or NULL */
	const char *ca_path;	       /* directory of CAs (c_rehash layout), or NULL */
	bool verify_incoming;	       /* require a client certificate signed by a CA */
	bool tls13;		       /* tls_min_version TLSv1_3 (else TLS 1.2) */
	uint64_t handshake_timeout_ms; /* limits.https_handshake_timeout; 0 = none */
};

struct http_server_config {
	const char **addrs; /* IP addresses or "unix:///path" to listen on (NULL-terminated) */
	int port;
	/* unix sockets (unix_sockets block, read at start only); NULL or "": leave as is */
	const char *unix_user;		   /* owner: user name or uid */
	const char *unix_group;		   /* group: gid (or group name) */
	const char *unix_mode;		   /* octal permissions, "0600" */
	const struct http_tls_config *tls; /* serve TLS (read at start only); NULL: plain */
	size_t max_body;		   /* default body limit; 0 = 4 MiB */
	int max_conns_per_client;	   /* 0 = unlimited */
	uint64_t idle_timeout_ms;	   /* close idle keep-alive connections; 0 = never */
	http_dispatch_fn dispatch;
	http_headers_fn on_headers; /* may be NULL */
	void *ctx;
};

struct http_server;

/* Create a server and start listening. On error returns a negative libuv code and
 * sets *out NULL; the message names the address that failed in errbuf. */
int http_server_start(uv_loop_t *loop, const struct http_server_config *cfg,
		      struct http_server **out, struct buf *errbuf);
/* Stop listening and close all connections (outstanding requests are cancelled);
 * cb runs when every handle is closed and the server is freed. */
void http_server_close(struct http_server *srv, void (*cb)(void *arg), void *arg);
size_t http_server_conn_count(const struct http_server *srv);
/* Port the first TCP address is bound to (useful with port 0), -1 if none. */
int http_server_port(const struct http_server *srv);

/* ---- Injected requests (inject.c) ----
 *
 * A request that did not arrive on a connection: the raw HTTP/1.1 bytes of
 * one request (as a client would send them) are parsed as a server with cfg
 * would (max_body, on_headers), and dispatched to cfg's handler; when the handler
 * replies, done(ctx, req) gets the response (req->resp) instead of a socket,
 * and the request is freed after done returns. The RPC server uses it to run
 * requests forwarded by other agents. Returns the request (to cancel it), or
 * NULL with *status 0 when done already ran (the handler answered at once),
 * or NULL with *status set (400: the bytes are not one complete request; 413:
 * the body is over the server's limit) and done never called. */
struct http_request *http_inject(const struct http_server_config *cfg, const char *raw, size_t len,
				 const char *peer,
				 void (*done)(void *ctx, struct http_request *req), void *ctx,
				 int *status);
/* The caller no longer wants the answer (its RPC connection went away): the
 * handler's cancel hook runs and the request is freed; done is not called. */
void http_inject_cancel(struct http_request *req);

/* ---- Request helpers ---- */

const char *http_header_get(const struct http_request *req, const char *lname);
/* Last value of a query parameter, NULL if absent. */
const struct http_param *http_param_get(const struct http_request *req, const char *name);
/* A flag parameter (?recurse, =1, =true, =True): true if present and not "false"/"0". */
bool http_param_flag(const struct http_request *req, const char *name);

/* ---- Responses ---- */

void http_resp_header(struct http_request *req, const char *name, const char *value);
void http_resp_headerf(struct http_request *req, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A header whose value is a number (X-Consul-Index...), without printf's cost. */
void http_resp_header_u64(struct http_request *req, const char *name, uint64_t value);
/* Send req->resp (adds Content-Length, Content-Type, Date, Connection) and free req. */
void http_reply(struct http_request *req);
/* Convenience: status and a text/plain body (msg plus "\n" unless it ends in one). */
void http_reply_text(struct http_request *req, int status, const char *msg);

/* ---- Streaming responses ----
 *
 * For replies of unknown length that go on until the client leaves (the log
 * monitor). API:
 *
 *   http_stream_start(req)        sends req->resp's status and headers with
 *                                 "Transfer-Encoding: chunked" (HTTP/1.0: no
 *                                 framing, the connection closes at the end).
 *                                 req->cancel must be set: it is how the handler
 *                                 learns that the client went away.
 *   http_stream_write(req, p, n)  queues one chunk (n > 0). Never writes to the
 *                                 socket itself: chunks leave together from the
 *                                 server's idle handle, so a dead connection is
 *                                 noticed there, not inside the caller (cancel is
 *                                 never run from within stream calls).
 *   http_stream_pending(req)      bytes queued but not yet taken by the kernel:
 *                                 a slow client shows here, and the handler
 *                                 decides what to drop (the server buffers
 *                                 whatever it is given).
 *   http_stream_end(req)          the last chunk; frees req like http_reply.
 *
 * While a stream runs the connection takes no further requests. If the client
 * goes away, req->cancel runs and req is freed as for any outstanding request.
 */
void http_stream_start(struct http_request *req);
void http_stream_write(struct http_request *req, const void *data, size_t len);
size_t http_stream_pending(const struct http_request *req);
void http_stream_end(struct http_request *req);

/* Reason phrase for a status code ("OK", "Not Found", ...). */
const char *http_status_text(int status);

/* ---- Routing (pure) ---- */

/* One row of a route table: exact path, or prefix when the pattern ends in '/'
 * and prefix is set. methods is a bit mask of (1 << enum http_method). */
typedef void (*http_handler_fn)(void *ctx, struct http_request *req);
struct http_route {
	const char *pattern;
	bool prefix;
	unsigned methods;
	http_handler_fn handler;
	unsigned flags; /* the API layer's (blocking, consistency, ...) */
};
#define HTTP_METHODS(...) http_method_mask_(__VA_ARGS__, -1)
unsigned http_method_mask_(int first, ...);

enum http_route_result { ROUTE_OK, ROUTE_NOT_FOUND, ROUTE_BAD_METHOD };
/* Find the row for req->path and method; sets req->route and req->tail. Exact
 * patterns win over prefixes; the longest prefix wins. */
enum http_route_result http_route_match(const struct http_route *table, size_t n,
					struct http_request *req);

#endif
