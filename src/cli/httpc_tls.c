/*
 * HTTPS for the CLI's client (see httpc_tls.h).
 *
 * OpenSSL drives the blocking socket itself (a socket BIO). Its writes use
 * write(2), which raises SIGPIPE on a connection the server closed; the CLI
 * keeps SIGPIPE's default (a broken stdout pipe ends it), so every SSL call
 * that may write runs with SIGPIPE blocked and any such signal it raised is
 * consumed before it is unblocked: the failure shows as an error, as with
 * send(MSG_NOSIGNAL) on plain connections.
 *
 * Verification failures are turned into Go's x509 texts. The hostname case
 * needs the names the certificate does hold, which OpenSSL does not report, so
 * the verify callback records them from the leaf when that check fails.
 */
#include "cli/httpc_tls.h"

#include "base/alloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct httpc_tls_conn {
	SSL *ssl;		/* client side, on the caller's socket */
	bool name_is_ip;	/* the checked name is an IP address */
	char name[256];		/* the name checked against the certificate */
	struct buf valid_names; /* the leaf's SANs when the name check failed */
};

/* Go's alert descriptions (crypto/tls alert.go), for "remote error: tls: ...". */
static const struct {
	int code;
	const char *text;
} alerts[] = {
    {10, "unexpected message"},
    {20, "bad record MAC"},
    {22, "record overflow"},
    {40, "handshake failure"},
    {42, "bad certificate"},
    {43, "unsupported certificate"},
    {44, "revoked certificate"},
    {45, "expired certificate"},
    {46, "unknown certificate"},
    {47, "illegal parameter"},
    {48, "unknown certificate authority"},
    {49, "access denied"},
    {50, "error decoding message"},
    {51, "error decrypting message"},
    {70, "protocol version not supported"},
    {71, "insufficient security level"},
    {80, "internal error"},
    {86, "inappropriate fallback"},
    {90, "user canceled"},
    {109, "missing extension"},
    {110, "unsupported extension"},
    {112, "unrecognized name"},
    {116, "certificate required"},
    {120, "no application protocol"},
};

static void lower_errno(struct buf *err, int e)
{
	const char *m = strerror(e);
	buf_printf(err, "%c%s", tolower((unsigned char)m[0]), m + 1);
}

/* ---- SIGPIPE around SSL calls ---- */

static void pipe_block(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void pipe_restore(const sigset_t *old)
{
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigpending(&pending);
	if (sigismember(&pending, SIGPIPE) && !sigismember(old, SIGPIPE)) {
		struct timespec zero = {0, 0};
		int saved = errno;
		sigtimedwait(&set, NULL, &zero);
		errno = saved;
	}
	sigprocmask(SIG_SETMASK, old, NULL);
}

/* ---- configuration ---- */

/* Go's rootcerts: every regular file of the directory must hold PEM certificates. */
static int load_ca_path(SSL_CTX *ctx, const char *dir, struct buf *err)
{
	DIR *d = opendir(dir);
	if (!d) {
		buf_printf(err, "Error loading CA Path: open %s: ", dir);
		lower_errno(err, errno);
		return -1;
	}
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d))) {
		char *p = buf_fmt("%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
		    SSL_CTX_load_verify_file(ctx, p) != 1) {
			buf_printf(err, "Error loading CA Path: Couldn't parse PEM in: %s", p);
			rc = -1;
		}
		free(p);
	}
	closedir(d);
	return rc;
}

static bool readable(const char *path, const char *what, struct buf *err)
{
	FILE *f = fopen(path, "rb");
	if (f) {
		fclose(f);
		return true;
	}
	buf_printf(err, "%sopen %s: ", what, path);
	lower_errno(err, errno);
	return false;
}

static int load_keypair(SSL_CTX *ctx, const struct httpc_tls *t, struct buf *err)
{
	bool cert = t->cert_file && *t->cert_file, key = t->key_file && *t->key_file;
	if (!cert && !key)
		return 0;
	if (!cert || !key) {
		buf_puts(err, "both client cert and client key must be provided");
		return -1;
	}
	if (!readable(t->cert_file, "", err) || !readable(t->key_file, "", err))
		return -1;
	if (SSL_CTX_use_certificate_chain_file(ctx, t->cert_file) != 1) {
		buf_puts(err, "tls: failed to find any PEM data in certificate input");
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, t->key_file, SSL_FILETYPE_PEM) != 1) {
		buf_puts(err, "tls: failed to find any PEM data in key input");
		return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		buf_puts(err, "tls: private key does not match public key");
		return -1;
	}
	return 0;
}

