/*
 * The agent's HTTPS listener: the HTTP API again, over TLS, on ports.https.
 *
 * Consul's settings decide it: ports.https > 0 (off by default), the addresses
 * in addresses.https (else client_addr), and the TLS files of tls.https, each
 * key falling back to tls.defaults (where the deprecated top-level cert_file,
 * key_file, ca_file, ca_path, verify_incoming and tls_min_version land;
 * verify_incoming_https lands in tls.https). limits.https_handshake_timeout
 * bounds the handshake.
 */
#ifndef CAIRN_AGENT_HTTPS_H
#define CAIRN_AGENT_HTTPS_H

#include "base/buf.h"
#include "config/config.h"
#include "http/http.h"

#include <uv.h>

/*
 * Start serving base's API over TLS when ports.https > 0. Returns 0 with *out set
 * (or NULL when HTTPS is off, or on but without a certificate and key: that is
 * logged as a warning and the agent goes on), or a negative libuv code with the
 * reason in err (a file that cannot be loaded, an address in use).
 */
int agent_https_start(uv_loop_t *loop, const struct config *c,
		      const struct http_server_config *base, struct http_server **out,
		      struct buf *err);

#endif
