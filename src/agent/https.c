/*
 * The agent's HTTPS listener (see https.h): Consul's TLS settings read from the
 * config's tls block, then one more http_server with a TLS context, running the
 * same dispatch as the HTTP one. The http_server owns everything it needs; the
 * agent closes it at shutdown like the HTTP server. Loop thread.
 */
#include "agent/https.h"

#include "base/alloc.h"
#include "base/log.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* tls.https.<key>, else tls.defaults.<key>; NULL when neither is set. */
static json_t *tls_key(const struct config *c, const char *key)
{
	if (!c->tls)
		return NULL;
	json_t *v = json_object_get(json_object_get(c->tls, "https"), key);
	if (!v || json_is_null(v))
		v = json_object_get(json_object_get(c->tls, "defaults"), key);
	return json_is_null(v) ? NULL : v;
}

static const char *tls_str(const struct config *c, const char *key)
{
	const char *s = json_string_value(tls_key(c, key));
	return s && *s ? s : NULL;
}

static bool tls_bool(const struct config *c, const char *key)
{
	json_t *v = tls_key(c, key);
	const char *s = json_string_value(v);
	return json_is_true(v) || (s && strcmp(s, "true") == 0);
}

/* Consul's spellings of TLS 1.3 ("TLSv1_3", legacy "tls13"); anything older is 1.2. */
static bool min_tls13(const struct config *c)
{
	const char *v = tls_str(c, "tls_min_version");
	return v && (strcmp(v, "TLSv1_3") == 0 || strcmp(v, "tls13") == 0);
}

/* addresses.https else client_addr, space-separated; IPs or unix:// sockets
 * (TLS over a socket, as Consul; owner and mode from unix_sockets via base). */
static char **listen_addrs(const struct config *c)
{
	const char *list = c->addresses.https && *c->addresses.https ? c->addresses.https
			   : c->client_addr && *c->client_addr	     ? c->client_addr
								     : "127.0.0.1";
	size_t n = 0;
	char **out = xcalloc(strlen(list) / 2 + 2, sizeof(char *));
	char *copy = xstrdup(list), *save = NULL;
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
		out[n++] = xstrdup(t);
	free(copy);
	return out;
}

int agent_https_start(uv_loop_t *loop, const struct config *c,
		      const struct http_server_config *base, struct http_server **out,
		      struct buf *err)
{
	*out = NULL;
	if (c->ports.https <= 0)
		return 0;
	struct http_tls_config tls = {
	    .cert_file = tls_str(c, "cert_file"),
	    .key_file = tls_str(c, "key_file"),
	    .ca_file = tls_str(c, "ca_file"),
	    .ca_path = tls_str(c, "ca_path"),
	    .verify_incoming = tls_bool(c, "verify_incoming"),
	    .tls13 = min_tls13(c),
	    .handshake_timeout_ms = (uint64_t)(c->https_handshake_timeout / 1000000),
	};
	if (!tls.cert_file || !tls.key_file) {
		log_warn("agent",
			 "HTTPS port %d set but no cert_file and key_file "
			 "(tls.defaults or tls.https): HTTPS not started",
			 c->ports.https);
		return 0;
	}
	char **addrs = listen_addrs(c);
	struct http_server_config hc = *base;
	hc.addrs = (const char **)addrs;
	hc.port = c->ports.https;
	hc.tls = &tls;
	int rv = addrs[0] ? http_server_start(loop, &hc, out, err) : 0;
	for (char **p = addrs; *p; p++) {
		if (rv == 0 && strncmp(*p, "unix://", 7) == 0)
			log_info("agent", "Started HTTPS server: address=%s network=unix", *p + 7);
		else if (rv == 0)
			log_info("agent", "Started HTTPS server: address=%s:%d network=tcp", *p,
				 c->ports.https);
		free(*p);
	}
	free(addrs);
	return rv;
}
