/*
 * The RPC server (server.h).
 *
 * Each connection keeps a list of its requests in flight (struct job): an
 * injected HTTP request waiting for its reply, a Raft apply waiting for its
 * commit, or a DNS question another datacenter answers. A job outlives its
 * connection when the connection dies first: the job is marked orphaned and
 * frees itself when its callback comes.
 */
#include "rpc/server.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "consensus/kvops.h"
#include "rpc/outq.h"
#include "rpc/wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK (64 * 1024)
#define LOG	   "agent.server.rpc"

struct sconn;

struct job {
	struct job *next, **pprev; /* conn->jobs while the conn lives */
	struct sconn *conn;	   /* NULL once orphaned */
	uint64_t id;
	struct http_request *req; /* RPC_HTTP, while the handler works */
};

struct sconn {
	struct sconn *next, **pprev;
	struct rpc_server *s;
	uv_tcp_t *tcp;
	bool closing;
	struct rpc_outq q; /* replies waiting for, or being written to, the socket */
	struct buf in;
	char rbuf[READ_CHUNK];
	char peer[64];
	struct job *jobs;
};

struct rpc_server {
	uv_loop_t *loop;
	struct rpc_mux *mux;
	struct http_server_config http;
	struct consensus *cons;
	rpc_dns_fn dns;
	void *dns_ctx;
	uint8_t *dns_out; /* DNS_MSG_MAX bytes, one answer at a time */
	struct sconn *conns;
	int open;
	bool closing;
};

static void maybe_free(struct rpc_server *s)
{
	if (s->closing && s->open == 0) {
		free(s->dns_out);
		free(s);
	}
}

/* ---- jobs ---- */

static struct job *job_new(struct sconn *k, uint64_t id)
{
	struct job *j = xcalloc(1, sizeof(*j));
	j->conn = k;
	j->id = id;
	j->next = k->jobs;
	if (j->next)
		j->next->pprev = &j->next;
	j->pprev = &k->jobs;
	k->jobs = j;
	return j;
}

static void job_unlink(struct job *j)
{
	if (!j->pprev)
		return;
	*j->pprev = j->next;
	if (j->next)
		j->next->pprev = j->pprev;
	j->pprev = NULL;
}

/* ---- output ---- */

static void conn_close(struct sconn *k);
static void flush(struct sconn *k);

static void written(uv_write_t *w, int status)
{
	struct sconn *k = w->data;
	rpc_outq_done(&k->q);
	if (status) {
		conn_close(k);
		return;
	}
	flush(k);
}

static void flush(struct sconn *k)
{
	if (!k->closing && rpc_outq_flush(&k->q, (uv_stream_t *)k->tcp, k, written))
		conn_close(k);
}

static void send_frame(struct sconn *k, enum rpc_type t, uint64_t id, const struct buf *payload)
{
	rpc_frame_put(&k->q.out, t, id, payload->data, payload->len);
	flush(k);
}

static void send_error(struct sconn *k, uint64_t id, int code, const char *msg)
{
	struct buf p = BUF_INIT;
	rpc_error_put(&p, code, msg);
	send_frame(k, RPC_ERROR, id, &p);
	buf_free(&p);
}

/* ---- RPC_HTTP ---- */

static void http_done(void *ctx, struct http_request *req)
{
	struct job *j = ctx;
	struct sconn *k = j->conn;
	j->req = NULL;
	if (k) {
		const struct http_response *r = &req->resp;
		struct buf h = BUF_INIT, p = BUF_INIT;
		/* the Content-Type rule of resp_serialize (http/response.h) */
		const char *ct = r->content_type;
		if (!ct && r->body.len)
			ct = "application/json";
		if (ct && *ct)
			buf_printf(&h, "Content-Type: %s\r\n", ct);
		buf_append(&h, r->headers.data, r->headers.len);
		rpc_http_reply_put(&p, r->status ? r->status : 200, h.data, h.len, r->body.data,
				   r->body.len);
		send_frame(k, RPC_HTTP_REPLY, j->id, &p);
		buf_free(&h);
		buf_free(&p);
		job_unlink(j);
	}
	free(j);
}

