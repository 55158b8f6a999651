/*
 * Unit tests of the HTTPS session layer (src/http/tls.c) without sockets: an
 * OpenSSL client on memory BIOs talks to a tls_conn, and the test moves the
 * bytes between them. Covers the handshake, data both ways, a reply held until
 * the handshake completes, verify_incoming with and without a client
 * certificate, a plain HTTP request (Go's unencrypted 400), close_notify and
 * bad certificate files. The certificate is made at start: self-signed P-256,
 * IP SAN 127.0.0.1, serving as its own CA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char cert_path[] = "/tmp/cairn-tls-cert-XXXXXX";
static char key_path[] = "/tmp/cairn-tls-key-XXXXXX";
static X509 *cert;
static EVP_PKEY *key;

static void make_cert(void)
{
	key = EVP_EC_gen("P-256");
	assert_non_null(key);
	cert = X509_new();
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	X509_set_pubkey(cert, key);
	X509_NAME *n = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"test", -1, -1, 0);
	X509_set_issuer_name(cert, n);
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	const char *exts[][2] = {{"basicConstraints", "critical,CA:TRUE"},
				 {"subjectAltName", "IP:127.0.0.1,DNS:localhost"},
				 {"keyUsage", "digitalSignature,keyCertSign"},
				 {"extendedKeyUsage", "serverAuth,clientAuth"}};
	for (size_t i = 0; i < 4; i++) {
		X509_EXTENSION *e = X509V3_EXT_conf(NULL, &ctx, exts[i][0], exts[i][1]);
		assert_non_null(e);
		X509_add_ext(cert, e, -1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
	int fd = mkstemp(cert_path);
	FILE *f = fdopen(fd, "w");
	PEM_write_X509(f, cert);
	fclose(f);
	fd = mkstemp(key_path);
	f = fdopen(fd, "w");
	PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
}

static int setup(void **state)
{
	make_cert();
	return 0;
}

static int teardown(void **state)
{
	unlink(cert_path);
	unlink(key_path);
	X509_free(cert);
	EVP_PKEY_free(key);
	return 0;
}

/* A client on memory BIOs, and the server side under test. */
struct pair {
	SSL_CTX *cctx;
	SSL *c;
	BIO *c_in, *c_out; /* what the client reads / writes */
	struct tls_server *srv;
	struct tls_conn *t;
	struct buf plain; /* what the server decrypted */
	struct buf out;	  /* the server's output buffer */
	struct buf err;
	int server_rc; /* last tls_conn_input result */
};

static void pair_init(struct pair *p, bool verify_incoming, bool client_cert)
{
	memset(p, 0, sizeof(*p));
	struct http_tls_config cfg = {.cert_file = cert_path,
				      .key_file = key_path,
				      .ca_file = cert_path,
				      .verify_incoming = verify_incoming};
	struct buf err = BUF_INIT;
	assert_int_equal(tls_server_new(&cfg, &p->srv, &err), 0);
	buf_free(&err);
	p->t = tls_conn_new(p->srv);
	p->cctx = SSL_CTX_new(TLS_client_method());
	X509_STORE_add_cert(SSL_CTX_get_cert_store(p->cctx), cert);
	SSL_CTX_set_verify(p->cctx, SSL_VERIFY_PEER, NULL);
	if (client_cert) {
		SSL_CTX_use_certificate(p->cctx, cert);
		SSL_CTX_use_PrivateKey(p->cctx, key);
	}
	p->c = SSL_new(p->cctx);
	p->c_in = BIO_new(BIO_s_mem());
	p->c_out = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(p->c_in, -1);
	SSL_set_bio(p->c, p->c_in, p->c_out);
	SSL_set_connect_state(p->c);
	X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(p->c), "127.0.0.1");
}

static void pair_free(struct pair *p)
{
	SSL_free(p->c);
	SSL_CTX_free(p->cctx);
	tls_conn_free(p->t);
	tls_server_free(p->srv);
	buf_free(&p->plain);
	buf_free(&p->out);
	buf_free(&p->err);
}

/* Move bytes both ways until neither side has any to give. */
static void pump(struct pair *p)
{
	for (int round = 0; round < 20; round++) {
		char tmp[65536];
		int n = BIO_read(p->c_out, tmp, sizeof(tmp));
		if (n > 0)
			p->server_rc = tls_conn_input(p->t, tmp, (size_t)n, &p->plain, &p->err);
		tls_conn_output(p->t, &p->out);
		size_t m = p->out.len;
		if (m)
			BIO_write(p->c_in, p->out.data, (int)m);
		buf_reset(&p->out);
		if (n <= 0 && m == 0)
			return;
		if (!SSL_is_init_finished(p->c))
			SSL_do_handshake(p->c);
	}
}

