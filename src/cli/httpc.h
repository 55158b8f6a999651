/*
 * The CLI's HTTP client: one blocking request per connection to the agent's HTTP API.
 *
 * The CLI runs outside the agent's event loop, so this is plain sockets: resolve,
 * connect (30 s timeout, as Go's default dialer), write the request, read until the
 * response is complete (Content-Length, chunked, or until the server closes). It
 * behaves like Consul's Go api client, because users' scripts read its messages:
 *
 *   configuration   api.DefaultConfig then the command's HTTP flags: CONSUL_HTTP_ADDR
 *                   (host:port, http://, https://, unix:///path, with an optional
 *                   reverse-proxy path prefix), CONSUL_HTTP_TOKEN, CONSUL_HTTP_TOKEN_FILE
 *                   (wins over any token, as in Consul), CONSUL_HTTP_AUTH, CONSUL_HTTP_SSL,
 *                   CONSUL_HTTP_SSL_VERIFY, CONSUL_CACERT, CONSUL_CAPATH, CONSUL_CLIENT_CERT,
 *                   CONSUL_CLIENT_KEY, CONSUL_TLS_SERVER_NAME, CONSUL_NAMESPACE,
 *                   CONSUL_PARTITION; default 127.0.0.1:8500.
 *   requests        the path is escaped as Go's url.URL.EscapedPath, parameters are
 *                   sorted and encoded as url.Values.Encode, dc/ns/partition are added
 *                   to every request and stale to reads, the token goes in X-Consul-Token.
 *   errors          transport failures read like Go's *url.Error:
 *                   Get "http://127.0.0.1:8500/v1/kv/foo": dial tcp 127.0.0.1:8500:
 *                   connect: connection refused
 *
 * HTTPS (https:// addresses, CONSUL_HTTP_SSL=true) runs OpenSSL on the same blocking
 * socket (httpc_tls.c): the server is verified against -ca-file/-ca-path (else the
 * system roots) and -tls-server-name or the address's host unless
 * CONSUL_HTTP_SSL_VERIFY=false, and -client-cert/-client-key are presented; failures
 * read like Go's ("x509: certificate signed by unknown authority").
 *
 * Objects here are owned by the caller and freed with their *_free function.
 */
#ifndef CAIRN_CLI_HTTPC_H
#define CAIRN_CLI_HTTPC_H

#include "base/buf.h"
#include "cli/flags.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Values of the common HTTP flags as given on the command line (NULL = not given). */
struct httpc_flags {
	const char *http_addr;	     /* -http-addr */
	const char *token;	     /* -token */
	const char *token_file;	     /* -token-file */
	const char *ca_file;	     /* -ca-file */
	const char *ca_path;	     /* -ca-path */
	const char *client_cert;     /* -client-cert */
	const char *client_key;	     /* -client-key */
	const char *tls_server_name; /* -tls-server-name */
	const char *datacenter;	     /* -datacenter */
	bool stale;		     /* -stale */
	const char *ns;		     /* -namespace (Enterprise; sent as ?ns=) */
	const char *partition;	     /* -partition (Enterprise) */
};

/* Flag table rows for the struct httpc_flags member `m` of options struct `T`. */
#define HTTPC_FLAG_(T, m, f, name, usage, sect)                                                    \
	{                                                                                          \
		name, FLAG_STRING, offsetof(T, m.f), usage, NULL, "value", sect                    \
	}
#define HTTPC_CLIENT_FLAGS(T, m)                                                                   \
	HTTPC_FLAG_(T, m, http_addr, "http-addr", HTTPC_USAGE_HTTP_ADDR, FLAG_SECT_HTTP),          \
	    HTTPC_FLAG_(T, m, token, "token", HTTPC_USAGE_TOKEN, FLAG_SECT_HTTP),                  \
	    HTTPC_FLAG_(T, m, token_file, "token-file", HTTPC_USAGE_TOKEN_FILE, FLAG_SECT_HTTP),   \
	    HTTPC_FLAG_(T, m, ca_file, "ca-file", HTTPC_USAGE_CA_FILE, FLAG_SECT_HTTP),            \
	    HTTPC_FLAG_(T, m, ca_path, "ca-path", HTTPC_USAGE_CA_PATH, FLAG_SECT_HTTP),            \
	    HTTPC_FLAG_(T, m, client_cert, "client-cert", HTTPC_USAGE_CLIENT_CERT,                 \
			FLAG_SECT_HTTP),                                                           \
	    HTTPC_FLAG_(T, m, client_key, "client-key", HTTPC_USAGE_CLIENT_KEY, FLAG_SECT_HTTP),   \
	    HTTPC_FLAG_(T, m, tls_server_name, "tls-server-name", HTTPC_USAGE_TLS_SERVER_NAME,     \
			FLAG_SECT_HTTP)
#define HTTPC_SERVER_FLAGS(T, m)                                                                   \
	HTTPC_FLAG_(T, m, datacenter, "datacenter", HTTPC_USAGE_DATACENTER, FLAG_SECT_HTTP),       \
	{                                                                                          \
		"stale", FLAG_BOOL, offsetof(T, m.stale), HTTPC_USAGE_STALE, NULL, NULL,           \
		    FLAG_SECT_HTTP                                                                 \
	}
