/*
 * `consul tls cert create -server|-client|-cli`: a key and certificate signed by the
 * CA of `tls ca create`, named and shaped as Consul's command makes them:
 *
 *   -server  CN server.<dc>.<domain>; DNS SANs: -additional-dnsname..., with -node
 *            <node>.server.<dc>.<domain>, server.<dc>.<domain>, localhost; IP SANs:
 *            -additional-ipaddress..., 127.0.0.1; EKU serverAuth, clientAuth;
 *            files <dc>-server-<domain>-<i>.pem and <dc>-server-<domain>-<i>-key.pem
 *   -client  CN client.<dc>.<domain>; DNS SANs: additional..., client.<dc>.<domain>,
 *            localhost; IP SANs: additional..., 127.0.0.1; EKU clientAuth, serverAuth;
 *            files <dc>-client-<domain>-<i>[-key].pem
 *   -cli     CN cli.<dc>.<domain>; DNS SANs cli.<dc>.<domain>, localhost only (Consul
 *            drops the additional names); IP SANs only -additional-ipaddress...;
 *            no EKU; files <dc>-cli-<domain>-<i>[-key].pem
 *
 * <i> is the first index from 0 for which neither file exists. -ca and -key default
 * to "#DOMAIN#-agent-ca.pem" and "#DOMAIN#-agent-ca-key.pem", #DOMAIN# replaced by
 * -domain. Messages, their order and exit codes are Consul's; the only addition is
 * that an -additional-ipaddress that is not an IP address is refused (Go would put
 * an empty IP in the certificate).
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/tls.h"

#include "base/alloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INDEX 10000

struct cert_opts {
	const char *ca;		 /* -ca */
	const char *key;	 /* -key */
	bool server;		 /* -server */
	bool client;		 /* -client */
	bool cli;		 /* -cli */
	const char *node;	 /* -node */
	int64_t days;		 /* -days */
	const char *dc;		 /* -dc */
	const char *domain;	 /* -domain */
	struct flag_strings dns; /* -additional-dnsname */
	struct flag_strings ips; /* -additional-ipaddress */
};

const char tls_cert_create_usage[] =
    "\nUsage: consul tls cert create [options]\n"
    "\n"
    "  Create a new certificate\n"
    "\n"
    "  $ consul tls cert create -server\n"
    "  ==> WARNING: Server Certificates grants authority to become a\n"
    "      server and access all state in the cluster including root keys\n"
    "      and all ACL tokens. Do not distribute them to production hosts\n"
    "      that are not server nodes. Store them as securely as CA keys.\n"
    "  ==> Using consul-agent-ca.pem and consul-agent-ca-key.pem\n"
    "  ==> Saved dc1-server-consul-0.pem\n"
    "  ==> Saved dc1-server-consul-0-key.pem\n"
    "  $ consul tls cert create -client\n"
    "  ==> Using consul-agent-ca.pem and consul-agent-ca-key.pem\n"
    "  ==> Saved dc1-client-consul-0.pem\n"
    "  ==> Saved dc1-client-consul-0-key.pem\n";

#define O struct cert_opts
const struct flag_def tls_cert_create_flags[] = {
    FLAG_DEF("ca", FLAG_STRING, O, ca, "Provide path to the ca. Defaults to #DOMAIN#-agent-ca.pem.",
	     "#DOMAIN#-agent-ca.pem"),
    FLAG_DEF("key", FLAG_STRING, O, key,
	     "Provide path to the key. Defaults to #DOMAIN#-agent-ca-key.pem.",
	     "#DOMAIN#-agent-ca-key.pem"),
    FLAG_DEF("server", FLAG_BOOL, O, server, "Generate server certificate.", NULL),
    FLAG_DEF("client", FLAG_BOOL, O, client, "Generate client certificate.", NULL),
    FLAG_DEF("node", FLAG_STRING, O, node,
	     "When generating a server cert and this is set an additional dns name is included of "
	     "the form <node>.server.<datacenter>.<domain>.",
	     NULL),
    FLAG_DEF("cli", FLAG_BOOL, O, cli, "Generate cli certificate.", NULL),
    FLAG_DEF("days", FLAG_INT, O, days,
	     "Provide number of days the certificate is valid for from now on. Defaults to 1 year.",
	     "365"),
    FLAG_DEF("dc", FLAG_STRING, O, dc,
	     "Provide the datacenter. Matters only for -server certificates. Defaults to dc1.",
	     "dc1"),
    FLAG_DEF("domain", FLAG_STRING, O, domain,
	     "Provide the domain. Matters only for -server certificates.", "consul"),
    FLAG_DEF("additional-dnsname", FLAG_STRINGS, O, dns,
	     "Provide an additional dnsname for Subject Alternative Names. localhost is always "
	     "included. This flag may be provided multiple times.",
	     NULL),
    FLAG_DEF("additional-ipaddress", FLAG_STRINGS, O, ips,
	     "Provide an additional ipaddress for Subject Alternative Names. 127.0.0.1 is always "
	     "included. This flag may be provided multiple times.",
	     NULL),
    FLAG_END,
};
#undef O

