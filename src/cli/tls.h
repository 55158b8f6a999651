/*
 * The `tls` commands' shared parts: Consul's agent-TLS certificate profiles built with
 * libcrypto (OpenSSL 3), and the file conventions of `consul tls ca create` and
 * `consul tls cert create`.
 *
 * What Consul's tlsutil generates, and so what is built here:
 *
 *   keys      ECDSA P-256, written as PEM "EC PRIVATE KEY" (SEC 1, with the curve
 *             OID and the public key), mode 0600.
 *   serial    128 random bits.
 *   CA        self-signed, v3; subject C=US, ST=CA, L=San Francisco,
 *             street=101 Second Street, postalCode=94105, O=HashiCorp Inc.,
 *             CN=<-common-name, default "Consul Agent CA <serial in decimal>">;
 *             basicConstraints critical CA:TRUE; keyUsage critical digitalSignature,
 *             keyCertSign, cRLSign; subject and authority key identifiers;
 *             with -name-constraint, critical permitted DNS subtrees; with
 *             -cluster-id the URI SAN spiffe://<cluster-id>.<domain>.
 *   leaf      subject CN=<name> only; basicConstraints critical CA:FALSE; keyUsage
 *             critical digitalSignature, keyEncipherment; the extended key usages
 *             and subject alternative names the caller gives (DNS names first, then
 *             IP addresses, in the caller's order); key identifiers; signed by the
 *             CA key with ECDSA-SHA256 (or SHA-256 for any other CA key type).
 *   validity  from now to now + days.
 *
 * Key identifiers are the RFC 5280 method 1 SHA-1 hash (Go's Consul writes its own
 * text form of a SHA-256 hash there; no verifier compares the two).
 *
 * Files are written atomically: <name>.tmp created exclusively with the final mode,
 * written, fsynced and renamed over <name>. Objects returned here are owned by the
 * caller; errors come back as Go-shaped text ("open x: no such file or directory").
 */
#ifndef CAIRN_CLI_TLS_H
#define CAIRN_CLI_TLS_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Groups: cli/tls.c */
extern const char tls_usage[];
extern const char tls_ca_usage[];
extern const char tls_cert_usage[];

/* Extended key usages a leaf may carry, in the order given. */
enum tls_eku {
	TLS_EKU_SERVER = 1, /* id-kp-serverAuth */
	TLS_EKU_CLIENT = 2, /* id-kp-clientAuth */
};

struct tls_ca_opts {
	int64_t days;		    /* validity from now */
	const char *common_name;    /* NULL or "": "Consul Agent CA <serial>" */
	const char **permitted_dns; /* name constraints (none: unconstrained) */
	size_t npermitted;	    /* count */
	const char *uri;	    /* a URI subjectAltName (the -cluster-id SPIFFE ID), or NULL */
};

struct tls_leaf_opts {
	const char *name;    /* subject CN */
	int64_t days;	     /* validity from now */
	const char **dns;    /* subjectAltName DNS entries, in order */
	size_t ndns;	     /* count */
	const char **ips;    /* subjectAltName IP entries (textual), in order */
	size_t nips;	     /* count */
	enum tls_eku eku[2]; /* extended key usages, in order */
	size_t neku;	     /* 0: no extendedKeyUsage extension */
};

/* A new CA: PEM certificate and PEM key appended to cert/key. 0, or -1 with err. */
int tls_make_ca(const struct tls_ca_opts *o, struct buf *cert, struct buf *key, struct buf *err);

/*
 * A new leaf signed by the CA (PEM texts of the CA certificate and key): PEM
 * certificate and PEM key appended to cert/key, then checked as Consul checks it
 * (the certificate chains to the CA and is valid for o->name). 0, or -1 with err.
 */
int tls_make_leaf(const struct tls_leaf_opts *o, const struct buf *ca_pem,
		  const struct buf *ca_key_pem, struct buf *cert, struct buf *key, struct buf *err);

/* Does path exist (Consul's "not os.IsNotExist(stat)")? */
bool tls_file_exists(const char *path);

/* Read a whole file. 0, or -1 with "open <path>: <reason>" in err. */
int tls_read_file(const char *path, struct buf *out, struct buf *err);

/* Write data to path atomically with the given mode. 0, or -1 with err. */
int tls_write_file(const char *path, const struct buf *data, unsigned mode, struct buf *err);

/* A certificate (0666) and its key (0600), each followed by Consul's
 * "==> Saved <file>". 0, or -1 after printing the error. */
int tls_save_pair(const char *cert_file, const struct buf *cert, const char *key_file,
		  const struct buf *key);

/* strerror as Go prints it: lower-case first letter ("no such file or directory"). */
void tls_go_errno(struct buf *out, int e);

#endif
