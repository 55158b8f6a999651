/*
 * `consul maint [-enable|-disable] [-reason R] [-service ID]`: node or service
 * maintenance mode through the local agent (PUT /v1/agent/maintenance and
 * /v1/agent/service/maintenance/:id, with enable= and reason= as Go's api sends them).
 * Without -enable/-disable it lists what is in maintenance: the _node_maintenance and
 * _service_maintenance:<id> checks of /v1/agent/checks, with the node name from
 * /v1/agent/self, in the checks' response order (Consul walks a Go map: random order).
 */
#include "cli/catalog_commands.h"
#include "cli/catalog_format.h"
#include "cli/cli.h"
#include "cli/kv.h"

#include <string.h>

struct maint_opts {
	bool enable;	     /* -enable */
	bool disable;	     /* -disable */
	const char *reason;  /* -reason */
	const char *service; /* -service */
	struct httpc_flags http;
};

const char maint_usage[] =
    "\nUsage: consul maint [options]\n"
    "\n"
    "  Places a node or service into maintenance mode. During maintenance mode,\n"
    "  the node or service will be excluded from all queries through the DNS\n"
    "  or API interfaces, effectively taking it out of the pool of available\n"
    "  nodes. This is done by registering an additional critical health check.\n"
    "\n"
    "  When enabling maintenance mode for a node or service, you may optionally\n"
    "  specify a reason string. This string will appear in the \"Notes\" field\n"
    "  of the critical health check which is registered against the node or\n"
    "  service. If no reason is provided, a default value will be used.\n"
    "\n"
    "  Maintenance mode is persistent, and will be restored in the event of an\n"
    "  agent restart. It is therefore required to disable maintenance mode on\n"
    "  a given node or service before it will be placed back into the pool.\n"
    "\n"
    "  By default, we operate on the node as a whole. By specifying the\n"
    "  \"-service\" argument, this behavior can be changed to enable or disable\n"
    "  only a specific service.\n"
    "\n"
    "  If no arguments are given, the agent's maintenance status will be shown.\n"
    "  This will return blank if nothing is currently under maintenance.\n";

#define O struct maint_opts
const struct flag_def maint_flags[] = {
    FLAG_DEF("disable", FLAG_BOOL, O, disable, "Disable maintenance mode.", NULL),
    FLAG_DEF("enable", FLAG_BOOL, O, enable, "Enable maintenance mode.", NULL),
    FLAG_DEF("reason", FLAG_STRING, O, reason, "Text describing the maintenance reason.", NULL),
    FLAG_DEF("service", FLAG_STRING, O, service,
	     "Control maintenance mode for a specific service ID.", NULL),
    HTTPC_CLIENT_FLAGS(O, http),
    FLAG_END,
};
#undef O

static const char *str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

static int list(const struct httpc *c)
{
	struct httpc_req r;
	struct buf err = BUF_INIT;
	json_t *self = NULL, *checks = NULL;
	int rc = 1;
	httpc_req_init(&r, "GET", "/v1/agent/self", false);
	if (catcli_get_json(c, &r, &self, &err) < 0) {
		cli_error("Error querying Consul agent: %s", buf_cstr(&err));
		goto out;
	}
	httpc_req_init(&r, "GET", "/v1/agent/checks", false);
	if (catcli_get_json(c, &r, &checks, &err) < 0) {
		cli_error("Error getting checks: %s", buf_cstr(&err));
		goto out;
	}
	const char *node = str(json_object_get(self, "Config"), "NodeName");
	const char *k;
	json_t *chk;
	json_object_foreach(checks, k, chk)
	{
		const char *id = str(chk, "CheckID");
		if (strcmp(id, "_node_maintenance") == 0)
			cli_info("Node:\n  Name:   %s\n  Reason: %s\n", node, str(chk, "Notes"));
		else if (strncmp(id, "_service_maintenance:", 21) == 0)
			cli_info("Service:\n  ID:     %s\n  Reason: %s\n", str(chk, "ServiceID"),
				 str(chk, "Notes"));
	}
	rc = 0;
out:
	json_decref(self);
	json_decref(checks);
	buf_free(&err);
	return rc;
}

static int toggle(const struct httpc *c, const struct maint_opts *o)
{
	struct buf path = BUF_INIT, err = BUF_INIT;
	bool svc = o->service && *o->service;
	if (svc)
		buf_printf(&path, "/v1/agent/service/maintenance/%s", o->service);
	else
		buf_puts(&path, "/v1/agent/maintenance");
	struct httpc_req r;
	httpc_req_init(&r, "PUT", buf_cstr(&path), false);
	httpc_req_param(&r, "enable", o->enable ? "true" : "false");
	if (o->enable)
		httpc_req_param(&r, "reason", o->reason ? o->reason : "");
	const char *what = o->enable ? "enabl" : "disabl";
	int rc = 0;
	if (catcli_write(c, &r, &err) < 0) {
		cli_error("Error %sing %s maintenance: %s", what, svc ? "service" : "node",
			  buf_cstr(&err));
		rc = 1;
	} else if (svc) {
		struct buf q = BUF_INIT;
		catcli_go_quote(&q, o->service);
		cli_info("Service maintenance is now %sed for %s", what, buf_cstr(&q));
		buf_free(&q);
	} else {
		cli_info("Node maintenance is now %sed", what);
	}
	buf_free(&path);
	buf_free(&err);
	return rc;
}

int maint_main(int argc, char **argv)
{
	struct maint_opts o = {0};
	int rest;
	if (flags_parse(maint_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	const char *msg = NULL;
	if (o.enable && o.disable)
		msg = "Only one of -enable or -disable may be provided";
	else if (!o.enable && o.reason && *o.reason)
		msg = "Reason may only be provided with -enable";
	else if (!o.enable && !o.disable && o.service && *o.service)
		msg = "Service requires either -enable or -disable";
	if (msg) {
		cli_error("%s", msg);
		return 1;
	}
	struct httpc c;
	if (kv_client(&c, &o.http) < 0)
		return 1;
	int rc = o.enable || o.disable ? toggle(&c, &o) : list(&c);
	httpc_free(&c);
	return rc;
}
