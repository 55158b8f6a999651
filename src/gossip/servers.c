/*
 * The servers among a pool's members (servers.h).
 */
#include "gossip/servers.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t gossip_servers(const struct gossip_pool *p, const char *dc, bool alive_only,
		      struct gossip_server *out, size_t cap)
{
	const struct serf *s = p ? gossip_pool_serf(p) : NULL;
	size_t n = 0;
	for (size_t i = 0, c = s ? serf_count(s) : 0; i < c && n < cap; i++) {
		const struct serf_member *m = serf_at(s, i);
		const char *role = tags_get(&m->tags, "role");
		const char *mdc = tags_get(&m->tags, "dc");
		const char *id = tags_get(&m->tags, "id");
		const char *port = tags_get(&m->tags, "port");
		if (!role || strcmp(role, "consul") || !id || !port ||
		    (dc && mdc && strcmp(dc, mdc)))
			continue;
		if (alive_only && m->status != SERF_ALIVE)
			continue;
		char ip[INET6_ADDRSTRLEN] = "";
		inet_ntop(m->addr.family == 6 ? AF_INET6 : AF_INET, m->addr.ip, ip, sizeof(ip));
		struct gossip_server *g = &out[n++];
		g->m = m;
		g->id = id;
		g->bootstrap = tags_get(&m->tags, "bootstrap") != NULL;
		snprintf(g->rpc, sizeof(g->rpc), m->addr.family == 6 ? "[%s]:%s" : "%s:%s", ip,
			 port);
	}
	return n;
}

bool gossip_server_pick(const struct gossip_pool *p, const char *dc, char *out, size_t cap)
{
	struct gossip_server sv[64];
	size_t n = gossip_servers(p, dc, true, sv, 64);
	if (n)
		snprintf(out, cap, "%s", sv[(size_t)random() % n].rpc);
	return n > 0;
}
