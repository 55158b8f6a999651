/*
 * `consul kv delete [options] KEY_OR_PREFIX`: delete a key, a prefix (-recurse) or a
 * key at a known ModifyIndex (-cas -modify-index N), with Consul's checks and
 * messages. A leading "/" is dropped from the key. Deleting a missing key succeeds.
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/kv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

struct kv_delete_opts {
	bool cas;	       /* -cas */
	uint64_t modify_index; /* -modify-index */
	bool recurse;	       /* -recurse */
	struct httpc_flags http;
};

const char kv_delete_usage[] =
    "\nUsage: consul kv delete [options] KEY_OR_PREFIX\n"
    "\n"
    "  Removes the value from Consul's key-value store at the given path. If no\n"
    "  key exists at the path, no action is taken.\n"
    "\n"
    "  To delete the value for the key named \"foo\" in the key-value store:\n"
    "\n"
    "      $ consul kv delete foo\n"
    "\n"
    "  To delete all keys which start with \"foo\", specify the -recurse option:\n"
    "\n"
    "      $ consul kv delete -recurse foo\n"
    "\n"
    "  This will delete the keys named \"foo\", \"food\", and \"foo/bar/zip\" if they\n"
    "  existed.\n";

#define O struct kv_delete_opts
const struct flag_def kv_delete_flags[] = {
    FLAG_DEF("cas", FLAG_BOOL, O, cas,
	     "Perform a Check-And-Set operation. Specifying this value also requires the "
	     "-modify-index flag to be set. The default value is false.",
	     NULL),
    FLAG_DEF("modify-index", FLAG_UINT64, O, modify_index,
	     "Unsigned integer representing the ModifyIndex of the key. This is used in "
	     "combination with the -cas flag.",
	     NULL),
    FLAG_DEF("recurse", FLAG_BOOL, O, recurse,
	     "Recursively delete all keys with the path. The default value is false.", NULL),
    HTTPC_CLIENT_FLAGS(O, http),
    HTTPC_SERVER_FLAGS(O, http),
    HTTPC_TENANCY_FLAGS(O, http),
    FLAG_END,
};
#undef O

static int check_args(const struct kv_delete_opts *o, const char *key)
{
	const char *msg = NULL;
	if (!*key && !o->recurse)
		msg = "Error! Missing KEY argument";
	else if (o->cas && o->modify_index == 0)
		msg = "Cannot delete a key that does not exist. Provide a -modify-index greater "
		      "than than 0.";
	else if (o->modify_index != 0 && !o->cas)
		msg = "Cannot specify -modify-index without -cas!";
	else if (o->recurse && o->cas)
		msg = "Cannot specify both -cas and -recurse!";
	if (msg)
		cli_error("%s", msg);
	return msg ? 1 : 0;
}

static int delete (const struct httpc *c, const char *key, const struct kv_delete_opts *o)
{
	char *path = kv_api_path(key);
	char index[24];
	snprintf(index, sizeof(index), "%" PRIu64, o->modify_index);
	struct httpc_req r;
	httpc_req_init(&r, "DELETE", path, false);
	if (o->recurse)
		httpc_req_param(&r, "recurse", "");
	if (o->cas)
		httpc_req_param(&r, "cas", index);
	bool ok = false;
	struct buf err = BUF_INIT;
	int sent = kv_api_write(c, &r, &ok, &err);
	int rc = 1;
	if (o->recurse && sent < 0)
		cli_error("Error! Did not delete prefix %s: %s", key, err.data);
	else if (o->recurse)
		cli_info("Success! Deleted keys with prefix: %s", key), rc = 0;
	else if (o->cas && sent < 0)
		cli_error("Error! Did not delete key %s: %s", key, err.data);
	else if (o->cas && !ok)
		cli_error("Error! Did not delete key %s: CAS failed", key);
	else if (sent < 0)
		cli_error("Error deleting key %s: %s", key, err.data);
	else
		cli_info("Success! Deleted key: %s", key), rc = 0;
	buf_free(&err);
	free(path);
	return rc;
}

int kv_delete_main(int argc, char **argv)
{
	struct kv_delete_opts o = {0};
	const char *key;
	if (kv_parse_key_args(kv_delete_flags, &o, argc, argv, &key) || check_args(&o, key))
		return 1;
	struct httpc c;
	if (kv_client(&c, &o.http) < 0)
		return 1;
	int rc = delete (&c, key, &o);
	httpc_free(&c);
	return rc;
}
