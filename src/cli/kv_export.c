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
	struct kv_pairs pairs;
	int rc = kv_fetch(c, path, true, &pairs);
	if (rc == 0) {
		struct buf out = BUF_INIT;
		kv_format_export(&out, &pairs);
		fwrite(out.data, 1, out.len, stdout);
		fputc('\n', stdout);
		buf_free(&out);
		kv_pairs_free(&pairs);
	}
	free(path);
	return rc;
}

int kv_export_main(int argc, char **argv)
{
	struct kv_export_opts o = {0};
	const char *prefix;
	if (kv_parse_key_args(kv_export_flags, &o, argc, argv, &prefix))
		return 1;
	struct httpc c;
	if (kv_client(&c, &o.http) < 0)
		return 1;
	int rc = export(&c, prefix);
	httpc_free(&c);
	return rc;
}
