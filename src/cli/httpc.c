/*
 * Sending one request and reading its response (see httpc.h).
 *
 * Each request opens its own connection and asks the server to close it, which is
 * all a CLI command needs. The URL is built exactly as Go's net/url would print it
 * (Go escapes the path, sorts and escapes the query), because it appears verbatim in
 * error messages that scripts and people read. Errors are phrased as Go's net and
 * net/http packages phrase them: "dial tcp ADDR: connect: connection refused",
 * "dial unix PATH: connect: no such file or directory", "EOF".
 */
#include "cli/httpc.h"
#include "cli/httpc_tls.h"

#include "base/alloc.h"
#include "base/b64.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

void httpc_req_init(struct httpc_req *r, const char *method, const char *path, bool read)
{
	memset(r, 0, sizeof(*r));
	r->method = method;
	r->path = path;
	r->read = read;
}

void httpc_req_param(struct httpc_req *r, const char *name, const char *value)
{
	for (size_t i = 0; i < r->nparams; i++) {
		if (strcmp(r->params[i].name, name) == 0) {
			r->params[i].value = value; /* url.Values.Set replaces */
			return;
		}
	}
	if (r->nparams < HTTPC_MAX_PARAMS)
		r->params[r->nparams++] = (struct httpc_param){name, value};
}

static bool unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

static void pct(struct buf *out, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	buf_putc(out, '%');
	buf_putc(out, hex[c >> 4]);
	buf_putc(out, hex[c & 15]);
}

void httpc_escape_path(struct buf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (unreserved(*p) || (*p && strchr("$&+,/:;=@", *p)))
			buf_putc(out, (char)*p);
		else
			pct(out, *p);
	}
}

void httpc_escape_query(struct buf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (unreserved(*p))
			buf_putc(out, (char)*p);
		else if (*p == ' ')
			buf_putc(out, '+');
		else
			pct(out, *p);
	}
}

static void escape_host(struct buf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (unreserved(*p) || strchr("!$&'()*+,;=:[]<>\"", *p))
			buf_putc(out, (char)*p);
		else
			pct(out, *p);
	}
}

static int cmp_param(const void *a, const void *b)
{
	const struct httpc_param *x = a, *y = b;
	return strcmp(x->name, y->name);
}

/* The parameters actually sent: the request's plus the client's dc/ns/partition/stale. */
static size_t all_params(const struct httpc *c, const struct httpc_req *r, struct httpc_param *out)
{
	struct httpc_req tmp = *r;
	if (c->datacenter && *c->datacenter)
		httpc_req_param(&tmp, "dc", c->datacenter);
	if (c->ns && *c->ns)
		httpc_req_param(&tmp, "ns", c->ns);
	if (c->partition && *c->partition)
		httpc_req_param(&tmp, "partition", c->partition);
	if (r->read && c->stale)
		httpc_req_param(&tmp, "stale", "");
	memcpy(out, tmp.params, tmp.nparams * sizeof(*out));
	qsort(out, tmp.nparams, sizeof(*out), cmp_param);
	return tmp.nparams;
}

/* Path and query, as on the request line. */
static void request_target(const struct httpc *c, const struct httpc_req *r, struct buf *out)
{
	httpc_escape_path(out, c->path_prefix);
	httpc_escape_path(out, r->path);
	struct httpc_param p[HTTPC_MAX_PARAMS];
	size_t n = all_params(c, r, p);
	for (size_t i = 0; i < n; i++) {
		buf_putc(out, i ? '&' : '?');
		httpc_escape_query(out, p[i].name);
		buf_putc(out, '=');
		httpc_escape_query(out, p[i].value ? p[i].value : "");
	}
}

void httpc_url(const struct httpc *c, const struct httpc_req *r, struct buf *out)
{
	buf_printf(out, "%s://", c->scheme);
	escape_host(out, c->address);
	request_target(c, r, out);
}

void httpc_status_error(struct buf *err, const struct httpc_resp *resp, bool with_body)
{
	buf_printf(err, "Unexpected response code: %d", resp->status);
	if (!with_body)
		return;
	const char *s = buf_cstr(&resp->body);
	size_t n = resp->body.len;
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	buf_printf(err, " (%.*s)", (int)n, s);
}

/* Method as Go's url.Error prints it: "Get", "Put", "Delete". */
static void err_prefix(const struct httpc *c, const struct httpc_req *r, struct buf *err)
{
	buf_putc(err, r->method[0]);
	for (const char *m = r->method + 1; *m; m++)
		buf_putc(err, (char)tolower((unsigned char)*m));
	buf_puts(err, " \"");
	httpc_url(c, r, err);
	buf_puts(err, "\": ");
}

