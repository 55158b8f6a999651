/*
 * `consul keyring [-install KEY | -use KEY | -remove KEY | -list |
 * -list-primary] [-relay-factor N] [-local-only]`: gossip encryption key
 * management through /v1/operator/keyring (GET list, POST install, PUT use,
 * DELETE remove).
 *
 * Exactly one action. A list prints, after "==> Gathering installed
 * encryption keys...", one block per pool as Consul's formatResponse:
 *
 *     (blank line)
 *     WAN:                      or "dc1 (LAN):"
 *       ===> node: message      per member that said something
 *       <key> [n/N]             members holding it / NumNodes
 *
 * (-list-primary prints the primary keys' counts instead). The writes print
 * "==> Installing new gossip encryption key..." (or "Changing primary...",
 * "Removing...") and nothing more when every member agreed. Any failure
 * prints "error: <the API's error>" and exits 1. Flag checks as Consul:
 * "Only a single action is allowed", relay-factor in [0, 5], -local-only
 * with -list only (Consul checks -list, not -list-primary).
 */
#include "cli/catalog_commands.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/kv.h"

#include "base/jsonw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct keyring_opts {
	const char *install, *use, *remove;
	bool list, list_primary, local;
	int64_t relay;
	struct httpc_flags http;
};

const char keyring_usage[] =
    "\nUsage: consul keyring [options]\n"
    "\n"
    "  Manages encryption keys used for gossip messages. Gossip encryption is\n"
    "  optional. When enabled, this command may be used to examine active encryption\n"
    "  keys in the cluster, add new keys, and remove old ones. When combined, this\n"
    "  functionality provides the ability to perform key rotation cluster-wide,\n"
    "  without disrupting the cluster.\n"
    "\n"
    "  All operations performed by this command can only be run against server nodes,\n"
    "  and affect both the LAN and WAN keyrings in lock-step.\n"
    "\n"
    "  All variations of the keyring command return 0 if all nodes reply and there\n"
    "  are no errors. If any node fails to reply or reports failure, the exit code\n"
    "  will be 1.\n";

#define O struct keyring_opts
const struct flag_def keyring_flags[] = {
    FLAG_DEF("install", FLAG_STRING, O, install,
	     "Install a new encryption key. This will broadcast the new key to all members "
	     "in the cluster.",
	     NULL),
    FLAG_DEF("list", FLAG_BOOL, O, list, "List all keys currently in use within the cluster.",
	     NULL),
    FLAG_DEF("list-primary", FLAG_BOOL, O, list_primary,
	     "List all primary keys currently in use within the cluster.", NULL),
    FLAG_DEF("local-only", FLAG_BOOL, O, local,
	     "Setting this to true will force the keyring query to only hit local servers "
	     "(no WAN traffic). This flag can only be set for list queries.",
	     NULL),
    FLAG_DEF("relay-factor", FLAG_INT, O, relay,
	     "Setting this to a non-zero value will cause nodes to relay their response to "
	     "the operation through this many randomly-chosen other nodes in the cluster. "
	     "The maximum allowed value is 5.",
	     NULL),
    FLAG_DEF("remove", FLAG_STRING, O, remove,
	     "Remove the given key from the cluster. This operation may only be performed on "
	     "keys which are not currently the primary key.",
	     NULL),
    FLAG_DEF("use", FLAG_STRING, O, use,
	     "Change the primary encryption key, which is used to encrypt messages. The key "
	     "must already be installed before this operation can succeed.",
	     NULL),
    HTTPC_CLIENT_FLAGS(O, http),
    FLAG_END,
};
#undef O

/* The write actions, as a table: flag value, method, what Consul says first. */
struct action {
	const char *key;
	const char *method;
	const char *info;
};

static int count_actions(const struct keyring_opts *o)
{
	int n = o->list + o->list_primary;
	const char *keys[] = {o->install, o->use, o->remove};
	for (size_t i = 0; i < 3; i++)
		n += keys[i] && *keys[i];
	return n;
}

