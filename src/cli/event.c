/*
 * `consul event [-name NAME] [-node RE] [-service RE] [-tag RE] [payload]`:
 * fire a user event through the local agent (PUT /v1/event/fire/<name>, the
 * payload as the body) and print "Event ID: <id>".
 */
#include "cli/catalog_commands.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/kv.h"

#include <jansson.h>
#include <string.h>

struct event_opts {
	const char *name, *node, *service, *tag;
	struct httpc_flags http;
};

const char event_usage[] =
    "\nUsage: consul event [options] [payload]\n"
    "\n"
    "  Dispatches a custom user event across a datacenter. An event must provide\n"
    "  a name, but a payload is optional. Events support filtering using\n"
    "  regular expressions on node name, service, and tag definitions.\n";

#define O struct event_opts
const struct flag_def event_flags[] = {
    FLAG_DEF("name", FLAG_STRING, O, name, "Name of the event.", NULL),
    FLAG_DEF("node", FLAG_STRING, O, node, "Regular expression to filter on node names.", NULL),
    FLAG_DEF("service", FLAG_STRING, O, service,
	     "Regular expression to filter on service instances.", NULL),
    FLAG_DEF("tag", FLAG_STRING, O, tag,
	     "Regular expression to filter on service tags. Must be used with -service.", NULL),
    HTTPC_CLIENT_FLAGS(O, http),
    FLAG_END,
};
#undef O

static void param(struct httpc_req *r, const char *name, const char *v)
{
	if (v && *v)
		httpc_req_param(r, name, v);
}

int event_main(int argc, char **argv)
{
	struct event_opts o = {0};
	int rest;
	if (flags_parse(event_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	if (!o.name || !*o.name) {
		cli_error("Event name must be specified");
		cli_error("%s", event_usage);
		return 1;
	}
	if (o.tag && *o.tag && !(o.service && *o.service)) {
		cli_error("Cannot provide tag filter without service filter.");
		return 1;
	}
	if (argc - rest > 1) {
		cli_error("Too many command line arguments.");
		cli_error("%s", event_usage);
		return 1;
	}
	const char *payload = rest < argc ? argv[rest] : "";
	struct httpc c;
	if (kv_client(&c, &o.http) < 0)
		return 1;
	struct buf path = BUF_INIT, err = BUF_INIT;
	buf_printf(&path, "/v1/event/fire/%s", o.name);
	struct httpc_req r;
	httpc_req_init(&r, "PUT", buf_cstr(&path), false);
	param(&r, "node", o.node);
	param(&r, "service", o.service);
	param(&r, "tag", o.tag);
	r.body = payload;
	r.body_len = strlen(payload);
	json_t *ev = NULL;
	int rc = 0;
	if (catcli_get_json(&c, &r, &ev, &err) < 0) {
		cli_error("Error firing event: %s", buf_cstr(&err));
		rc = 1;
	} else {
		cli_info("Event ID: %s", json_string_value(json_object_get(ev, "ID")));
	}
	json_decref(ev);
	buf_free(&path);
	buf_free(&err);
	httpc_free(&c);
	return rc;
}
