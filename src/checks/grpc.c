/*
 * gRPC checks (Consul's CheckGRPC): the standard health protocol,
 * grpc.health.v1.Health/Check, spoken over HTTP/2 by libcurl on the shared
 * CURLM. The target is "host:port[/service]".
 *
 * Wire format. One POST to http(s)://host:port/grpc.health.v1.Health/Check
 * (h2c with prior knowledge, or TLS with ALPN h2 when grpc_use_tls; TLS
 * settings from tls_skip_verify/tls_server_name), headers content-type
 * application/grpc, te: trailers, grpc-timeout. The body is one
 * length-prefixed message:
 *
 *   offset size  field
 *   0      1     compressed flag (0)
 *   1      4     message length N, big-endian
 *   5      N     HealthCheckRequest: field 1 (service, string) = 0x0a <len> <bytes>,
 *                omitted when the service is empty
 *
 * The answer carries grpc-status (and grpc-message) in its headers or
 * trailers, and on success one message HealthCheckResponse: field 1
 * (status, varint enum: 0 UNKNOWN, 1 SERVING, 2 NOT_SERVING, 3
 * SERVICE_UNKNOWN); an absent field is 0.
 *
 *   passing   "gRPC check <target>: success"
 *   critical  "gRPC <target> serving status: NOT_SERVING"
 *             "rpc error: code = Unavailable desc = connection error: desc =
 *              \"transport: Error while dialing: dial tcp ...\"" (grpc-go's words)
 *             "rpc error: code = DeadlineExceeded desc = context deadline exceeded"
 * Timeout: the check's, else 10 s. Loop thread only.
 */
#include "checks/internal.h"

#include "base/alloc.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_REPLY (64 * 1024)

struct grpc_probe {
	struct check *c;	   /* owner */
	struct check_curl_req req; /* the call */
	struct curl_slist *hdrs;   /* its headers */
	struct buf body;	   /* request frame */
	struct buf reply;	   /* response bytes (bounded) */
	int grpc_status;	   /* -1 until seen */
	struct buf grpc_message;   /* percent-decoded */
};

static const char *const code_names[] = {
    "OK",	"Canceled",	   "Unknown",	       "InvalidArgument",   "DeadlineExceeded",
    "NotFound", "AlreadyExists",   "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
    "Aborted",	"OutOfRange",	   "Unimplemented",    "Internal",	    "Unavailable",
    "DataLoss", "Unauthenticated",
};

static const char *code_name(int code)
{
	if (code >= 0 && code < (int)(sizeof(code_names) / sizeof(code_names[0])))
		return code_names[code];
	return "Unknown";
}

static const char *serving_name(uint64_t s)
{
	static const char *const names[] = {"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"};
	return s < 4 ? names[s] : "UNKNOWN";
}

static void percent_decode(struct buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n) {
			char hex[3] = {s[i + 1], s[i + 2], 0};
			char *end;
			long v = strtol(hex, &end, 16);
			if (!*end) {
				buf_putc(out, (char)v);
				i += 2;
				continue;
			}
		}
		buf_putc(out, s[i]);
	}
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct grpc_probe *g = ud;
	size_t len = size * n;
	size_t end = len;
	while (end && (p[end - 1] == '\r' || p[end - 1] == '\n'))
		end--;
	if (end > 12 && strncasecmp(p, "grpc-status:", 12) == 0) {
		g->grpc_status = atoi(p + 12);
	} else if (end > 13 && strncasecmp(p, "grpc-message:", 13) == 0) {
		const char *v = p + 13;
		while (v < p + end && *v == ' ')
			v++;
		buf_reset(&g->grpc_message);
		percent_decode(&g->grpc_message, v, (size_t)(p + end - v));
	}
	return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct grpc_probe *g = ud;
	size_t len = size * n;
	if (g->reply.len + len <= MAX_REPLY)
		buf_append(&g->reply, p, len);
	return len;
}

