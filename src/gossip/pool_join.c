/*
 * Joining a gossip pool through addresses given as text (pool.h).
 *
 * Model. One struct gossip_pool_join per request: every address string is
 * parsed as a literal ("ip", "ip:port", "[v6]:port"); the others are host
 * names, resolved with uv_getaddrinfo in libuv's thread pool (first address
 * returned, as Consul's join takes one). Once every name has an answer the
 * resolved addresses go to gossip_transport_join together, and its
 * completion becomes the caller's callback with an error text in Consul's
 * form ("Failed to join 10.0.0.1:8301: connection refused").
 *
 * Resolutions in flight hold a reference on the pool (pool->resolving), so a
 * pool closed meanwhile stays in memory until their callbacks ran; a
 * cancelled request then just frees itself.
 */
#include "gossip/pool_int.h"

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gossip_pool_join {
	struct gossip_pool_join *next; /* p->joins */
	struct gossip_pool *p;
	struct gaddr *addrs;
	char **text; /* the strings as given, for messages */
	size_t ntext;
	size_t n;
	size_t pending; /* resolutions not answered */
	bool ignore_old;
	bool cancelled;
	char err[256]; /* first resolution failure */
	int self;      /* addresses that are our own (joined trivially, as memberlist does) */
	size_t resolved_ok;
	gossip_pool_join_cb cb;
	void *data;
};

struct resolve {
	uv_getaddrinfo_t req;
	struct gossip_pool_join *j;
	size_t i;
	uint16_t port;
};

void gaddr_format(const struct gaddr *a, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (a->family == 4)
		uv_inet_ntop(AF_INET, a->ip, ip, sizeof(ip));
	else if (a->family == 6)
		uv_inet_ntop(AF_INET6, a->ip, ip, sizeof(ip));
	snprintf(out, cap, a->family == 6 ? "[%s]:%u" : "%s:%u", ip, a->port);
}

static void unlink_join(struct gossip_pool_join *j)
{
	for (struct gossip_pool_join **pp = &j->p->joins; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
}

static void free_join(struct gossip_pool_join *j)
{
	for (size_t i = 0; i < j->ntext; i++)
		free(j->text[i]);
	free(j->text);
	free(j->addrs);
	free(j);
}

static void finish(struct gossip_pool_join *j, int joined, const char *err)
{
	unlink_join(j);
	gossip_pool_join_cb cb = j->cb;
	struct gossip_pool *p = j->p;
	void *data = j->data;
	char msg[512];
	snprintf(msg, sizeof(msg), "%s", err ? err : "");
	free_join(j);
	if (cb)
		cb(p, joined, msg, data);
}

/* Transport join done. The join struct is found through data. */
static void joined_cb(struct gossip_transport *t, int joined, int err, void *data)
{
	(void)t;
	struct gossip_pool_join *j = data;
	char msg[512] = "";
	joined += j->self;
	if (joined == 0) {
		char list[256] = "";
		size_t off = 0;
		for (size_t i = 0; i < j->n && off < sizeof(list); i++)
			if (j->addrs[i].family) {
				char a[80];
				gaddr_format(&j->addrs[i], a, sizeof(a));
				off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
							off ? ", " : "", a);
			}
		snprintf(msg, sizeof(msg), "Failed to join %s: %s", list,
			 err ? cairn_strerror(err) : "no response");
	}
	if (*j->err)
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "%s%s", *msg ? "; " : "",
			 j->err);
	finish(j, joined, msg);
}

/* Every address has an answer: start the push-pulls. */
static void start_join(struct gossip_pool_join *j)
{
	struct gossip_pool *p = j->p;
	const struct gaddr *me = &p->t.mlcfg.addr;
	size_t k = 0;
	for (size_t i = 0; i < j->n; i++) {
		const struct gaddr *a = &j->addrs[i];
		if (!a->family)
			continue;
		if (a->family == me->family && a->port == me->port &&
		    memcmp(a->ip, me->ip, a->family == 4 ? 4 : 16) == 0) {
			j->self++; /* -retry-join lists every server, this one too */
			continue;
		}
		j->addrs[k++] = *a;
	}
	if (k == 0) {
		finish(j, j->self, j->self ? "" : j->err);
		return;
	}
	j->n = k;
	if (j->ignore_old && p->serf)
		serf_ignore_old_events(p->serf);
	int rc = gossip_transport_join(&p->t, j->addrs, k, joined_cb, j);
	if (rc) {
		char msg[256];
		snprintf(msg, sizeof(msg), "Failed to join: %s", cairn_strerror(rc));
		finish(j, 0, msg);
	}
}