static void run_http(struct sconn *k, const struct rpc_frame *f)
{
	struct job *j = job_new(k, f->id);
	int status = 0;
	struct http_request *req = http_inject(&k->s->http, (const char *)f->payload, f->len,
					       k->peer, http_done, j, &status);
	if (req) {
		j->req = req;
		return;
	}
	if (status) { /* not a request: j was never handed out */
		job_unlink(j);
		free(j);
		char msg[64];
		snprintf(msg, sizeof(msg), "bad forwarded request (HTTP %d)", status);
		send_error(k, f->id, CAIRN_E_PARSE, msg);
	}
	/* else answered already: http_done freed j */
}

/* ---- RPC_APPLY ---- */

static void applied(void *data, int status, const struct txn_result *res)
{
	struct job *j = data;
	struct sconn *k = j->conn;
	if (k) {
		struct buf p = BUF_INIT;
		size_t ne = res ? res->nerrors : 0;
		rpc_apply_reply_begin(&p, status, res ? res->index : 0, (uint32_t)ne);
		for (size_t i = 0; i < ne; i++)
			rpc_apply_reply_error(&p, (uint32_t)res->errors[i].op_index,
					      res->errors[i].code, res->errors[i].what);
		send_frame(k, RPC_APPLY_REPLY, j->id, &p);
		buf_free(&p);
		job_unlink(j);
	}
	free(j);
}

static void run_apply(struct sconn *k, const struct rpc_frame *f)
{
	struct consensus *c = k->s->cons;
	if (!c) {
		send_error(k, f->id, CAIRN_E_NOTLEADER, "not a server");
		return;
	}
	if (!consensus_is_leader(c)) {
		send_error(k, f->id,
			   consensus_known_leader(c) ? CAIRN_E_NOTLEADER : CAIRN_E_NOLEADER,
			   consensus_leader_address(c));
		return;
	}
	struct job *j = job_new(k, f->id);
	struct buf cmd = {(char *)f->payload, f->len, f->len};
	int rc = consensus_apply(c, &cmd, applied, j);
	if (rc) {
		job_unlink(j);
		free(j);
		send_error(k, f->id, rc, cairn_strerror(rc));
	}
}

void rpc_server_dns_reply(void *token, const uint8_t *resp, size_t len)
{
	struct job *j = token;
	struct sconn *k = j->conn;
	if (k) {
		job_unlink(j);
		if (resp) {
			rpc_frame_put(&k->q.out, RPC_DNS_REPLY, j->id, resp, len);
			flush(k);
		} else {
			send_error(k, j->id, CAIRN_E_IO, "no answer from the datacenter");
		}
	}
	free(j);
}

static void run_dns(struct sconn *k, const struct rpc_frame *f)
{
	struct rpc_server *s = k->s;
	size_t n = 0;
	struct job *j = job_new(k, f->id);
	int rc = s->dns ? s->dns(s->dns_ctx, f->payload, f->len, s->dns_out, &n, j) : -1;
	if (rc == 1)
		return; /* rpc_server_dns_reply frees j */
	job_unlink(j);
	free(j);
	if (rc) {
		send_error(k, f->id, CAIRN_E_INVAL, "not a DNS query to answer here");
		return;
	}
	rpc_frame_put(&k->q.out, RPC_DNS_REPLY, f->id, s->dns_out, n);
	flush(k);
}

static void run_cancel(struct sconn *k, uint64_t id)
{
	for (struct job *j = k->jobs; j; j = j->next)
		if (j->id == id && j->req) {
			struct http_request *req = j->req;
			job_unlink(j);
			free(j);
			http_inject_cancel(req);
			return;
		}
}

/* ---- input ---- */

static void dispatch(struct sconn *k, const struct rpc_frame *f)
{
	switch (f->type) {
	case RPC_HTTP:
		run_http(k, f);
		break;
	case RPC_APPLY:
		run_apply(k, f);
		break;
	case RPC_CANCEL:
		run_cancel(k, f->id);
		break;
	case RPC_DNS:
		run_dns(k, f);
		break;
	default:
		send_error(k, f->id, CAIRN_E_PARSE, "not a request");
	}
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)hint;
	struct sconn *k = h->data;
	*b = uv_buf_init(k->rbuf, sizeof(k->rbuf));
}