/* Go prints maps in key order. */
static int by_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Messages ("  ===> node: text") or key counts ("  key [n/total]"). */
static void print_map(struct buf *out, json_t *m, json_int_t total)
{
	size_t n = json_object_size(m), i = 0;
	const char **keys = calloc(n ? n : 1, sizeof(*keys));
	const char *k;
	json_t *v;
	json_object_foreach(m, k, v)
	{
		keys[i++] = k;
	}
	qsort(keys, n, sizeof(*keys), by_key);
	for (i = 0; i < n; i++) {
		json_t *val = json_object_get(m, keys[i]);
		if (json_is_string(val))
			buf_printf(out, "  ===> %s: %s\n", keys[i], json_string_value(val));
		else
			buf_printf(out, "  %s [%lld/%lld]\n", keys[i],
				   (long long)json_integer_value(val), (long long)total);
	}
	free(keys);
}

static void print_list(json_t *list, bool primary)
{
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *r = json_array_get(list, i);
		struct buf b = BUF_INIT;
		const char *dc = json_string_value(json_object_get(r, "Datacenter"));
		const char *seg = json_string_value(json_object_get(r, "Segment"));
		buf_putc(&b, '\n');
		if (json_is_true(json_object_get(r, "WAN")))
			buf_puts(&b, "WAN");
		else
			buf_printf(&b, "%s (LAN)", dc ? dc : "");
		if (seg && *seg)
			buf_printf(&b, " [%s]", seg);
		buf_puts(&b, ":\n");
		print_map(&b, json_object_get(r, "Messages"), 0);
		print_map(&b, json_object_get(r, primary ? "PrimaryKeys" : "Keys"),
			  json_integer_value(json_object_get(r, "NumNodes")));
		while (b.len && b.data[b.len - 1] == '\n')
			b.len--;
		cli_info("%s", buf_cstr(&b));
		buf_free(&b);
	}
}

static int run(const struct keyring_opts *o, const struct httpc *c)
{
	char relay[24];
	snprintf(relay, sizeof(relay), "%lld", (long long)o->relay);
	struct buf err = BUF_INIT, body = BUF_INIT;
	struct httpc_req r;
	int rc = 0;
	if (o->list || o->list_primary) {
		cli_info("==> Gathering installed %sencryption keys...",
			 o->list_primary ? "primary " : "");
		httpc_req_init(&r, "GET", "/v1/operator/keyring", true);
		if (o->relay)
			httpc_req_param(&r, "relay-factor", relay);
		if (o->local)
			httpc_req_param(&r, "local-only", "true");
		json_t *list = NULL;
		if (catcli_get_json(c, &r, &list, &err) < 0) {
			cli_error("error: %s", buf_cstr(&err));
			rc = 1;
		} else {
			print_list(list, o->list_primary);
		}
		json_decref(list);
	} else {
		const struct action actions[] = {
		    {o->install, "POST", "Installing new gossip encryption key..."},
		    {o->use, "PUT", "Changing primary gossip encryption key..."},
		    {o->remove, "DELETE", "Removing gossip encryption key..."},
		};
		const struct action *a = &actions[0];
		while (!(a->key && *a->key))
			a++;
		cli_info("==> %s", a->info);
		buf_puts(&body, "{\"Key\":");
		json_escape(&body, a->key, strlen(a->key));
		buf_putc(&body, '}');
		httpc_req_init(&r, a->method, "/v1/operator/keyring", false);
		if (o->relay)
			httpc_req_param(&r, "relay-factor", relay);
		r.body = body.data;
		r.body_len = body.len;
		if (catcli_write(c, &r, &err) < 0) {
			cli_error("error: %s", buf_cstr(&err));
			rc = 1;
		}
	}
	buf_free(&body);
	buf_free(&err);
	return rc;
}

int keyring_main(int argc, char **argv)
{
	struct keyring_opts o = {0};
	int rest;
	if (flags_parse(keyring_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	int n = count_actions(&o);
	if (n == 0) {
		struct buf h = BUF_INIT;
		flags_help(&h, keyring_usage, keyring_flags);
		cli_error("%s", buf_cstr(&h));
		buf_free(&h);
		return 1;
	}
	if (n > 1) {
		cli_error("Only a single action is allowed");
		return 1;
	}
	if (o.relay < 0 || o.relay > 5) {
		cli_error("Error parsing relay factor: Relay factor must be in range: [0, 5]");
		return 1;
	}
	if (o.local && !o.list) {
		cli_error("Error validating local-only: local-only can only be set for list "
			  "requests");
		return 1;
	}
	struct httpc c;
	if (kv_client(&c, &o.http) < 0)
		return 1;
	int rc = run(&o, &c);
	httpc_free(&c);
	return rc;
}
