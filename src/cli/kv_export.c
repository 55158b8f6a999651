/*
 * `consul kv export [options] [PREFIX]`: every pair under PREFIX as the JSON array
 * that `kv import` reads back: [{"key", "flags", "value" (base64)}], in key order,
 * indented with tabs exactly as Consul prints it (kv_format_export).
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/kv.h"

#include <stdio.h>
#include <stdlib.h>

struct kv_export_opts {
	struct httpc_flags http;
};

const char kv_export_usage[] =
    "\nUsage: consul kv export [KEY_OR_PREFIX]\n"
    "\n"
    "  Retrieves key-value pairs for the given prefix from Consul's key-value store,\n"
    "  and writes a JSON representation to stdout. This can be used with the command\n"
    "  \"consul kv import\" to move entire trees between Consul clusters.\n"
    "\n"
    "      $ consul kv export vault\n"
    "\n"
    "  For a full list of options and examples, please see the Consul documentation.\n";

#define O struct kv_export_opts
const struct flag_def kv_export_flags[] = {
    HTTPC_CLIENT_FLAGS(O, http),
    HTTPC_SERVER_FLAGS(O, http),
    HTTPC_TENANCY_FLAGS(O, http),
    FLAG_END,
};
#undef O

static int export(const struct httpc *c, const char *prefix)
{
	char *path = kv_api_path(prefix);
	struct httpc_req r;
	httpc_req_init(&r, "GET", path, true);
	httpc_req_param(&r, "recurse", "");
	struct httpc_resp resp;
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct kv_pairs pairs = {0};
	int found = kv_api_get(c, &r, &resp, &err);
	if (found > 0)
		kv_pairs_parse(resp.body.data, resp.body.len, &pairs, &err);
	int rc = 0;
	if (err.len) {
		cli_error("Error querying Consul agent: %s", err.data);
		rc = 1;
	} else {
		kv_format_export(&out, &pairs);
		fwrite(out.data, 1, out.len, stdout);
		fputc('\n', stdout);
	}
	kv_pairs_free(&pairs);
	if (found >= 0)
		httpc_resp_free(&resp);
	buf_free(&err);
	buf_free(&out);
	free(path);
	return rc;
}

int kv_export_main(int argc, char **argv)
{
	struct kv_export_opts o = {0};
	int rest;
	if (flags_parse(kv_export_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	if (argc - rest > 1) {
		cli_error("Too many arguments (expected 1, got %d)", argc - rest);
		return 1;
	}
	const char *prefix = argc - rest == 1 ? argv[rest] : "";
	if (prefix[0] == '/')
		prefix++;
	struct httpc c;
	if (kv_client(&c, &o.http) < 0)
		return 1;
	int rc = export(&c, prefix);
	httpc_free(&c);
	return rc;
}
