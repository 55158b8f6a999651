/*
 * Certificates and keys for `consul tls`, built with libcrypto: the CA and leaf
 * profiles described in cli/tls.h. Every OpenSSL object lives only for one call and
 * is freed on every path; failures report OpenSSL's reason for the first queued
 * error (or what step failed when the queue is empty).
 */
#include "cli/tls.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdio.h>
#include <string.h>

#define SERIAL_BITS 128
#define DAY_SECONDS (24L * 60 * 60)

/* "<what>: <OpenSSL reason>" into err, and clear OpenSSL's queue. */
static int fail(struct buf *err, const char *what)
{
	unsigned long e = ERR_get_error();
	const char *why = e ? ERR_reason_error_string(e) : NULL;
	if (why)
		buf_printf(err, "%s: %s", what, why);
	else
		buf_puts(err, what);
	ERR_clear_error();
	return -1;
}

static EVP_PKEY *new_key(struct buf *err)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	if (!k)
		fail(err, "error generating private key");
	return k;
}

/* PEM "EC PRIVATE KEY" (traditional SEC 1 form, as Go's MarshalECPrivateKey). */
static int key_pem(EVP_PKEY *k, struct buf *out, struct buf *err)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (!b || !PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(b);
		return fail(err, "error encoding private key");
	}
	char *p;
	long n = BIO_get_mem_data(b, &p);
	buf_append(out, p, (size_t)n);
	BIO_free(b);
	return 0;
}

static int cert_pem(X509 *x, struct buf *out, struct buf *err)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (!b || !PEM_write_bio_X509(b, x)) {
		BIO_free(b);
		return fail(err, "error encoding certificate");
	}
	char *p;
	long n = BIO_get_mem_data(b, &p);
	buf_append(out, p, (size_t)n);
	BIO_free(b);
	return 0;
}

/* Version 3, a random 128-bit serial (its decimal text in *dec if asked), validity. */
static int cert_base(X509 *x, int64_t days, char **dec, struct buf *err)
{
	BIGNUM *bn = BN_new();
	int rc = -1;
	if (!bn || !BN_rand(bn, SERIAL_BITS, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY)) {
		fail(err, "error generating serial number");
		goto out;
	}
	ASN1_INTEGER *sn = BN_to_ASN1_INTEGER(bn, NULL);
	if (!sn || !X509_set_serialNumber(x, sn)) {
		ASN1_INTEGER_free(sn);
		fail(err, "error setting serial number");
		goto out;
	}
	ASN1_INTEGER_free(sn);
	if (dec && !(*dec = BN_bn2dec(bn))) {
		fail(err, "error formatting serial number");
		goto out;
	}
	if (!X509_set_version(x, X509_VERSION_3) || !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL)) {
		fail(err, "error setting validity");
		goto out;
	}
	rc = 0;
out:
	BN_free(bn);
	return rc;
}

static int name_add(X509_NAME *n, const char *field, const char *value)
{
	return X509_NAME_add_entry_by_txt(n, field, MBSTRING_UTF8, (const unsigned char *)value, -1,
					  -1, 0);
}

/* One extension in openssl.cnf syntax ("critical,CA:TRUE"), issued by ctx. */
static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, struct buf *err)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	if (!e || !X509_add_ext(x, e, -1)) {
		X509_EXTENSION_free(e);
		char what[96];
		snprintf(what, sizeof(what), "error adding %s extension (%s)", OBJ_nid2sn(nid),
			 value);
		return fail(err, what);
	}
	X509_EXTENSION_free(e);
	return 0;
}

/* SHA-256 (ECDSA-SHA256 for Consul's keys); EdDSA keys sign without a digest. */
static const EVP_MD *digest_for(EVP_PKEY *signer)
{
	int id = EVP_PKEY_get_id(signer);
	return id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448 ? NULL : EVP_sha256();
}

/*
 * Names go into certificates as ASN.1 values built here, never through OpenSSL's
 * configuration syntax, so a name holding "," or ":" stays one name.
 */
static GENERAL_NAME *gen_string(int type, const char *s)
{
	ASN1_IA5STRING *v = ASN1_IA5STRING_new();
	if (!v || !ASN1_STRING_set(v, s, -1)) {
		ASN1_IA5STRING_free(v);
		return NULL;
	}
	GENERAL_NAME *g = GENERAL_NAME_new();
	if (!g) {
		ASN1_IA5STRING_free(v);
		return NULL;
	}
	GENERAL_NAME_set0_value(g, type, v);
	return g;
}

