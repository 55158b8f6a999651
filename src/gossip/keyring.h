/*
 * The gossip keyring: the keys this agent can decrypt with, one of them primary (the
 * one it encrypts with), as memberlist's Keyring and Consul's keyring files.
 *
 * Model. keys[0] is the primary; the others follow in installation order. Installing
 * a key that is present is a no-op; installing into an empty keyring makes the key
 * primary. "use" makes an installed key primary (the old primary stays, as a
 * secondary). "remove" refuses the primary and ignores a key that is absent. Keys
 * travel as standard base64 (with padding) of exactly 16, 24 or 32 bytes.
 *
 * Rotation, as Consul documents it: `keyring -install NEW` on every node, then
 * `-use NEW` (now everyone encrypts with NEW and still decrypts OLD), then
 * `-remove OLD`.
 *
 * On disk (Consul's layout under data_dir, mode 0600, directory 0700):
 *     serf/local.keyring    LAN pool
 *     serf/remote.keyring   WAN pool (servers)
 * each a JSON array of base64 keys, primary first:
 *     [
 *       "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=",
 *       "cg8StVXbQJ0gPvMd9o7yrg=="
 *     ]
 * (serf's MarshalIndent form; Consul's first write is the compact form; both load.)
 * Saves replace the file atomically (temporary file, fsync, rename, fsync of the
 * directory), so a crash leaves the old or the new keyring, never a torn one.
 *
 * Boot (keyring_setup), as Consul's setupBaseKeyrings: with disable_keyring_file the
 * keyring is just the `encrypt` key (or empty) and nothing is written; otherwise, when
 * `encrypt` is set and the file is absent, the file is created holding that key;
 * when the file exists it wins and `encrypt` is ignored with Consul's warning
 * "WARNING: LAN keyring exists but -encrypt given, using keyring". Then the file, if
 * any, is loaded.
 *
 * Policy (encrypt_verify_incoming / encrypt_verify_outgoing, both true by default),
 * as memberlist applies them; rolling a running cluster onto encryption is: set the
 * key with both flags false on every node (send plain, accept both), then
 * verify_outgoing = true everywhere (send encrypted, still accept plain), then
 * verify_incoming = true (drop plain).
 *
 * Ownership: a struct keyring owns its key array (keyring_free wipes and frees it).
 * Not thread-safe: one owner (the gossip driver on the loop thread). The file
 * functions block on disk I/O; keyring_write_file touches nothing shared so the
 * driver may run it on the thread pool with a JSON snapshot from keyring_to_json.
 *
 * Errors: CAIRN_E_* codes, and a message in Consul's words in err (KEYRING_ERR_MAX
 * bytes, may be NULL): "Invalid key: illegal base64 data at input byte 4",
 * "Invalid key: key size must be 16, 24 or 32 bytes", "Requested key is not in the
 * keyring", "Removing the primary key is not allowed".
 */
#ifndef CAIRN_GOSSIP_KEYRING_H
#define CAIRN_GOSSIP_KEYRING_H

#include "base/buf.h"
#include "gossip/crypto.h"

#include <stdbool.h>
#include <stddef.h>

#define KEYRING_ERR_MAX 512 /* error messages may name a file */

struct keyring {
	struct gkey *keys; /* keys[0] is the primary; NULL while empty */
	size_t n;	   /* keys in use */
	size_t cap;	   /* keys allocated */
};

/* The two gossip pools, each with its own keyring file. */
enum keyring_pool { KEYRING_LAN, KEYRING_WAN };

void keyring_init(struct keyring *kr);
/* Wipe the key material and free it; kr is empty (and reusable) afterwards. */
void keyring_free(struct keyring *kr);

/* Decode base64 text into a key. The message has no prefix ("illegal base64 data at
 * input byte N", "key size must be 16, 24 or 32 bytes"), as Go's errors. */
int keyring_decode_key(const char *text, struct gkey *out, char *err);
/* Append the base64 text of a key. */
void keyring_encode_key(const struct gkey *k, struct buf *out);

