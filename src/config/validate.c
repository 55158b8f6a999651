/*
 * Semantic validation of a merged configuration, in Consul's words.
 *
 * Checks run in the order of Consul's builder (build, then validate) and stop at the
 * first failure, as Consul's do. Each message is Consul's, prefixed by the source
 * that set the offending key ("/etc/consul.d/a.json: bootstrap_expect cannot be -1.
 * Must be greater than or equal to zero"); values still at their defaults get no
 * prefix. Warnings (bootstrap advice, node names DNS cannot serve) are collected and
 * never stop the load. Addresses must be literal IPs: go-sockaddr templates
 * ("{{ GetPrivateIP }}") are refused with a clear message.
 */
#include "config/loader.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static bool is_ip(const char *s)
{
	unsigned char b[16];
	return strcmp(s, "[::]") == 0 || inet_pton(AF_INET, s, b) == 1 ||
	       inet_pton(AF_INET6, s, b) == 1;
}

static bool is_v4(const char *s)
{
	unsigned char b[4];
	return inet_pton(AF_INET, s, b) == 1;
}

static bool is_any(const char *s)
{
	return s && (!strcmp(s, "0.0.0.0") || !strcmp(s, "::") || !strcmp(s, "[::]"));
}

static bool empty(const char *s)
{
	return !s || !*s;
}

/* Every word of s is an IP (or, with unix_ok, unix://path). */
static bool check_addrs(struct loader *ld, const char *key, const char *s, bool unix_ok)
{
	if (empty(s))
		return true;
	if (strstr(s, "{{"))
		return loader_fail(ld, key, "%s: go-sockaddr templates are not supported: \"%s\"",
				   key, s);
	char *copy = strdup(s), *save = NULL;
	bool ok = true;
	for (char *w = strtok_r(copy, " \t\n", &save); w && ok;
	     w = strtok_r(NULL, " \t\n", &save)) {
		if (strncmp(w, "unix://", 7) == 0) {
			if (!unix_ok)
				ok = loader_fail(ld, key, "%s cannot be a unix socket", key);
		} else if (!is_ip(w)) {
			ok = loader_fail(ld, key, "%s: invalid ip address: %s", key, w);
		}
	}
	free(copy);
	return ok;
}

static size_t count_words(const char *s)
{
	size_t n = 0;
	for (const char *p = s; p && *p;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p)
			n++;
		while (*p && !isspace((unsigned char)*p))
			p++;
	}
	return n;
}

static bool check_bind(struct loader *ld)
{
	const char *b = ld->c->bind_addr;
	if (empty(b) || count_words(b) == 0)
		return loader_fail(ld, "bind_addr", "bind_addr cannot be empty");
	if (!check_addrs(ld, "bind_addr", b, true))
		return false;
	if (count_words(b) > 1)
		return loader_fail(ld, "bind_addr",
				   "bind_addr cannot contain multiple addresses. Use "
				   "'addresses.{dns,http,https}' instead.");
	if (strncmp(b, "unix://", 7) == 0)
		return loader_fail(ld, "bind_addr", "bind_addr cannot be a unix socket");
	return true;
}

static bool check_advertise(struct loader *ld)
{
	struct config *c = ld->c;
	static const char *const single[] = {"advertise_addr", "advertise_addr_wan", "serf_lan",
					     "serf_wan"};
	for (size_t i = 0; i < 4; i++) {
		const char *v = *(char **)opt_field(c, opt_find(single[i]));
		if (!check_addrs(ld, single[i], v, false))
			return false;
		if (count_words(v) > 1)
			return loader_fail(ld, single[i], "%s: multiple addresses found: %s",
					   single[i], v);
	}
	if (is_any(c->advertise_addr))
		return loader_fail(ld, "advertise_addr",
				   "Advertise address cannot be 0.0.0.0, :: or [::]");
	if (is_any(c->advertise_addr_wan))
		return loader_fail(ld, "advertise_addr_wan",
				   "Advertise WAN address cannot be 0.0.0.0, :: or [::]");
	static const char *const fam[] = {"advertise_addr_ipv4", "advertise_addr_ipv6",
					  "advertise_addr_wan_ipv4", "advertise_addr_wan_ipv6"};
	for (size_t i = 0; i < 4; i++) {
		const char *v = *(char **)opt_field(c, opt_find(fam[i]));
		bool want4 = strstr(fam[i], "ipv4") != NULL;
		if (!check_addrs(ld, fam[i], v, false))
			return false;
		if (!empty(v) && is_v4(v) != want4)
			return loader_fail(ld, fam[i], "%s must be an %s address", fam[i],
					   want4 ? "ipv4" : "ipv6");
	}
	return true;
}