static int verify_cb(int ok, X509_STORE_CTX *store);

int httpc_tls_setup(struct httpc *c, struct buf *err)
{
	struct httpc_tls *t = &c->tls;
	bool any = (t->ca_file && *t->ca_file) || (t->ca_path && *t->ca_path) ||
		   (t->cert_file && *t->cert_file) || (t->key_file && *t->key_file);
	if (!any && strcmp(c->scheme, "https") != 0)
		return 0;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		buf_puts(err, "tls: cannot create a TLS context");
		return -1;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
	int rc = 0;
	if (t->ca_file && *t->ca_file) {
		if (!readable(t->ca_file, "Error loading CA File: ", err))
			rc = -1;
		else if (SSL_CTX_load_verify_file(ctx, t->ca_file) != 1) {
			buf_printf(err, "Error loading CA File: Couldn't parse PEM in: %s",
				   t->ca_file);
			rc = -1;
		}
	} else if (t->ca_path && *t->ca_path) {
		rc = load_ca_path(ctx, t->ca_path, err);
	} else {
		SSL_CTX_set_default_verify_paths(ctx); /* the system roots, as Go */
	}
	if (rc == 0)
		rc = load_keypair(ctx, t, err);
	ERR_clear_error();
	if (rc < 0) {
		SSL_CTX_free(ctx);
		return -1;
	}
	SSL_CTX_set_verify(ctx, t->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, verify_cb);
	t->ctx = ctx;
	return 0;
}

void httpc_tls_free(struct httpc *c)
{
	SSL_CTX_free(c->tls.ctx);
	c->tls.ctx = NULL;
}

/* ---- errors ---- */

/* The leaf's IP or DNS SANs, comma separated, as Go's HostnameError lists them. */
static void san_list(X509 *cert, bool ips, struct buf *out)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	int n = names ? sk_GENERAL_NAME_num(names) : 0;
	for (int i = 0; i < n; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		char text[INET6_ADDRSTRLEN] = "";
		if (ips && g->type == GEN_IPADD) {
			const ASN1_OCTET_STRING *ip = g->d.iPAddress;
			int af = ip->length == 4 ? AF_INET : ip->length == 16 ? AF_INET6 : 0;
			if (!af || !inet_ntop(af, ip->data, text, sizeof(text)))
				continue;
		} else if (!ips && g->type == GEN_DNS) {
			const ASN1_IA5STRING *s = g->d.dNSName;
			snprintf(text, sizeof(text), "%.*s", s->length, (const char *)s->data);
		} else {
			continue;
		}
		if (out->len)
			buf_puts(out, ", ");
		buf_puts(out, text);
	}
	GENERAL_NAMES_free(names);
}

static int verify_cb(int ok, X509_STORE_CTX *store)
{
	int e = X509_STORE_CTX_get_error(store);
	if (ok || (e != X509_V_ERR_HOSTNAME_MISMATCH && e != X509_V_ERR_IP_ADDRESS_MISMATCH))
		return ok;
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct httpc_tls_conn *t = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *leaf = X509_STORE_CTX_get0_cert(store);
	if (t && leaf) {
		buf_reset(&t->valid_names);
		san_list(leaf, t->name_is_ip, &t->valid_names);
	}
	return ok;
}

static void x509_text(struct httpc_tls_conn *t, long v, struct buf *err)
{
	buf_puts(err, "tls: failed to verify certificate: x509: ");
	switch (v) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		buf_puts(err, "certificate signed by unknown authority");
		break;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		buf_puts(err, "certificate has expired or is not yet valid");
		break;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		if (t->valid_names.len == 0 && t->name_is_ip)
			buf_printf(err,
				   "cannot validate certificate for %s because it doesn't contain "
				   "any IP SANs",
				   t->name);
		else if (t->valid_names.len == 0)
			buf_printf(err,
				   "certificate is not valid for any names, but wanted to match %s",
				   t->name);
		else
			buf_printf(err, "certificate is valid for %s, not %s",
				   buf_cstr(&t->valid_names), t->name);
		break;
	default:
		buf_puts(err, X509_verify_cert_error_string(v));
	}
}

