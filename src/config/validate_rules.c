/*
 * Semantic validation, second half: names, modes, limits and the warnings Consul
 * prints at start-up (validate.c checks addresses first, as Consul's build does).
 * Same conventions: stop at the first error, Consul's wording, source-prefixed.
 */
#include "config/loader.h"

#include "base/b64.h"
#include "base/duration.h"
#include "base/log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool all_chars(const char *s, const char *extra, bool upper)
{
	for (const char *p = s; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    !(upper && isupper((unsigned char)*p)) && !strchr(extra, *p))
			return false;
	return true;
}

/* Consul's validateBasicName: ^[a-z0-9_-]+$ */
static bool basic_name(struct loader *ld, const char *key, const char *field, const char *v,
		       bool allow_empty)
{
	if (!v || !*v)
		return allow_empty ? true : loader_fail(ld, key, "%s cannot be empty", field);
	if (!all_chars(v, "_-", false))
		return loader_fail(ld, key,
				   "%s can only contain lowercase alphanumeric, - or _ characters. "
				   "received: \"%s\"",
				   field, v);
	return true;
}

static bool check_ui(struct loader *ld)
{
	struct config *c = ld->c;
	const char *p = c->ui_content_path;
	if (!all_chars(p, "/_-", true))
		return loader_fail(
		    ld, "ui_config.content_path",
		    "ui-content-path can only contain alphanumeric, -, _, or /. received: "
		    "\"%s\"",
		    p);
	if (p[0] == '/' && p[1] == 'v' && isdigit((unsigned char)p[2])) {
		const char *q = p + 2;
		while (isdigit((unsigned char)*q))
			q++;
		if (strcmp(q, "/") == 0)
			return loader_fail(ld, "ui_config.content_path",
					   "ui-content-path cannot have 'v[0-9]'. received: \"%s\"",
					   p);
	}
	if (!basic_name(ld, "ui_config.metrics_provider", "ui_config.metrics_provider",
			c->ui_metrics_provider, true))
		return false;
	const char *js = c->ui_metrics_provider_options_json;
	if (js && *js) {
		json_t *v = json_loads(js, 0, NULL);
		bool ok = json_is_object(v);
		json_decref(v);
		if (!ok)
			return loader_fail(
			    ld, "ui_config.metrics_provider_options_json",
			    "ui_config.metrics_provider_options_json must be empty or a string "
			    "containing a valid JSON object. received: \"%s\"",
			    js);
	}
	if (!c->dev && c->ui && c->ui_dir && *c->ui_dir)
		return loader_fail(
		    ld, "ui_config.dir",
		    "Both the ui_config.enabled and ui_config.dir (or -ui and -ui-dir) were "
		    "specified, please provide only one.\nIf trying to use your own web UI "
		    "resources, use ui_config.dir or the -ui-dir flag.\nThe web UI is "
		    "included in the binary so use ui_config.enabled or the -ui flag to "
		    "enable it");
	return true;
}

static bool check_identity(struct loader *ld)
{
	struct config *c = ld->c;
	struct stat st;
	if (c->raft_protocol != 3)
		return loader_fail(
		    ld, "raft_protocol",
		    "raft_protocol version %d is not supported by this version of Consul",
		    c->raft_protocol);
	if (!basic_name(ld, "datacenter", "datacenter", c->datacenter, false))
		return false;
	if ((!c->data_dir || !*c->data_dir) && !c->dev)
		return loader_fail(ld, "data_dir", "data_dir cannot be empty");
	if (!check_ui(ld))
		return false;
	if (!c->dev && stat(c->data_dir, &st) == 0 && !S_ISDIR(st.st_mode))
		return loader_fail(ld, "data_dir", "data_dir \"%s\" is not a directory",
				   c->data_dir);
	if (!*c->node_name)
		return loader_fail(ld, "node_name", "node_name cannot be empty");
	if (!all_chars(c->node_name, "-", true))
		loader_warn(ld, NULL,
			    "Node name \"%s\" will not be discoverable via DNS due to invalid "
			    "characters. Valid characters include all alpha-numerics and dashes.",
			    c->node_name);
	else if (strlen(c->node_name) > 63)
		loader_warn(ld, NULL,
			    "Node name \"%s\" will not be discoverable via DNS due to it being too "
			    "long. Valid lengths are between 1 and 63 bytes.",
			    c->node_name);
	return true;
}

/* go-uuid's ParseUUID: 36 chars, dashes at 8/13/18/23, hex elsewhere. */
static bool check_node_id(struct loader *ld)
{
	const char *id = ld->c->node_id;
	if (ld->c->node_id_generated)
		return true;
	if (strlen(id) != 36)
		return loader_fail(ld, "node_id", "node_id: uuid string is wrong length");
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? id[i] != '-' : !isxdigit((unsigned char)id[i]))
			return loader_fail(ld, "node_id", "node_id: uuid is improperly formatted");
	}
	return true;
}