static bool check_client(struct loader *ld)
{
	struct config *c = ld->c;
	if (!check_addrs(ld, "client_addr", c->client_addr, true))
		return false;
	if (count_words(c->client_addr) == 0)
		loader_warn(ld, NULL,
			    "client_addr is empty, client services (DNS, HTTP, HTTPS, "
			    "GRPC) will not be listening for connections");
	if (!check_addrs(ld, "addresses.dns", c->addresses.dns, true) ||
	    !check_addrs(ld, "addresses.http", c->addresses.http, true) ||
	    !check_addrs(ld, "addresses.https", c->addresses.https, true) ||
	    !check_addrs(ld, "addresses.grpc", c->addresses.grpc, true))
		return false;
	if (c->addresses.dns && strstr(c->addresses.dns, "unix://"))
		return loader_fail(ld, "addresses.dns", "DNS address cannot be a unix socket");
	for (size_t i = 0; i < c->recursors.len; i++) {
		const char *r = c->recursors.items[i];
		if (strncmp(r, "unix://", 7) == 0)
			return loader_fail(ld, "recursors",
					   "DNS Recursors cannot be unix sockets: %s", r);
		if (is_any(r))
			return loader_fail(ld, "recursors",
					   "DNS recursor address cannot be 0.0.0.0, :: or [::]");
	}
	return true;
}

static bool cidr_ok(const char *s)
{
	const char *slash = strchr(s, '/');
	if (!slash || !slash[1])
		return false;
	char *ip = strndup(s, (size_t)(slash - s)), *end;
	long bits = strtol(slash + 1, &end, 10);
	bool v4 = is_v4(ip), ok = is_ip(ip) && !*end && bits >= 0 && bits <= (v4 ? 32 : 128);
	free(ip);
	return ok;
}

static bool check_cidrs(struct loader *ld)
{
	struct config *c = ld->c;
	const struct strlist *lan = &c->serf_lan_allowed_cidrs, *wan = &c->serf_wan_allowed_cidrs;
	const struct strlist *http = &c->http_config.allow_write_http_from;
	for (size_t i = 0; i < lan->len; i++)
		if (!cidr_ok(lan->items[i]))
			return loader_fail(ld, "serf_lan_allowed_cidrs",
					   "serf_lan_allowed_cidrs: invalid CIDR address: %s",
					   lan->items[i]);
	for (size_t i = 0; i < wan->len; i++)
		if (!cidr_ok(wan->items[i]))
			return loader_fail(ld, "serf_wan_allowed_cidrs",
					   "serf_wan_allowed_cidrs: invalid CIDR address: %s",
					   wan->items[i]);
	for (size_t i = 0; i < http->len; i++)
		if (!cidr_ok(http->items[i]))
			return loader_fail(ld, "http_config.allow_write_http_from",
					   "allow_write_http_from: invalid cidr: %s",
					   http->items[i]);
	return true;
}

static bool check_ports(struct loader *ld)
{
	struct config *c = ld->c;
	for (size_t i = 0; i < config_options_len; i++) {
		const struct opt *o = &config_options[i];
		if (!(o->flags & OPTF_PORT))
			continue;
		int port = *(int *)opt_field(c, o);
		if (port > 65535)
			return loader_fail(ld, o->key, "%s: invalid port: %d", o->key, port);
	}
	if (c->ports.sidecar_max_port < c->ports.sidecar_min_port)
		return loader_fail(ld, "ports.sidecar_min_port",
				   "sidecar_min_port must be less than "
				   "sidecar_max_port. To disable, set both to zero.");
	if (c->ports.expose_max_port < c->ports.expose_min_port)
		return loader_fail(ld, "ports.expose_min_port",
				   "expose_min_port must be less than "
				   "expose_max_port. To disable, set both to zero.");
	return true;
}

bool loader_validate_addresses(struct loader *ld)
{
	return check_ports(ld) && check_bind(ld) && check_advertise(ld) && check_client(ld) &&
	       check_cidrs(ld);
}
