/*
 * Client configuration: environment, then flags, then address parsing (see httpc.h).
 *
 * The order and precedence copy Consul's api.DefaultConfig, HTTPFlags.MergeOntoConfig
 * and api.NewClient, since users mix CONSUL_* variables with flags:
 *   1. defaults: http, 127.0.0.1:8500;
 *   2. environment (CONSUL_HTTP_SSL=true switches the scheme to https);
 *   3. flags that were given replace the environment's values;
 *   4. a token file, when named by either, replaces the token (even a -token flag);
 *   5. the address: "scheme://rest" with scheme http, https or unix, anything else is
 *      "Unknown protocol scheme"; http(s) addresses may carry a path prefix
 *      ("https://proxy/consul"). An explicit http:// never turns TLS off;
 *   6. the TLS context, when https is used or a TLS file is named (as Go's api
 *      client loads them in NewClient, so a missing CA file fails every command).
 */
#include "cli/httpc.h"
#include "cli/httpc_tls.h"

#include "base/alloc.h"
#include "base/strconv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set(char **dst, const char *v)
{
	if (!v)
		return;
	free(*dst);
	*dst = xstrdup(v);
}

static void set_env(char **dst, const char *name)
{
	const char *v = getenv(name);
	if (v && *v)
		set(dst, v);
}

/* $name as strconv.ParseBool reads it: 1, 0, or -1 when unset or not a boolean. */
static int env_bool(const char *name)
{
	const char *v = getenv(name);
	bool b;
	if (!v || strconv_parse_bool(v, &b) < 0)
		return -1;
	return b;
}

/* Go's error text for a failed open: "open NAME: no such file or directory". */
static void os_error(struct buf *err, const char *op, const char *name, int e)
{
	const char *msg = strerror(e);
	buf_printf(err, "%s %s: %c%s", op, name, tolower((unsigned char)msg[0]), msg + 1);
}

static int read_token_file(struct httpc *c, const char *path, struct buf *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		buf_puts(err, "Error loading token file: ");
		os_error(err, "open", path, errno);
		return -1;
	}
	struct buf b = BUF_INIT;
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(&b, tmp, n);
	fclose(f);
	const char *s = buf_cstr(&b);
	size_t len = b.len;
	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len) {
		free(c->token);
		c->token = xstrndup(s, len);
	}
	buf_free(&b);
	return 0;
}

/* Split "scheme://rest" and a path prefix off c->address. */
static int parse_address(struct httpc *c, struct buf *err)
{
	char *sep = strstr(c->address, "://");
	if (!sep)
		return 0;
	size_t slen = (size_t)(sep - c->address);
	char *rest = xstrdup(sep + 3);
	if (slen == 5 && !strncmp(c->address, "https", 5)) {
		set(&c->scheme, "https");
	} else if (slen == 4 && !strncmp(c->address, "unix", 4)) {
		c->unix_socket = true;
	} else if (!(slen == 4 && !strncmp(c->address, "http", 4))) {
		buf_printf(err, "Unknown protocol scheme: %.*s", (int)slen, c->address);
		free(rest);
		return -1;
	}
	if (!c->unix_socket) {
		char *slash = strchr(rest, '/');
		if (slash) {
			set(&c->path_prefix, slash);
			*slash = '\0';
		}
	}
	free(c->address);
	c->address = rest;
	return 0;
}

int httpc_init(struct httpc *c, const struct httpc_flags *f, struct buf *err)
{
	memset(c, 0, sizeof(*c));
	c->scheme = xstrdup("http");
	c->address = xstrdup("127.0.0.1:8500");
	c->path_prefix = xstrdup("");
	c->connect_timeout_ms = 30000;
	char *token_file = NULL;

	set_env(&c->address, "CONSUL_HTTP_ADDR");
	set_env(&token_file, "CONSUL_HTTP_TOKEN_FILE");
	set_env(&c->token, "CONSUL_HTTP_TOKEN");
	set_env(&c->basic_auth, "CONSUL_HTTP_AUTH");
	if (env_bool("CONSUL_HTTP_SSL") == 1)
		set(&c->scheme, "https");
	set_env(&c->tls.server_name, "CONSUL_TLS_SERVER_NAME");
	set_env(&c->tls.ca_file, "CONSUL_CACERT");
	set_env(&c->tls.ca_path, "CONSUL_CAPATH");
	set_env(&c->tls.cert_file, "CONSUL_CLIENT_CERT");
	set_env(&c->tls.key_file, "CONSUL_CLIENT_KEY");
	c->tls.insecure = env_bool("CONSUL_HTTP_SSL_VERIFY") == 0;
	set_env(&c->ns, "CONSUL_NAMESPACE");
	set_env(&c->partition, "CONSUL_PARTITION");

	if (f) {
		set(&c->address, f->http_addr);
		set(&c->token, f->token);
		set(&token_file, f->token_file);
		set(&c->tls.ca_file, f->ca_file);
		set(&c->tls.ca_path, f->ca_path);
		set(&c->tls.cert_file, f->client_cert);
		set(&c->tls.key_file, f->client_key);
		set(&c->tls.server_name, f->tls_server_name);
		set(&c->datacenter, f->datacenter);
		set(&c->ns, f->ns);
		set(&c->partition, f->partition);
		c->stale = f->stale;
	}
	int rc = 0;
	if (token_file && *token_file)
		rc = read_token_file(c, token_file, err);
	free(token_file);
	if (rc == 0)
		rc = parse_address(c, err);
	if (rc == 0)
		rc = httpc_tls_setup(c, err);
	if (rc < 0)
		httpc_free(c);
	return rc;
}

void httpc_free(struct httpc *c)
{
	httpc_tls_free(c);
	free(c->scheme);
	free(c->address);
	free(c->path_prefix);
	free(c->token);
	free(c->basic_auth);
	free(c->datacenter);
	free(c->ns);
	free(c->partition);
	free(c->tls.ca_file);
	free(c->tls.ca_path);
	free(c->tls.cert_file);
	free(c->tls.key_file);
	free(c->tls.server_name);
	memset(c, 0, sizeof(*c));
}
