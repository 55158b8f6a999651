/*
 * The servers among a pool's members (servers.h).
 */
#include "gossip/servers.h"

#include "gossip/vivaldi.h"

#include <arpa/inet.h>
#include <math.h>
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

/* ---- datacenters by distance ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmp_dc(const void *a, const void *b)
{
	const struct gossip_dc *x = a, *y = b;
	if (x->rtt != y->rtt)
		return x->rtt < y->rtt ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The median distance from us to dc's servers among sv[0..n). */
static double dc_distance(const struct gossip_pool *p, const struct gossip_server *sv, size_t n,
			  const char *dc)
{
	const struct vivaldi *v = gossip_pool_vivaldi(p);
	double *d = calloc(n ? n : 1, sizeof(*d));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *mdc = tags_get(&sv[i].m->tags, "dc");
		if (!mdc || strcmp(mdc, dc) != 0)
			continue;
		const struct vivaldi_coord *c = gossip_pool_coord(p, sv[i].m->name);
		d[k++] = v && c ? vivaldi_distance(&v->coord, c) : INFINITY;
	}
	qsort(d, k, sizeof(*d), cmp_double);
	double med = k == 0 ? INFINITY : k % 2 ? d[k / 2] : (d[k / 2 - 1] + d[k / 2]) / 2;
	free(d);
	return med;
}

size_t gossip_datacenters(const struct gossip_pool *p, struct gossip_dc *out, size_t cap)
{
	struct gossip_server sv[256];
	size_t n = gossip_servers(p, NULL, true, sv, 256), k = 0;
	for (size_t i = 0; i < n && k < cap; i++) {
		const char *dc = tags_get(&sv[i].m->tags, "dc");
		bool seen = !dc;
		for (size_t j = 0; j < k && !seen; j++)
			seen = strcmp(out[j].name, dc) == 0;
		if (seen)
			continue;
		snprintf(out[k].name, sizeof(out[k].name), "%s", dc);
		out[k].rtt = dc_distance(p, sv, n, dc);
		k++;
	}
	qsort(out, k, sizeof(*out), cmp_dc);
	return k;
}

size_t gossip_other_datacenters(const struct gossip_pool *p, const char *local_dc, char (*out)[64],
				size_t cap)
{
	struct gossip_dc all[64];
	size_t n = p ? gossip_datacenters(p, all, 64) : 0, k = 0;
	for (size_t i = 0; i < n && k < cap; i++)
		if (strcmp(all[i].name, local_dc) != 0)
			memcpy(out[k++], all[i].name, sizeof(all[i].name));
	return k;
}