#define HTTPC_TENANCY_FLAGS(T, m)                                                                  \
	{"namespace", FLAG_STRING, offsetof(T, m.ns), HTTPC_USAGE_NAMESPACE,                       \
	 NULL,	      "value",	   FLAG_SECT_CMD},                                                 \
	{                                                                                          \
		"partition", FLAG_STRING, offsetof(T, m.partition), HTTPC_USAGE_PARTITION, NULL,   \
		    "value", FLAG_SECT_CMD                                                         \
	}

#define HTTPC_USAGE_HTTP_ADDR                                                                      \
	"The `address` and port of the Consul HTTP agent. The value can be an IP address or DNS "  \
	"address, but it must also include the port. This can also be specified via the "          \
	"CONSUL_HTTP_ADDR environment variable. The default value is http://127.0.0.1:8500. The "  \
	"scheme can also be set to HTTPS by setting the environment variable "                     \
	"CONSUL_HTTP_SSL=true."
#define HTTPC_USAGE_TOKEN                                                                          \
	"ACL token to use in the request. This can also be specified via the CONSUL_HTTP_TOKEN "   \
	"environment variable. If unspecified, the query will default to the token of the Consul " \
	"agent at the HTTP address."
#define HTTPC_USAGE_TOKEN_FILE                                                                     \
	"File containing the ACL token to use in the request instead of one specified via the "    \
	"-token argument or CONSUL_HTTP_TOKEN environment variable. This can also be specified "   \
	"via the CONSUL_HTTP_TOKEN_FILE environment variable."
#define HTTPC_USAGE_CA_FILE                                                                        \
	"Path to a CA file to use for TLS when communicating with Consul. This can also be "       \
	"specified via the CONSUL_CACERT environment variable."
#define HTTPC_USAGE_CA_PATH                                                                        \
	"Path to a directory of CA certificates to use for TLS when communicating with Consul. "   \
	"This can also be specified via the CONSUL_CAPATH environment variable."
#define HTTPC_USAGE_CLIENT_CERT                                                                    \
	"Path to a client cert file to use for TLS when 'verify_incoming' is enabled. This can "   \
	"also be specified via the CONSUL_CLIENT_CERT environment variable."
#define HTTPC_USAGE_CLIENT_KEY                                                                     \
	"Path to a client key file to use for TLS when 'verify_incoming' is enabled. This can "    \
	"also be specified via the CONSUL_CLIENT_KEY environment variable."
#define HTTPC_USAGE_TLS_SERVER_NAME                                                                \
	"The server name to use as the SNI host when connecting via TLS. This can also be "        \
	"specified via the CONSUL_TLS_SERVER_NAME environment variable."
#define HTTPC_USAGE_DATACENTER                                                                     \
	"Name of the datacenter to query. If unspecified, this will default to the datacenter of " \
	"the queried agent."
#define HTTPC_USAGE_STALE                                                                          \
	"Permit any Consul server (non-leader) to respond to this request. This allows for lower " \
	"latency and higher throughput, but can result in stale data. This option has no effect "  \
	"on non-read operations. The default value is false."
#define HTTPC_USAGE_NAMESPACE                                                                      \
	"Specifies the namespace to query. If not provided, the namespace will be inferred from "  \
	"the request's ACL token, or will default to the `default` namespace. Namespaces are a "   \
	"Consul Enterprise feature."
#define HTTPC_USAGE_PARTITION                                                                      \
	"Specifies the admin partition to query. If not provided, the admin partition will be "    \
	"inferred from the request's ACL token, or will default to the `default` admin "           \
	"partition. Admin Partitions are a Consul Enterprise feature."

struct ssl_ctx_st;

/* TLS settings (httpc_tls.h). */
struct httpc_tls {
	char *ca_file;		/* CONSUL_CACERT / -ca-file */
	char *ca_path;		/* CONSUL_CAPATH / -ca-path */
	char *cert_file;	/* CONSUL_CLIENT_CERT / -client-cert */
	char *key_file;		/* CONSUL_CLIENT_KEY / -client-key */
	char *server_name;	/* CONSUL_TLS_SERVER_NAME / -tls-server-name */
	bool insecure;		/* CONSUL_HTTP_SSL_VERIFY=false */
	struct ssl_ctx_st *ctx; /* OpenSSL context built by httpc_init when TLS is used */
};

/* A resolved client configuration. */
struct httpc {
	char *scheme;	   /* "http" or "https" */
	char *address;	   /* "host:port" as given, or the socket path for unix:// */
	bool unix_socket;  /* address is a unix socket path */
	char *path_prefix; /* reverse-proxy prefix from the address ("" or "/consul") */
	char *token;	   /* X-Consul-Token, NULL for none */
	char *basic_auth;  /* "user:pass" from CONSUL_HTTP_AUTH, NULL for none */
	char *datacenter;  /* ?dc= on every request, NULL for none */
	char *ns;	   /* ?ns= on every request, NULL for none */
	char *partition;   /* ?partition= on every request, NULL for none */
	bool stale;	   /* ?stale on reads */
	struct httpc_tls tls;
	int connect_timeout_ms; /* dial timeout (30 s) */
};

