/*
 * `consul kv put [options] KEY [DATA]`: write a key, as Consul's kv put does.
 *
 * DATA is literal text, "@file", or "-" for stdin; omitted, the value is empty. The
 * mode is one of: plain put, -cas (with -modify-index), -acquire or -release (with
 * -session); -flags applies to all of them. Messages are Consul's ("Success! Data
 * written to: KEY", "Error! Did not write to KEY: CAS failed", ...).
 *
 * Two deliberate differences, both on error paths: when -base64 data does not decode,
 * Consul prints the error and goes on to write whatever it decoded; cairn stops
 * (exit 1). And a failed -release reports the error rather than the key.
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/kv.h"

#include "base/alloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

struct kv_put_opts {
	bool cas;	       /* -cas */
	uint64_t flags;	       /* -flags */
	bool base64;	       /* -base64 */
	uint64_t modify_index; /* -modify-index */
	const char *session;   /* -session */
	bool acquire;	       /* -acquire */
	bool release;	       /* -release */
	struct httpc_flags http;
};

const char kv_put_usage[] =
    "\nUsage: consul kv put [options] KEY [DATA]\n"
    "\n"
    "  Writes the data to the given path in the key-value store. The data can be of\n"
    "  any type.\n"
    "\n"
    "      $ consul kv put config/redis/maxconns 5\n"
    "\n"
    "  The data can also be consumed from a file on disk by prefixing with the \"@\"\n"
    "  symbol. For example:\n"
    "\n"
    "      $ consul kv put config/program/license @license.lic\n"
    "\n"
    "  Or it can be read from stdin using the \"-\" symbol:\n"
    "\n"
    "      $ echo \"abcd1234\" | consul kv put config/program/license -\n"
    "\n"
    "  The DATA argument itself is optional. If omitted, this will create an empty\n"
    "  key-value pair at the specified path:\n"
    "\n"
    "      $ consul kv put webapp/beta/active\n"
    "\n"
    "  If the -base64 flag is specified, the data will be treated as base 64\n"
    "  encoded.\n"
    "\n"
    "  To perform a Check-And-Set operation, specify the -cas flag with the\n"
    "  appropriate -modify-index flag corresponding to the key you want to perform\n"
    "  the CAS operation on:\n"
    "\n"
    "      $ consul kv put -cas -modify-index=844 config/redis/maxconns 5\n"
    "\n"
    "  Additional flags and more advanced use cases are detailed below.\n";

#define O struct kv_put_opts
const struct flag_def kv_put_flags[] = {
    FLAG_DEF("acquire", FLAG_BOOL, O, acquire,
	     "Obtain a lock on the key. If the key does not exist, this operation will create the "
	     "key and obtain the lock. The session must already exist and be specified via the "
	     "-session flag. The default value is false.",
	     NULL),
    FLAG_DEF("base64", FLAG_BOOL, O, base64,
	     "Treat the data as base 64 encoded. The default value is false.", NULL),
    FLAG_DEF("cas", FLAG_BOOL, O, cas,
	     "Perform a Check-And-Set operation. Specifying this value also requires the "
	     "-modify-index flag to be set. The default value is false.",
	     NULL),
    FLAG_DEF("flags", FLAG_UINT64, O, flags,
	     "Unsigned integer value to assign to this key-value pair. This value is not read by "
	     "Consul, so clients can use this value however makes sense for their use case. The "
	     "default value is 0 (no flags).",
	     NULL),
    FLAG_DEF("modify-index", FLAG_UINT64, O, modify_index,
	     "Unsigned integer representing the ModifyIndex of the key. This is used in "
	     "combination with the -cas flag.",
	     NULL),
    FLAG_DEF("release", FLAG_BOOL, O, release,
	     "Forfeit the lock on the key at the given path. This requires the -session flag to "
	     "be set. The key must be held by the session in order to be unlocked. The default "
	     "value is false.",
	     NULL),
    FLAG_DEF("session", FLAG_STRING, O, session,
	     "User-defined identifer for this session as a string. This is commonly used with the "
	     "-acquire and -release operations to build robust locking, but it can be set on any "
	     "key. The default value is empty (no session).",
	     NULL),
    HTTPC_CLIENT_FLAGS(O, http),
    HTTPC_SERVER_FLAGS(O, http),
    HTTPC_TENANCY_FLAGS(O, http),
    FLAG_END,
};
#undef O

