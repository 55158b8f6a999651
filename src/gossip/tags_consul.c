/*
 * Consul's member tags (tags.h): the roles, the datacenter and versions a
 * member announces, as `consul members`, server discovery and
 * bootstrap_expect read them. Unknown tags are left alone.
 */
#include "gossip/tags.h"

#include "base/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Go's strconv.Atoi on a tag, limited to 0..INT32_MAX; absent: -1. */
static int get_int(const struct tags *t, const char *key, int *out, struct buf *err)
{
	const char *s = tags_get(t, key);
	*out = -1;
	if (!s)
		return 0;
	const char *p = s + (*s == '+');
	char *end = (char *)p;
	errno = 0;
	long v = *p >= '0' && *p <= '9' ? strtol(p, &end, 10) : -1;
	if (v < 0 || *end || errno || v > INT32_MAX) {
		if (err)
			buf_printf(err, "member tag %s is not a valid number: \"%s\"", key, s);
		return CAIRN_E_PARSE;
	}
	*out = (int)v;
	return 0;
}

int consul_tags_parse(const struct tags *t, struct consul_tags *ct, struct buf *err)
{
	const char *role = tags_get(t, "role");
	ct->role = !role			 ? CONSUL_ROLE_UNKNOWN
		   : strcmp(role, "consul") == 0 ? CONSUL_ROLE_SERVER
		   : strcmp(role, "node") == 0	 ? CONSUL_ROLE_CLIENT
						 : CONSUL_ROLE_UNKNOWN;
	ct->dc = tags_get(t, "dc");
	ct->segment = tags_get(t, "segment");
	ct->partition = tags_get(t, "ap");
	ct->id = tags_get(t, "id");
	ct->build = tags_get(t, "build");
	ct->bootstrap = tags_get(t, "bootstrap") != NULL;
	ct->nonvoter = tags_get(t, "nonvoter") || tags_get(t, "read_replica");
	ct->use_tls = tags_get(t, "use_tls") != NULL;
	if (get_int(t, "vsn", &ct->vsn, err) || get_int(t, "vsn_min", &ct->vsn_min, err) ||
	    get_int(t, "vsn_max", &ct->vsn_max, err) ||
	    get_int(t, "raft_vsn", &ct->raft_vsn, err) || get_int(t, "port", &ct->port, err) ||
	    get_int(t, "wan_join_port", &ct->wan_join_port, err) ||
	    get_int(t, "expect", &ct->expect, err))
		return CAIRN_E_PARSE;
	if (ct->role == CONSUL_ROLE_SERVER && ct->port < 0) {
		if (err)
			buf_puts(err, "server member has no port tag");
		return CAIRN_E_PARSE;
	}
	return 0;
}

static void put_str(struct tags *t, const char *key, const char *v)
{
	if (v)
		tags_set(t, key, v);
}

static void put_int(struct tags *t, const char *key, int v)
{
	char num[16];
	if (v < 0)
		return;
	snprintf(num, sizeof(num), "%d", v);
	tags_set(t, key, num);
}

void consul_tags_put(const struct consul_tags *ct, struct tags *t)
{
	if (ct->role != CONSUL_ROLE_UNKNOWN)
		tags_set(t, "role", ct->role == CONSUL_ROLE_SERVER ? "consul" : "node");
	put_str(t, "dc", ct->dc);
	put_str(t, "segment", ct->segment);
	put_str(t, "ap", ct->partition);
	put_str(t, "id", ct->id);
	put_str(t, "build", ct->build);
	put_int(t, "vsn", ct->vsn);
	put_int(t, "vsn_min", ct->vsn_min);
	put_int(t, "vsn_max", ct->vsn_max);
	put_int(t, "raft_vsn", ct->raft_vsn);
	put_int(t, "port", ct->port);
	put_int(t, "wan_join_port", ct->wan_join_port);
	put_int(t, "expect", ct->expect);
	if (ct->bootstrap)
		tags_set(t, "bootstrap", "1");
	if (ct->nonvoter)
		tags_set(t, "nonvoter", "1");
	if (ct->use_tls)
		tags_set(t, "use_tls", "1");
}

const char *consul_tags_type(const struct consul_tags *ct)
{
	switch (ct->role) {
	case CONSUL_ROLE_SERVER:
		return "server";
	case CONSUL_ROLE_CLIENT:
		return "client";
	default:
		return "unknown";
	}
}

void consul_tags_build(const struct consul_tags *ct, struct buf *out)
{
	if (!ct->build || !*ct->build) {
		buf_puts(out, "< 0.3");
		return;
	}
	const char *colon = strchr(ct->build, ':');
	buf_append(out, ct->build, colon ? (size_t)(colon - ct->build) : strlen(ct->build));
}

const char *consul_tags_partition(const struct consul_tags *ct)
{
	return ct->partition && *ct->partition ? ct->partition : "default";
}

const char *consul_tags_segment(const struct consul_tags *ct)
{
	if (ct->segment && *ct->segment)
		return ct->segment;
	switch (ct->role) {
	case CONSUL_ROLE_SERVER:
		return "<all>";
	case CONSUL_ROLE_CLIENT:
		return "<default>";
	default:
		return ct->segment ? ct->segment : "";
	}
}