/*
 * Resolve the configuration from the environment and the flags (which win). Returns 0,
 * or -1 with Consul's message in err ("Error loading token file: ...", "Unknown protocol
 * scheme: ftp"); the command prints "Error connecting to Consul agent: <err>".
 */
int httpc_init(struct httpc *c, const struct httpc_flags *f, struct buf *err);
void httpc_free(struct httpc *c);

#define HTTPC_MAX_PARAMS 16

struct httpc_param {
	const char *name;  /* query parameter */
	const char *value; /* "" for a flag parameter (?recurse=) */
};

/* One request. Strings are borrowed for the duration of httpc_do. */
struct httpc_req {
	const char *method; /* "GET", "PUT", "DELETE" */
	const char *path;   /* unescaped, e.g. "/v1/kv/a key" */
	struct httpc_param params[HTTPC_MAX_PARAMS];
	size_t nparams;
	const void *body; /* request body (PUT always sends Content-Length) */
	size_t body_len;
	bool read; /* a read: the stale option applies */
};

void httpc_req_init(struct httpc_req *r, const char *method, const char *path, bool read);
void httpc_req_param(struct httpc_req *r, const char *name, const char *value);

struct httpc_header {
	char *name;  /* as received */
	char *value; /* trimmed */
};

struct httpc_resp {
	int status;		      /* e.g. 200 */
	struct httpc_header *headers; /* in received order */
	size_t nheaders;
	struct buf body; /* decoded (de-chunked) body */
};

/* Value of the first header named name (case-insensitive), or NULL. */
const char *httpc_resp_header(const struct httpc_resp *r, const char *name);
void httpc_resp_free(struct httpc_resp *r);

/*
 * Send r and read the whole response into resp (any status). Returns 0, or -1 with a
 * Go-shaped transport error in err (`Get "URL": dial tcp ...`); resp is then empty.
 */
int httpc_do(const struct httpc *c, const struct httpc_req *r, struct httpc_resp *resp,
	     struct buf *err);

/*
 * Like httpc_do, for replies that go on until the server ends them (the log monitor):
 * once a 200's head is in, decoded body bytes go to on_body as they arrive instead of
 * into resp->body (which keeps the body of any other status, for the error); it is also
 * called with len 0 when a read brought no body bytes. on_body returns nonzero to stop
 * reading. Returns 0 when the response ended or on_body
 * stopped it, -1 with a Go-shaped error in err.
 */
typedef int (*httpc_body_fn)(void *ctx, const char *data, size_t len);
int httpc_stream(const struct httpc *c, const struct httpc_req *r, struct httpc_resp *resp,
		 httpc_body_fn on_body, void *ctx, struct buf *err);

/* The request's URL as Go prints it in errors. */
void httpc_url(const struct httpc *c, const struct httpc_req *r, struct buf *out);

/* Go's api errors for an unexpected status: "Unexpected response code: 500" and, for
 * writes (with_body), "Unexpected response code: 500 (body)". */
void httpc_status_error(struct buf *err, const struct httpc_resp *resp, bool with_body);

/* Escaping as Go's net/url: path segments (EscapedPath) and query components. */
void httpc_escape_path(struct buf *out, const char *s);
void httpc_escape_query(struct buf *out, const char *s);

/*
 * Incremental response parser, fed whatever bytes have arrived. Exposed for tests.
 */
enum httpc_pstate {
	HP_STATUS,     /* reading the status line */
	HP_HEADERS,    /* reading header lines */
	HP_BODY_LEN,   /* reading a Content-Length body */
	HP_CHUNK_SIZE, /* reading a chunk-size line */
	HP_CHUNK_DATA, /* reading chunk data */
	HP_CHUNK_CRLF, /* reading the CRLF after chunk data */
	HP_TRAILERS,   /* reading trailer lines after the last chunk */
	HP_BODY_EOF,   /* body runs until the connection closes */
	HP_DONE,       /* response complete */
};

struct httpc_parser {
	enum httpc_pstate state; /* where we are */
	uint64_t remaining;	 /* bytes left in the current body or chunk */
	bool chunked;		 /* Transfer-Encoding: chunked */
	bool has_length;	 /* Content-Length seen */
	uint64_t length;	 /* its value */
	bool head;		 /* response to HEAD: no body */
	size_t header_bytes;	 /* bytes of status line + headers so far (bounded) */
	char err[160];		 /* message when feed/finish fail */
};

void httpc_parser_init(struct httpc_parser *p, bool head);
/* Consume what can be parsed from in. Returns 1 when complete, 0 for more, -1 on error. */
int httpc_parser_feed(struct httpc_parser *p, struct buf *in, struct httpc_resp *resp);
/* The connection closed. Returns 1 if the response is complete, else -1 (err set). */
int httpc_parser_finish(struct httpc_parser *p, const struct buf *in, struct httpc_resp *resp);

#endif
