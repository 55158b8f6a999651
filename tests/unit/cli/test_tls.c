/*
 * Unit tests for the certificates of `consul tls` (cli/tls_x509.c, cli/tls_files.c):
 * the CA and leaf profiles read back with OpenSSL's parsers, verification against
 * name constraints, and the file helpers' Go-shaped errors and modes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/tls.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static X509 *load(const struct buf *pem)
{
	BIO *b = BIO_new_mem_buf(pem->data, (int)pem->len);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	assert_non_null(x);
	return x;
}

static void make_ca(struct buf *cert, struct buf *key, const char **constraints, size_t n)
{
	struct tls_ca_opts o = {.days = 30, .permitted_dns = constraints, .npermitted = n};
	struct buf err = BUF_INIT;
	assert_int_equal(tls_make_ca(&o, cert, key, &err), 0);
	buf_free(&err);
}

static void test_ca_profile(void **state)
{
	(void)state;
	struct buf cert = BUF_INIT, key = BUF_INIT;
	make_ca(&cert, &key, NULL, 0);
	assert_non_null(strstr(key.data, "-----BEGIN EC PRIVATE KEY-----"));
	X509 *x = load(&cert);
	char cn[128];
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
	assert_memory_equal(cn, "Consul Agent CA ", 16);
	/* the CN carries the serial in decimal */
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(x), NULL);
	char *dec = BN_bn2dec(bn);
	assert_string_equal(cn + 16, dec);
	OPENSSL_free(dec);
	BN_free(bn);
	assert_int_equal(X509_check_ca(x), 1);
	assert_int_equal(X509_get_key_usage(x),
			 KU_DIGITAL_SIGNATURE | KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
	assert_null(X509_get_ext_d2i(x, NID_name_constraints, NULL, NULL));
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char group[32];
	size_t glen;
	assert_int_equal(EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof(group), &glen),
			 1);
	assert_string_equal(group, "prime256v1");
	X509_free(x);
	buf_free(&cert);
	buf_free(&key);
}

static int leaf(const struct buf *ca, const struct buf *cakey, const char *name, const char **dns,
		size_t ndns, struct buf *cert, struct buf *err)
{
	static const char *ips[] = {"10.0.0.1", "127.0.0.1"};
	struct tls_leaf_opts o = {
	    .name = name,
	    .days = 1,
	    .dns = dns,
	    .ndns = ndns,
	    .ips = ips,
	    .nips = 2,
	    .eku = {TLS_EKU_SERVER, TLS_EKU_CLIENT},
	    .neku = 2,
	};
	struct buf key = BUF_INIT;
	int rc = tls_make_leaf(&o, ca, cakey, cert, &key, err);
	buf_free(&key);
	return rc;
}

static void test_leaf_profile(void **state)
{
	(void)state;
	struct buf ca = BUF_INIT, cakey = BUF_INIT, cert = BUF_INIT, err = BUF_INIT;
	make_ca(&ca, &cakey, NULL, 0);
	const char *dns[] = {"server.dc1.consul", "localhost"};
	assert_int_equal(leaf(&ca, &cakey, "server.dc1.consul", dns, 2, &cert, &err), 0);
	X509 *x = load(&cert), *c = load(&ca);
	assert_int_equal(X509_check_ca(x), 0);
	assert_int_equal(X509_check_issued(c, x), X509_V_OK);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER | XKU_SSL_CLIENT);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	GENERAL_NAMES *san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(san), 4);
	assert_int_equal(sk_GENERAL_NAME_value(san, 0)->type, GEN_DNS);
	assert_int_equal(sk_GENERAL_NAME_value(san, 2)->type, GEN_IPADD);
	GENERAL_NAMES_free(san);
	assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(x, "10.0.0.1", 0), 1);
	assert_int_equal(X509_check_host(x, "other.dc1.consul", 0, 0, NULL), 0);
	X509_free(x);
	/* a name holding the configuration syntax's separators stays one name */
	buf_reset(&cert);
	const char *odd[] = {"server.dc1.consul", "x,IP:9.9.9.9"};
	assert_int_equal(leaf(&ca, &cakey, "server.dc1.consul", odd, 2, &cert, &err), 0);
	x = load(&cert);
	san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(san), 4);
	GENERAL_NAME *g = sk_GENERAL_NAME_value(san, 1);
	assert_int_equal(g->type, GEN_DNS);
	assert_string_equal((const char *)ASN1_STRING_get0_data(g->d.dNSName), "x,IP:9.9.9.9");
	GENERAL_NAMES_free(san);
	assert_int_equal(X509_check_ip_asc(x, "9.9.9.9", 0), 0);
	X509_free(x);
	X509_free(c);
	buf_free(&ca);
	buf_free(&cakey);
	buf_free(&cert);
	buf_free(&err);
}

static void test_leaf_checked_against_constraints(void **state)
{
	(void)state;
	const char *permitted[] = {"consul", "localhost"};
	struct buf ca = BUF_INIT, cakey = BUF_INIT, cert = BUF_INIT, err = BUF_INIT;
	make_ca(&ca, &cakey, permitted, 2);
	const char *ok[] = {"server.dc1.consul", "localhost"};
	assert_int_equal(leaf(&ca, &cakey, "server.dc1.consul", ok, 2, &cert, &err), 0);
	buf_reset(&cert);
	const char *bad[] = {"evil.example.com", "server.dc1.consul"};
	assert_int_equal(leaf(&ca, &cakey, "server.dc1.consul", bad, 2, &cert, &err), -1);
	assert_non_null(strstr(err.data, "permitted subtree violation"));
	assert_int_equal(cert.len, 0);
	buf_reset(&err);
	/* the name it is made for must be in it */
	assert_int_equal(leaf(&ca, &cakey, "client.dc1.consul", ok, 2, &cert, &err), -1);
	buf_reset(&err);
	struct buf junk = BUF_INIT;
	buf_puts(&junk, "not a pem");
	assert_int_equal(leaf(&junk, &cakey, "x", ok, 2, &cert, &err), -1);
	assert_string_equal(err.data, "no PEM-encoded data found");
	buf_free(&junk);
	buf_free(&ca);
	buf_free(&cakey);
	buf_free(&cert);
	buf_free(&err);
}

static void test_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/cairn-test-tls-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	struct buf data = BUF_INIT, back = BUF_INIT, err = BUF_INIT;
	buf_puts(&data, "secret\n");
	assert_false(tls_file_exists(path));
	assert_int_equal(tls_write_file(path, &data, 0600, &err), 0);
	assert_true(tls_file_exists(path));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(tls_read_file(path, &back, &err), 0);
	assert_string_equal(back.data, "secret\n");
	unlink(path);
	assert_int_equal(tls_read_file(path, &back, &err), -1);
	char want[300];
	snprintf(want, sizeof(want), "open %s: no such file or directory", path);
	assert_string_equal(err.data, want);
	rmdir(dir);
	buf_free(&data);
	buf_free(&back);
	buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ca_profile),
	    cmocka_unit_test(test_leaf_profile),
	    cmocka_unit_test(test_leaf_checked_against_constraints),
	    cmocka_unit_test(test_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
