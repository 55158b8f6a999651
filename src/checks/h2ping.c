/*
 * H2PING checks (Consul's CheckH2PING).
 *
 * Consul opens an HTTP/2 connection (TLS with ALPN h2 when h2ping_use_tls,
 * which defaults to true; cleartext h2c otherwise), sends a PING frame and
 * waits for its ACK. libcurl has no API to send a bare PING, so this runner
 * does the nearest thing it can: it opens an HTTP/2 connection the same way
 * (h2c with prior knowledge, or TLS+ALPN, with tls_skip_verify and
 * tls_server_name applied) and sends one GET request for "/" on it, reading
 * the response headers and dropping the body at its first byte. The check
 * passes if the connection is HTTP/2 and the server answered anything (any
 * status) or reset the stream: both prove that the peer completed the HTTP/2
 * preface and SETTINGS exchange and processes frames, which is what the PING
 * shows. Deviation: the server sees a GET / request where Consul's server
 * would see a PING. (GET rather than HEAD or OPTIONS: gRPC servers, the usual
 * H2PING target, log an error for any method but GET and POST.) A TLS server
 * that does not negotiate h2 fails, as in Consul.
 *
 *   passing   "HTTP2 ping was successful"
 *   critical  "Failed to dial to <target>: dial tcp ...: connect: connection refused"
 *             "HTTP2 ping failed: <error>"
 * Timeout: the check's, else 10 s. Loop thread only.
 */
#include "checks/internal.h"

#include "base/alloc.h"
#include "base/err.h"

#include <string.h>

struct h2ping_probe {
	struct check *c;	   /* owner */
	struct check_curl_req req; /* the request */
	struct curl_slist *hdrs;   /* its headers */
};

/* The headers are the answer: stop at the first body byte. */
static size_t stop_body(char *p, size_t size, size_t n, void *ud)
{
	return 0;
}

static enum check_status judge(struct h2ping_probe *h, CURLcode res, struct buf *out)
{
	const char *target = h->c->def.h2ping;
	long ver = 0, code = 0;
	curl_easy_getinfo(h->req.easy, CURLINFO_HTTP_VERSION, &ver);
	curl_easy_getinfo(h->req.easy, CURLINFO_RESPONSE_CODE, &code);
	if (res == CURLE_COULDNT_CONNECT || res == CURLE_COULDNT_RESOLVE_HOST) {
		buf_printf(out, "Failed to dial to %s: ", target);
		check_curl_error_text(&h->req, res, out);
		return CHECK_CRITICAL;
	}
	bool answered = ((res == CURLE_OK || res == CURLE_WRITE_ERROR) && code > 0) ||
			res == CURLE_HTTP2_STREAM;
	if (answered && ver == CURL_HTTP_VERSION_2_0) {
		buf_puts(out, "HTTP2 ping was successful");
		return CHECK_PASSING;
	}
	buf_puts(out, "HTTP2 ping failed: ");
	if (res == CURLE_OPERATION_TIMEDOUT)
		buf_puts(out, "context deadline exceeded");
	else if (res == CURLE_OK)
		buf_puts(out, "server did not negotiate HTTP/2");
	else
		check_curl_error_text(&h->req, res, out);
	return CHECK_CRITICAL;
}

static void probe_free(struct h2ping_probe *h)
{
	check_curl_req_free(h->c->rt, &h->req);
	curl_slist_free_all(h->hdrs);
	free(h);
}

static void h2ping_done(struct check_curl_req *r, CURLcode res)
{
	struct h2ping_probe *h = r->data;
	struct check *c = h->c;
	struct buf out = BUF_INIT;
	enum check_status st = judge(h, res, &out);
	probe_free(h);
	check_probe_done(c, st, buf_cstr(&out), out.len);
	buf_free(&out);
}

static int h2ping_start(struct check *c)
{
	const struct checkdef *d = &c->def;
	struct h2ping_probe *h = xcalloc(1, sizeof(*h));
	h->c = c;
	struct buf url = BUF_INIT;
	buf_printf(&url, "%s://%s/", d->h2ping_use_tls ? "https" : "http", d->h2ping);
	check_curl_req_init(h->c->rt, &h->req, h2ping_done, h);
	h->hdrs = curl_slist_append(NULL, "User-Agent: Consul Health Check");
	check_curl_url(&h->req, d, url.data, d->h2ping_use_tls, &h->hdrs);
	CURL *e = h->req.easy;
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
			 d->h2ping_use_tls ? (long)CURL_HTTP_VERSION_2TLS
					   : (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, stop_body);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
			 (long)check_ns_to_ms(check_effective_timeout(c), 1));
	buf_free(&url);
	c->op = h;
	if (check_curl_add(c->rt, &h->req) != 0) {
		c->op = NULL;
		probe_free(h);
		return CAIRN_E_INTERNAL;
	}
	return 0;
}

static void h2ping_cancel(struct check *c)
{
	struct h2ping_probe *h = c->op;
	check_curl_cancel(c->rt, &h->req);
	probe_free(h);
	check_probe_end(c);
}

const struct check_runner check_runner_h2ping = {"h2ping", h2ping_start, h2ping_cancel};