/* Names, SANs and file prefix of one request; strings owned here. */
struct plan {
	char *name;	     /* CN */
	char *prefix;	     /* "<dc>-server-<domain>" */
	const char **dns;    /* SAN DNS names (some owned: node_name, name) */
	size_t ndns;	     /* count */
	const char **ips;    /* SAN IPs (borrowed or literals) */
	size_t nips;	     /* count */
	char *node_name;     /* "<node>.server.<dc>.<domain>" or NULL */
	struct buf trimmed;  /* NUL-separated trimmed additional names/IPs */
	enum tls_eku eku[2]; /* extended key usages */
	size_t neku;	     /* count */
};

static void plan_free(struct plan *p)
{
	free(p->name);
	free(p->prefix);
	free(p->dns);
	free(p->ips);
	free(p->node_name);
	buf_free(&p->trimmed);
}

/* Go's strings.TrimSpace of s, kept in p->trimmed; returns its offset there. */
static size_t trim_into(struct plan *p, const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	size_t off = p->trimmed.len;
	buf_append(&p->trimmed, s, n);
	buf_putc(&p->trimmed, '\0');
	return off;
}

static char *fmt_name(const char *a, const char *b, const char *c, const char *d)
{
	struct buf s = BUF_INIT;
	if (d)
		buf_printf(&s, "%s.%s.%s.%s", a, b, c, d);
	else
		buf_printf(&s, "%s.%s.%s", a, b, c);
	return s.data ? s.data : xstrdup("");
}

/* Build the plan; returns 0, or 1 with the error printed. */
static int make_plan(const struct cert_opts *o, struct plan *p)
{
	size_t cap = o->dns.n + 3;
	p->dns = xcalloc(cap, sizeof(*p->dns));
	p->ips = xcalloc(o->ips.n + 1, sizeof(*p->ips));
	size_t *dns_off = xcalloc(o->dns.n + 1, sizeof(*dns_off));
	size_t *ip_off = xcalloc(o->ips.n + 1, sizeof(*ip_off));
	size_t nd = 0, ni = 0;
	int rc = 1;
	for (size_t i = 0; i < o->dns.n; i++)
		if (*o->dns.v[i])
			dns_off[nd++] = trim_into(p, o->dns.v[i]);
	for (size_t i = 0; i < o->ips.n; i++)
		if (*o->ips.v[i])
			ip_off[ni++] = trim_into(p, o->ips.v[i]);
	/* offsets are resolved only now: trimmed may have moved while growing */
	for (size_t i = 0; i < nd; i++)
		p->dns[p->ndns++] = p->trimmed.data + dns_off[i];
	for (size_t i = 0; i < ni; i++) {
		const char *ip = p->trimmed.data + ip_off[i];
		unsigned char bin[16];
		if (inet_pton(AF_INET, ip, bin) != 1 && inet_pton(AF_INET6, ip, bin) != 1) {
			cli_error("Invalid IP address for -additional-ipaddress: %s", ip);
			goto out;
		}
		p->ips[p->nips++] = ip;
	}
	const char *kind = o->server ? "server" : o->client ? "client" : "cli";
	p->name = fmt_name(kind, o->dc, o->domain, NULL);
	struct buf prefix = BUF_INIT;
	buf_printf(&prefix, "%s-%s-%s", o->dc, kind, o->domain);
	p->prefix = prefix.data;
	if (o->server) {
		if (o->node && *o->node) {
			p->node_name = fmt_name(o->node, "server", o->dc, o->domain);
			p->dns[p->ndns++] = p->node_name;
		}
		p->eku[0] = TLS_EKU_SERVER;
		p->eku[1] = TLS_EKU_CLIENT;
		p->neku = 2;
	} else if (o->client) {
		p->eku[0] = TLS_EKU_CLIENT;
		p->eku[1] = TLS_EKU_SERVER;
		p->neku = 2;
	} else {
		p->ndns = 0; /* Consul replaces the DNS list for -cli (not the IPs) */
	}
	p->dns[p->ndns++] = p->name;
	p->dns[p->ndns++] = "localhost";
	if (!o->cli)
		p->ips[p->nips++] = "127.0.0.1";
	rc = 0;
out:
	free(dns_off);
	free(ip_off);
	return rc;
}