/* The primary key, or NULL when the keyring is empty (encryption off). */
const struct gkey *keyring_primary(const struct keyring *kr);

/* Operations by base64 text (the form the CLI and /v1/operator/keyring carry). */
int keyring_install(struct keyring *kr, const char *text, char *err);
int keyring_use(struct keyring *kr, const char *text, char *err);
int keyring_remove(struct keyring *kr, const char *text, char *err);
/* The same on decoded keys (install validates the length). */
int keyring_install_key(struct keyring *kr, const struct gkey *k, char *err);
/* Append key i's base64 text to out (list: i from 0, the primary, to kr->n - 1). */
void keyring_key_text(const struct keyring *kr, size_t i, struct buf *out);

/* ---- persistence (keyring_json.c, keyring_file.c) ---- */

/* "serf/local.keyring" or "serf/remote.keyring". */
const char *keyring_file_name(enum keyring_pool pool);
/* Append the file's JSON (serf's indented form, no trailing newline). */
void keyring_to_json(const struct keyring *kr, struct buf *out);
/* Replace kr's keys with those of a keyring file's contents. An empty array is an
 * error ("no keys present in keyring"), as in Consul. kr is unchanged on error. */
int keyring_parse_json(struct keyring *kr, const char *data, size_t n, char *err);
/* Load path into kr. CAIRN_E_NOTFOUND when the file does not exist. */
int keyring_load_file(struct keyring *kr, const char *path, char *err);
/* Write n bytes atomically to path (mode 0600), creating its directory (0700). */
int keyring_write_file(const char *path, const char *data, size_t n, char *err);
/* keyring_to_json + keyring_write_file. */
int keyring_save_file(const struct keyring *kr, const char *path, char *err);

/*
 * Boot: fill kr (which must be empty) for pool from data_dir and the `encrypt` config
 * value (NULL or "" when unset), as described above. *path_out (if not NULL) gets the
 * file to save changes to, or "" with disable_keyring_file (size KEYRING_ERR_MAX).
 * warn (KEYRING_ERR_MAX bytes, may be NULL) gets Consul's warning when the existing
 * file overrides `encrypt`, else "". Returns 0 or a CAIRN_E_* code.
 */
int keyring_setup(struct keyring *kr, enum keyring_pool pool, const char *data_dir,
		  const char *encrypt, bool disable_keyring_file, char *path_out, char *warn,
		  char *err);

/* ---- policy: encrypt_verify_incoming / encrypt_verify_outgoing ---- */

/* What to do with an incoming message. */
enum keyring_in {
	KEYRING_IN_PLAIN,     /* use the received bytes as they are */
	KEYRING_IN_DECRYPTED, /* use the plaintext gcrypt_open produced */
	KEYRING_IN_DROP,      /* drop it (and log the reason) */
};

/* Should outgoing packets and streams be encrypted? Yes when the keyring has a key
 * and verify_outgoing is set. */
bool keyring_encrypt_outgoing(const struct keyring *kr, bool verify_outgoing);

/* A UDP packet: the driver tries gcrypt_open when the keyring has keys and passes
 * its result (ignored without keys). A packet that does not decrypt is still taken
 * as plaintext when verify_incoming is off (a peer not yet encrypting). */
enum keyring_in keyring_incoming_packet(const struct keyring *kr, bool verify_incoming,
					int open_rc);

/* A TCP stream whose first byte says whether it is encrypted (memberlist's
 * encryptMsg). An encrypted stream must decrypt; a plain one is refused only when
 * we have keys and verify_incoming. *why (if not NULL) gets memberlist's reason on
 * KEYRING_IN_DROP: "Remote state is encrypted and encryption is not configured",
 * "Encryption is configured but remote state is not encrypted", or the open error. */
enum keyring_in keyring_incoming_stream(const struct keyring *kr, bool verify_incoming,
					bool encrypted, int open_rc, const char **why);

#endif