/* HealthCheckResponse.status, or -1 if the reply does not parse. */
static int64_t parse_reply(const struct buf *r)
{
	const unsigned char *p = (const unsigned char *)r->data;
	if (r->len < 5 || p[0] != 0)
		return -1;
	size_t n = ((size_t)p[1] << 24) | ((size_t)p[2] << 16) | ((size_t)p[3] << 8) | p[4];
	if (n > r->len - 5)
		return -1;
	const unsigned char *q = p + 5, *end = p + 5 + n;
	uint64_t status = 0;
	while (q < end) {
		uint64_t key = 0, v = 0;
		for (int shift = 0; q < end && shift < 64; shift += 7) {
			key |= (uint64_t)(*q & 0x7f) << shift;
			if (!(*q++ & 0x80))
				break;
		}
		int wt = (int)(key & 7);
		if (wt == 0) {
			for (int shift = 0; q < end && shift < 64; shift += 7) {
				v |= (uint64_t)(*q & 0x7f) << shift;
				if (!(*q++ & 0x80))
					break;
			}
			if ((key >> 3) == 1)
				status = v;
		} else if (wt == 2) {
			uint64_t l = 0;
			for (int shift = 0; q < end && shift < 64; shift += 7) {
				l |= (uint64_t)(*q & 0x7f) << shift;
				if (!(*q++ & 0x80))
					break;
			}
			if (l > (uint64_t)(end - q))
				return -1;
			q += l;
		} else if (wt == 1 || wt == 5) {
			q += wt == 1 ? 8 : 4;
		} else {
			return -1;
		}
	}
	return q == end ? (int64_t)status : -1;
}

/* grpc-go's mapping of an HTTP status without grpc-status to a code. */
static int http_to_code(long http)
{
	switch (http) {
	case 400:
		return 13;
	case 401:
		return 16;
	case 403:
		return 7;
	case 404:
		return 12;
	case 429:
	case 502:
	case 503:
	case 504:
		return 14;
	default:
		return 2;
	}
}

static void transport_text(struct grpc_probe *g, CURLcode res, struct buf *out)
{
	if (res == CURLE_OPERATION_TIMEDOUT) {
		buf_puts(out,
			 "rpc error: code = DeadlineExceeded desc = context deadline exceeded");
		return;
	}
	struct buf e = BUF_INIT;
	check_curl_error_text(&g->req, res, &e);
	if (res == CURLE_COULDNT_CONNECT || res == CURLE_COULDNT_RESOLVE_HOST)
		buf_printf(out,
			   "rpc error: code = Unavailable desc = connection error: desc = "
			   "\"transport: Error while dialing: %s\"",
			   buf_cstr(&e));
	else
		buf_printf(out, "rpc error: code = Unavailable desc = %s", buf_cstr(&e));
	buf_free(&e);
}

static enum check_status judge(struct grpc_probe *g, CURLcode res, struct buf *out)
{
	const char *target = g->c->def.grpc;
	long http = 0;
	curl_easy_getinfo(g->req.easy, CURLINFO_RESPONSE_CODE, &http);
	if (res != CURLE_OK && g->grpc_status < 0) {
		transport_text(g, res, out);
		return CHECK_CRITICAL;
	}
	if (g->grpc_status < 0 && http != 200) {
		buf_printf(out,
			   "rpc error: code = %s desc = unexpected HTTP status code received from "
			   "server: %ld",
			   code_name(http_to_code(http)), http);
		return CHECK_CRITICAL;
	}
	if (g->grpc_status < 0) {
		buf_puts(out, "rpc error: code = Internal desc = server closed the stream without "
			      "sending trailers");
		return CHECK_CRITICAL;
	}
	if (g->grpc_status != 0) {
		buf_printf(out, "rpc error: code = %s desc = %s", code_name(g->grpc_status),
			   buf_cstr(&g->grpc_message));
		return CHECK_CRITICAL;
	}
	int64_t st = parse_reply(&g->reply);
	if (st < 0) {
		buf_puts(out, "rpc error: code = Internal desc = grpc: failed to unmarshal the "
			      "received message");
		return CHECK_CRITICAL;
	}
	if (st != 1) {
		buf_printf(out, "gRPC %s serving status: %s", target, serving_name((uint64_t)st));
		return CHECK_CRITICAL;
	}
	buf_printf(out, "gRPC check %s: success", target);
	return CHECK_PASSING;
}

