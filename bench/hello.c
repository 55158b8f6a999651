/*
 * bench_hello: the HTTP ceiling for cairn's benchmarks.
 *
 *   build/bench_hello [ADDRESS [PORT]]      (defaults: 127.0.0.1 8080)
 *
 * A single-threaded HTTP/1.1 server on libuv, shaped like cairn's HTTP front end
 * (one loop thread, keep-alive, pipelining) but doing no work: every request is
 * answered with the same 200 JSON body the size of a one-key KV GET answer, with
 * headers of the size and kind Consul sends (Content-Type, Vary, X-Consul-*,
 * Date, Content-Length). Whatever req/s it reaches on a machine is the most an
 * HTTP server on one core of that machine can be expected to do; bench/kv.sh
 * prints cairn's KV GET rate as a fraction of it.
 *
 * Parsing is deliberately minimal: a request ends at its "\r\n\r\n" (the end
 * of the head), counted across reads. Bodies are not supported (GET only); a
 * request with a body would be answered once for its head and its body bytes
 * taken as the start of the next head. That is enough for wrk and curl.
 * SIGINT/SIGTERM stop it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#define BODY                                                                                       \
	"[{\"LockIndex\":0,\"Key\":\"bench/key\",\"Flags\":0,\"Value\":\"aGVsbG8=\","              \
	"\"CreateIndex\":5,\"ModifyIndex\":5}]"

/* Fixed part of the answer; the Date header and the rest are appended per second. */
#define HEAD1                                                                                      \
	"HTTP/1.1 200 OK\r\n"                                                                      \
	"Content-Type: application/json\r\n"                                                       \
	"Vary: Accept-Encoding\r\n"                                                                \
	"X-Consul-Default-Acl-Policy: allow\r\n"                                                   \
	"X-Consul-Index: 5\r\n"                                                                    \
	"X-Consul-Knownleader: true\r\n"                                                           \
	"X-Consul-Lastcontact: 0\r\n"                                                              \
	"X-Consul-Query-Backend: blocking-query\r\n"

static char resp[512];
static size_t resp_len;
static time_t resp_time;

/* Rebuild the answer when the second changes (Date header). */
static void refresh_resp(void)
{
	time_t now = time(NULL);
	if (now == resp_time && resp_len)
		return;
	resp_time = now;
	struct tm tm;
	gmtime_r(&now, &tm);
	char date[64];
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	int n = snprintf(resp, sizeof resp, HEAD1 "Date: %s\r\nContent-Length: %zu\r\n\r\n%s", date,
			 strlen(BODY), BODY);
	resp_len = (size_t)n;
}

struct conn {
	uv_tcp_t tcp;
	int match; /* how much of "\r\n\r\n" the previous bytes ended with */
	char rbuf[16384];
};

struct wreq {
	uv_write_t req;
	char *data;
};

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

static void conn_close(struct conn *c)
{
	if (!uv_is_closing((uv_handle_t *)&c->tcp))
		uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct conn *c = h->data;
	buf->base = c->rbuf;
	buf->len = sizeof c->rbuf;
}

static void on_written(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	free(w->data);
	free(w);
	/* a failed write shows up as a read error/EOF too; close happens there */
}

/* Count complete request heads in buf, carrying partial "\r\n\r\n" matches. */
static unsigned count_heads(struct conn *c, const char *p, size_t n)
{
	static const char term[] = "\r\n\r\n";
	unsigned found = 0;
	int m = c->match;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == term[m]) {
			if (++m == 4) {
				found++;
				m = 0;
			}
		} else {
			m = (p[i] == '\r') ? 1 : 0;
		}
	}
	c->match = m;
	return found;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	if (nread < 0) {
		conn_close(c);
		return;
	}
	if (nread == 0)
		return;
	unsigned n = count_heads(c, buf->base, (size_t)nread);
	if (n == 0)
		return;
	refresh_resp();
	size_t total = (size_t)n * resp_len;
	char *out = malloc(total);
	if (!out)
		abort();
	for (unsigned i = 0; i < n; i++)
		memcpy(out + (size_t)i * resp_len, resp, resp_len);

	/* Most answers fit the socket buffer at once; queue the rest. */
	uv_buf_t b = uv_buf_init(out, (unsigned)total);
	int r = uv_try_write(s, &b, 1);
	if (r == (int)total) {
		free(out);
		return;
	}
	if (r < 0 && r != UV_EAGAIN) {
		free(out);
		conn_close(c);
		return;
	}
	size_t done = r > 0 ? (size_t)r : 0;
	struct wreq *w = malloc(sizeof *w);
	if (!w)
		abort();
	w->data = out;
	b = uv_buf_init(out + done, (unsigned)(total - done));
	if (uv_write(&w->req, s, &b, 1, on_written) != 0) {
		free(out);
		free(w);
		conn_close(c);
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	if (status < 0)
		return;
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		abort();
	uv_tcp_init(server->loop, &c->tcp);
	c->tcp.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
		conn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void on_signal(uv_signal_t *h, int signum)
{
	uv_stop(h->loop);
}

int main(int argc, char **argv)
{
	const char *addr = argc > 1 ? argv[1] : "127.0.0.1";
	int port = argc > 2 ? atoi(argv[2]) : 8080;
	uv_loop_t *loop = uv_default_loop();
	signal(SIGPIPE, SIG_IGN);

	struct sockaddr_storage sa;
	int r;
	if (strchr(addr, ':'))
		r = uv_ip6_addr(addr, port, (struct sockaddr_in6 *)&sa);
	else
		r = uv_ip4_addr(addr, port, (struct sockaddr_in *)&sa);
	if (r != 0) {
		fprintf(stderr, "bench_hello: bad address %s: %s\n", addr, uv_strerror(r));
		return 2;
	}
	uv_tcp_t server;
	uv_tcp_init(loop, &server);
	if ((r = uv_tcp_bind(&server, (struct sockaddr *)&sa, 0)) != 0 ||
	    (r = uv_listen((uv_stream_t *)&server, 4096, on_connection)) != 0) {
		fprintf(stderr, "bench_hello: listen %s:%d: %s\n", addr, port, uv_strerror(r));
		return 1;
	}
	uv_signal_t sigint, sigterm;
	uv_signal_init(loop, &sigint);
	uv_signal_init(loop, &sigterm);
	uv_signal_start(&sigint, on_signal, SIGINT);
	uv_signal_start(&sigterm, on_signal, SIGTERM);
	fprintf(stderr, "bench_hello: listening on %s:%d\n", addr, port);
	uv_run(loop, UV_RUN_DEFAULT);
	return 0;
}
