/*
 * HTTPS connections: OpenSSL over memory BIOs (see tls.h for the model).
 *
 * Context. One SSL_CTX per server: TLS 1.2 or later (1.3 with tls_min_version
 * TLSv1_3), no renegotiation, no compression, buffers released while idle. The
 * certificate file may hold a chain (leaf first). With a CA file or path, client
 * certificates are requested and verified against it; verify_incoming makes one
 * mandatory, as Consul's tls.https.verify_incoming does (Go's
 * RequireAndVerifyClientCert). Without verify_incoming no certificate is asked for.
 *
 * Connection. Bytes only move through tls_conn_input and tls_conn_output, so the
 * SSL object never blocks: SSL_do_handshake and SSL_read stop at WANT_READ when
 * the read BIO is empty, SSL_write always completes into the growing write BIO.
 * A fatal error leaves its alert in the write BIO and marks the connection
 * failed; from then on input is ignored and held plaintext is dropped.
 *
 * Errors are reported as Go's crypto/tls words the common ones ("tls: client
 * didn't provide a certificate", "tls: first record does not look like a TLS
 * handshake"), else OpenSSL's reason string. A plain HTTP request gets, like
 * from Go's server, an unencrypted "400 Bad Request" saying "Client sent an
 * HTTP request to an HTTPS server." rather than an alert. Loop thread only.
 */
#include "http/tls.h"

#include "base/alloc.h"

#include <limits.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>

struct tls_server {
	SSL_CTX *ctx; /* shared by every connection (reference counted by OpenSSL) */
};

struct tls_conn {
	SSL *ssl;	 /* server side, owns both BIOs */
	BIO *rbio;	 /* received ciphertext, read by OpenSSL */
	BIO *wbio;	 /* ciphertext OpenSSL produced, drained into out */
	struct buf held; /* plaintext given before the handshake completed */
	bool failed;	 /* a fatal error was seen: nothing more is processed */
	bool notified;	 /* close_notify was queued */
	bool http;	 /* the client spoke plain HTTP: answer as Go's server does */
};

/* What Go's net/http writes, unencrypted, to an HTTP request on an HTTPS port. */
static const char http_to_https[] =
    "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

/* OpenSSL's error queue as one line (the last, most specific entry), then cleared. */
static void ssl_errors(struct buf *err)
{
	unsigned long e = ERR_peek_last_error();
	if (e) {
		const char *r = ERR_reason_error_string(e);
		buf_puts(err, r ? r : "unknown error");
	} else {
		buf_puts(err, "unknown error");
	}
	ERR_clear_error();
}

static int fail(SSL_CTX *ctx, struct buf *err, const char *what, const char *file)
{
	buf_printf(err, "%s %s: ", what, file);
	ssl_errors(err);
	SSL_CTX_free(ctx);
	return -1;
}

int tls_server_new(const struct http_tls_config *cfg, struct tls_server **out, struct buf *err)
{
	*out = NULL;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		buf_puts(err, "TLS: ");
		ssl_errors(err);
		return -1;
	}
	SSL_CTX_set_min_proto_version(ctx, cfg->tls13 ? TLS1_3_VERSION : TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
				     SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	static const unsigned char sid[] = "cairn-https";
	SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1)
		return fail(ctx, err, "Failed to load cert/key pair: cert_file", cfg->cert_file);
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1)
		return fail(ctx, err, "Failed to load cert/key pair: key_file", cfg->key_file);
	if (SSL_CTX_check_private_key(ctx) != 1)
		return fail(ctx, err, "Failed to load cert/key pair: key_file", cfg->key_file);
	const char *ca = cfg->ca_file && *cfg->ca_file ? cfg->ca_file : NULL;
	const char *cap = cfg->ca_path && *cfg->ca_path ? cfg->ca_path : NULL;
	if ((ca || cap) && SSL_CTX_load_verify_locations(ctx, ca, cap) != 1)
		return fail(ctx, err, "Failed to load CA", ca ? ca : cap);
	if (cfg->verify_incoming) {
		if (!ca && !cap) {
			SSL_CTX_free(ctx);
			buf_puts(err, "verify_incoming set but no CA certificates provided "
				      "(tls.defaults.ca_file or ca_path)");
			return -1;
		}
		if (ca) /* the CA names a client is told to pick its certificate by */
			SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(ca));
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	*out = xmalloc(sizeof(**out));
	(*out)->ctx = ctx;
	return 0;
}

void tls_server_free(struct tls_server *s)
{
	if (!s)
		return;
	SSL_CTX_free(s->ctx);
	free(s);
}

struct tls_conn *tls_conn_new(struct tls_server *s)
{
	struct tls_conn *t = xcalloc(1, sizeof(*t));
	t->ssl = SSL_new(s->ctx);
	t->rbio = BIO_new(BIO_s_mem());
	t->wbio = BIO_new(BIO_s_mem());
	if (!t->ssl || !t->rbio || !t->wbio)
		abort(); /* out of memory, as xmalloc */
	/* an empty memory BIO means "try again later", not EOF */
	BIO_set_mem_eof_return(t->rbio, -1);
	BIO_set_mem_eof_return(t->wbio, -1);
	SSL_set_bio(t->ssl, t->rbio, t->wbio);
	SSL_set_accept_state(t->ssl);
	return t;
}