static void probe_free(struct grpc_probe *g)
{
	check_curl_req_free(g->c->rt, &g->req);
	curl_slist_free_all(g->hdrs);
	buf_free(&g->body);
	buf_free(&g->reply);
	buf_free(&g->grpc_message);
	free(g);
}

static void grpc_done(struct check_curl_req *r, CURLcode res)
{
	struct grpc_probe *g = r->data;
	struct check *c = g->c;
	struct buf out = BUF_INIT;
	enum check_status st = judge(g, res, &out);
	probe_free(g);
	check_probe_done(c, st, buf_cstr(&out), out.len);
	buf_free(&out);
}

static void build_body(struct buf *b, const char *service)
{
	size_t sl = service ? strlen(service) : 0;
	struct buf msg = BUF_INIT;
	if (sl) {
		buf_putc(&msg, 0x0a);
		for (size_t v = sl;; v >>= 7) {
			buf_putc(&msg, (char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0)));
			if (v <= 0x7f)
				break;
		}
		buf_append(&msg, service, sl);
	}
	unsigned char hdr[5] = {0, (unsigned char)(msg.len >> 24), (unsigned char)(msg.len >> 16),
				(unsigned char)(msg.len >> 8), (unsigned char)msg.len};
	buf_append(b, hdr, 5);
	buf_append(b, msg.data ? msg.data : "", msg.len);
	buf_free(&msg);
}

static int grpc_start(struct check *c)
{
	const struct checkdef *d = &c->def;
	struct grpc_probe *g = xcalloc(1, sizeof(*g));
	g->c = c;
	g->grpc_status = -1;
	const char *slash = strchr(d->grpc, '/');
	size_t hostlen = slash ? (size_t)(slash - d->grpc) : strlen(d->grpc);
	build_body(&g->body, slash ? slash + 1 : NULL);
	int64_t timeout = check_effective_timeout(c);
	uint64_t ms = check_ns_to_ms(timeout, 1);
	struct buf url = BUF_INIT, h = BUF_INIT;
	buf_printf(&url, "%s://%.*s/grpc.health.v1.Health/Check",
		   d->grpc_use_tls ? "https" : "http", (int)hostlen, d->grpc);
	check_curl_req_init(g->c->rt, &g->req, grpc_done, g);
	g->hdrs = curl_slist_append(NULL, "Content-Type: application/grpc");
	g->hdrs = curl_slist_append(g->hdrs, "TE: trailers");
	g->hdrs = curl_slist_append(g->hdrs, "User-Agent: grpc-c-cairn/1.0");
	g->hdrs = curl_slist_append(g->hdrs, "Expect:");
	buf_printf(&h, "grpc-timeout: %llum", (unsigned long long)ms);
	g->hdrs = curl_slist_append(g->hdrs, h.data);
	check_curl_url(&g->req, d, url.data, d->grpc_use_tls, &g->hdrs);
	CURL *e = g->req.easy;
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
			 d->grpc_use_tls ? (long)CURL_HTTP_VERSION_2TLS
					 : (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, g->hdrs);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)g->body.len);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, g->body.data);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)ms);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, g);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, g);
	buf_free(&url);
	buf_free(&h);
	c->op = g;
	if (check_curl_add(c->rt, &g->req) != 0) {
		c->op = NULL;
		probe_free(g);
		return CAIRN_E_INTERNAL;
	}
	return 0;
}

static void grpc_cancel(struct check *c)
{
	struct grpc_probe *g = c->op;
	check_curl_cancel(c->rt, &g->req);
	probe_free(g);
	check_probe_end(c);
}

const struct check_runner check_runner_grpc = {"grpc", grpc_start, grpc_cancel};