static void consume(struct sconn *k)
{
	size_t off = 0;
	while (!k->closing) {
		const uint8_t *p = (const uint8_t *)k->in.data + off;
		size_t avail = k->in.len - off;
		long need = rpc_frame_need(p, avail);
		struct rpc_frame f;
		if (need < 0 ||
		    (need > 0 && (size_t)need <= avail && rpc_frame_decode(p, (size_t)need, &f))) {
			log_warn(LOG, "bad frame from %s: closing", k->peer);
			conn_close(k);
			return;
		}
		if (need == 0 || (size_t)need > avail)
			break;
		off += (size_t)need;
		dispatch(k, &f);
	}
	if (!k->closing && off) {
		memmove(k->in.data, k->in.data + off, k->in.len - off);
		k->in.len -= off;
	}
}

static void read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct sconn *k = st->data;
	if (n == 0)
		return;
	if (n < 0) {
		conn_close(k);
		return;
	}
	buf_append(&k->in, b->base, (size_t)n);
	consume(k);
}

/* ---- connections ---- */

static void tcp_closed(uv_handle_t *h)
{
	struct sconn *k = h->data;
	struct rpc_server *s = k->s;
	free(h);
	rpc_outq_free(&k->q);
	buf_free(&k->in);
	free(k);
	s->open--;
	maybe_free(s);
}

static void conn_close(struct sconn *k)
{
	if (k->closing)
		return;
	k->closing = true;
	*k->pprev = k->next;
	if (k->next)
		k->next->pprev = k->pprev;
	/* orphan the jobs; parked HTTP requests are cancelled now */
	while (k->jobs) {
		struct job *j = k->jobs;
		job_unlink(j);
		j->conn = NULL;
		if (j->req) {
			struct http_request *req = j->req;
			free(j);
			http_inject_cancel(req);
		}
		/* an apply or DNS job frees itself when its answer comes */
	}
	uv_close((uv_handle_t *)k->tcp, tcp_closed);
}

static void on_mux(void *ud, uv_tcp_t *tcp, const uint8_t *rest, size_t n)
{
	struct rpc_server *s = ud;
	struct sconn *k = xcalloc(1, sizeof(*k));
	k->s = s;
	k->tcp = tcp;
	tcp->data = k;
	s->open++;
	k->next = s->conns;
	if (k->next)
		k->next->pprev = &k->next;
	k->pprev = &s->conns;
	s->conns = k;
	struct sockaddr_storage sa;
	int len = sizeof(sa);
	if (uv_tcp_getpeername(tcp, (struct sockaddr *)&sa, &len) == 0) {
		if (sa.ss_family == AF_INET)
			uv_ip4_name((struct sockaddr_in *)&sa, k->peer, sizeof(k->peer));
		else
			uv_ip6_name((struct sockaddr_in6 *)&sa, k->peer, sizeof(k->peer));
	}
	buf_append(&k->in, rest, n);
	if (uv_read_start((uv_stream_t *)tcp, alloc_cb, read_cb)) {
		conn_close(k);
		return;
	}
	consume(k);
}

struct rpc_server *rpc_server_start(uv_loop_t *loop, struct rpc_mux *mux,
				    const struct http_server_config *http, struct consensus *cons,
				    rpc_dns_fn dns, void *dns_ctx)
{
	struct rpc_server *s = xcalloc(1, sizeof(*s));
	s->dns = dns;
	s->dns_ctx = dns_ctx;
	s->dns_out = xmalloc(65535);
	s->loop = loop;
	s->mux = mux;
	s->http = *http;
	s->http.addrs = NULL;
	s->cons = cons;
	rpc_mux_handle(mux, RPC_MUX_CAIRN, on_mux, s);
	return s;
}

void rpc_server_close(struct rpc_server *s)
{
	if (!s || s->closing)
		return;
	s->closing = true;
	rpc_mux_handle(s->mux, RPC_MUX_CAIRN, NULL, NULL);
	while (s->conns)
		conn_close(s->conns);
	maybe_free(s);
}