static bool check_alt_domain(struct loader *ld)
{
	struct config *c = ld->c;
	static const char *const bad[] = {"service", "connect", "node", "query", "addr"};
	const char *d = c->alt_domain;
	if (!d || !*d)
		return true;
	const char *dot = strchr(d, '.');
	size_t n = dot ? (size_t)(dot - d) : 0;
	bool clash = dot && n == strlen(c->datacenter) && strncmp(d, c->datacenter, n) == 0;
	for (size_t i = 0; dot && i < 5; i++)
		clash = clash || (n == strlen(bad[i]) && strncmp(d, bad[i], n) == 0);
	if (clash)
		return loader_fail(
		    ld, "alt_domain",
		    "alt_domain cannot start with {service,connect,node,query,addr,%s}",
		    c->datacenter);
	return true;
}

static bool check_bootstrap(struct loader *ld)
{
	struct config *c = ld->c;
	if (c->bootstrap && !c->server)
		return loader_fail(ld, "bootstrap", "'bootstrap = true' requires 'server = true'");
	if (c->bootstrap_expect < 0)
		return loader_fail(
		    ld, "bootstrap_expect",
		    "bootstrap_expect cannot be %d. Must be greater than or equal to zero",
		    c->bootstrap_expect);
	if (c->bootstrap_expect > 0 && !c->server)
		return loader_fail(ld, "bootstrap_expect",
				   "'bootstrap_expect > 0' requires 'server = true'");
	if (c->bootstrap_expect > 0 && c->dev)
		return loader_fail(ld, "bootstrap_expect",
				   "'bootstrap_expect > 0' not allowed in dev mode");
	if (c->bootstrap_expect > 0 && c->bootstrap)
		return loader_fail(
		    ld, "bootstrap_expect",
		    "'bootstrap_expect > 0' and 'bootstrap = true' are mutually exclusive");
	return true;
}

static bool check_limits(struct loader *ld)
{
	struct config *c = ld->c;
	if (c->check_output_max_size < 1)
		return loader_fail(
		    ld, "check_output_max_size",
		    "check_output_max_size must be positive, to discard check output use "
		    "the discard_check_output flag");
	if (c->ae_interval <= 0) {
		struct buf d = BUF_INIT;
		duration_format(&d, c->ae_interval);
		loader_fail(ld, "ae_interval", "ae_interval cannot be %s. Must be positive",
			    buf_cstr(&d));
		buf_free(&d);
		return false;
	}
	if (c->autopilot.max_trailing_logs < 0)
		return loader_fail(
		    ld, "autopilot.max_trailing_logs",
		    "autopilot.max_trailing_logs cannot be %d. Must be greater than or "
		    "equal to zero",
		    c->autopilot.max_trailing_logs);
	if (c->raft_multiplier < 1 || c->raft_multiplier > 10)
		return loader_fail(
		    ld, "performance.raft_multiplier",
		    "performance.raft_multiplier cannot be %d. Must be between 1 and 10",
		    c->raft_multiplier);
	if (c->dns_config.udp_answer_limit < 0)
		return loader_fail(
		    ld, "dns_config.udp_answer_limit",
		    "dns_config.udp_answer_limit cannot be %d. Must be greater than or "
		    "equal to zero",
		    c->dns_config.udp_answer_limit);
	if (c->dns_config.a_record_limit < 0)
		return loader_fail(
		    ld, "dns_config.a_record_limit",
		    "dns_config.a_record_limit cannot be %d. Must be greater than or equal "
		    "to zero",
		    c->dns_config.a_record_limit);
	return true;
}

static bool check_dns(struct loader *ld)
{
	struct config *c = ld->c;
	const char *s = c->dns_config.recursor_strategy;
	if (*s && strcmp(s, "sequential") != 0 && strcmp(s, "random") != 0)
		return loader_fail(ld, "dns_config.recursor_strategy",
				   "dns_config.recursor_strategy: invalid strategy: \"%s\"", s);
	const struct strmap *ttl = &c->dns_config.service_ttl;
	for (size_t i = 0; i < ttl->len; i++) {
		int64_t ns;
		if (duration_parse(ttl->values[i], false, &ns) != 0)
			return loader_fail(
			    ld, "dns_config.service_ttl",
			    "dns_config.service_ttl[\"%s\"]: invalid duration: \"%s\"",
			    ttl->keys[i], ttl->values[i]);
	}
	return true;
}