/* KEY and DATA from the positional arguments; 0 or 1 (error printed). */
static int key_and_data(int nargs, char **args, const struct kv_put_opts *o, struct buf *data)
{
	if (nargs == 0) {
		cli_error("Error! Missing KEY argument");
		return 1;
	}
	if (nargs > 2) {
		cli_error("Error! Too many arguments (expected 1 or 2, got %d)", nargs);
		return 1;
	}
	struct buf raw = BUF_INIT, err = BUF_INIT;
	int rc = 0;
	if (nargs == 2 && kv_read_data(args[1], &raw, &err) < 0) {
		cli_error("Error! %s", err.data);
		rc = 1;
	} else if (o->base64 && raw.len && kv_b64_decode(data, raw.data, raw.len, &err) < 0) {
		cli_error("Error! Cannot base 64 decode data: %s", err.data);
		rc = 1;
	} else if (!o->base64 && raw.len) {
		buf_append(data, raw.data, raw.len);
	}
	buf_free(&raw);
	buf_free(&err);
	return rc;
}

static int check_modes(const struct kv_put_opts *o)
{
	if ((o->release || o->acquire) && (!o->session || !*o->session)) {
		cli_error("Error! Missing -session (required with -acquire and -release)");
		return 1;
	}
	if (o->cas && o->modify_index == 0) {
		cli_error("Must specify -modify-index with -cas!");
		return 1;
	}
	return 0;
}

/* Send the write and print Consul's outcome for the mode. */
static int put(const struct httpc *c, const char *key, const struct buf *data,
	       const struct kv_put_opts *o)
{
	char *path = kv_api_path(key);
	char flags[24], index[24];
	struct httpc_req r;
	httpc_req_init(&r, "PUT", path, false);
	r.body = data->data;
	r.body_len = data->len;
	snprintf(flags, sizeof(flags), "%" PRIu64, o->flags);
	snprintf(index, sizeof(index), "%" PRIu64, o->modify_index);
	if (o->flags)
		httpc_req_param(&r, "flags", flags);
	if (o->cas)
		httpc_req_param(&r, "cas", index);
	else if (o->acquire)
		httpc_req_param(&r, "acquire", o->session);
	else if (o->release)
		httpc_req_param(&r, "release", o->session);
	bool ok = false;
	struct buf err = BUF_INIT;
	int sent = kv_api_write(c, &r, &ok, &err);
	int rc = 1;
	if (o->cas && sent < 0)
		cli_error("Error! Did not write to %s: %s", key, err.data);
	else if (o->cas && !ok)
		cli_error("Error! Did not write to %s: CAS failed", key);
	else if (sent < 0)
		cli_error("Error! Failed writing data: %s", err.data);
	else if (o->acquire && !ok)
		cli_error("Error! Did not acquire lock");
	else if (o->release && !ok)
		cli_error("Error! Did not release lock");
	else if (o->acquire)
		cli_info("Success! Lock acquired on: %s", key), rc = 0;
	else if (o->release)
		cli_info("Success! Lock released on: %s", key), rc = 0;
	else
		cli_info("Success! Data written to: %s", key), rc = 0;
	buf_free(&err);
	free(path);
	return rc;
}

int kv_put_main(int argc, char **argv)
{
	struct kv_put_opts o = {0};
	int rest;
	if (flags_parse(kv_put_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	struct buf data = BUF_INIT;
	int rc = key_and_data(argc - rest, argv + rest, &o, &data);
	if (rc == 0)
		rc = check_modes(&o);
	struct httpc c;
	if (rc == 0 && kv_client(&c, &o.http) < 0)
		rc = 1;
	else if (rc == 0) {
		rc = put(&c, argv[rest], &data, &o);
		httpc_free(&c);
	}
	buf_free(&data);
	return rc;
}