static GENERAL_NAME *gen_ip(const char *ip)
{
	ASN1_OCTET_STRING *v = a2i_IPADDRESS(ip);
	GENERAL_NAME *g = v ? GENERAL_NAME_new() : NULL;
	if (!g) {
		ASN1_OCTET_STRING_free(v);
		return NULL;
	}
	GENERAL_NAME_set0_value(g, GEN_IPADD, v);
	return g;
}

/* subjectAltName: DNS names, then IP addresses, then URIs, in the given order. */
static int add_san(X509 *x, const char **dns, size_t ndns, const char **ips, size_t nips,
		   const char *uri, struct buf *err)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	int rc = -1;
	for (size_t i = 0; gens && i < ndns + nips + (uri ? 1 : 0); i++) {
		GENERAL_NAME *g = i < ndns	    ? gen_string(GEN_DNS, dns[i])
				  : i < ndns + nips ? gen_ip(ips[i - ndns])
						    : gen_string(GEN_URI, uri);
		if (!g || !sk_GENERAL_NAME_push(gens, g)) {
			GENERAL_NAME_free(g);
			if (i >= ndns && i < ndns + nips)
				buf_printf(err, "invalid IP address: %s", ips[i - ndns]);
			else
				fail(err, "error encoding subject alternative names");
			goto out;
		}
	}
	if (!gens || (sk_GENERAL_NAME_num(gens) && X509_add1_ext_i2d(x, NID_subject_alt_name, gens,
								     0, X509V3_ADD_DEFAULT) != 1)) {
		fail(err, "error adding subjectAltName extension");
		goto out;
	}
	rc = 0;
out:
	GENERAL_NAMES_free(gens);
	return rc;
}

/* Critical name constraints permitting the DNS subtrees given. */
static int add_name_constraints(X509 *x, const char **dns, size_t n, struct buf *err)
{
	NAME_CONSTRAINTS *nc = NAME_CONSTRAINTS_new();
	int rc = -1;
	if (!nc || !(nc->permittedSubtrees = sk_GENERAL_SUBTREE_new_null()))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		GENERAL_SUBTREE *t = GENERAL_SUBTREE_new();
		GENERAL_NAME *g = t ? gen_string(GEN_DNS, dns[i]) : NULL;
		if (!g) {
			GENERAL_SUBTREE_free(t);
			goto fail;
		}
		GENERAL_NAME_free(t->base);
		t->base = g;
		if (!sk_GENERAL_SUBTREE_push(nc->permittedSubtrees, t)) {
			GENERAL_SUBTREE_free(t);
			goto fail;
		}
	}
	if (X509_add1_ext_i2d(x, NID_name_constraints, nc, 1, X509V3_ADD_DEFAULT) != 1)
		goto fail;
	rc = 0;
	goto out;
fail:
	fail(err, "error adding nameConstraints extension");
out:
	NAME_CONSTRAINTS_free(nc);
	return rc;
}

