/*
 * `consul info`: the agent's debugging statistics, from the "Stats" object of
 * GET /v1/agent/self (api/agent_stats.c), printed as Consul prints them:
 *
 *   agent:
 *   	check_monitors = 0
 *   	...
 *   build:
 *
 * Sections sorted by name, each followed by its "\t<key> = <value>" lines sorted
 * by key. Errors: "Error querying agent: ..." (exit 1); a reply without Stats:
 * "Agent response did not contain 'Stats' key: ..." (exit 1).
 */
#include "cli/catalog_commands.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/kv.h"

#include "base/alloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct info_opts {
	struct httpc_flags http;
};

const char info_usage[] = "\nUsage: consul info [options]\n"
			  "\n"
			  "  Provides debugging information for operators.\n";

const struct flag_def info_flags[] = {
    HTTPC_CLIENT_FLAGS(struct info_opts, http),
    FLAG_END,
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The object's keys, sorted (Go's sort.Strings: byte order). Free the array only. */
static const char **sorted_keys(json_t *obj, size_t *n)
{
	*n = json_object_size(obj);
	const char **keys = xcalloc(*n ? *n : 1, sizeof(*keys));
	size_t i = 0;
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) keys[i++] = k;
	qsort(keys, *n, sizeof(*keys), cmp_str);
	return keys;
}

/* Go's %s of a decoded JSON value: strings as they are, others as JSON text. */
static void print_value(const char *key, json_t *v)
{
	if (json_is_string(v)) {
		cli_info("\t%s = %s", key, json_string_value(v));
		return;
	}
	char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	cli_info("\t%s = %s", key, text ? text : "");
	free(text);
}

static void print_stats(json_t *stats)
{
	size_t n;
	const char **sections = sorted_keys(stats, &n);
	for (size_t i = 0; i < n; i++) {
		cli_info("%s:", sections[i]);
		json_t *sub = json_object_get(stats, sections[i]);
		if (!json_is_object(sub))
			continue;
		size_t m;
		const char **keys = sorted_keys(sub, &m);
		for (size_t k = 0; k < m; k++)
			print_value(keys[k], json_object_get(sub, keys[k]));
		free(keys);
	}
	free(sections);
}

int info_main(int argc, char **argv)
{
	struct info_opts o = {0};
	int rest;
	if (flags_parse(info_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	struct httpc c;
	if (kv_client(&c, &o.http) < 0)
		return 1;
	struct httpc_req r;
	httpc_req_init(&r, "GET", "/v1/agent/self", false);
	json_t *self = NULL;
	struct buf err = BUF_INIT;
	int rc = 1;
	if (catcli_get_json(&c, &r, &self, &err) < 0) {
		cli_error("Error querying agent: %s", buf_cstr(&err));
	} else if (!json_is_object(json_object_get(self, "Stats"))) {
		cli_error("Agent response did not contain 'Stats' key");
	} else {
		print_stats(json_object_get(self, "Stats"));
		rc = 0;
	}
	json_decref(self);
	buf_free(&err);
	httpc_free(&c);
	return rc;
}