static void resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct resolve *r = req->data;
	struct gossip_pool_join *j = r->j;
	struct gossip_pool *p = j->p;
	p->resolving--;
	if (status == 0 && res && gossip_addr_from_sockaddr(res->ai_addr, &j->addrs[r->i]) == 0)
		j->addrs[r->i].port = r->port;
	else if (!*j->err)
		snprintf(j->err, sizeof(j->err), "Failed to resolve %s: %s", j->text[r->i],
			 status ? uv_strerror(status) : "no address");
	uv_freeaddrinfo(res);
	free(r);
	j->pending--;
	if (j->cancelled) {
		if (j->pending == 0)
			free_join(j);
		if (p->closing)
			gossip_pool_release(p);
		return;
	}
	if (j->pending == 0)
		start_join(j);
}

/* "host" or "host:port" (not a literal): start resolving it. */
static int resolve_name(struct gossip_pool_join *j, size_t i, uint16_t default_port)
{
	const char *s = j->text[i];
	char host[256];
	const char *colon = strrchr(s, ':');
	size_t hl = colon ? (size_t)(colon - s) : strlen(s);
	long port = default_port;
	if (colon) {
		char *end;
		port = strtol(colon + 1, &end, 10);
		if (*end || port <= 0 || port > 65535)
			return CAIRN_E_INVAL;
	}
	if (hl == 0 || hl >= sizeof(host))
		return CAIRN_E_INVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	struct resolve *r = xcalloc(1, sizeof(*r));
	r->j = j;
	r->i = i;
	r->port = (uint16_t)port;
	r->req.data = r;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	int rc = uv_getaddrinfo(j->p->loop, &r->req, resolved, host, NULL, &hints);
	if (rc) {
		free(r);
		return rc;
	}
	j->pending++;
	j->p->resolving++;
	return 0;
}

static struct gossip_pool_join *new_join(struct gossip_pool *p, size_t n, bool ignore_old,
					 gossip_pool_join_cb cb, void *data)
{
	struct gossip_pool_join *j = xcalloc(1, sizeof(*j));
	j->p = p;
	j->n = j->ntext = n;
	j->addrs = xcalloc(n ? n : 1, sizeof(*j->addrs));
	j->text = xcalloc(n ? n : 1, sizeof(*j->text));
	j->ignore_old = ignore_old;
	j->cb = cb;
	j->data = data;
	j->next = p->joins;
	p->joins = j;
	return j;
}

int gossip_pool_join(struct gossip_pool *p, const char *const *addrs, size_t n, bool ignore_old,
		     gossip_pool_join_cb cb, void *data)
{
	if (p->closing || p->leaving || n == 0)
		return -1;
	uint16_t def = p->which == KEYRING_WAN ? 8302 : 8301;
	struct gossip_pool_join *j = new_join(p, n, ignore_old, cb, data);
	for (size_t i = 0; i < n; i++) {
		j->text[i] = xstrdup(addrs[i]);
		if (gossip_addr_parse(addrs[i], def, &j->addrs[i]) == 0)
			continue;
		int rc = resolve_name(j, i, def);
		if (rc && !*j->err)
			snprintf(j->err, sizeof(j->err), "Failed to resolve %s: %s", addrs[i],
				 rc == CAIRN_E_INVAL ? "invalid address" : uv_strerror(rc));
	}
	if (j->pending == 0)
		start_join(j);
	return 0;
}

int gossip_pool_join_addrs(struct gossip_pool *p, const struct gaddr *addrs, size_t n,
			   bool ignore_old, gossip_pool_join_cb cb, void *data)
{
	if (p->closing || p->leaving || n == 0)
		return -1;
	struct gossip_pool_join *j = new_join(p, n, ignore_old, cb, data);
	for (size_t i = 0; i < n; i++) {
		char a[80];
		gaddr_format(&addrs[i], a, sizeof(a));
		j->text[i] = xstrdup(a);
		j->addrs[i] = addrs[i];
	}
	start_join(j);
	return 0;
}

void gossip_pool_cancel_joins(struct gossip_pool *p)
{
	struct gossip_pool_join *j = p->joins;
	p->joins = NULL;
	while (j) {
		struct gossip_pool_join *next = j->next;
		j->next = NULL;
		if (j->pending) {
			j->cancelled = true; /* freed by its last resolution */
		} else {
			free_join(j);
		}
		j = next;
	}
}
