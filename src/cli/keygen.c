/*
 * `consul keygen`: print a new gossip encryption key, 32 random bytes (AES-256) in
 * standard base64, ready for the `encrypt` config key or `consul keyring -install`.
 *
 * The bytes come from libcrypto's RAND_bytes (the OS generator behind OpenSSL's
 * DRBG); Consul reads crypto/rand. Errors use Consul's wording and exit 1. Extra
 * arguments are ignored, as in Consul.
 */
#include "cli/cli.h"
#include "cli/commands.h"

#include "base/b64.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#define KEYGEN_BYTES 32

const char keygen_usage[] = "\nUsage: consul keygen\n"
			    "\n"
			    "  Generates a new encryption key that can be used to configure the\n"
			    "  agent to encrypt traffic. The output of this command is already\n"
			    "  in the proper format that the agent expects.\n";

const struct flag_def keygen_flags[] = {
    FLAG_END,
};

int keygen_main(int argc, char **argv)
{
	int rest;
	if (flags_parse(keygen_flags, NULL, argc, argv, 1, &rest) < 0)
		return 1;
	unsigned char key[KEYGEN_BYTES];
	if (RAND_bytes(key, sizeof(key)) != 1) {
		unsigned long e = ERR_get_error();
		const char *why = e ? ERR_reason_error_string(e) : NULL;
		cli_error("Error reading random data: %s", why ? why : "RAND_bytes failed");
		return 1;
	}
	struct buf out = BUF_INIT;
	b64_encode(&out, key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
	cli_info("%s", out.data);
	OPENSSL_cleanse(out.data, out.len);
	buf_free(&out);
	return 0;
}