/* strerror in Go's lower-case style. */
static void errno_text(struct buf *err, int e)
{
	const char *m = strerror(e);
	buf_printf(err, "%c%s", tolower((unsigned char)m[0]), m + 1);
}

/* Go's net.SplitHostPort, with its error texts. */
static int split_host_port(const char *addr, char **host, char **port, struct buf *err)
{
	const char *colon = strrchr(addr, ':');
	const char *why = NULL;
	if (!colon) {
		why = "missing port in address";
	} else if (addr[0] == '[') {
		const char *end = strchr(addr, ']');
		if (!end)
			why = "missing ']' in address";
		else if (end + 1 != colon)
			why = end[1] ? "too many colons in address" : "missing port in address";
		else
			*host = xstrndup(addr + 1, (size_t)(end - addr - 1));
	} else if (memchr(addr, ':', (size_t)(colon - addr))) {
		why = "too many colons in address";
	} else {
		*host = xstrndup(addr, (size_t)(colon - addr));
	}
	if (why) {
		buf_printf(err, "dial tcp: address %s: %s", addr, why);
		return -1;
	}
	*port = xstrdup(colon + 1);
	return 0;
}

/* connect() bounded by timeout_ms; returns 0 or an errno value. */
static int connect_timeout(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	int e = 0;
	if (connect(fd, sa, len) < 0) {
		e = errno;
		if (e == EINPROGRESS) {
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			int n;
			do
				n = poll(&pfd, 1, timeout_ms);
			while (n < 0 && errno == EINTR);
			socklen_t elen = sizeof(e);
			if (n == 0)
				e = ETIMEDOUT;
			else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
				e = errno;
		}
	}
	fcntl(fd, F_SETFL, fl);
	return e;
}

static void sockaddr_text(const struct sockaddr *sa, struct buf *out)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		buf_printf(out, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		buf_printf(out, "%s:%u", ip, ntohs(s4->sin_port));
	}
}

static void dial_error(struct buf *err, const char *net, const char *addr, int e)
{
	buf_printf(err, "dial %s %s: ", net, addr);
	if (e == ETIMEDOUT) {
		buf_puts(err, "i/o timeout");
	} else {
		buf_puts(err, "connect: ");
		errno_text(err, e);
	}
}

static int dial_unix(const char *path, struct buf *err)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path)) {
		dial_error(err, "unix", path, EINVAL);
		return -1;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		dial_error(err, "unix", path, errno);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		dial_error(err, "unix", path, errno);
		close(fd);
		return -1;
	}
	return fd;
}

/* Try every resolved address in turn; on failure report the first error, as Go does. */
static int dial_tcp(const char *addr, int timeout_ms, struct buf *err)
{
	char *host = NULL, *port = NULL;
	if (split_host_port(addr, &host, &port, err) < 0)
		return -1;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	int g = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	int fd = -1;
	if (g != 0) {
		buf_printf(err, "dial tcp: lookup %s: %s", host,
			   g == EAI_NONAME || g == EAI_NODATA ? "no such host" : gai_strerror(g));
		goto out;
	}
	struct buf first = BUF_INIT;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		int e =
		    fd < 0 ? errno : connect_timeout(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms);
		if (e == 0)
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
		if (first.len == 0) {
			struct buf a = BUF_INIT;
			sockaddr_text(ai->ai_addr, &a);
			dial_error(&first, "tcp", a.data, e);
			buf_free(&a);
		}
	}
	if (fd < 0)
		buf_puts(err, buf_cstr(&first));
	buf_free(&first);
	freeaddrinfo(res);
out:
	free(host);
	free(port);
	return fd;
}

static bool header_safe(const char *v)
{
	return !strpbrk(v, "\r\n");
}

static int build_request(const struct httpc *c, const struct httpc_req *r, struct buf *out,
			 struct buf *err)
{
	if ((c->token && !header_safe(c->token)) ||
	    (c->basic_auth && !header_safe(c->basic_auth))) {
		buf_puts(err, "net/http: invalid header field value for \"X-Consul-Token\"");
		return -1;
	}
	buf_printf(out, "%s ", r->method);
	request_target(c, r, out);
	buf_printf(out, " HTTP/1.1\r\nHost: %s\r\n", c->unix_socket ? "localhost" : c->address);
	buf_puts(out, "User-Agent: cairn/" CAIRN_VERSION "\r\n");
	if (c->token && *c->token)
		buf_printf(out, "X-Consul-Token: %s\r\n", c->token);
	if (c->basic_auth && *c->basic_auth) {
		buf_puts(out, "Authorization: Basic ");
		b64_encode(out, c->basic_auth, strlen(c->basic_auth));
		buf_puts(out, "\r\n");
	}
	if (r->body || strcmp(r->method, "PUT") == 0 || strcmp(r->method, "POST") == 0)
		buf_printf(out, "Content-Length: %zu\r\n", r->body_len);
	buf_puts(out, "Connection: close\r\n\r\n");
	if (r->body_len)
		buf_append(out, r->body, r->body_len);
	return 0;
}

