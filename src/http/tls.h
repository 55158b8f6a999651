/*
 * Private: TLS for the HTTP server's connections (HTTPS), over OpenSSL memory BIOs.
 *
 * The connection keeps doing its own socket I/O through libuv; OpenSSL never
 * sees the socket. Each connection's SSL object has two memory BIOs: received
 * ciphertext is written into the read BIO and decrypted bytes are pulled out
 * with SSL_read; plaintext replies go in with SSL_write and the ciphertext is
 * drained from the write BIO into the connection's out buffer, which the plain
 * write path then sends unchanged. Handshake messages, alerts, session tickets
 * and close_notify leave the same way.
 *
 * API (loop thread only):
 *
 *   tls_server_new(cfg)       one SSL_CTX from the certificate, key and CA files
 *                             (TLS 1.2 at least; client certificates required and
 *                             verified against the CA with verify_incoming).
 *   tls_conn_new(srv)         an SSL in server mode for an accepted connection.
 *   tls_conn_input(t, ...)    received bytes: advances the handshake and appends
 *                             whatever application data they complete to plain.
 *   tls_conn_output(t, out)   turns out's plaintext into ciphertext in place,
 *                             plus any pending handshake bytes; plaintext given
 *                             before the handshake ends is held and sent after.
 *   tls_conn_close_notify(t)  queues close_notify once, before the write side shuts.
 *
 * Ownership: the HTTP server owns the tls_server (freed with it); a connection
 * owns its tls_conn. An SSL keeps a reference on its SSL_CTX, so connections
 * may outlive the server object's context pointer.
 */
#ifndef CAIRN_HTTP_TLS_H
#define CAIRN_HTTP_TLS_H

#include "base/buf.h"
#include "http/http.h"

#include <stdbool.h>

struct tls_server;
struct tls_conn;

/* Returns 0, or -1 with a message naming the file and the problem in err. */
int tls_server_new(const struct http_tls_config *cfg, struct tls_server **out, struct buf *err);
void tls_server_free(struct tls_server *s);

struct tls_conn *tls_conn_new(struct tls_server *s);
void tls_conn_free(struct tls_conn *t);

/* The handshake is complete: application data flows. */
bool tls_conn_ready(const struct tls_conn *t);
/* Plaintext is held until the handshake completes. */
bool tls_conn_held(const struct tls_conn *t);

/* Feed n received bytes. Returns 0, or -1 when the handshake or the record layer
 * failed (why in err, as Go's crypto/tls words it); any alert for the peer is then
 * waiting for tls_conn_output, and every later call returns -1 at once. */
int tls_conn_input(struct tls_conn *t, const char *data, size_t n, struct buf *plain,
		   struct buf *err);
/* Replace out's plaintext with the ciphertext to send (possibly none yet). */
void tls_conn_output(struct tls_conn *t, struct buf *out);
/* Queue close_notify once (after a completed handshake); true if bytes were queued. */
bool tls_conn_close_notify(struct tls_conn *t);

#endif