/* Why an SSL call failed, in Go's words where Go has them. */
static void ssl_error(struct httpc_tls_conn *t, int ret, const char *op, struct buf *err)
{
	int e = SSL_get_error(t->ssl, ret);
	unsigned long code = ERR_peek_last_error();
	int reason = ERR_GET_REASON(code);
	if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0 && !code)) {
		buf_puts(err, "EOF");
	} else if (e == SSL_ERROR_SYSCALL && !code) {
		buf_printf(err, "%s: ", op);
		lower_errno(err, errno);
	} else if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
		x509_text(t, SSL_get_verify_result(t->ssl), err);
	} else if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG) {
		buf_puts(err, "http: server gave HTTP response to HTTPS client");
	} else {
		const char *alert = NULL;
		for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
			if (reason == SSL_AD_REASON_OFFSET + alerts[i].code)
				alert = alerts[i].text;
		if (alert) {
			buf_printf(err, "remote error: tls: %s", alert);
		} else {
			const char *r = code ? ERR_reason_error_string(code) : NULL;
			buf_printf(err, "tls: %s", r ? r : "handshake failed");
		}
	}
	ERR_clear_error();
}

/* ---- connections ---- */

struct httpc_tls_conn *httpc_tls_connect(const struct httpc *c, int fd, const char *host,
					 struct buf *err)
{
	struct httpc_tls_conn *t = xcalloc(1, sizeof(*t));
	const char *sn = c->tls.server_name && *c->tls.server_name ? c->tls.server_name : host;
	snprintf(t->name, sizeof(t->name), "%s", sn);
	unsigned char addr[16];
	t->name_is_ip =
	    inet_pton(AF_INET, t->name, addr) == 1 || inet_pton(AF_INET6, t->name, addr) == 1;
	t->ssl = SSL_new(c->tls.ctx);
	if (!t->ssl) {
		buf_puts(err, "tls: cannot create a TLS session");
		free(t);
		return NULL;
	}
	SSL_set_app_data(t->ssl, t);
	SSL_set_fd(t->ssl, fd);
	if (!t->name_is_ip)
		SSL_set_tlsext_host_name(t->ssl, t->name); /* SNI: names only, as Go */
	if (!c->tls.insecure) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(t->ssl);
		X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (t->name_is_ip)
			X509_VERIFY_PARAM_set1_ip_asc(vp, t->name);
		else
			X509_VERIFY_PARAM_set1_host(vp, t->name, 0);
	}
	sigset_t old;
	pipe_block(&old);
	int r;
	do {
		errno = 0;
		r = SSL_connect(t->ssl);
	} while (r <= 0 && SSL_get_error(t->ssl, r) == SSL_ERROR_SYSCALL && errno == EINTR);
	if (r != 1)
		ssl_error(t, r, "read", err);
	pipe_restore(&old);
	if (r != 1) {
		httpc_tls_close(t);
		return NULL;
	}
	return t;
}

int httpc_tls_send(struct httpc_tls_conn *t, const char *p, size_t n, struct buf *err)
{
	sigset_t old;
	pipe_block(&old);
	int rc = 0;
	while (n > 0) {
		errno = 0;
		int r = SSL_write(t->ssl, p, n > (1u << 30) ? (1 << 30) : (int)n);
		if (r <= 0 && SSL_get_error(t->ssl, r) == SSL_ERROR_SYSCALL && errno == EINTR)
			continue;
		if (r <= 0) {
			ssl_error(t, r, "write", err);
			rc = -1;
			break;
		}
		p += r;
		n -= (size_t)r;
	}
	pipe_restore(&old);
	return rc;
}

ssize_t httpc_tls_recv(struct httpc_tls_conn *t, char *p, size_t n, struct buf *err)
{
	sigset_t old;
	pipe_block(&old); /* reads may write too (key updates, alerts) */
	int r;
	do {
		errno = 0;
		r = SSL_read(t->ssl, p, n > (1u << 30) ? (1 << 30) : (int)n);
	} while (r <= 0 && SSL_get_error(t->ssl, r) == SSL_ERROR_SYSCALL && errno == EINTR);
	ssize_t rc = r;
	if (r <= 0) {
		int e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_ZERO_RETURN ||
		    (e == SSL_ERROR_SYSCALL && errno == 0 && !ERR_peek_error())) {
			rc = 0; /* the end of the stream */
		} else {
			ssl_error(t, r, "read", err);
			rc = -1;
		}
		ERR_clear_error();
	}
	pipe_restore(&old);
	return rc;
}

void httpc_tls_close(struct httpc_tls_conn *t)
{
	if (!t)
		return;
	SSL_free(t->ssl); /* no close_notify: the request asked the server to close */
	buf_free(&t->valid_names);
	free(t);
}