/* One connection: the socket, and its TLS session for https. */
struct conn {
	int fd;
	struct httpc_tls_conn *tls; /* NULL for http and unix sockets */
};

static int send_all(const struct conn *cn, const struct buf *b, struct buf *err)
{
	if (cn->tls)
		return httpc_tls_send(cn->tls, b->data, b->len, err);
	int fd = cn->fd;
	for (size_t off = 0; off < b->len;) {
		ssize_t n = send(fd, b->data + off, b->len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_puts(err, "write: ");
			errno_text(err, errno);
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

/* Hand a 200's body bytes to on_body as they are decoded; nonzero: stop. */
static int deliver(const struct httpc_parser *p, struct httpc_resp *resp, httpc_body_fn on_body,
		   void *ctx)
{
	if (!on_body || resp->status != 200 || p->state < HP_BODY_LEN)
		return 0;
	int stop = on_body(ctx, resp->body.data, resp->body.len);
	buf_reset(&resp->body);
	return stop;
}

static int read_response(const struct conn *cn, bool head, struct httpc_resp *resp,
			 httpc_body_fn on_body, void *ctx, struct buf *err)
{
	struct httpc_parser p;
	httpc_parser_init(&p, head);
	struct buf in = BUF_INIT;
	char tmp[65536];
	int rc = 0;
	while (rc == 0) {
		ssize_t n = cn->tls ? httpc_tls_recv(cn->tls, tmp, sizeof(tmp), err)
				    : recv(cn->fd, tmp, sizeof(tmp), 0);
		if (n < 0 && !cn->tls && errno == EINTR)
			continue;
		if (n < 0 && cn->tls) {
			rc = -1;
			break;
		}
		if (n < 0) {
			buf_puts(err, "read: ");
			errno_text(err, errno);
			rc = -1;
			break;
		}
		if (n == 0) {
			rc = httpc_parser_finish(&p, &in, resp);
			deliver(&p, resp, on_body, ctx);
			break;
		}
		buf_append(&in, tmp, (size_t)n);
		rc = httpc_parser_feed(&p, &in, resp);
		if (rc >= 0 && deliver(&p, resp, on_body, ctx))
			break;
	}
	if (rc < 0 && err->len == 0)
		buf_puts(err, p.err);
	buf_free(&in);
	return rc < 0 ? -1 : 0;
}

int httpc_stream(const struct httpc *c, const struct httpc_req *r, struct httpc_resp *resp,
		 httpc_body_fn on_body, void *ctx, struct buf *err)
{
	memset(resp, 0, sizeof(*resp));
	struct buf msg = BUF_INIT, req = BUF_INIT;
	struct conn cn = {.fd = -1};
	int rc = -1;
	if (build_request(c, r, &req, &msg) < 0)
		goto out;
	cn.fd = c->unix_socket ? dial_unix(c->address, &msg)
			       : dial_tcp(c->address, c->connect_timeout_ms, &msg);
	if (cn.fd < 0)
		goto out;
	if (strcmp(c->scheme, "https") == 0) {
		char *host = NULL, *port = NULL;
		if (!c->tls.ctx) { /* httpc_init builds it for https */
			buf_puts(&msg, "tls: no TLS configuration");
			goto out;
		}
		if (c->unix_socket)
			host = xstrdup("localhost");
		else if (split_host_port(c->address, &host, &port, &msg) < 0)
			goto out;
		cn.tls = httpc_tls_connect(c, cn.fd, host, &msg);
		free(host);
		free(port);
		if (!cn.tls)
			goto out;
	}
	if (send_all(&cn, &req, &msg) < 0)
		goto out;
	rc = read_response(&cn, strcmp(r->method, "HEAD") == 0, resp, on_body, ctx, &msg);
out:
	if (rc < 0) {
		httpc_resp_free(resp);
		err_prefix(c, r, err);
		buf_puts(err, buf_cstr(&msg));
	}
	httpc_tls_close(cn.tls);
	if (cn.fd >= 0)
		close(cn.fd);
	buf_free(&msg);
	buf_free(&req);
	return rc;
}

int httpc_do(const struct httpc *c, const struct httpc_req *r, struct httpc_resp *resp,
	     struct buf *err)
{
	return httpc_stream(c, r, resp, NULL, NULL, err);
}
