/*
 * Private to httpc: the client side of HTTPS, OpenSSL on the blocking socket.
 *
 * httpc_tls_setup builds the SSL_CTX once per struct httpc, as Consul's api
 * package builds its tls.Config in NewClient: CA file/path (else the system
 * roots), client certificate and key (both or neither), TLS 1.2 at least, peer
 * verification unless CONSUL_HTTP_SSL_VERIFY=false. Each request then wraps
 * its connected socket with httpc_tls_connect; the name checked against the
 * certificate is -tls-server-name, else the address's host (an IP address is
 * matched against IP SANs, and no SNI is sent for it, as in Go).
 *
 * Errors read like Go's: "tls: failed to verify certificate: x509: certificate
 * signed by unknown authority", "remote error: tls: certificate required",
 * "Error loading CA File: ...". The caller prefixes the request as Go's
 * url.Error does.
 */
#ifndef CAIRN_CLI_HTTPC_TLS_H
#define CAIRN_CLI_HTTPC_TLS_H

#include "base/buf.h"
#include "cli/httpc.h"

#include <stddef.h>
#include <sys/types.h>

/* Build c->tls.ctx when the scheme is https or any TLS file is named. 0, or -1
 * with Consul's message in err. */
int httpc_tls_setup(struct httpc *c, struct buf *err);
void httpc_tls_free(struct httpc *c);

struct httpc_tls_conn;

/* Handshake over connected fd to host (the address's host part). NULL with the
 * reason in err on failure; the caller still closes fd. */
struct httpc_tls_conn *httpc_tls_connect(const struct httpc *c, int fd, const char *host,
					 struct buf *err);
/* Blocking I/O: 0 / bytes read (0 at the end), or -1 with err set. */
int httpc_tls_send(struct httpc_tls_conn *t, const char *p, size_t n, struct buf *err);
ssize_t httpc_tls_recv(struct httpc_tls_conn *t, char *p, size_t n, struct buf *err);
void httpc_tls_close(struct httpc_tls_conn *t);

#endif
