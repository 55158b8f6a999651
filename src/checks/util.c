/*
 * Small helpers shared by the runners: the output ring (Consul captures check
 * output with armon/circbuf, which keeps the last N bytes), Go's host:port
 * splitting and Go's error words for errno values. Pure code.
 */
#include "checks/internal.h"

#include "base/alloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void tailbuf_init(struct tailbuf *t, size_t cap)
{
	t->cap = cap ? cap : 1;
	t->data = xmalloc(t->cap);
	t->pos = 0;
	t->total = 0;
}

void tailbuf_write(struct tailbuf *t, const void *p, size_t n)
{
	const char *s = p;
	t->total += n;
	if (n >= t->cap) {
		memcpy(t->data, s + n - t->cap, t->cap);
		t->pos = 0;
		return;
	}
	size_t first = t->cap - t->pos < n ? t->cap - t->pos : n;
	memcpy(t->data + t->pos, s, first);
	memcpy(t->data, s + first, n - first);
	t->pos = (t->pos + n) % t->cap;
}

size_t tailbuf_len(const struct tailbuf *t)
{
	return t->total < t->cap ? (size_t)t->total : t->cap;
}

void tailbuf_get(const struct tailbuf *t, struct buf *out)
{
	if (t->total <= t->cap) {
		buf_append(out, t->data, (size_t)t->total);
		return;
	}
	buf_append(out, t->data + t->pos, t->cap - t->pos);
	buf_append(out, t->data, t->pos);
}

void tailbuf_free(struct tailbuf *t)
{
	free(t->data);
	t->data = NULL;
}

int check_split_hostport(const char *addr, struct buf *host, struct buf *port, struct buf *err)
{
	const char *colon = strrchr(addr, ':');
	if (!colon) {
		buf_printf(err, "address %s: missing port in address", addr);
		return -1;
	}
	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');
		if (!end) {
			buf_printf(err, "address %s: missing ']' in address", addr);
			return -1;
		}
		if (end[1] != ':') {
			buf_printf(err, "address %s: missing port in address", addr);
			return -1;
		}
		buf_append(host, addr + 1, (size_t)(end - addr - 1));
		buf_puts(port, end + 2);
		return 0;
	}
	if (memchr(addr, ':', (size_t)(colon - addr))) {
		buf_printf(err, "address %s: too many colons in address", addr);
		return -1;
	}
	buf_append(host, addr, (size_t)(colon - addr));
	buf_puts(port, colon + 1);
	return 0;
}

const char *check_errno_text(int uv_err)
{
	switch (-uv_err) {
	case ECONNREFUSED:
		return "connection refused";
	case ECONNRESET:
		return "connection reset by peer";
	case EHOSTUNREACH:
		return "no route to host";
	case ENETUNREACH:
		return "network is unreachable";
	case ETIMEDOUT:
		return "i/o timeout";
	case EACCES:
		return "permission denied";
	case EADDRNOTAVAIL:
		return "cannot assign requested address";
	case ENOENT:
		return "no such file or directory";
	default:
		return uv_strerror(uv_err);
	}
}

int check_addr_literal(const char *host, const char *port, struct sockaddr_storage *out)
{
	char *end;
	long p = strtol(port, &end, 10);
	if (!*port || *end || p < 0 || p > 65535)
		return -1;
	memset(out, 0, sizeof(*out));
	if (uv_ip4_addr(host, (int)p, (struct sockaddr_in *)out) == 0)
		return 0;
	if (uv_ip6_addr(host, (int)p, (struct sockaddr_in6 *)out) == 0)
		return 0;
	return -1;
}

void check_format_addr(struct buf *out, const struct sockaddr *sa)
{
	char ip[64] = "";
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		uv_ip6_name(s6, ip, sizeof(ip));
		buf_printf(out, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		uv_ip4_name(s4, ip, sizeof(ip));
		buf_printf(out, "%s:%u", ip, ntohs(s4->sin_port));
	}
}

void check_lookup_error(struct buf *out, const char *net, const char *host, int status)
{
	buf_printf(out, "dial %s: lookup %s: ", net, host);
	if (status == UV_EAI_NONAME || status == UV_EAI_NODATA || status == UV_EAI_FAMILY)
		buf_puts(out, "no such host");
	else if (status == UV_EAI_SERVICE)
		buf_puts(out, "unknown port");
	else if (status == UV_EAI_CANCELED || status == UV_ETIMEDOUT)
		buf_puts(out, "i/o timeout");
	else
		buf_puts(out, uv_strerror(status));
}

int check_target_begin(uv_loop_t *loop, const char *net, const char *target, int socktype,
		       uv_getaddrinfo_t *gai, uv_getaddrinfo_cb cb, struct buf *host,
		       struct sockaddr_storage *lit, struct buf *err)
{
	struct buf port = BUF_INIT, perr = BUF_INIT;
	int r = -1;
	if (check_split_hostport(target, host, &port, &perr) != 0) {
		buf_printf(err, "dial %s: %s", net, buf_cstr(&perr));
	} else if (check_addr_literal(buf_cstr(host), buf_cstr(&port), lit) == 0) {
		r = 0;
	} else {
		struct addrinfo hints = {.ai_socktype = socktype, .ai_family = AF_UNSPEC};
		int rc = uv_getaddrinfo(loop, gai, cb, buf_cstr(host), buf_cstr(&port), &hints);
		if (rc == 0)
			r = 1;
		else
			check_lookup_error(err, net, buf_cstr(host), rc);
	}
	buf_free(&port);
	buf_free(&perr);
	return r;
}
