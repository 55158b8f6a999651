/*
 * Request settings and error texts shared by the curl-based runners.
 *
 * TLS. tls_skip_verify turns off peer and host verification. tls_server_name
 * must change SNI and the name verified without changing where we connect or
 * the Host header (Go's tls.Config.ServerName): the URL's host is replaced by
 * the server name, CURLOPT_CONNECT_TO sends the connection to the original
 * host and port, and an explicit Host header keeps the original authority.
 * Consul also adds the agent's CA and client certificate when
 * enable_agent_tls_for_checks is set; cairn does not yet (system CAs only).
 *
 * Errors are rendered as Go's net/http and net errors read ("dial tcp
 * 127.0.0.1:1: connect: connection refused"), since users match on them.
 * Pure glue over libcurl; loop thread.
 */
#include "checks/internal.h"

#include <string.h>
#include <strings.h>

static bool has_header(const struct checkdef *d, const char *name)
{
	for (size_t i = 0; i < d->n_headers; i++)
		if (strcasecmp(d->headers[i].name, name) == 0)
			return true;
	return false;
}

/* Point the request at tls_server_name while connecting to the URL's host. */
static void set_server_name(struct check_curl_req *r, const struct checkdef *d, CURLU *u,
			    struct curl_slist **hdrs)
{
	char *host = NULL, *port = NULL, *defport = NULL;
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	curl_url_get(u, CURLUPART_PORT, &defport, CURLU_DEFAULT_PORT);
	if (host && defport) {
		struct buf b = BUF_INIT;
		buf_printf(&b, "%s:%s:%s:%s", d->tls_server_name, defport, host, defport);
		/* curl keeps a pointer: the list lives (and dies) with the request */
		r->connect_to = curl_slist_append(r->connect_to, b.data);
		curl_easy_setopt(r->easy, CURLOPT_CONNECT_TO, r->connect_to);
		if (!has_header(d, "Host")) {
			buf_reset(&b);
			buf_printf(&b, "Host: %s%s%s", host, port ? ":" : "", port ? port : "");
			*hdrs = curl_slist_append(*hdrs, b.data);
		}
		curl_url_set(u, CURLUPART_HOST, d->tls_server_name, 0);
		buf_free(&b);
	}
	curl_free(host);
	curl_free(port);
	curl_free(defport);
}

int check_curl_url(struct check_curl_req *r, const struct checkdef *d, const char *url,
		   bool tls_opts, struct curl_slist **hdrs)
{
	if (tls_opts && d->tls_skip_verify) {
		curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	bool https = strncasecmp(url, "https://", 8) == 0;
	if (!tls_opts || !https || !d->tls_server_name || !*d->tls_server_name)
		return curl_easy_setopt(r->easy, CURLOPT_URL, url) == CURLE_OK ? 0 : -1;
	CURLU *u = curl_url();
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return curl_easy_setopt(r->easy, CURLOPT_URL, url) == CURLE_OK ? 0 : -1;
	}
	set_server_name(r, d, u, hdrs);
	char *full = NULL;
	curl_url_get(u, CURLUPART_URL, &full, 0);
	curl_easy_setopt(r->easy, CURLOPT_URL, full ? full : url);
	curl_free(full);
	curl_url_cleanup(u);
	return 0;
}

/* "ip:port" as Go prints a TCP address. */
static void put_addr(struct buf *out, const char *ip, long port)
{
	if (strchr(ip, ':'))
		buf_printf(out, "[%s]:%ld", ip, port);
	else
		buf_printf(out, "%s:%ld", ip, port);
}

/* The effective URL's host, and with port its ":port" (default filled in). */
static void url_host(CURL *easy, struct buf *out, bool port)
{
	char *eff = NULL, *host = NULL, *p = NULL;
	curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &eff);
	CURLU *u = curl_url();
	if (eff && curl_url_set(u, CURLUPART_URL, eff, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		buf_puts(out, host);
		if (port && curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK)
			buf_printf(out, ":%s", p);
	}
	curl_free(host);
	curl_free(p);
	curl_url_cleanup(u);
}

void check_curl_error_text(struct check_curl_req *r, CURLcode res, struct buf *out)
{
	char *ip = NULL;
	long port = 0, os_errno = 0;
	curl_easy_getinfo(r->easy, CURLINFO_PRIMARY_IP, &ip);
	curl_easy_getinfo(r->easy, CURLINFO_PRIMARY_PORT, &port);
	curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &os_errno);
	switch (res) {
	case CURLE_COULDNT_CONNECT:
		buf_puts(out, "dial tcp ");
		if (ip && *ip)
			put_addr(out, ip, port);
		else /* curl may not report the address of a failed connect */
			url_host(r->easy, out, true);
		buf_printf(out, ": connect: %s",
			   check_errno_text(os_errno ? -(int)os_errno : UV_ECONNREFUSED));
		return;
	case CURLE_COULDNT_RESOLVE_HOST:
		buf_puts(out, "dial tcp: lookup ");
		url_host(r->easy, out, false);
		buf_puts(out, ": no such host");
		return;
	case CURLE_OPERATION_TIMEDOUT:
		buf_puts(out, "context deadline exceeded (Client.Timeout exceeded while awaiting "
			      "headers)");
		return;
	case CURLE_PEER_FAILED_VERIFICATION:
		buf_printf(out, "tls: failed to verify certificate: %s", r->errbuf);
		return;
	case CURLE_GOT_NOTHING:
		buf_puts(out, "EOF");
		return;
	case CURLE_UNSUPPORTED_PROTOCOL: {
		char *eff = NULL;
		curl_easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &eff);
		const char *colon = eff ? strstr(eff, "://") : NULL;
		buf_puts(out, "unsupported protocol scheme \"");
		if (colon)
			buf_append(out, eff, (size_t)(colon - eff));
		buf_putc(out, '"');
		return;
	}
	default:
		buf_puts(out, r->errbuf[0] ? r->errbuf : curl_easy_strerror(res));
	}
}
