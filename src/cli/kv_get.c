/*
 * `consul kv get [options] [KEY_OR_PREFIX]`: read one key, a prefix (-recurse) or
 * the key names under a prefix (-keys), as Consul's kv get does:
 *   one key       the raw value and a newline; "Error! No key exists at: KEY" (exit 1)
 *   -recurse      "key:value" per pair (or -detailed tables separated by blank lines)
 *   -keys         one key per line, folded at -separator (default "/")
 * A leading "/" is dropped from the key. Only -keys or -recurse may omit the key.
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/kv.h"

#include "base/alloc.h"
#include "base/b64.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

struct kv_get_opts {
	bool base64;	       /* -base64 */
	bool detailed;	       /* -detailed */
	bool keys;	       /* -keys */
	bool recurse;	       /* -recurse */
	const char *separator; /* -separator */
	struct httpc_flags http;
};

const char kv_get_usage[] =
    "\nUsage: consul kv get [options] [KEY_OR_PREFIX]\n"
    "\n"
    "  Retrieves the value from Consul's key-value store at the given key name. If no\n"
    "  key exists with that name, an error is returned. If a key exists with that\n"
    "  name but has no data, nothing is returned. If the name or prefix is omitted,\n"
    "  it defaults to \"\" which is the root of the key-value store.\n"
    "\n"
    "  To retrieve the value for the key named \"foo\" in the key-value store:\n"
    "\n"
    "      $ consul kv get foo\n"
    "\n"
    "  This will return the original, raw value stored in Consul. To view detailed\n"
    "  information about the key, specify the \"-detailed\" flag. This will output all\n"
    "  known metadata about the key including ModifyIndex and any user-supplied\n"
    "  flags:\n"
    "\n"
    "      $ consul kv get -detailed foo\n"
    "\n"
    "  To treat the path as a prefix and list all keys which start with the given\n"
    "  prefix, specify the \"-recurse\" flag:\n"
    "\n"
    "      $ consul kv get -recurse foo\n"
    "\n"
    "  This will return all key-value pairs. To just list the keys which start with\n"
    "  the specified prefix, use the \"-keys\" option instead:\n"
    "\n"
    "      $ consul kv get -keys foo\n"
    "\n"
    "  For a full list of options and examples, please see the Consul documentation.\n";

#define O struct kv_get_opts
const struct flag_def kv_get_flags[] = {
    FLAG_DEF("base64", FLAG_BOOL, O, base64, "Base64 encode the value. The default value is false.",
	     NULL),
    FLAG_DEF("detailed", FLAG_BOOL, O, detailed,
	     "Provide additional metadata about the key in addition to the value such as the "
	     "ModifyIndex and any flags that may have been set on the key. The default value is "
	     "false.",
	     NULL),
    FLAG_DEF(
	"keys", FLAG_BOOL, O, keys,
	"List keys which start with the given prefix, but not their values. This is especially "
	"useful if you only need the key names themselves. This option is commonly combined "
	"with the -separator option. The default value is false.",
	NULL),
    FLAG_DEF(
	"recurse", FLAG_BOOL, O, recurse,
	"Recursively look at all keys prefixed with the given path. The default value is false.",
	NULL),
    FLAG_DEF(
	"separator", FLAG_STRING, O, separator,
	"String to use as a separator between keys. The default value is \"/\", but this option "
	"is only taken into account when paired with the -keys flag.",
	"/"),
    HTTPC_CLIENT_FLAGS(O, http),
    HTTPC_SERVER_FLAGS(O, http),
    HTTPC_TENANCY_FLAGS(O, http),
    FLAG_END,
};
#undef O

static void put_value(const struct kv_pair *p, bool base64)
{
	if (base64) {
		struct buf b = BUF_INIT;
		if (p->value.len)
			b64_encode(&b, p->value.data, p->value.len);
		fputs(buf_cstr(&b), stdout);
		buf_free(&b);
	} else if (p->value.len) {
		fwrite(p->value.data, 1, p->value.len, stdout);
	}
}

static void print_detailed(const struct kv_pair *p, bool base64)
{
	struct buf b = BUF_INIT;
	kv_format_detailed(&b, p, base64);
	fwrite(b.data, 1, b.len, stdout);
	fputc('\n', stdout);
	buf_free(&b);
}

static int get_keys(const struct httpc *c, const char *path, const struct kv_get_opts *o)
{
	struct httpc_req r;
	httpc_req_init(&r, "GET", path, true);
	httpc_req_param(&r, "keys", "");
	/* with -recurse, Consul lists every key without folding at the separator */
	if (o->separator && *o->separator && !o->recurse)
		httpc_req_param(&r, "separator", o->separator);
	struct httpc_resp resp;
	struct buf err = BUF_INIT;
	int found = kv_api_get(c, &r, &resp, &err);
	json_t *keys = NULL;
	if (found > 0) {
		json_error_t je;
		keys = json_loadb(resp.body.data, resp.body.len, JSON_DECODE_ANY, &je);
		if (!keys || !(json_is_array(keys) || json_is_null(keys)))
			buf_puts(&err,
				 keys ? "json: cannot unmarshal value into []string" : je.text);
	}
	int rc = err.len ? 1 : 0;
	if (rc)
		cli_error("Error querying Consul agent: %s", err.data);
	for (size_t i = 0; !rc && i < json_array_size(keys); i++) {
		json_t *k = json_array_get(keys, i);
		cli_info("%s", json_is_string(k) ? json_string_value(k) : "");
	}
	json_decref(keys);
	if (found >= 0)
		httpc_resp_free(&resp);
	buf_free(&err);
	return rc;
}

static int get_recurse(const struct httpc *c, const char *path, const struct kv_get_opts *o)
{
	struct kv_pairs pairs;
	if (kv_fetch(c, path, true, &pairs))
		return 1;
	for (size_t i = 0; i < pairs.n; i++) {
		if (o->detailed) {
			print_detailed(&pairs.v[i], o->base64);
			if (i + 1 < pairs.n)
				cli_info("%s", "");
			continue;
		}
		fputs(pairs.v[i].key, stdout);
		fputc(':', stdout);
		put_value(&pairs.v[i], o->base64);
		fputc('\n', stdout);
	}
	kv_pairs_free(&pairs);
	return 0;
}

static int get_one(const struct httpc *c, const char *path, const char *key,
		   const struct kv_get_opts *o)
{
	struct kv_pairs pairs;
	if (kv_fetch(c, path, false, &pairs))
		return 1;
	int rc = 0;
	if (pairs.n == 0) {
		cli_error("Error! No key exists at: %s", key);
		rc = 1;
	} else if (o->detailed) {
		print_detailed(&pairs.v[0], o->base64);
	} else {
		put_value(&pairs.v[0], o->base64);
		fputc('\n', stdout);
	}
	kv_pairs_free(&pairs);
	return rc;
}

int kv_get_main(int argc, char **argv)
{
	struct kv_get_opts o = {.separator = "/"};
	const char *key;
	if (kv_parse_key_args(kv_get_flags, &o, argc, argv, &key))
		return 1;
	if (!*key && !(o.recurse || o.keys)) {
		cli_error("Error! Missing KEY argument");
		return 1;
	}
	struct httpc c;
	if (kv_client(&c, &o.http) < 0)
		return 1;
	char *path = kv_api_path(key);
	int rc = o.keys	     ? get_keys(&c, path, &o)
		 : o.recurse ? get_recurse(&c, path, &o)
			     : get_one(&c, path, key, &o);
	free(path);
	httpc_free(&c);
	return rc;
}