int tls_make_ca(const struct tls_ca_opts *o, struct buf *cert, struct buf *key, struct buf *err)
{
	EVP_PKEY *k = new_key(err);
	if (!k)
		return -1;
	X509 *x = X509_new();
	char *serial = NULL;
	struct buf cn = BUF_INIT;
	int rc = -1;
	if (!x || cert_base(x, o->days, &serial, err) < 0)
		goto out;
	if (o->common_name && *o->common_name)
		buf_puts(&cn, o->common_name);
	else
		buf_printf(&cn, "Consul Agent CA %s", serial);
	X509_NAME *n = X509_get_subject_name(x);
	if (!name_add(n, "C", "US") || !name_add(n, "ST", "CA") ||
	    !name_add(n, "L", "San Francisco") || !name_add(n, "street", "101 Second Street") ||
	    !name_add(n, "postalCode", "94105") || !name_add(n, "O", "HashiCorp Inc.") ||
	    !name_add(n, "CN", buf_cstr(&cn)) || !X509_set_issuer_name(x, n) ||
	    !X509_set_pubkey(x, k)) {
		fail(err, "error generating CA certificate");
		goto out;
	}
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE", err) < 0 ||
	    add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign", err) <
		0 ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash", err) < 0 ||
	    add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always", err) < 0)
		goto out;
	if (o->uri && *o->uri && add_san(x, NULL, 0, NULL, 0, o->uri, err) < 0)
		goto out;
	if (o->npermitted && add_name_constraints(x, o->permitted_dns, o->npermitted, err) < 0)
		goto out;
	if (!X509_sign(x, k, digest_for(k))) {
		fail(err, "error generating CA certificate");
		goto out;
	}
	if (cert_pem(x, cert, err) < 0 || key_pem(k, key, err) < 0)
		goto out;
	rc = 0;
out:
	OPENSSL_free(serial);
	buf_free(&cn);
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

static X509 *parse_cert(const struct buf *pem, struct buf *err)
{
	BIO *b = BIO_new_mem_buf(pem->data, (int)pem->len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!x) {
		ERR_clear_error();
		buf_puts(err, memmem(pem->data, pem->len, "-----BEGIN", 10)
				  ? "first PEM-block should be CERTIFICATE type"
				  : "no PEM-encoded data found");
	}
	return x;
}

static EVP_PKEY *parse_key(const struct buf *pem, struct buf *err)
{
	BIO *b = BIO_new_mem_buf(pem->data, (int)pem->len);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!k) {
		ERR_clear_error();
		buf_puts(err, memmem(pem->data, pem->len, "-----BEGIN", 10)
				  ? "unknown PEM block type for signing key"
				  : "no PEM-encoded data found");
	}
	return k;
}

/* Consul's tlsutil.Verify: the leaf chains to the CA and is valid for name. */
static int verify_leaf(X509 *ca, X509 *leaf, const char *name, struct buf *err)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = -1;
	if (!st || !ctx || !X509_STORE_add_cert(st, ca) ||
	    !X509_STORE_CTX_init(ctx, st, leaf, NULL)) {
		fail(err, "failed to parse root certificate");
		goto out;
	}
	X509_VERIFY_PARAM *p = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set1_host(p, name, 0);
	X509_VERIFY_PARAM_set_purpose(p, X509_PURPOSE_ANY);
	if (X509_verify_cert(ctx) != 1) {
		buf_printf(err, "x509: certificate verification failed: %s",
			   X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return rc;
}

static const char *eku_name(enum tls_eku e)
{
	return e == TLS_EKU_SERVER ? "serverAuth" : "clientAuth";
}

int tls_make_leaf(const struct tls_leaf_opts *o, const struct buf *ca_pem,
		  const struct buf *ca_key_pem, struct buf *cert, struct buf *key, struct buf *err)
{
	X509 *ca = parse_cert(ca_pem, err);
	if (!ca)
		return -1;
	EVP_PKEY *cak = parse_key(ca_key_pem, err);
	EVP_PKEY *k = cak ? new_key(err) : NULL;
	X509 *x = k ? X509_new() : NULL;
	struct buf ext = BUF_INIT;
	int rc = -1;
	if (!x || cert_base(x, o->days, NULL, err) < 0)
		goto out;
	if (!name_add(X509_get_subject_name(x), "CN", o->name) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca)) || !X509_set_pubkey(x, k)) {
		fail(err, "error generating certificate");
		goto out;
	}
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE", err) < 0 ||
	    add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment", err) < 0)
		goto out;
	if (o->neku) {
		for (size_t i = 0; i < o->neku; i++)
			buf_printf(&ext, "%s%s", i ? "," : "", eku_name(o->eku[i]));
		if (add_ext(x, &ctx, NID_ext_key_usage, buf_cstr(&ext), err) < 0)
			goto out;
	}
	if (add_san(x, o->dns, o->ndns, o->ips, o->nips, NULL, err) < 0)
		goto out;
	if (add_ext(x, &ctx, NID_subject_key_identifier, "hash", err) < 0 ||
	    add_ext(x, &ctx, NID_authority_key_identifier, "keyid", err) < 0)
		goto out;
	if (!X509_sign(x, cak, digest_for(cak))) {
		fail(err, "error signing certificate");
		goto out;
	}
	if (verify_leaf(ca, x, o->name, err) < 0)
		goto out;
	if (cert_pem(x, cert, err) < 0 || key_pem(k, key, err) < 0)
		goto out;
	rc = 0;
out:
	buf_free(&ext);
	X509_free(x);
	EVP_PKEY_free(k);
	EVP_PKEY_free(cak);
	X509_free(ca);
	return rc;
}