/* First free "<prefix>-<i>.pem" / "<prefix>-<i>-key.pem". 0, or 1 with the error. */
static int pick_files(const char *prefix, struct buf *cert, struct buf *key)
{
	for (int i = 0; i <= MAX_INDEX; i++) {
		buf_reset(cert);
		buf_reset(key);
		buf_printf(cert, "%s-%d.pem", prefix, i);
		buf_printf(key, "%s-%d-key.pem", prefix, i);
		if (!tls_file_exists(buf_cstr(cert)) && !tls_file_exists(buf_cstr(key)))
			return 0;
	}
	cli_error("Could not find a filename that doesn't already exist");
	return 1;
}

/* s with the first "#DOMAIN#" replaced by domain (strings.Replace(s, ..., 1)). */
static char *with_domain(const char *s, const char *domain)
{
	struct buf b = BUF_INIT;
	const char *at = strstr(s, "#DOMAIN#");
	if (at) {
		buf_append(&b, s, (size_t)(at - s));
		buf_puts(&b, domain);
		buf_puts(&b, at + 8);
	} else {
		buf_puts(&b, s);
	}
	return b.data ? b.data : xstrdup("");
}

static int issue(const struct cert_opts *o, const struct plan *p, const char *cert_file,
		 const char *key_file)
{
	char *ca_file = with_domain(o->ca, o->domain);
	char *ca_key_file = with_domain(o->key, o->domain);
	struct buf ca = BUF_INIT, cakey = BUF_INIT, cert = BUF_INIT, key = BUF_INIT;
	struct buf err = BUF_INIT;
	int rc = 1;
	if (tls_read_file(ca_file, &ca, &err) < 0) {
		cli_error("Error reading CA: %s", buf_cstr(&err));
		goto out;
	}
	if (tls_read_file(ca_key_file, &cakey, &err) < 0) {
		cli_error("Error reading CA key: %s", buf_cstr(&err));
		goto out;
	}
	if (o->server)
		cli_info("==> WARNING: Server Certificates grants authority to become a\n"
			 "    server and access all state in the cluster including root keys\n"
			 "    and all ACL tokens. Do not distribute them to production hosts\n"
			 "    that are not server nodes. Store them as securely as CA keys.");
	cli_info("==> Using %s and %s", ca_file, ca_key_file);
	struct tls_leaf_opts leaf = {
	    .name = p->name,
	    .days = o->days,
	    .dns = p->dns,
	    .ndns = p->ndns,
	    .ips = p->ips,
	    .nips = p->nips,
	    .eku = {p->eku[0], p->eku[1]},
	    .neku = p->neku,
	};
	if (tls_make_leaf(&leaf, &ca, &cakey, &cert, &key, &err) < 0) {
		cli_error("%s", buf_cstr(&err));
		goto out;
	}
	if (tls_save_pair(cert_file, &cert, key_file, &key) == 0)
		rc = 0;
out:
	free(ca_file);
	free(ca_key_file);
	buf_free(&ca);
	buf_free(&cakey);
	buf_free(&cert);
	buf_free(&key);
	buf_free(&err);
	return rc;
}

int tls_cert_create_main(int argc, char **argv)
{
	struct cert_opts o = {
	    .ca = "#DOMAIN#-agent-ca.pem",
	    .key = "#DOMAIN#-agent-ca-key.pem",
	    .days = 365,
	    .dc = "dc1",
	    .domain = "consul",
	};
	int rest;
	if (flags_parse(tls_cert_create_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	int rc = 1;
	struct plan p = {0};
	struct buf cert_file = BUF_INIT, key_file = BUF_INIT;
	if (!*o.ca) {
		cli_error("Please provide the ca");
		goto out;
	}
	if (!*o.key) {
		cli_error("Please provide the key");
		goto out;
	}
	if ((int)o.server + (int)o.client + (int)o.cli != 1) {
		cli_error("Please provide either -server, -client, or -cli");
		goto out;
	}
	if (o.node && *o.node && !o.server) {
		cli_error("-node requires -server");
		goto out;
	}
	if (make_plan(&o, &p) != 0 || pick_files(p.prefix, &cert_file, &key_file) != 0)
		goto out;
	rc = issue(&o, &p, buf_cstr(&cert_file), buf_cstr(&key_file));
out:
	plan_free(&p);
	buf_free(&cert_file);
	buf_free(&key_file);
	flag_strings_free(&o.dns);
	flag_strings_free(&o.ips);
	return rc;
}
