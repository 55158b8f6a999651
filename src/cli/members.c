/*
 * `consul members [-detailed] [-status REGEX] [-wan] [-segment S]`: the gossip
 * pool's members from /v1/agent/members, sorted by name, as Consul's
 * columnized table:
 *
 *   Node  Address         Status  Type    Build   Protocol  DC   Partition  Segment
 *   s1    127.0.0.2:8301  alive   server  1.20.1  2         dc1  default    <all>
 *
 * or with -detailed "Node Address Status Tags" (tags as sorted k=v joined by
 * commas). -status keeps members whose status matches the (unanchored)
 * regular expression. No member left after filtering exits 2, as Consul.
 */
#include "cli/catalog_commands.h"
#include "cli/catalog_format.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/kv.h"
#include "gossip/serf.h"
#include "gossip/tags.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

struct members_opts {
	bool detailed;
	bool wan;
	const char *status;
	const char *segment;
	struct httpc_flags http;
};

const char members_usage[] = "\nUsage: consul members [options]\n"
			     "\n"
			     "  Outputs the members of a running Consul agent.\n";

#define O struct members_opts
const struct flag_def members_flags[] = {
    FLAG_DEF("detailed", FLAG_BOOL, O, detailed, "Provides detailed information about nodes.",
	     NULL),
    FLAG_DEF("segment", FLAG_STRING, O, segment,
	     "(Enterprise-only) Network segment to list members for. If not set, the "
	     "default segment is used.",
	     NULL),
    FLAG_DEF("status", FLAG_STRING, O, status,
	     "If provided, output is filtered to only nodes matching the regular "
	     "expression for status.",
	     NULL),
    FLAG_DEF("wan", FLAG_BOOL, O, wan,
	     "If the agent is in server mode, this can be used to return the other "
	     "peers in the WAN pool.",
	     NULL),
    HTTPC_CLIENT_FLAGS(O, http),
    {"partition", FLAG_STRING, offsetof(O, http.partition), HTTPC_USAGE_PARTITION, NULL, "value",
     FLAG_SECT_CMD},
    FLAG_END,
};
#undef O

static const char *status_name(json_int_t st)
{
	return st >= SERF_NONE && st <= SERF_FAILED ? serf_status_name((enum serf_status)st)
						    : "unknown";
}

static const char *tag(json_t *m, const char *k)
{
	return json_string_value(json_object_get(json_object_get(m, "Tags"), k));
}

static int by_name(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	return strcmp(json_string_value(json_object_get(x, "Name")),
		      json_string_value(json_object_get(y, "Name")));
}

static void address(struct buf *out, json_t *m)
{
	const char *ip = json_string_value(json_object_get(m, "Addr"));
	json_int_t port = json_integer_value(json_object_get(m, "Port"));
	buf_printf(out, strchr(ip ? ip : "", ':') ? "[%s]:%lld" : "%s:%lld", ip ? ip : "",
		   (long long)port);
}

static void row(struct buf *t, json_t *m, bool detailed)
{
	const char *D = CATALOG_DELIM;
	buf_printf(t, "%s%s", json_string_value(json_object_get(m, "Name")), D);
	address(t, m);
	buf_printf(t, "%s%s%s", D, status_name(json_integer_value(json_object_get(m, "Status"))),
		   D);
	if (detailed) {
		catcli_map_kv(t, json_object_get(m, "Tags"), ",");
		buf_putc(t, '\n');
		return;
	}
	/* Consul's columns read the tags the way tags_consul.c does */
	struct tags tg = TAGS_INIT;
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(m, "Tags"), k, v)
	{
		tags_set(&tg, k, json_string_value(v) ? json_string_value(v) : "");
	}
	struct consul_tags ct;
	consul_tags_parse(&tg, &ct, NULL);
	struct buf build = BUF_INIT;
	consul_tags_build(&ct, &build);
	const char *vsn = tag(m, "vsn");
	buf_printf(t, "%s%s%s%s%s%s%s%s%s%s%s\n", consul_tags_type(&ct), D, buf_cstr(&build), D,
		   vsn ? vsn : "", D, ct.dc ? ct.dc : "", D, consul_tags_partition(&ct), D,
		   consul_tags_segment(&ct));
	buf_free(&build);
	tags_free(&tg);
}

static int print_members(json_t *list, const struct members_opts *o)
{
	regex_t re;
	if (o->status && regcomp(&re, o->status, REG_EXTENDED | REG_NOSUB)) {
		cli_error("Failed to compile status regexp %s", o->status);
		return 1;
	}
	size_t n = json_array_size(list), k = 0;
	json_t **v = calloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_array_get(list, i);
		if (!json_is_string(json_object_get(m, "Name")))
			continue;
		const char *st = status_name(json_integer_value(json_object_get(m, "Status")));
		if (o->status && regexec(&re, st, 0, NULL, 0) != 0)
			continue;
		v[k++] = m;
	}
	if (o->status)
		regfree(&re);
	qsort(v, k, sizeof(*v), by_name);
	int rc = 0;
	if (k == 0) {
		rc = 2; /* Consul: nothing matched the filters */
	} else {
		struct buf t = BUF_INIT, out = BUF_INIT;
		const char *D = CATALOG_DELIM;
		if (o->detailed)
			buf_printf(&t, "Node%sAddress%sStatus%sTags\n", D, D, D);
		else
			buf_printf(&t,
				   "Node%sAddress%sStatus%sType%sBuild%sProtocol%sDC%sPartition%s"
				   "Segment\n",
				   D, D, D, D, D, D, D, D);
		for (size_t i = 0; i < k; i++)
			row(&t, v[i], o->detailed);
		catcli_columnize(&out, t.data, t.len);
		cli_info("%s", buf_cstr(&out));
		buf_free(&t);
		buf_free(&out);
	}
	free(v);
	return rc;
}

int members_main(int argc, char **argv)
{
	struct members_opts o = {0};
	int rest;
	if (flags_parse(members_flags, &o, argc, argv, 1, &rest) < 0 ||
	    catcli_no_args(argc - rest) < 0)
		return 1;
	struct httpc c;
	if (kv_client(&c, &o.http) < 0)
		return 1;
	struct httpc_req r;
	httpc_req_init(&r, "GET", "/v1/agent/members", true);
	if (o.wan)
		httpc_req_param(&r, "wan", "1");
	httpc_req_param(&r, "segment", o.segment && *o.segment ? o.segment : "_all");
	json_t *list = NULL;
	struct buf err = BUF_INIT;
	int rc;
	if (catcli_get_json(&c, &r, &list, &err) < 0) {
		cli_error("Error retrieving members: %s", buf_cstr(&err));
		rc = 1;
	} else {
		rc = print_members(list, &o);
	}
	json_decref(list);
	buf_free(&err);
	httpc_free(&c);
	return rc;
}