void tls_conn_free(struct tls_conn *t)
{
	if (!t)
		return;
	SSL_free(t->ssl); /* and both BIOs */
	buf_free(&t->held);
	free(t);
}

bool tls_conn_ready(const struct tls_conn *t)
{
	return !t->failed && SSL_is_init_finished(t->ssl);
}

bool tls_conn_held(const struct tls_conn *t)
{
	return !t->failed && t->held.len > 0;
}

/* Go's words for the failures a user meets; OpenSSL's reason otherwise. */
static void describe(struct tls_conn *t, int ret, struct buf *err)
{
	int e = SSL_get_error(t->ssl, ret);
	unsigned long code = ERR_peek_last_error();
	int reason = ERR_GET_REASON(code);
	if (e == SSL_ERROR_SSL && reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
		buf_puts(err, "tls: client didn't provide a certificate");
	} else if (e == SSL_ERROR_SSL && reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
		long v = SSL_get_verify_result(t->ssl);
		buf_printf(err, "tls: failed to verify certificate: x509: %s",
			   X509_verify_cert_error_string(v));
	} else if (e == SSL_ERROR_SSL && reason == SSL_R_HTTP_REQUEST) {
		buf_puts(err, "client sent an HTTP request to an HTTPS server");
		t->http = true;
	} else if (e == SSL_ERROR_SSL && reason == SSL_R_WRONG_VERSION_NUMBER) {
		buf_puts(err, "tls: first record does not look like a TLS handshake");
	} else {
		ssl_errors(err);
		return;
	}
	ERR_clear_error();
}

int tls_conn_input(struct tls_conn *t, const char *data, size_t n, struct buf *plain,
		   struct buf *err)
{
	if (t->failed)
		return -1;
	/* n is at most one read buffer (64 KiB); a memory BIO takes all of it */
	if (n && BIO_write(t->rbio, data, (int)n) != (int)n)
		abort();
	if (!SSL_is_init_finished(t->ssl)) {
		int r = SSL_do_handshake(t->ssl);
		if (r != 1) {
			if (SSL_get_error(t->ssl, r) == SSL_ERROR_WANT_READ)
				return 0;
			describe(t, r, err);
			t->failed = true;
			return -1;
		}
	}
	for (;;) {
		buf_reserve(plain, 16384);
		size_t room = plain->cap - plain->len - 1;
		int r = SSL_read(t->ssl, plain->data + plain->len,
				 room > INT_MAX ? INT_MAX : (int)room);
		if (r > 0) {
			plain->len += (size_t)r;
			plain->data[plain->len] = '\0';
			continue;
		}
		int e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_ZERO_RETURN)
			return 0; /* all read, or the client's close_notify (TCP EOF follows) */
		describe(t, r, err);
		t->failed = true;
		return -1;
	}
}

static void ssl_write_all(struct tls_conn *t, const char *p, size_t n)
{
	while (n > 0 && !t->failed) {
		int chunk = n > (1u << 24) ? (1 << 24) : (int)n;
		int r = SSL_write(t->ssl, p, chunk);
		if (r <= 0) { /* only after a fatal error: the data has nowhere to go */
			ERR_clear_error();
			t->failed = true;
			return;
		}
		p += r;
		n -= (size_t)r;
	}
}

void tls_conn_output(struct tls_conn *t, struct buf *out)
{
	bool ready = !t->failed && SSL_is_init_finished(t->ssl);
	if (t->held.len && (ready || t->failed)) { /* held bytes go first */
		ssl_write_all(t, t->held.data, t->held.len);
		buf_free(&t->held);
	}
	if (out->len) {
		if (ready)
			ssl_write_all(t, out->data, out->len);
		else if (!t->failed)
			buf_append(&t->held, out->data, out->len);
		buf_reset(out); /* after a failure only the alert leaves */
	}
	size_t pending = BIO_ctrl_pending(t->wbio);
	if (t->http) { /* instead of an alert the client could not read */
		buf_append(out, http_to_https, sizeof(http_to_https) - 1);
		t->http = false;
		(void)BIO_reset(t->wbio);
		return;
	}
	if (pending == 0)
		return;
	buf_reserve(out, pending);
	int r = BIO_read(t->wbio, out->data + out->len, (int)pending);
	if (r > 0)
		out->len += (size_t)r;
	out->data[out->len] = '\0';
}

bool tls_conn_close_notify(struct tls_conn *t)
{
	if (t->notified || t->failed || !SSL_is_init_finished(t->ssl))
		return false;
	t->notified = true;
	SSL_shutdown(t->ssl);
	ERR_clear_error();
	return BIO_ctrl_pending(t->wbio) > 0;
}