static const char *meta_problem(const char *k, const char *v)
{
	if (!*k)
		return "Key cannot be blank";
	for (const char *p = k; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return "Key contains invalid characters";
	if (strlen(k) > 128)
		return "Key is too long (limit: 128 characters)";
	if (strncmp(k, "consul-", 7) == 0)
		return "Key prefix 'consul-' is reserved for internal use";
	if (strlen(v) > 512)
		return "Value is too long (limit: 512 characters)";
	return NULL;
}

static bool check_meta_and_keys(struct loader *ld)
{
	struct config *c = ld->c;
	const struct strmap *m = &c->node_meta;
	if (m->len > 64)
		return loader_fail(ld, "node_meta",
				   "node_meta invalid: Node metadata cannot contain more "
				   "than 64 key/value pairs");
	for (size_t i = 0; i < m->len; i++) {
		const char *why = meta_problem(m->keys[i], m->values[i]);
		if (why)
			return loader_fail(
			    ld, "node_meta",
			    "node_meta invalid: Couldn't load metadata pair ('%s', '%s'): %s",
			    m->keys[i], m->values[i], why);
	}
	if (c->encrypt && *c->encrypt) {
		struct buf key = BUF_INIT;
		int rc = b64_decode(&key, c->encrypt, strlen(c->encrypt));
		size_t n = key.len;
		buf_free(&key);
		if (rc != 0)
			return loader_fail(ld, "encrypt",
					   "encrypt has invalid key: illegal base64 data");
		if (n != 16 && n != 24 && n != 32)
			return loader_fail(
			    ld, "encrypt",
			    "encrypt has invalid key: key size must be 16, 24 or 32 bytes");
	}
	return true;
}

static bool check_log_level(struct loader *ld)
{
	enum log_level lv;
	const char *s = ld->c->log_level;
	if (log_level_parse(s, &lv) != 0 || lv == LOG_OFF)
		return loader_fail(
		    ld, "log_level",
		    "Invalid log level: %s. Valid log levels are: [TRACE DEBUG INFO WARN "
		    "ERR ERROR]",
		    s);
	return true;
}

static bool check_roles(struct loader *ld)
{
	struct config *c = ld->c;
	struct stat st;
	if (!basic_name(ld, "primary_datacenter", "primary_datacenter", c->primary_datacenter,
			true))
		return false;
	if (c->primary_gateways.len && !c->server)
		return loader_fail(ld, "primary_gateways",
				   "'primary_gateways' requires 'server = true'");
	if (c->primary_gateways.len && strcmp(c->primary_datacenter, c->datacenter) == 0)
		return loader_fail(
		    ld, "primary_gateways",
		    "'primary_gateways' should only be configured in a secondary datacenter");
	if (c->server && c->data_dir && *c->data_dir) {
		struct buf mdb = BUF_INIT;
		buf_printf(&mdb, "%s/mdb", c->data_dir);
		bool found = stat(mdb.data, &st) == 0;
		if (found)
			loader_fail(
			    ld, "data_dir",
			    "CRITICAL: Deprecated data folder found at \"%s\"!\nConsul will refuse "
			    "to boot with this directory present.\nSee "
			    "https://www.consul.io/docs/upgrade-specific.html for more "
			    "information.",
			    mdb.data);
		buf_free(&mdb);
		if (found)
			return false;
	}
	if (c->server && c->advertise_reconnect_timeout != 0)
		return loader_fail(ld, "advertise_reconnect_timeout",
				   "advertise_reconnect_timeout can only be used on a client");
	return true;
}

static void warnings(struct loader *ld)
{
	const struct config *c = ld->c;
	const char *table =
	    "See https://www.consul.io/docs/internals/consensus.html#deployment-table";
	if (c->server && !c->dev && !c->bootstrap && c->bootstrap_expect == 2)
		loader_warn(ld, NULL,
			    "bootstrap_expect = 2: A cluster with 2 servers will provide no "
			    "failure tolerance. %s",
			    table);
	if (c->server && !c->bootstrap && c->bootstrap_expect > 2 && c->bootstrap_expect % 2 == 0)
		loader_warn(ld, NULL,
			    "bootstrap_expect is even number: A cluster with an even number of "
			    "servers does not achieve optimum fault tolerance. %s",
			    table);
	if (c->server && !c->dev && c->bootstrap && c->bootstrap_expect == 0)
		loader_warn(ld, NULL, "bootstrap = true: do not enable unless necessary");
	if (c->server && !c->dev && !c->bootstrap && c->bootstrap_expect > 1)
		loader_warn(ld, NULL, "bootstrap_expect > 0: expecting %d servers",
			    c->bootstrap_expect);
	if (!c->server && c->rpc_enable_streaming)
		loader_warn(ld, NULL,
			    "rpc.enable_streaming = true has no effect when not running in server "
			    "mode");
}

void loader_validate(struct loader *ld)
{
	if (loader_validate_addresses(ld) && check_identity(ld) && check_node_id(ld) &&
	    check_alt_domain(ld) && check_bootstrap(ld) && check_limits(ld) && check_dns(ld) &&
	    check_meta_and_keys(ld) && check_log_level(ld) && check_roles(ld))
		warnings(ld);
}