static void handshake(struct pair *p)
{
	SSL_do_handshake(p->c);
	pump(p);
}

/* What the client can read now. */
static void client_read(struct pair *p, struct buf *got)
{
	char tmp[4096];
	int n;
	while ((n = SSL_read(p->c, tmp, sizeof(tmp))) > 0)
		buf_append(got, tmp, (size_t)n);
}

static void test_handshake_and_data(void **state)
{
	struct pair p;
	pair_init(&p, false, false);
	assert_false(tls_conn_ready(p.t));
	handshake(&p);
	assert_true(SSL_is_init_finished(p.c));
	assert_true(tls_conn_ready(p.t));
	const char req[] = "GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n\r\n";
	assert_int_equal(SSL_write(p.c, req, sizeof(req) - 1), (int)sizeof(req) - 1);
	pump(&p);
	assert_int_equal(p.server_rc, 0);
	assert_string_equal(buf_cstr(&p.plain), req);
	buf_puts(&p.out, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	pump(&p);
	struct buf got = BUF_INIT;
	client_read(&p, &got);
	assert_string_equal(buf_cstr(&got), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	/* close_notify once */
	assert_true(tls_conn_close_notify(p.t));
	assert_false(tls_conn_close_notify(p.t));
	pump(&p);
	buf_reset(&got);
	client_read(&p, &got);
	assert_int_equal(SSL_get_error(p.c, SSL_read(p.c, (char[1]){0}, 1)), SSL_ERROR_ZERO_RETURN);
	buf_free(&got);
	pair_free(&p);
}

static void test_reply_held_until_handshake(void **state)
{
	struct pair p;
	pair_init(&p, false, false);
	buf_puts(&p.out, "first ");
	tls_conn_output(p.t, &p.out);
	assert_int_equal(p.out.len, 0); /* nothing may leave in the clear */
	assert_true(tls_conn_held(p.t));
	handshake(&p);
	assert_false(tls_conn_held(p.t));
	buf_puts(&p.out, "second");
	pump(&p);
	struct buf got = BUF_INIT;
	client_read(&p, &got);
	assert_string_equal(buf_cstr(&got), "first second");
	buf_free(&got);
	pair_free(&p);
}

static void test_verify_incoming(void **state)
{
	struct pair p;
	pair_init(&p, true, false);
	handshake(&p);
	SSL_write(p.c, "x", 1); /* TLS 1.3: the client learns on its next exchange */
	pump(&p);
	assert_int_equal(p.server_rc, -1);
	assert_string_equal(buf_cstr(&p.err), "tls: client didn't provide a certificate");
	assert_false(tls_conn_ready(p.t));
	pair_free(&p);

	pair_init(&p, true, true);
	handshake(&p);
	assert_true(tls_conn_ready(p.t));
	SSL_write(p.c, "ping", 4);
	pump(&p);
	assert_int_equal(p.server_rc, 0);
	assert_string_equal(buf_cstr(&p.plain), "ping");
	pair_free(&p);
}

static void test_plain_http_request(void **state)
{
	struct pair p;
	pair_init(&p, false, false);
	const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	assert_int_equal(tls_conn_input(p.t, req, sizeof(req) - 1, &p.plain, &p.err), -1);
	tls_conn_output(p.t, &p.out);
	assert_string_equal(buf_cstr(&p.out), "HTTP/1.0 400 Bad Request\r\n\r\n"
					      "Client sent an HTTP request to an HTTPS server.\n");
	/* later input is ignored */
	assert_int_equal(tls_conn_input(p.t, "x", 1, &p.plain, &p.err), -1);
	pair_free(&p);
}

static void test_bad_files(void **state)
{
	struct tls_server *s = NULL;
	struct buf err = BUF_INIT;
	struct http_tls_config cfg = {.cert_file = "/nonexistent.pem", .key_file = key_path};
	assert_int_equal(tls_server_new(&cfg, &s, &err), -1);
	assert_null(s);
	assert_non_null(strstr(buf_cstr(&err), "Failed to load cert/key pair"));
	assert_non_null(strstr(buf_cstr(&err), "/nonexistent.pem"));
	buf_reset(&err);
	cfg = (struct http_tls_config){
	    .cert_file = cert_path, .key_file = key_path, .verify_incoming = true};
	assert_int_equal(tls_server_new(&cfg, &s, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "no CA certificates"));
	buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handshake_and_data),
	    cmocka_unit_test(test_reply_held_until_handshake),
	    cmocka_unit_test(test_verify_incoming),
	    cmocka_unit_test(test_plain_http_request),
	    cmocka_unit_test(test_bad_files),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
